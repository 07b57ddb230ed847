// The API client: base path, bearer token, error mapping, and the "session over" redirect hook.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError, TOKEN_KEY, configureClient, getToken, request, setToken, toQuery } from '../src/api/client.js'

function answer(status, body) {
  return {
    ok: status >= 200 && status < 300,
    status,
    text: async () => (body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body)),
  }
}

let notify
let onSessionOver
let fetchMock

beforeEach(() => {
  localStorage.clear()
  notify = vi.fn()
  onSessionOver = vi.fn()
  configureClient({ notify, onSessionOver })
  fetchMock = vi.fn()
  vi.stubGlobal('fetch', fetchMock)
})

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('requests', () => {
  it('calls /api/admin/v1 with the bearer token and a query without empty values', async () => {
    setToken('tok-1')
    fetchMock.mockResolvedValue(answer(200, { items: [], next_cursor: null }))
    const data = await request('GET', '/orders', { query: { status: 'paid', keyword: '', cursor: null, limit: 20 } })
    expect(data).toEqual({ items: [], next_cursor: null })
    const [url, init] = fetchMock.mock.calls[0]
    expect(url).toBe('/api/admin/v1/orders?status=paid&limit=20')
    expect(init.method).toBe('GET')
    expect(init.headers.Authorization).toBe('Bearer tok-1')
    expect(init.body).toBeUndefined()
  })

  it('sends JSON bodies and reads 204 as null', async () => {
    setToken('tok-1')
    fetchMock.mockResolvedValue(answer(204))
    const data = await request('POST', '/auth/logout', { body: { a: 1 } })
    expect(data).toBeNull()
    const [, init] = fetchMock.mock.calls[0]
    expect(init.headers['Content-Type']).toBe('application/json')
    expect(init.body).toBe('{"a":1}')
  })

  it('leaves the token out when auth is false', async () => {
    setToken('tok-1')
    fetchMock.mockResolvedValue(answer(200, {}))
    await request('POST', '/auth/login', { body: {}, auth: false })
    expect(fetchMock.mock.calls[0][1].headers.Authorization).toBeUndefined()
  })

  it('toQuery drops empty values and encodes the rest', () => {
    expect(toQuery({ a: '', b: null, c: undefined, d: false, e: 'x y', f: 0 })).toBe('?e=x+y&f=0')
    expect(toQuery({})).toBe('')
  })
})

describe('errors', () => {
  it('turns a non-2xx answer into an ApiError with the server message, and shows it', async () => {
    setToken('tok-1')
    fetchMock.mockResolvedValue(
      answer(409, { code: 'invalid_order_state', message: '订单状态已变化', details: { status: 'shipped' } }),
    )
    const error = await request('POST', '/orders/1/ship', { body: {} }).catch((e) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(error.status).toBe(409)
    expect(error.code).toBe('invalid_order_state')
    expect(error.message).toBe('订单状态已变化')
    expect(error.details).toEqual({ status: 'shipped' })
    expect(notify).toHaveBeenCalledWith('订单状态已变化', error)
    expect(onSessionOver).not.toHaveBeenCalled()
  })

  it('does not show the message when silent', async () => {
    fetchMock.mockResolvedValue(answer(423, { code: 'account_locked', message: '账号已锁定', details: { locked_until: 'x' } }))
    const error = await request('POST', '/auth/login', { body: {}, silent: true, auth: false }).catch((e) => e)
    expect(error.code).toBe('account_locked')
    expect(error.details.locked_until).toBe('x')
    expect(notify).not.toHaveBeenCalled()
  })

  it('gives a fallback message when the body is not the error shape', async () => {
    fetchMock.mockResolvedValue(answer(502, '<html>Bad gateway</html>'))
    const error = await request('GET', '/me').catch((e) => e)
    expect(error.status).toBe(502)
    expect(error.code).toBe('http_502')
    expect(error.message).toBe('服务器开小差了，请稍后再试')
    expect(notify).toHaveBeenCalledOnce()
  })

  it('maps a network failure to network_error', async () => {
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'))
    const error = await request('GET', '/me').catch((e) => e)
    expect(error.status).toBe(0)
    expect(error.code).toBe('network_error')
    expect(error.message).toBe('网络异常，请检查网络后重试')
  })

  it('keeps 403 permission_denied on the page (message shown, no sign-out)', async () => {
    setToken('tok-1')
    fetchMock.mockResolvedValue(answer(403, { code: 'permission_denied', message: '当前角色没有权限：订单发货' }))
    await expect(request('POST', '/orders/1/ship', { body: {} })).rejects.toMatchObject({ code: 'permission_denied' })
    expect(getToken()).toBe('tok-1')
    expect(onSessionOver).not.toHaveBeenCalled()
    expect(notify).toHaveBeenCalledWith('当前角色没有权限：订单发货', expect.any(ApiError))
  })
})

describe('401: the session is over', () => {
  for (const code of ['invalid_token', 'token_expired', 'session_revoked']) {
    it(`${code} clears the token and calls onSessionOver instead of showing the message`, async () => {
      setToken('tok-1')
      fetchMock.mockResolvedValue(answer(401, { code, message: '登录已失效' }))
      const error = await request('GET', '/orders').catch((e) => e)
      expect(error.code).toBe(code)
      expect(localStorage.getItem(TOKEN_KEY)).toBeNull()
      expect(onSessionOver).toHaveBeenCalledWith(error)
      expect(notify).not.toHaveBeenCalled()
    })
  }

  it('a wrong password at sign-in (401 invalid_credentials) is not a session end', async () => {
    fetchMock.mockResolvedValue(answer(401, { code: 'invalid_credentials', message: '用户名或密码错误' }))
    const error = await request('POST', '/auth/login', { body: {}, auth: false, silent: true }).catch((e) => e)
    expect(error.code).toBe('invalid_credentials')
    expect(onSessionOver).not.toHaveBeenCalled()
  })
})
