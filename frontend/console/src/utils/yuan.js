// Yuan typed by a person → integer fen, without floating point ("0.1" + "0.2" must never be 0.30000000000000004).

/** "5" → 500, "5.1" → 510, "0.05" → 5, " 12.30 " → 1230; anything else (signs, "1e3", three decimals, "") → null. */
export function yuanToFen(text) {
  const match = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(String(text ?? '').trim())
  if (!match) return null
  return Number(match[1]) * 100 + Number((match[2] || '').padEnd(2, '0'))
}
