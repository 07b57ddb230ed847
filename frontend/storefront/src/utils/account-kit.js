// Helpers shared by the account pages (login, me, orders, after-sales, reviews, wallet): navigation that knows
// the tab pages, order/after-sale labels through t(), confirm dialogs, order actions
// and the shopper photo upload (POST /api/v1/uploads/images, multipart field `file`).
import { api, API_BASE, getAuth, ApiError, mediaUrl } from '@/api/http.js'
import { t } from '@/locale'

export const TAB_PAGES = ['pages/index/index', 'pages/category/index', 'pages/cart/index', 'pages/me/index']

/** Open a page by path (with or without a leading slash and query): switchTab for tab pages. */
export function openPage(url, { replace = false } = {}) {
  const path = url.startsWith('/') ? url : `/${url}`
  const route = path.slice(1).split('?')[0]
  if (TAB_PAGES.includes(route)) {
    uni.switchTab({ url: `/${route}` })
  } else if (replace) {
    uni.redirectTo({ url: path })
  } else {
    uni.navigateTo({ url: path })
  }
}

function translated(key, fallback) {
  const text = t(key)
  return text === key ? fallback || '' : text
}

export function orderStatusText(status, label) {
  return translated(`status.${status}`, label)
}

export function afterSaleStatusText(status, label) {
  return translated(`account.as.status.${status}`, label)
}

export function afterSaleKindText(kind, label) {
  return translated(`account.as.kind.${kind}`, label)
}

export function reasonText(code, label) {
  return translated(`account.as.reason.${code}`, label)
}

/** A fresh idempotency key: 8-64 chars of A-Za-z0-9_.:- */
export function newKey(prefix = 'qm') {
  const random = Math.random().toString(36).slice(2, 10) + Math.random().toString(36).slice(2, 10)
  return `${prefix}-${Date.now().toString(36)}-${random}`
}

/** uni.showModal as a promise of true (confirmed) / false. */
export function confirmDialog(content, { title = '', confirmText = '', cancelText = '' } = {}) {
  return new Promise((resolve) => {
    uni.showModal({
      title: title || '',
      content,
      confirmText: confirmText || t('common.confirm'),
      cancelText: cancelText || t('common.cancel'),
      confirmColor: '#e83430',
      success: (res) => resolve(Boolean(res.confirm)),
      fail: () => resolve(false),
    })
  })
}

/** uni.showActionSheet as a promise of the chosen index, or -1. */
export function chooseAction(itemList) {
  return new Promise((resolve) => {
    uni.showActionSheet({
      itemList,
      success: (res) => resolve(res.tapIndex),
      fail: () => resolve(-1),
    })
  })
}

export const CANCEL_REASONS = ['noLonger', 'wrongInfo', 'reorder', 'payProblem', 'other']

/** Ask why and whether, then cancel an unpaid order. Resolves the updated order, or null if not cancelled. */
export async function cancelOrderFlow(orderNo) {
  const index = await chooseAction(CANCEL_REASONS.map((key) => t(`account.cancelReason.${key}`)))
  if (index < 0) return null
  const ok = await confirmDialog(t('account.order.cancelConfirm'))
  if (!ok) return null
  const reason = t(`account.cancelReason.${CANCEL_REASONS[index]}`)
  const result = await api.post(`/orders/${orderNo}/cancel`, { reason }, { auth: 'required' })
  uni.showToast({ title: t('account.order.cancelled'), icon: 'success' })
  return result.order
}

export async function confirmReceiptFlow(orderNo) {
  const ok = await confirmDialog(t('account.order.receiptConfirm'))
  if (!ok) return null
  const result = await api.post(`/orders/${orderNo}/confirm-receipt`, {}, { auth: 'required' })
  uni.showToast({ title: t('account.order.received'), icon: 'success' })
  return result.order
}

function uploadOnce(filePath, onProgress) {
  return new Promise((resolve, reject) => {
    const token = (getAuth() || {}).access_token
    const task = uni.uploadFile({
      url: `${API_BASE}/api/v1/uploads/images`,
      filePath,
      name: 'file',
      header: token ? { Authorization: `Bearer ${token}` } : {},
      success: (res) => {
        let body = res.data
        if (typeof body === 'string') {
          try {
            body = JSON.parse(body)
          } catch (e) {
            body = {}
          }
        }
        body = body || {}
        if (res.statusCode >= 200 && res.statusCode < 300 && body.url) {
          resolve(body)
        } else {
          const message = body.message || (res.statusCode >= 500 ? t('error.server') : t('account.upload.failed'))
          reject(new ApiError(res.statusCode, body.code || `http_${res.statusCode}`, message, body.details))
        }
      },
      fail: () => reject(new ApiError(0, 'network_error', t('account.upload.failed'))),
    })
    if (task && task.onProgressUpdate && onProgress) {
      task.onProgressUpdate((p) => onProgress(p.progress || 0))
    }
  })
}

/** Upload one picked photo; an expired token is refreshed once (through a cheap authenticated call). */
export async function uploadPhoto(filePath, onProgress) {
  try {
    return await uploadOnce(filePath, onProgress)
  } catch (error) {
    if (error.status !== 401) throw error
    await api.get('/me', undefined, { auth: 'required' })
    return uploadOnce(filePath, onProgress)
  }
}

/** Absolute URLs of stored pictures, for uni.previewImage. */
export function mediaList(urls) {
  return (urls || []).map((url) => mediaUrl(url))
}

export function copyText(text) {
  uni.setClipboardData({
    data: String(text),
    success: () => uni.showToast({ title: t('common.copied'), icon: 'none' }),
  })
}

/** The terms of service ('terms') or the privacy policy ('privacy') in a modal. */
export function showDoc(kind) {
  uni.showModal({
    title: t(`account.login.${kind}Title`),
    content: t(`account.login.${kind}Body`),
    showCancel: false,
    confirmText: t('common.confirm'),
  })
}

export function setTitle(key) {
  uni.setNavigationBarTitle({ title: t(key), fail: () => {} })
}
