// The one way the storefront talks to the shopper API (/api/v1). Every failure becomes an ApiError carrying
// the server's {code, message}; callers show error.message (already human-readable, Chinese by default).
// Tokens: access + refresh in storage; on 401 token_expired the refresh token is exchanged once (rotation),
// any other 401 on a page that needs a login sends the shopper to the login page and back.
import { t } from '../locale'

const AUTH_KEY = 'qm_auth'

function resolveBase() {
  let base = __QINGMALL_API_BASE__
  // #ifdef MP-WEIXIN
  if (!base) base = 'http://127.0.0.1:8000'
  // #endif
  return (base || '').replace(/\/$/, '')
}

export const API_BASE = resolveBase()

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message)
    this.status = status
    this.code = code
    this.details = details || {}
  }
}

export function getAuth() {
  try {
    return uni.getStorageSync(AUTH_KEY) || null
  } catch (e) {
    return null
  }
}

export function setAuth(result) {
  if (!result) {
    uni.removeStorageSync(AUTH_KEY)
    return
  }
  uni.setStorageSync(AUTH_KEY, {
    access_token: result.access_token,
    refresh_token: result.refresh_token,
    shopper: result.shopper || (getAuth() || {}).shopper || null,
  })
}

export function isLoggedIn() {
  const auth = getAuth()
  return Boolean(auth && auth.access_token)
}

/** A media URL from the API ("/media/...") made absolute where the page is not served by the API itself. */
export function mediaUrl(url) {
  if (!url) return ''
  if (/^https?:\/\//.test(url) || url.startsWith('data:')) return url
  return `${API_BASE}${url.startsWith('/') ? '' : '/'}${url}`
}

function queryString(query) {
  if (!query) return ''
  const parts = []
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue
    const values = Array.isArray(value) ? value : [value]
    for (const v of values) parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(v)}`)
  }
  return parts.length ? `?${parts.join('&')}` : ''
}

function send(method, url, data, token) {
  return new Promise((resolve, reject) => {
    const header = { Accept: 'application/json' }
    if (data !== undefined) header['Content-Type'] = 'application/json'
    if (token) header.Authorization = `Bearer ${token}`
    uni.request({
      url,
      method,
      data,
      header,
      timeout: 15000,
      success: (res) => resolve(res),
      fail: () => reject(new ApiError(0, 'network_error', t('error.network'))),
    })
  })
}

function toError(res) {
  const body = res.data && typeof res.data === 'object' ? res.data : {}
  const fallback = res.statusCode >= 500 ? t('error.server') : t('error.network')
  return new ApiError(res.statusCode, body.code || `http_${res.statusCode}`, body.message || fallback, body.details)
}

let refreshing = null

async function refreshTokens() {
  const auth = getAuth()
  if (!auth || !auth.refresh_token) return false
  if (!refreshing) {
    refreshing = send('POST', `${API_BASE}/api/v1/auth/refresh`, { refresh_token: auth.refresh_token })
      .then((res) => {
        if (res.statusCode === 200) {
          setAuth(res.data)
          return true
        }
        setAuth(null)
        return false
      })
      .catch(() => false)
      .finally(() => {
        refreshing = null
      })
  }
  return refreshing
}

export function goLogin() {
  const pages = getCurrentPages()
  const page = pages[pages.length - 1]
  if (page && page.route === 'pages/login/index') return
  let back = ''
  if (page) {
    const options = page.options || (page.$page && page.$page.options) || {}
    back = `/${page.route}${queryString(options)}`
  }
  uni.navigateTo({ url: `/pages/login/index${back ? `?redirect=${encodeURIComponent(back)}` : ''}` })
}

/**
 * request('GET', '/products', {query}) -> parsed JSON body (null for 204).
 * options.auth: 'optional' (send the token if any; default), 'required' (a 401 sends the shopper to log in).
 */
export async function request(method, path, { query, data, auth = 'optional' } = {}) {
  const url = `${API_BASE}/api/v1${path}${queryString(query)}`
  const token = (getAuth() || {}).access_token
  let res = await send(method, url, data, token)
  if (res.statusCode === 401 && token) {
    const code = res.data && res.data.code
    if (code === 'token_expired' && (await refreshTokens())) {
      res = await send(method, url, data, getAuth().access_token)
    } else {
      setAuth(null)
    }
    if (res.statusCode === 401 && auth === 'optional') {
      res = await send(method, url, data, null)
    }
  }
  if (res.statusCode === 401 && auth === 'required') {
    setAuth(null)
    goLogin()
    throw new ApiError(401, 'not_authenticated', t('error.loginRequired'))
  }
  if (res.statusCode < 200 || res.statusCode >= 300) throw toError(res)
  return res.statusCode === 204 ? null : res.data
}

export const api = {
  get: (path, query, options = {}) => request('GET', path, { ...options, query }),
  post: (path, data, options = {}) => request('POST', path, { ...options, data: data === undefined ? {} : data }),
  patch: (path, data, options = {}) => request('PATCH', path, { ...options, data }),
  del: (path, query, options = {}) => request('DELETE', path, { ...options, query }),
}

/** Show an API error the way every page does: the server's message as a toast. */
export function showError(error) {
  const message = (error && error.message) || t('error.server')
  uni.showToast({ title: message, icon: 'none', duration: 2500 })
}

/** For pages that need a login before showing anything: true when logged in, else off to the login page. */
export function requireLogin() {
  if (isLoggedIn()) return true
  goLogin()
  return false
}
