// Chinese first, English available. Every visible string goes through t('key', {name: value}); the tables are
// messages.js ({ 'zh-CN': {...}, en: {...} }). The choice is kept in localStorage ('qm_console_locale').
// `locale` is reactive, so templates that call t() re-render when the language changes.
import { ref } from 'vue'
import messages from './messages.js'

export const LOCALES = ['zh-CN', 'en']
export const STORAGE_KEY = 'qm_console_locale'

function savedLocale() {
  try {
    const saved = localStorage.getItem(STORAGE_KEY)
    return LOCALES.includes(saved) ? saved : 'zh-CN'
  } catch {
    return 'zh-CN'
  }
}

export const locale = ref(savedLocale())

export function setLocale(next) {
  if (!LOCALES.includes(next)) return
  locale.value = next
  try {
    localStorage.setItem(STORAGE_KEY, next)
  } catch {
    // private mode: the choice lasts until the page is closed
  }
  if (typeof document !== 'undefined') document.documentElement.lang = next
}

export function t(key, params) {
  let text = messages[locale.value]?.[key]
  if (text === undefined) text = messages['zh-CN'][key]
  if (text === undefined) return key
  if (params) {
    text = text.replace(/\{(\w+)\}/g, (whole, name) => (params[name] === undefined ? whole : String(params[name])))
  }
  return text
}

/** t() for a key that may be missing (a status or code the server added later): the fallback instead of the key. */
export function tOr(key, fallback) {
  const text = t(key)
  return text === key ? fallback : text
}
