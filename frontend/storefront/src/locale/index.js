// Chinese first, English available. Messages live in one module per area (messages/*.js), each exporting
// { 'zh-Hans': {...}, en: {...} }; t('key', {n: 3}) fills {n}. The choice is kept in storage ('qm_locale').
import common from './messages/common.js'
import browse from './messages/browse.js'
import buy from './messages/buy.js'
import account from './messages/account.js'

const MODULES = [common, browse, buy, account]
export const LOCALES = ['zh-Hans', 'en']
const STORAGE_KEY = 'qm_locale'

const messages = {}
for (const locale of LOCALES) {
  messages[locale] = Object.assign({}, ...MODULES.map((m) => m[locale] || {}))
}

let current = null

export function getLocale() {
  if (current) return current
  let saved = ''
  try {
    saved = uni.getStorageSync(STORAGE_KEY)
  } catch (e) {
    saved = ''
  }
  current = LOCALES.includes(saved) ? saved : 'zh-Hans'
  return current
}

export function setLocale(locale) {
  if (!LOCALES.includes(locale)) return
  current = locale
  uni.setStorageSync(STORAGE_KEY, locale)
}

export function t(key, params) {
  const table = messages[getLocale()]
  let text = table[key]
  if (text === undefined) text = messages['zh-Hans'][key]
  if (text === undefined) return key
  if (params) {
    text = text.replace(/\{(\w+)\}/g, (whole, name) => (params[name] === undefined ? whole : String(params[name])))
  }
  return text
}

/** 8900 -> "¥89.00"; negative amounts keep their sign ("-¥5.00"). Money is always integer fen. */
export function formatFen(fen, { symbol = true } = {}) {
  const value = Number(fen)
  if (!Number.isFinite(value)) return symbol ? '¥0.00' : '0.00'
  const sign = value < 0 ? '-' : ''
  const abs = Math.abs(Math.round(value))
  const text = `${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
  return `${sign}${symbol ? '¥' : ''}${text}`
}

/** The yuan and the fen part of a price, for the big/small price style: 8950 -> ["89", ".50"]. */
export function fenParts(fen) {
  const text = formatFen(fen, { symbol: false })
  const dot = text.indexOf('.')
  return [text.slice(0, dot), text.slice(dot)]
}

const pad = (n) => String(n).padStart(2, '0')

/** An ISO-8601 UTC time shown in Beijing time: "2026-12-07 12:30". */
export function formatTime(iso, { seconds = false } = {}) {
  if (!iso) return ''
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return ''
  const bj = new Date(date.getTime() + 8 * 3600 * 1000)
  const text = `${bj.getUTCFullYear()}-${pad(bj.getUTCMonth() + 1)}-${pad(bj.getUTCDate())} ${pad(bj.getUTCHours())}:${pad(bj.getUTCMinutes())}`
  return seconds ? `${text}:${pad(bj.getUTCSeconds())}` : text
}

/** 1830 -> "30:30", 4000 -> "1:06:40" (countdowns). */
export function formatCountdown(totalSeconds) {
  const s = Math.max(0, Math.floor(totalSeconds))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const rest = s % 60
  return h ? `${h}:${pad(m)}:${pad(rest)}` : `${pad(m)}:${pad(rest)}`
}
