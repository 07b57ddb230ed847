const { loadPage, waitFor } = require('./harness')

const line = (id, over = {}) => ({ id, sku_id: 50 + id, spu_id: 15, title: `坚果 ${id}`, spec_text: '规格:15包', image_url: '/media/x.png',
  price: 6900, price_when_added: 6900, price_change: 0, price_changed: null, quantity: 2, selected: true, stock: 100,
  max_per_order: 0, status: 'ok', status_text: '', ...over })
const CART = { groups: [{ key: 'available', title: '', lines: [line(1), line(2, { selected: false })] },
  { key: 'unavailable', title: '失效商品', lines: [line(3, { status: 'off_shelf', status_text: '商品已下架' })] }],
  line_count: 3, total_quantity: 6, selected_quantity: 2, selected_amount: 13800, all_selected: false, max_lines: 100 }
const AUTH = { access_token: 'a', refresh_token: 'r', shopper: null }

test('cart renders lines, totals from the API, and a tick sends PATCH', async () => {
  const patches = []
  const { wx, page } = loadPage('pages/cart/index', {
    'GET /api/v1/cart': () => [200, CART],
    'PATCH /api/v1/cart/items/2': () => { patches.push(2); return [200, { ...CART, selected_amount: 27600, selected_quantity: 4 }] },
  })
  wx.setStorageSync('qm_auth', AUTH)
  page.instance.onShow()
  await waitFor(() => page.dom.textContent.includes('商品已下架'), 3000)
  expect(page.dom.textContent).toContain('138')
  expect(page.dom.textContent).toContain('结算(2)')
  expect(page.dom.textContent).toContain('商品已下架')
  expect(page.dom.textContent).not.toMatch(/undefined|NaN|null/)
  page.querySelectorAll('.cart-group >>> .cart-check')[1].dispatchEvent('tap')
  await waitFor(() => page.dom.textContent.includes('276'))
  expect(patches).toEqual([2])
})

test('logged-out cart shows the login state', async () => {
  const { page } = loadPage('pages/cart/index', {})
  await new Promise((r) => setTimeout(r, 50))
  expect(page.dom.textContent).toContain('登录')
})

test('pay page asks for wx.requestPayment parameters and goes to the order', async () => {
  const ORDER = { order_no: '20261207124830544195', status: 'pending_payment', payable_amount: 39400, pay_countdown_seconds: 1700 }
  const { wx, page } = loadPage('pages/pay/index', {
    'GET /api/v1/orders/20261207124830544195': () => [200, ORDER],
    'GET /api/v1/wallet': () => [200, { balance: 0 }],
    'POST /api/v1/orders/20261207124830544195/pay/wechat': () => [200, { appId: 'wx1', timeStamp: '1', nonceStr: 'n', package: 'prepay_id=wx1', signType: 'RSA', paySign: 's' }],
  }, { order_no: '20261207124830544195' })
  wx.setStorageSync('qm_auth', AUTH)
  page.instance.onLoad({ order_no: '20261207124830544195' })
  await waitFor(() => page.querySelector('.pay-submit') && page.dom.textContent.includes('394'))
  expect(page.dom.textContent).toContain('余额不足')
  page.querySelector('.pay-submit').dispatchEvent('tap')
  await waitFor(() => (wx.calls.payments || []).length === 1)
  expect(wx.calls.payments[0].package).toBe('prepay_id=wx1')
  await waitFor(() => wx.calls.redirectTo.length === 1, 3000)
  expect(wx.calls.redirectTo[0]).toContain('/pages/orders/detail?order_no=20261207124830544195')
})

test('pay page offers only the channels 店铺设置 allows, starting on the first one', async () => {
  const ORDER = { order_no: '20261207124830544197', status: 'pending_payment', payable_amount: 3900, pay_countdown_seconds: 1700 }
  const { wx, page } = loadPage('pages/pay/index', {
    'GET /api/v1/orders/20261207124830544197': () => [200, ORDER],
    'GET /api/v1/wallet': () => [200, { balance: 10000 }],
    'GET /api/v1/shop': () => [200, { name: '轻商城', logo_url: '', logo_thumbnail_url: '', service_phone: '', payment_channels: ['balance'] }],
  }, { order_no: '20261207124830544197' })
  wx.setStorageSync('qm_auth', AUTH)
  page.instance.onLoad({ order_no: '20261207124830544197' })
  await waitFor(() => page.querySelector('.pay-method-balance.is-active'))
  expect(page.querySelector('.pay-method-wechat')).toBeFalsy()
  expect(page.querySelector('.pay-method-friend')).toBeTruthy()
  expect(page.dom.textContent).toContain('39')
})

test('checkout shows the preview and problems, submit disabled', async () => {
  const PREVIEW = { lines: [{ sku_id: 58, spu_id: 15, title: '每日坚果', spec_text: '规格:15包', image_url: '', unit_price: 6900, quantity: 2,
    goods_amount: 13800, discount_amount: 0, payable_amount: 13800, weight_grams: 1, total_weight_grams: 2, status: 'insufficient_stock' }],
    goods_amount: 13800, shipping_fee: 0, discounts: [], discount_amount: 0, payable_amount: 13800, item_count: 2, address: null,
    delivery_method: 'express', remark: '', problems: [{ sku_id: 58, code: 'insufficient_stock', message: '库存不足，仅剩 1 件', available: 1 },
      { sku_id: null, code: 'address_missing', message: '请选择收货地址' }], can_submit: false }
  const { wx, page } = loadPage('pages/checkout/index', { 'POST /api/v1/checkout/preview': () => [200, PREVIEW] }, { from: 'cart' })
  wx.setStorageSync('qm_auth', AUTH)
  page.instance.onLoad({ from: 'cart' })
  await waitFor(() => page.dom.textContent.includes('库存不足'))
  expect(page.dom.textContent).toContain('添加收货地址')
  expect(page.dom.textContent).toContain('请选择收货地址')
  expect(page.dom.textContent).not.toMatch(/undefined|NaN/)
})

test('address edit: the region picker loads provinces, cities and districts', async () => {
  const R = (code, name, level) => ({ code, name, level, has_children: level !== 'district' })
  const { wx, page } = loadPage('pages/address/edit', {
    'GET /api/v1/regions': (url) => {
      const parent = url.searchParams.get('parent')
      if (!parent) return [200, [R('110000', '北京市', 'province'), R('330000', '浙江省', 'province')]]
      if (parent === '330000') return [200, [R('330100', '杭州市', 'city'), R('330200', '宁波市', 'city')]]
      return [200, [R('330102', '上城区', 'district'), R('330106', '西湖区', 'district')]]
    },
  })
  wx.setStorageSync('qm_auth', AUTH)
  page.instance.onLoad({})
  await new Promise((r) => setTimeout(r, 30))
  page.querySelector('.address-region').dispatchEvent('tap')
  const option = (text) => page.querySelectorAll('.address-form-page >>> .region-option').find((o) => o.dom.textContent.includes(text))
  await waitFor(() => option('浙江省'))
  option('浙江省').dispatchEvent('tap')
  await waitFor(() => option('杭州市'))
  option('杭州市').dispatchEvent('tap')
  await waitFor(() => option('西湖区'))
  option('西湖区').dispatchEvent('tap')
  await waitFor(() => page.querySelector('.address-region').dom.textContent.includes('浙江省 杭州市 西湖区'))
  expect(page.querySelectorAll('.address-form-page >>> .region-option').length).toBe(0)
})

test('pay page: a countdown at zero says 订单已超时 and opens the order', async () => {
  const ORDER = { order_no: '20261207124830544196', status: 'pending_payment', payable_amount: 100, pay_countdown_seconds: 0 }
  const { wx, page } = loadPage('pages/pay/index', {
    'GET /api/v1/orders/20261207124830544196': () => [200, ORDER],
    'GET /api/v1/wallet': () => [200, { balance: 0 }],
  })
  wx.setStorageSync('qm_auth', AUTH)
  page.instance.onLoad({ order_no: '20261207124830544196' })
  await waitFor(() => wx.calls.toasts.length > 0)
  expect(wx.calls.toasts[0]).toContain('超时')
  await waitFor(() => page.dom.textContent.includes('订单已超时'))
  await waitFor(() => wx.calls.redirectTo.length === 1, 3000)
  expect(wx.calls.redirectTo[0]).toBe('/pages/orders/detail?order_no=20261207124830544196')
})
