// The merchant API routes this console calls (docs/api.md section 3). Money is fen, times are UTC ISO strings.
import { api } from './client.js'

const enc = encodeURIComponent

export const login = (username, password) =>
  api.post('/auth/login', { username, password }, { silent: true, auth: false })
export const logout = () => api.post('/auth/logout', undefined, { silent: true })
export const fetchMe = () => api.get('/me')

// orders
export const listOrders = (filters) => api.get('/orders', filters)
export const getOrder = (orderNo) => api.get(`/orders/${enc(orderNo)}`)
export const getOrderPayments = (orderNo) => api.get(`/orders/${enc(orderNo)}/payments`)
export const shipOrder = (orderNo, waybill) => api.post(`/orders/${enc(orderNo)}/ship`, waybill)
export const cancelOrder = (orderNo, reason) => api.post(`/orders/${enc(orderNo)}/cancel`, { reason })

// catalog
export const listCategories = () => api.get('/categories')
export const listProducts = (filters) => api.get('/products', filters)
export const setShelf = (spuId, isOnShelf) => api.post(`/products/${spuId}/shelf`, { is_on_shelf: isOnShelf })
export const bulkShelf = (ids, isOnShelf) => api.post('/products/shelf', { ids, is_on_shelf: isOnShelf })

// after-sales (售后, aftersales.manage)
export const listAfterSales = (filters) => api.get('/after-sales', filters)
export const getAfterSale = (afterSaleNo) => api.get(`/after-sales/${enc(afterSaleNo)}`)
export const approveAfterSale = (afterSaleNo, { note = '', refund_to = 'original' } = {}) =>
  api.post(`/after-sales/${enc(afterSaleNo)}/approve`, { note, refund_to })
export const rejectAfterSale = (afterSaleNo, reason) => api.post(`/after-sales/${enc(afterSaleNo)}/reject`, { reason })
export const confirmAfterSaleReceived = (afterSaleNo, { note = '', refund_to = 'original' } = {}) =>
  api.post(`/after-sales/${enc(afterSaleNo)}/confirm-received`, { note, refund_to })
export const retryAfterSaleRefund = (afterSaleNo, { refund_to = 'original' } = {}) =>
  api.post(`/after-sales/${enc(afterSaleNo)}/retry-refund`, { refund_to })

// audit log (操作日志, audit.read)
export const listAuditLogs = (filters) => api.get('/audit-logs', filters)
