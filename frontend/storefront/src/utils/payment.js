// Paying, shared by the cashier (pages/pay) and 好友代付 (pages/friend-pay): WeChat Pay's payment sheet with the
// parameters the API gave (mini-program), and the shopper's balance (GET /wallet) with a confirm before paying
// from it.
import { api } from '@/api/http.js'
import { formatFen, t } from '@/locale'
import { confirmDialog } from '@/utils/account-kit.js'

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

/** Ask before paying `amount` (fen) from the balance; `key` is the question, with {amount}. Resolves true to go on. */
export function confirmBalancePayment(key, amount) {
  return confirmDialog(t(key, { amount: formatFen(amount) }))
}
