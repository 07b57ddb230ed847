// What an audit entry did, in words: the entry's method and route template (e.g. "PUT /api/admin/v1/products/{spu_id}")
// → a message key 'audit.act.<name>'. A route missing here still shows its method and path; a page that adds a
// merchant write adds its line here and its two strings in locale/messages.js.
export const ACTIONS = {
  'POST /auth/login': 'login',
  'POST /auth/logout': 'logout',
  'POST /me/password': 'ownPassword',
  'POST /staff': 'staffCreate',
  'PATCH /staff/{staff_id}': 'staffUpdate',
  'POST /staff/{staff_id}/password': 'staffPassword',
  'POST /categories': 'categoryCreate',
  'PATCH /categories/{category_id}': 'categoryUpdate',
  'DELETE /categories/{category_id}': 'categoryDelete',
  'POST /products': 'productCreate',
  'PUT /products/{spu_id}': 'productUpdate',
  'POST /products/shelf': 'shelfBulk',
  'POST /products/{spu_id}/shelf': 'shelf',
  'POST /media/images': 'imageUpload',
  'POST /media/videos': 'videoUpload',
  'POST /skus/{sku_id}/stock-adjustments': 'stockAdjust',
  'POST /shipping-templates': 'templateCreate',
  'PUT /shipping-templates/{template_id}': 'templateUpdate',
  'DELETE /shipping-templates/{template_id}': 'templateDelete',
  'POST /orders/bulk-ship': 'bulkShip',
  'POST /orders/{order_no}/ship': 'ship',
  'POST /orders/{order_no}/cancel': 'cancel',
  'POST /orders/{order_no}/payments/reconcile': 'reconcile',
  'POST /after-sales/{after_sale_no}/approve': 'afterSaleApprove',
  'POST /after-sales/{after_sale_no}/reject': 'afterSaleReject',
  'POST /after-sales/{after_sale_no}/confirm-received': 'afterSaleReceived',
  'POST /after-sales/{after_sale_no}/retry-refund': 'afterSaleRetry',
  'PUT /reviews/{review_id}/reply': 'reviewReply',
  'POST /reviews/{review_id}/hide': 'reviewHide',
  'POST /reviews/{review_id}/unhide': 'reviewUnhide',
  'POST /shoppers/{shopper_id}/balance-adjustments': 'balanceAdjust',
  'POST /banners': 'bannerCreate',
  'PATCH /banners/{banner_id}': 'bannerUpdate',
  'DELETE /banners/{banner_id}': 'bannerDelete',
  'PATCH /shop/settings': 'settingsUpdate',
}

const PREFIX = '/api/admin/v1'

/** 'audit.act.productUpdate' for ("PUT", "/api/admin/v1/products/{spu_id}"), or '' for a route not listed. */
export function auditActionKey(method, route) {
  const path = route && route.startsWith(PREFIX) ? route.slice(PREFIX.length) : route || ''
  const name = ACTIONS[`${method} ${path}`]
  return name ? `audit.act.${name}` : ''
}
