import { createRouter, createWebHashHistory } from 'vue-router'
import { routes } from './routes.js'
import { ensureStaff, forgetSession, hasToken } from '../auth/session.js'
import { t } from '../locale/index.js'

export const router = createRouter({
  history: createWebHashHistory(),
  routes,
  scrollBehavior: () => ({ top: 0 }),
})

/** The address being opened right now (a session that ends while loading it returns there after sign-in). */
export let pendingPath = null

router.beforeEach(async (to) => {
  pendingPath = to.fullPath
  if (to.meta.public) {
    // already signed in: the sign-in page has nothing to do
    if (to.name === 'login' && hasToken()) return { name: 'home' }
    return true
  }
  if (!hasToken()) return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
  try {
    await ensureStaff()
  } catch {
    // the session ended (the API client dropped the token) or /me failed: signing in again is the way out,
    // and afterwards the person lands on the page they were opening
    const expired = !hasToken()
    forgetSession()
    const query = to.fullPath !== '/' ? { redirect: to.fullPath } : {}
    return { name: 'login', query: expired ? { ...query, expired: '1' } : query }
  }
  // a page the role may not open stays at its address and shows the 403 page (ConsoleLayout decides)
  return true
})

router.afterEach((to) => {
  pendingPath = null
  const title = to.meta?.title ? t(to.meta.title) : ''
  document.title = title ? `${title} · ${t('app.name')}` : t('app.name')
})
