// The after-sale state machine as the console sees it (qingmall/aftersales/states.py): which statuses the list
// can filter on and which merchant actions a status (and the staff member's permissions) allows.

export const AFTER_SALE_TABS = ['pending_review', 'returning', 'refunding', 'open', 'approved', 'refunded', 'rejected',
  'withdrawn', 'all']
export const DEFAULT_TAB = 'pending_review'

/**
 * The merchant actions an after-sale allows: 'approve' and 'reject' while it waits for review,
 * 'confirm_received' for a return on its way back, 'retry_refund' while it is refunding (a failed or stuck refund). Without
 * `aftersales.manage` none.
 */
export function allowedActions(sale, permissions) {
  if (!sale || !(permissions || []).includes('aftersales.manage')) return []
  switch (sale.status) {
    case 'pending_review':
      return ['approve', 'reject']
    case 'returning':
      return sale.kind === 'return_refund' ? ['confirm_received'] : []
    case 'refunding':
      // the server retries a failed or a stuck refund (only what no live refund covers), so both may ask
      return ['retry_refund']
    default:
      return []
  }
}

/** Tag colour of a status. */
export function statusType(status) {
  return {
    pending_review: 'danger',
    approved: 'primary',
    returning: 'warning',
    refunding: 'warning',
    refunded: 'success',
    rejected: 'info',
    withdrawn: 'info',
  }[status] || 'info'
}

/** 'YYYY-MM-DD HH:mm:ss' (Beijing) → the naive ISO string the audit log filter takes ('' stays ''). */
export function beijingParam(value) {
  if (!value) return ''
  return String(value).trim().replace(' ', 'T')
}
