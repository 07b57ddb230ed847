// Pure helpers of the dashboard page (tested in tests/dashboard.test.js).

/**
 * Today against yesterday: {direction: 'up' | 'down' | 'flat' | 'new', percent} where percent is the change in
 * whole percent (one decimal below 10%). 'new' means yesterday had nothing and today has something (no percentage
 * of zero); both zero is 'flat'.
 */
export function compareDays(today, yesterday) {
  const now = Number(today) || 0
  const before = Number(yesterday) || 0
  if (before === 0) return { direction: now > 0 ? 'new' : 'flat', percent: null }
  const change = ((now - before) / before) * 100
  const rounded = Math.abs(change) < 10 ? Math.round(change * 10) / 10 : Math.round(change)
  if (rounded === 0) return { direction: 'flat', percent: 0 }
  return { direction: rounded > 0 ? 'up' : 'down', percent: Math.abs(rounded) }
}

/** "2026-12-07" → "12-07" (the chart's axis labels). */
export function shortDate(date) {
  return typeof date === 'string' && date.length === 10 ? date.slice(5) : String(date ?? '')
}

/** Fen → yuan as a number for the chart's axis (12345 → 123.45). */
export function fenToYuanNumber(fen) {
  return Math.round(Number(fen) || 0) / 100
}

/** A compact yuan axis label: 950 → "950", 12000 → "1.2万" in Chinese, "12k" in English. */
export function compactYuan(yuan, locale = 'zh-CN') {
  const value = Number(yuan) || 0
  const abs = Math.abs(value)
  if (locale === 'en') {
    if (abs >= 1e6) return `${trim(value / 1e6)}M`
    if (abs >= 1e3) return `${trim(value / 1e3)}k`
    return trim(value)
  }
  if (abs >= 1e8) return `${trim(value / 1e8)}亿`
  if (abs >= 1e4) return `${trim(value / 1e4)}万`
  return trim(value)
}

function trim(value) {
  return String(Math.round(value * 10) / 10)
}
