import { describe, expect, it } from 'vitest'
import { exportQuery, filenameOf } from '../src/api/transfer.js'
import { toQuery } from '../src/api/client.js'
import transfer from '../src/locale/areas/transfer.js'

describe('product CSV export query', () => {
  it('sends the list filters the way the product list does, leaving out what is not set', () => {
    const query = exportQuery({ keyword: ' 衬衫 ', category_id: 7, shelf: 'off', low_stock: true }, 10)
    expect(query).toEqual({
      keyword: '衬衫', category_id: 7, is_on_shelf: 'false', low_stock: 'true', low_stock_threshold: 10,
    })
    expect(toQuery(exportQuery({ keyword: '', category_id: null, shelf: 'all', low_stock: false }, 10))).toBe('')
    expect(exportQuery({ keyword: '', shelf: 'on' }, 10).is_on_shelf).toBe('true')
  })

  it('takes the file name the server gave, or the fallback', () => {
    const named = { headers: new Headers({ 'Content-Disposition': 'attachment; filename="products-20261207-0930.csv"' }) }
    expect(filenameOf(named, 'x.csv')).toBe('products-20261207-0930.csv')
    expect(filenameOf({ headers: new Headers() }, 'x.csv')).toBe('x.csv')
  })
})

describe('transfer strings', () => {
  it('has every key in Chinese and English', () => {
    expect(Object.keys(transfer.en).sort()).toEqual(Object.keys(transfer.zh).sort())
  })
})
