import { describe, expect, it } from 'vitest'
import {
  combinations,
  fillDown,
  matrixProblem,
  rebuildRows,
  rowsFromProduct,
  skuPayload,
  stockChanges,
} from '../src/utils/skuMatrix.js'

const colour = { name: '颜色', values: ['黑', '白'] }
const size = { name: '尺码', values: ['S', 'M', 'L'] }

describe('the SKU matrix', () => {
  it('has one row per combination, first dimension slowest, like the server', () => {
    expect(combinations([colour, size]).map((v) => v.join('/'))).toEqual([
      '黑/S', '黑/M', '黑/L', '白/S', '白/M', '白/L',
    ])
    expect(combinations([])).toEqual([[]])
  })

  it('keeps a row when its combination survives an edit of the dimensions', () => {
    const rows = rebuildRows([colour, size])
    rows[1].price = 59
    rows[1].stock = 7
    rows[1].id = 42
    const again = rebuildRows([{ ...colour, values: ['黑', '白', '红'] }, size], rows)
    expect(again).toHaveLength(9)
    expect(again[1]).toBe(rows[1])
    expect(again[6]).toMatchObject({ key: '红/S', price: null, stock: 0, id: null })
  })

  it('starts a new combination from the row it extends, but never with its id or stock', () => {
    const rows = rebuildRows([colour])
    Object.assign(rows[0], { price: 89, original_price: 129, stock: 30, id: 5, barcode: '690001', weight_grams: 300 })
    const [first] = rebuildRows([colour, size], rows)
    expect(first).toMatchObject({ key: '黑/S', price: 89, original_price: 129, weight_grams: 300, id: null, stock: 0, barcode: '' })
  })

  it('fills a column down from a row to the rows below it only', () => {
    const rows = rebuildRows([colour, size])
    rows[0].price = 10
    rows[2].price = 20
    fillDown(rows, 'price', 2)
    expect(rows.map((r) => r.price)).toEqual([10, null, 20, 20, 20, 20])
    fillDown(rows, 'price')
    expect(rows.every((r) => r.price === 10)).toBe(true)
  })

  it('names the first problem with its row', () => {
    const rows = rebuildRows([colour, size])
    expect(matrixProblem([colour, size], rows)).toEqual({ key: 'editor.err.price', params: { row: 1, spec: '黑/S' } })
    for (const row of rows) row.price = 10
    rows[3].original_price = 5
    expect(matrixProblem([colour, size], rows)).toEqual({ key: 'editor.err.original', params: { row: 4, spec: '白/S' } })
    rows[3].original_price = 12
    expect(matrixProblem([colour, size], rows)).toBeNull()
    expect(matrixProblem([colour, { name: '颜色', values: ['大'] }], rows)).toEqual({ key: 'editor.err.specNameDup' })
    expect(matrixProblem([{ name: '容量', values: [] }], rows)).toMatchObject({ key: 'editor.err.specValues' })
  })

  it('sends fen, rounds half-cent input, and leaves stock out of an update', () => {
    const rows = rebuildRows([colour])
    Object.assign(rows[0], { price: 19.9, original_price: 29.99, stock: '12', weight_grams: '250.4', barcode: ' 69 ' })
    Object.assign(rows[1], { price: 0.1 })
    expect(skuPayload(rows, { withStock: true })).toEqual([
      { spec_values: ['黑'], price: 1990, original_price: 2999, weight_grams: 250, barcode: '69', is_enabled: true, stock: 12 },
      { spec_values: ['白'], price: 10, original_price: 0, weight_grams: 0, barcode: '', is_enabled: true, stock: 0 },
    ])
    expect(skuPayload(rows, { withStock: false })[0]).not.toHaveProperty('stock')
  })

  it('turns edited stock into adjustments from the loaded stock, new combinations from zero', () => {
    const product = {
      skus: [
        { id: 1, spec_values: ['黑'], spec_key: '黑', price: 1000, original_price: 0, stock: 5, weight_grams: 0, barcode: '', is_enabled: true },
        { id: 2, spec_values: ['白'], spec_key: '白', price: 1000, original_price: 0, stock: 8, weight_grams: 0, barcode: '', is_enabled: true },
      ],
    }
    const rows = rebuildRows([{ ...colour, values: ['黑', '白', '红'] }], rowsFromProduct(product))
    rows[0].stock = 9 // +4
    rows[2].stock = 3 // new: +3
    const saved = { skus: [...product.skus.map((s) => ({ ...s, stock: s.stock - 1 })), { id: 3, spec_key: '红', stock: 0 }] }
    expect(stockChanges(rows, saved)).toEqual([
      { sku_id: 1, key: '黑', delta: 4 },
      { sku_id: 3, key: '红', delta: 3 },
    ])
  })
})
