// The catalog routes of the merchant API used by the product editor, categories and stock pages (docs/api.md 3).
import { api } from './client.js'

// products
export const getProduct = (spuId) => api.get(`/products/${spuId}`)
export const createProduct = (body) => api.post('/products', body)
export const updateProduct = (spuId, body) => api.put(`/products/${spuId}`, body)

// categories
export const listCategories = () => api.get('/categories')
export const createCategory = (body) => api.post('/categories', body)
export const updateCategory = (id, body) => api.patch(`/categories/${id}`, body)
export const deleteCategory = (id) => api.del(`/categories/${id}`)

// stock
export const adjustStock = (skuId, { delta, reason, note = '' }, options) =>
  api.post(`/skus/${skuId}/stock-adjustments`, { delta, reason, note }, options)
export const listStockMovements = (filters) => api.get('/stock-movements', filters)

// media
export const uploadImage = (file) => api.upload('/media/images', file)
export const uploadVideo = (file) => api.upload('/media/videos', file)

// shipping templates (the editor's picker)
export const listShippingTemplates = () => api.get('/shipping-templates')
