// Who is signed in: the staff member from GET /me (display_name, role_label, permissions). Menus, routes and
// buttons ask can('orders.ship') and never hard-code roles, so a role change on the server is all it takes.
import { reactive } from 'vue'
import { fetchMe, login, logout } from '../api/admin.js'
import { getToken, setToken } from '../api/client.js'

export const session = reactive({ staff: null })

export function hasToken() {
  return Boolean(getToken())
}

export function can(permission) {
  if (!permission) return true
  return Boolean(session.staff?.permissions?.includes(permission))
}

/** GET /me once per page load (the router guard calls this before the first console page). */
export async function ensureStaff() {
  if (!session.staff && hasToken()) session.staff = await fetchMe()
  return session.staff
}

export async function signIn(username, password) {
  const result = await login(username, password)
  setToken(result.access_token)
  session.staff = result.staff
  // /me is the source of truth for permissions (the login answer carries the same StaffPublic)
  session.staff = await fetchMe()
  return session.staff
}

export async function signOut() {
  try {
    if (hasToken()) await logout()
  } catch {
    // the token is dropped either way
  }
  forgetSession()
}

export function forgetSession() {
  setToken('')
  session.staff = null
}
