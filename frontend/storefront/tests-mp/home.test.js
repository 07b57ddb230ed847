const { loadPage, waitFor } = require('./harness')

const PRODUCTS = [
  { id: 11, title: '青禾 FreeBuds 3 无线蓝牙耳机', subtitle: '', main_image_url: '/media/a.jpg', thumbnail_url: '/media/a_t.jpg',
    price_min: 29900, price_max: 32900, original_price_min: 39900, sales: 1520, tags: ['降噪'], in_stock: true },
  { id: 12, title: '每日坚果 750g', subtitle: '', main_image_url: '/media/b.jpg', thumbnail_url: '/media/b_t.jpg',
    price_min: 8900, price_max: 8900, original_price_min: 0, sales: 23000, tags: [], in_stock: true },
]

test('the home page renders products from wx.request and a tap opens the product', async () => {
  const { wx, page } = loadPage('pages/index/index', {
    'GET /api/v1/products': () => [200, { items: PRODUCTS, next_cursor: null }],
    'GET /api/v1/home': () => [200, { banners: [], shortcuts: [] }],
    'GET /api/v1/categories': () => [200, []],
  })
  const cards = () => {
    const feed = page.querySelector('.home-feed')
    return feed ? feed.querySelectorAll('.qm-waterfall__card') : []
  }
  await waitFor(() => cards().length === 2)
  expect(page.dom.textContent).toContain('青禾 FreeBuds 3 无线蓝牙耳机')
  expect(page.dom.textContent).toContain('299.00')
  expect(page.dom.textContent).toContain('已售2.3万')
  expect(page.dom.textContent).not.toMatch(/undefined|NaN/)
  const first = cards().find((card) => card.dom.textContent.includes('FreeBuds'))
  first.querySelector('.qm-product-card').dispatchEvent('tap')
  await waitFor(() => wx.calls.navigateTo.length === 1)
  expect(wx.calls.navigateTo[0]).toBe('/pages/product/index?id=11')
})

test('the home page is titled with the shop name from 店铺设置', async () => {
  const { wx } = loadPage('pages/index/index', {
    'GET /api/v1/products': () => [200, { items: PRODUCTS, next_cursor: null }],
    'GET /api/v1/home': () => [200, { banners: [], shortcuts: [] }],
    'GET /api/v1/categories': () => [200, []],
    'GET /api/v1/shop': () => [200, { name: '青禾小铺', logo_url: '', logo_thumbnail_url: '', service_phone: '', payment_channels: ['wechat'] }],
  })
  await waitFor(() => (wx.calls.titles || []).includes('青禾小铺'))
  expect(wx.calls.titles[0]).toBe('轻商城')
})
