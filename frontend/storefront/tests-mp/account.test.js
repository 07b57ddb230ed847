const { loadPage, waitFor } = require('./harness')
const ORDER = { order_no: '20261207124312865974', status: 'shipped', status_label: '待收货', item_count: 3, line_count: 1,
  goods_amount: 11970, shipping_fee: 2900, discount_amount: 0, payable_amount: 14870, thumbnails: ['/media/images/ab/' + 'a'.repeat(64) + '.png'],
  first_title: '赣南脐橙', created_at: '2026-12-07T04:43:12Z', pay_deadline: null }
const AUTH = { access_token: 'tok', refresh_token: 'r', shopper: { id: 1, nickname: '小明同学', avatar_url: '', phone_masked: '138****8001' } }

test('me page shows the profile, balance and badges', async () => {
  const { page } = loadPage('pages/me/index', {
    'GET /api/v1/me': () => [200, AUTH.shopper],
    'GET /api/v1/wallet': () => [200, { balance: 7400 }],
    'GET /api/v1/orders/counts': () => [200, { pending_payment: 2, paid: 0, shipped: 1, completed: 3, cancelled: 0, refunding: 0 }],
    'GET /api/v1/favourites': () => [200, { items: [], next_cursor: null }],
    'GET /api/v1/history': () => [200, { items: [], next_cursor: null }],
  }, {}, { storage: { qm_auth: AUTH } })
  await waitFor(() => page.dom.textContent.includes('¥74.00'))
  expect(page.dom.textContent).toContain('小明同学')
  expect(page.querySelector('.me-orders-pending_payment').dom.textContent).toContain('2')
  expect(page.dom.textContent).not.toMatch(/undefined|NaN/)
})

test('orders list asks for the status of its tab and renders the cards with their actions', async () => {
  const { wx, page } = loadPage('pages/orders/list', {
    'GET /api/v1/orders': () => [200, { items: [ORDER], next_cursor: null }],
  }, { status: 'shipped' }, { storage: { qm_auth: AUTH } })
  await waitFor(() => page.dom.textContent.includes('赣南脐橙'))
  expect(page.dom.textContent).toContain('确认收货')
  expect(wx.calls.requests.some((r) => r.path === '/api/v1/orders' && r.query.includes('status=shipped'))).toBe(true)
})

test('login page: 微信一键登录 sends the wx.login code and returns to the page that asked', async () => {
  const logins = []
  const { wx, page } = loadPage('pages/login/index', {
    'POST /api/v1/auth/wechat-login': () => {
      logins.push(1)
      return [200, { ...AUTH, expires_in: 7200, is_new: false }]
    },
  }, { redirect: '%2Fpages%2Forders%2Flist%3Fstatus%3Dpaid' })
  await waitFor(() => page.dom.textContent.includes('微信一键登录'))
  page.querySelector('.login-agree').dispatchEvent('tap')
  page.querySelector('.login-wechat').dispatchEvent('tap')
  await waitFor(() => wx.calls.redirectTo.length === 1)
  expect(logins).toEqual([1])
  expect(wx.getStorageSync('qm_auth').access_token).toBe('tok')
  expect(wx.calls.redirectTo[0]).toBe('/pages/orders/list?status=paid')
})

test('order detail renders status, logistics and actions', async () => {
  const DETAIL = { order_no: '20261207124312865974', status: 'shipped', status_label: '待收货',
    lines: [{ id: 76, spu_id: 64, sku_id: 278, title: '赣南脐橙', spec_text: '规格:5斤装', image_url: '/media/x.png', unit_price: 3990, quantity: 3, goods_amount: 11970, discount_amount: 0, payable_amount: 11970, weight_grams: 2600, refunded_quantity: 0 }],
    goods_amount: 11970, shipping_fee: 2900, discounts: [], discount_amount: 0, payable_amount: 14870, paid_amount: 14870, item_count: 3,
    address: { recipient_name: '王小明', phone_masked: '138****8001', province: '上海市', city: '上海市', district: '徐汇区', detail: '漕溪北路88号', full_address: '上海市上海市徐汇区漕溪北路88号', province_code: '310000', city_code: '310100', district_code: '310104' },
    delivery_method: 'express', remark: '', timeline: [{ event: 'created', from_status: '', to_status: 'pending_payment', actor_type: 'shopper', note: '', created_at: '2026-12-07T04:43:12Z' }],
    pay_deadline: null, pay_countdown_seconds: 0, logistics: { carrier_code: 'SF', carrier_name: '顺丰速运', tracking_no: 'SF1234567890', shipped_at: '2026-12-07T04:43:12Z' },
    auto_complete_at: '2026-12-14T04:43:12Z', cancel_reason: '', created_at: '2026-12-07T04:43:12Z', paid_at: '2026-12-07T04:43:12Z', shipped_at: '2026-12-07T04:43:12Z', completed_at: null, cancelled_at: null }
  const { wx, page } = loadPage('pages/orders/detail', {
    'GET /api/v1/orders/20261207124312865974': () => [200, DETAIL],
  }, { order_no: '20261207124312865974' }, { storage: { qm_auth: AUTH } })
  await waitFor(() => page.dom.innerHTML.includes('顺丰速运'))
  const html = page.dom.innerHTML
  expect(html).toContain('待收货')
  expect(html).toContain('上海市徐汇区漕溪北路88号')
  expect(html).toContain('order-detail-confirm')
  expect(html).not.toMatch(/undefined|NaN/)
})

test('a completed order offers 评价 only while a line waits for its review', async () => {
  const completed = (no, unreviewed) => ({ ...ORDER, order_no: no, status: 'completed', status_label: '已完成',
    first_title: `订单${no.slice(-1)}`, unreviewed_count: unreviewed })
  const { page } = loadPage('pages/orders/list', {
    'GET /api/v1/orders': () => [200, { items: [completed('20261207124312865971', 1), completed('20261207124312865972', 0)],
      next_cursor: null }],
  }, { status: 'completed' }, { storage: { qm_auth: AUTH } })
  await waitFor(() => page.dom.textContent.includes('订单2'))
  const html = page.dom.innerHTML
  const first = html.indexOf('20261207124312865971')
  const second = html.indexOf('20261207124312865972')
  expect(html.slice(first, second)).toContain('order-review')
  expect(html.slice(second)).not.toContain('order-review')
})
