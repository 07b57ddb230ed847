// The order routes of the merchant API used by the order list, bulk shipping and the picking list (docs/api.md 3).
import { api } from './client.js'

/** The order list; `options.silent` lets the page show a filter's error (422 phone_not_exact) next to the field. */
export const listOrders = (filters, options) => api.get('/orders', filters, options)

/** 批量发货: rows of {order_no, carrier_code, carrier_name, tracking_no} (at most 200) → {results, shipped, already, refused} */
export const bulkShip = (rows) => api.post('/orders/bulk-ship', { rows })

/**
 * 拣货单: `orderNos` (repeated order_no, at most 200) or else the list filters ({status, keyword, phone,
 * created_from, created_to}) → {skus, orders, total_quantity, next_cursor}.
 */
export function getPickingList({ orderNos = [], filters = {} } = {}, options) {
  const search = new URLSearchParams()
  for (const orderNo of orderNos) search.append('order_no', orderNo)
  const path = search.toString() ? `/orders/picking-list?${search}` : '/orders/picking-list'
  return api.get(path, orderNos.length ? undefined : filters, options)
}
