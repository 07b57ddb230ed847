// Bulk-ship sheets: encodings from Excel and editors, CSV quoting, Chinese and English headers, carrier names,
// and the per-row problems that keep a bad line out of the request without stopping the others.
import { describe, expect, it } from 'vitest'
import {
  chunk,
  cleanCell,
  decodeCsvBytes,
  findCarrier,
  mapHeader,
  parseCsv,
  readShipSheet,
  sendableRows,
  templateCsv,
} from '../src/utils/shipCsv.js'

const utf8 = (text) => new TextEncoder().encode(text)

// "订单号,快递公司,运单号\r\n20260101000000000001,顺丰,SF1000000001\r\n" as Excel on Chinese Windows saves it (GBK)
const GBK_SHEET = new Uint8Array([
  182, 169, 181, 165, 186, 197, 44, 191, 236, 181, 221, 185, 171, 203, 190, 44, 212, 203, 181, 165, 186, 197, 13, 10,
  50, 48, 50, 54, 48, 49, 48, 49, 48, 48, 48, 48, 48, 48, 48, 48, 48, 48, 48, 49, 44, 203, 179, 183, 225, 44, 83, 70,
  49, 48, 48, 48, 48, 48, 48, 48, 48, 49, 13, 10,
])

describe('decoding', () => {
  it('reads UTF-8 with and without a BOM', () => {
    expect(decodeCsvBytes(utf8('\ufeff订单号,快递公司'))).toBe('订单号,快递公司')
    expect(decodeCsvBytes(utf8('订单号,快递公司').buffer)).toBe('订单号,快递公司')
  })

  it('falls back to GBK when the bytes are not UTF-8', () => {
    const text = decodeCsvBytes(GBK_SHEET.buffer)
    expect(text).toBe('订单号,快递公司,运单号\r\n20260101000000000001,顺丰,SF1000000001\r\n')
    const { rows, error } = readShipSheet(text)
    expect(error).toBeNull()
    expect(rows[0]).toMatchObject({ order_no: '20260101000000000001', carrier_code: 'SF', carrier_name: '顺丰速运' })
  })
})

describe('parseCsv', () => {
  it('handles quotes, escaped quotes, commas and line breaks inside quotes, CRLF and blank lines', () => {
    const text = 'a,"b, c","say ""hi"""\r\n\r\n"line\nbreak",x,\ry,z,w'
    expect(parseCsv(text)).toEqual([
      ['a', 'b, c', 'say "hi"'],
      ['line\nbreak', 'x', ''],
      ['y', 'z', 'w'],
    ])
  })

  it('keeps a last row without a line break and drops rows of empty cells', () => {
    expect(parseCsv('a,b\n,,\n c ,d')).toEqual([['a', 'b'], [' c ', 'd']])
    expect(parseCsv('')).toEqual([])
  })
})

describe('headers', () => {
  it('accepts Chinese and English names in any order, with notes and odd spacing', () => {
    expect(mapHeader(['运单号', '备注', '订单号', '快递公司'])).toEqual({
      columns: { tracking_no: 0, order_no: 2, carrier: 3 },
      missing: [],
    })
    expect(mapHeader(['\ufeffOrder No', 'Carrier', 'tracking_no'])).toEqual({
      columns: { order_no: 0, carrier: 1, tracking_no: 2 },
      missing: [],
    })
    expect(mapHeader(['订单号（必填）', '物流公司', '快递单号*']).missing).toEqual([])
  })

  it('names the missing columns', () => {
    expect(mapHeader(['订单号', '金额']).missing).toEqual(['carrier', 'tracking_no'])
  })
})

describe('carriers and cells', () => {
  it('knows a carrier by code, Chinese name, English name or short name', () => {
    expect(findCarrier('sf').code).toBe('SF')
    expect(findCarrier('中通快递').code).toBe('ZTO')
    expect(findCarrier('YTO Express').code).toBe('YTO')
    expect(findCarrier('韵达').code).toBe('YD')
    expect(findCarrier('极兔快递').code).toBe('JTSDEX')
    expect(findCarrier('德邦物流')).toBeNull()
    expect(findCarrier('')).toBeNull()
  })

  it("undoes Excel's ways of keeping numbers as text", () => {
    expect(cleanCell('="20260101000000000001"')).toBe('20260101000000000001')
    expect(cleanCell("'20260101000000000001")).toBe('20260101000000000001')
    expect(cleanCell(' ２０２６０１０１ ')).toBe('20260101')
  })
})

describe('readShipSheet', () => {
  const sheet = [
    'order_no,carrier,tracking_no',
    '20260101000000000001,SF,SF1000000001',
    '2.02601E+19,顺丰,SF1000000002',
    '12-34,顺丰,SF1000000003',
    '20260101000000000004,德邦,DB1000000004',
    '20260101000000000005,圆通,YT 1000 0000 05',
    '20260101000000000006,中通,!!',
    '20260101000000000001,SF,SF1000000009',
  ].join('\n')

  it('gives every line a waybill or a problem, with its line number in the file', () => {
    const { rows, error } = readShipSheet(sheet)
    expect(error).toBeNull()
    expect(rows.map((r) => [r.line, r.problem?.key || null])).toEqual([
      [2, null],
      [3, 'bulkShip.csv.scientific'],
      [4, 'bulkShip.csv.badOrderNo'],
      [5, 'bulkShip.csv.unknownCarrier'],
      [6, null],
      [7, 'bulkShip.csv.badTracking'],
      [8, 'bulkShip.csv.duplicate'],
    ])
    expect(rows[3].problem.params).toEqual({ carrier: '德邦' })
    expect(rows[6].problem.params).toEqual({ line: 2 })
    expect(sendableRows(rows)).toEqual([
      { line: 2, body: { order_no: '20260101000000000001', carrier_code: 'SF', carrier_name: '顺丰速运', tracking_no: 'SF1000000001' } },
      { line: 6, body: { order_no: '20260101000000000005', carrier_code: 'YTO', carrier_name: '圆通速递', tracking_no: 'YT1000000005' } },
    ])
  })

  it('refuses a sheet without the needed columns or without data', () => {
    expect(readShipSheet('订单号,金额\n20260101000000000001,100').error).toEqual({
      key: 'bulkShip.csv.missingColumns',
      params: { columns: ['carrier', 'tracking_no'] },
    })
    expect(readShipSheet('订单号,快递公司,运单号\n').error).toEqual({ key: 'bulkShip.csv.empty' })
    expect(readShipSheet('').error).toEqual({ key: 'bulkShip.csv.empty' })
  })

  it('reads its own template', () => {
    const { rows, error } = readShipSheet(decodeCsvBytes(utf8(templateCsv())))
    expect(error).toBeNull()
    expect(rows).toHaveLength(1)
    expect(rows[0].problem).toBeNull()
  })
})

describe('chunk', () => {
  it('splits into requests of at most 200 rows', () => {
    const batches = chunk(Array.from({ length: 450 }, (_, i) => i))
    expect(batches.map((b) => b.length)).toEqual([200, 200, 50])
    expect(chunk([])).toEqual([])
  })
})
