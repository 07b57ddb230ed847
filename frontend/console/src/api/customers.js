// The merchant routes of the customers area: shoppers (顾客), their balance ledger, reviews (评价) and the
// home-page banners (轮播图). Money is fen, times are UTC ISO strings (docs/api.md section 3).
import { api } from './client.js'

// shoppers (shoppers.read)
export const listShoppers = (filters) => api.get('/shoppers', filters)
export const getShopper = (id) => api.get(`/shoppers/${id}`)
export const listShopperOrders = (shopperId, { cursor = '', limit = 10 } = {}) =>
  api.get('/orders', { shopper_id: shopperId, cursor, limit })

// balance (read: shoppers.read; adjust: balance.adjust). The adjustment's errors are shown by the dialog itself.
export const getShopperBalance = (shopperId, { cursor = '', limit = 10 } = {}) =>
  api.get(`/shoppers/${shopperId}/balance`, { cursor, limit })
export const adjustShopperBalance = (shopperId, amount, note) =>
  api.post(`/shoppers/${shopperId}/balance-adjustments`, { amount, note }, { silent: true })

// reviews (reviews.moderate)
export const listReviews = (filters) => api.get('/reviews', filters)
export const replyToReview = (id, content) => api.put(`/reviews/${id}/reply`, { content })
export const hideReview = (id, reason) => api.post(`/reviews/${id}/hide`, { reason })
export const unhideReview = (id) => api.post(`/reviews/${id}/unhide`)
export const findProducts = (keyword) => api.get('/products', { keyword, limit: 20 }, { silent: true })

// banners (read: catalog.read; write: content.write; the image: media.upload)
export const listBanners = () => api.get('/banners')
export const createBanner = (banner) => api.post('/banners', banner, { silent: true })
export const updateBanner = (id, changes) => api.patch(`/banners/${id}`, changes, { silent: true })
export const deleteBanner = (id) => api.del(`/banners/${id}`)
export const uploadImage = (file) => api.upload('/media/images', file)
