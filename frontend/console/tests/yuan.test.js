// Yuan → fen for the balance adjustment dialog.
import { describe, expect, it } from 'vitest'
import { yuanToFen } from '../src/utils/yuan.js'

describe('yuanToFen', () => {
  it('turns yuan with up to two decimals into exact fen', () => {
    expect(yuanToFen('5')).toBe(500)
    expect(yuanToFen('5.00')).toBe(500)
    expect(yuanToFen('5.1')).toBe(510)
    expect(yuanToFen('0.05')).toBe(5)
    expect(yuanToFen(' 12.30 ')).toBe(1230)
    expect(yuanToFen('0.29')).toBe(29) // 0.29 * 100 is 28.999999999999996 in floating point
    expect(yuanToFen('100000')).toBe(10_000_000)
  })

  it('refuses what is not a plain amount', () => {
    for (const bad of ['', ' ', '-5', '+5', '5.001', '1e3', '5.', '.5', 'abc', '1,000', null, undefined, '1234567890']) {
      expect(yuanToFen(bad), String(bad)).toBeNull()
    }
  })
})
