// The merchant API client: every call goes to /api/admin/v1 on this origin (the dev server proxies /api), with
// the staff token from localStorage. Any non-2xx answer becomes an ApiError carrying the server's
// {code, message, details}; the message is shown to the person (ElMessage, wired in main.js) unless the caller
// asks for `silent`. A 401 that means "this login is over" clears the token and sends the person back to the
// sign-in page (wired in main.js) with the page to return to.

export const API_BASE = '/api/admin/v1'
export const TOKEN_KEY = 'qm_console_token'

/** 401 codes after which only signing in again helps (a wrong password at sign-in is not one of them). */
export const SESSION_OVER_CODES = new Set(['invalid_token', 'token_expired', 'session_revoked', 'not_authenticated'])

export class ApiError extends Error {
  constructor(status, code, message, details = null) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = details
  }
}

const hooks = {
  notify: () => {},
  onSessionOver: () => {},
  fallbackMessage: (kind) => (kind === 'network' ? '网络异常，请检查网络后重试' : '服务器开小差了，请稍后再试'),
}

/** main.js plugs in how errors are shown, where an ended session goes and the translated fallback messages. */
export function configureClient(options) {
  Object.assign(hooks, options)
}

export function getToken() {
  try {
    return localStorage.getItem(TOKEN_KEY) || ''
  } catch {
    return ''
  }
}

export function setToken(token) {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token)
    else localStorage.removeItem(TOKEN_KEY)
  } catch {
    // storage unavailable: the session lasts as long as the page
  }
}

/** Query string from an object, leaving out empty values ('' / null / undefined / false). */
export function toQuery(params) {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params || {})) {
    if (value === '' || value === null || value === undefined || value === false) continue
    search.append(key, String(value))
  }
  const text = search.toString()
  return text ? `?${text}` : ''
}

async function readBody(response) {
  if (response.status === 204) return null
  const text = await response.text()
  if (!text) return null
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/**
 * request('GET', '/orders', {query: {status: 'paid'}}) → parsed JSON.
 * options: query, body (JSON, or a FormData sent as multipart), silent (do not show the error message), auth (default true).
 */
export async function request(method, path, { query, body, silent = false, auth = true } = {}) {
  const headers = { Accept: 'application/json' }
  const isForm = typeof FormData !== 'undefined' && body instanceof FormData
  if (body !== undefined && !isForm) headers['Content-Type'] = 'application/json'
  const token = auth ? getToken() : ''
  if (token) headers.Authorization = `Bearer ${token}`

  let response
  try {
    response = await fetch(`${API_BASE}${path}${toQuery(query)}`, {
      method,
      headers,
      body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
    })
  } catch {
    const error = new ApiError(0, 'network_error', hooks.fallbackMessage('network'))
    if (!silent) hooks.notify(error.message, error)
    throw error
  }

  const data = await readBody(response)
  if (response.ok) return data

  const code = (data && typeof data === 'object' && data.code) || `http_${response.status}`
  const message =
    (data && typeof data === 'object' && data.message) || hooks.fallbackMessage(response.status >= 500 ? 'server' : 'client')
  const error = new ApiError(response.status, code, message, (data && data.details) || null)

  if (response.status === 401 && SESSION_OVER_CODES.has(code)) {
    setToken('')
    hooks.onSessionOver(error)
    throw error
  }
  if (!silent) hooks.notify(message, error)
  throw error
}

export const api = {
  get: (path, query, options) => request('GET', path, { ...options, query }),
  post: (path, body, options) => request('POST', path, { ...options, body }),
  put: (path, body, options) => request('PUT', path, { ...options, body }),
  patch: (path, body, options) => request('PATCH', path, { ...options, body }),
  del: (path, options) => request('DELETE', path, options),
  /** multipart upload of one file as the form field `field` (the media routes take `file`) */
  upload: (path, file, options, field = 'file') => {
    const form = new FormData()
    form.append(field, file)
    return request('POST', path, { ...options, body: form })
  },
}
