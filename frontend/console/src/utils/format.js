// Money is integer fen; times come as UTC ISO strings and are shown in Beijing time (Asia/Shanghai).

/** 8900 → "¥89.00"; negative amounts keep their sign ("-¥5.00"). */
export function formatFen(fen) {
  if (fen === null || fen === undefined || fen === '') return '—'
  const value = Math.round(Number(fen))
  const sign = value < 0 ? '-' : ''
  const abs = Math.abs(value)
  const yuan = Math.floor(abs / 100).toLocaleString('en-US')
  return `${sign}¥${yuan}.${String(abs % 100).padStart(2, '0')}`
}

/** A price range: "¥12.90" or "¥12.90 – ¥19.90". */
export function formatFenRange(min, max) {
  if (min === max || max === null || max === undefined) return formatFen(min)
  return `${formatFen(min)} – ${formatFen(max)}`
}

const PARTS = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
})

function shanghaiParts(value) {
  const date = value instanceof Date ? value : new Date(value)
  if (Number.isNaN(date.getTime())) return null
  const parts = {}
  for (const part of PARTS.formatToParts(date)) parts[part.type] = part.value
  return parts
}

/** "2026-12-07 14:04" (Beijing time); withSeconds adds ":17". */
export function formatTime(value, { withSeconds = false } = {}) {
  if (!value) return '—'
  const p = shanghaiParts(value)
  if (!p) return '—'
  const time = `${p.hour}:${p.minute}${withSeconds ? `:${p.second}` : ''}`
  return `${p.year}-${p.month}-${p.day} ${time}`
}

/** "14:19" (Beijing time), for "locked until" messages. */
export function formatClock(value) {
  const p = value ? shanghaiParts(value) : null
  return p ? `${p.hour}:${p.minute}` : ''
}

/** Today's calendar date in Shanghai, "2026-12-07". */
export function shanghaiToday(now = new Date()) {
  const p = shanghaiParts(now)
  return `${p.year}-${p.month}-${p.day}`
}
