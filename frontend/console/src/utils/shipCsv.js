// Bulk-ship sheets (批量发货 CSV): decoding, parsing, header mapping and carrier recognition, kept free of Vue so
// the rules are unit-tested (tests/shipCsv.test.js).
//
// A sheet has a header row with the columns 订单号, 快递公司, 运单号 (or order_no, carrier, tracking_no), in any order,
// extra columns ignored. Files come from Excel as often as from a text editor: UTF-8 with or without a BOM, or GBK
// (what Excel on Chinese Windows writes for "CSV"). Every data row becomes either a waybill to send or a row with a
// `problem` that is shown and not sent, so one bad line never stops the others. Problems are message keys of
// locale/areas/fulfilment.js with their params (the page translates them).
import { CARRIERS, TRACKING_NO } from '../components/carriers.js'

export const MAX_ROWS = 1000
export const ORDER_NO = /^\d{8,32}$/

// header names after normaliseHeader(): lower case, no spaces, punctuation or (notes in brackets)
const HEADERS = {
  order_no: ['订单号', '订单编号', 'orderno', 'ordernumber', 'order'],
  carrier: ['快递公司', '物流公司', '快递', '承运商', 'carrier', 'carriername', 'carriercode', 'courier', 'express'],
  tracking_no: ['运单号', '快递单号', '物流单号', 'trackingno', 'trackingnumber', 'tracking', 'waybill', 'waybillno'],
}

const ALIASES = {
  顺丰: 'SF', 中通: 'ZTO', 圆通: 'YTO', 韵达: 'YD', 申通: 'STO', 京东: 'JD', 邮政: 'EMS', ems: 'EMS', 极兔: 'JTSDEX',
  'j&t': 'JTSDEX', 'j&t express': 'JTSDEX',
}

/** Text of a file's bytes: UTF-8 (BOM dropped) when the bytes are valid UTF-8, otherwise GBK. */
export function decodeCsvBytes(buffer) {
  const bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer)
  let text
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    text = new TextDecoder('gbk').decode(bytes)
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

/** RFC 4180 CSV → rows of cells: quoted cells may hold commas, quotes ("") and line breaks; CRLF, LF or CR. */
export function parseCsv(text) {
  const rows = []
  let row = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i]
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"'
        i += 1
      } else if (ch === '"') {
        quoted = false
      } else {
        cell += ch
      }
    } else if (ch === '"' && cell === '') {
      quoted = true
    } else if (ch === ',') {
      row.push(cell)
      cell = ''
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i += 1
      row.push(cell)
      rows.push(row)
      row = []
      cell = ''
    } else {
      cell += ch
    }
  }
  if (cell !== '' || row.length) {
    row.push(cell)
    rows.push(row)
  }
  return rows.filter((cells) => cells.some((value) => value.trim() !== ''))
}

function normaliseHeader(value) {
  return String(value || '')
    .toLowerCase()
    .replace(/[（(][^）)]*[）)]/g, '')
    .replace(/[^\p{L}\p{N}]/gu, '')
}

/** Column index of each field, from the header cells; `missing` lists the fields without a column. */
export function mapHeader(cells) {
  const names = cells.map(normaliseHeader)
  const columns = {}
  const missing = []
  for (const [field, accepted] of Object.entries(HEADERS)) {
    const index = names.findIndex((name) => accepted.includes(name))
    if (index < 0) missing.push(field)
    else columns[field] = index
  }
  return { columns, missing }
}

/** The carrier of carriers.js named by a cell: its code (SF), its Chinese or English name, or a short name (顺丰). */
export function findCarrier(value) {
  const text = String(value || '').trim()
  if (!text) return null
  const lowered = text.toLowerCase()
  const exact = CARRIERS.find(
    (c) => c.code.toLowerCase() === lowered || c.name === text || c.en.toLowerCase() === lowered,
  )
  if (exact) return exact
  for (const [alias, code] of Object.entries(ALIASES)) {
    if (lowered === alias || lowered.startsWith(alias)) return CARRIERS.find((c) => c.code === code)
  }
  return null
}

/** A cell as Excel may have written it: ="2026…" (kept as text), a leading apostrophe or tab, full-width digits. */
export function cleanCell(value) {
  let text = String(value ?? '').trim()
  const formula = /^="(.*)"$/.exec(text)
  if (formula) text = formula[1]
  text = text.replace(/^['\t]+/, '').trim()
  return text.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
}

/**
 * A sheet's text → { rows, error }. `error` is a problem of the whole sheet (`{key, params}` for t()); each row is
 * { line, order_no, carrier_code, carrier_name, tracking_no, carrier_text, problem } where `line` is the line
 * number in the file (the header is line 1) and `problem` is null or `{key, params}`.
 */
export function readShipSheet(text) {
  const table = parseCsv(text)
  if (!table.length) return { rows: [], error: { key: 'bulkShip.csv.empty' } }
  const { columns, missing } = mapHeader(table[0])
  if (missing.length) {
    return { rows: [], error: { key: 'bulkShip.csv.missingColumns', params: { columns: missing } } }
  }
  if (table.length - 1 > MAX_ROWS) {
    return { rows: [], error: { key: 'bulkShip.csv.tooMany', params: { n: MAX_ROWS } } }
  }
  const seen = new Map()
  const rows = table.slice(1).map((cells, index) => {
    const orderNo = cleanCell(cells[columns.order_no])
    const carrierText = cleanCell(cells[columns.carrier])
    const trackingNo = cleanCell(cells[columns.tracking_no]).replace(/\s+/g, '')
    const carrier = findCarrier(carrierText)
    const row = {
      line: index + 2,
      order_no: orderNo,
      carrier_code: carrier?.code || '',
      carrier_name: carrier?.name || carrierText,
      carrier_text: carrierText,
      tracking_no: trackingNo,
      problem: null,
    }
    if (/^\d(\.\d+)?e\+\d+$/i.test(orderNo)) row.problem = { key: 'bulkShip.csv.scientific' }
    else if (!ORDER_NO.test(orderNo)) row.problem = { key: 'bulkShip.csv.badOrderNo' }
    else if (!carrier) row.problem = { key: 'bulkShip.csv.unknownCarrier', params: { carrier: carrierText || '—' } }
    else if (!TRACKING_NO.test(trackingNo)) row.problem = { key: 'bulkShip.csv.badTracking' }
    else if (seen.has(orderNo)) row.problem = { key: 'bulkShip.csv.duplicate', params: { line: seen.get(orderNo) } }
    if (!row.problem) seen.set(orderNo, row.line)
    return row
  })
  if (!rows.length) return { rows: [], error: { key: 'bulkShip.csv.empty' } }
  return { rows, error: null }
}

/** The waybills to POST (rows without a problem), each with the sheet row it came from. */
export function sendableRows(rows) {
  return rows
    .filter((row) => !row.problem)
    .map((row) => ({
      line: row.line,
      body: {
        order_no: row.order_no,
        carrier_code: row.carrier_code,
        carrier_name: row.carrier_name,
        tracking_no: row.tracking_no,
      },
    }))
}

/** Split into batches of at most `size` (the API takes 200 rows a request). */
export function chunk(items, size = 200) {
  const batches = []
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size))
  return batches
}

/** A template sheet (UTF-8 with BOM, so Excel opens it in Chinese) for the "download template" link. */
export function templateCsv() {
  return '\ufeff订单号,快递公司,运单号\r\n20260101123456789012,顺丰速运,SF1234567890\r\n'
}
