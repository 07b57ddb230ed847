// Paying, shared by the cashier (pages/pay) and 好友代付 (pages/friend-pay): WeChat Pay's payment sheet with the
// parameters the API gave (mini-program), and the shopper's balance (GET /wallet) with a confirm before paying
// from it.
import { api } from '@/api/http.js'
import { formatFen, t } from '@/locale'
import { confirmDialog } from '@/utils/account-kit.js'
import { fetchShop } from '@/utils/shop.js'

/** uni.requestPayment (WeChat Pay): resolves true when paid, false when cancelled or failed; a toast says which. */
export function requestWechatPayment(params) {
  return new Promise((resolve) => {
    uni.requestPayment({
      provider: 'wxpay',
      timeStamp: params.timeStamp,
      nonceStr: params.nonceStr,
      package: params.package,
      signType: params.signType,
      paySign: params.paySign,
      success: () => {
        uni.showToast({ title: t('buy.pay.success'), icon: 'success' })
        resolve(true)
      },
      fail: (err) => {
        const cancelled = err && /cancel/i.test(err.errMsg || '')
        uni.showToast({ title: t(cancelled ? 'buy.pay.cancelled' : 'buy.pay.failed'), icon: 'none' })
        resolve(false)
      },
    })
  })
}

/** The shopper's balance in fen, or null when it cannot be had. `options` go to api.get (e.g. {auth: 'required'}). */
export async function fetchBalance(options) {
  try {
    return (await api.get('/wallet', undefined, options)).balance
  } catch (e) {
    return null
  }
}

/**
 * The payment channels the shop offers (GET /shop: enabled in 店铺设置 and configured on the server), e.g.
 * ['wechat', 'balance']; null when unknown (the server still refuses a disabled channel with a clear message).
 */
export async function fetchPaymentChannels() {
  const shop = await fetchShop()
  return Array.isArray(shop?.payment_channels) ? shop.payment_channels : null
}


/** The cashier's choices that the shop's channels allow (`channels` null: all); 找朋友代付 needs WeChat or the balance. */
export function offeredMethods(items, channels) {
  if (!channels) return items
  return items.filter((item) => (item.key === 'friend' ? channels.includes('wechat') || channels.includes('balance') : channels.includes(item.key)))
}

/** Ask before paying `amount` (fen) from the balance; `key` is the question, with {amount}. Resolves true to go on. */
export function confirmBalancePayment(key, amount) {
  return confirmDialog(t(key, { amount: formatFen(amount) }))
}
