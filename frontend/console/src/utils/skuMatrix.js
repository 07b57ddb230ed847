// The SKU matrix of the product editor: one row per combination of the spec dimensions' values, in the order
// the server expects (first dimension slowest, like qingmall/catalog/matrix.py expected_spec_keys). Rows are
// plain objects the table edits in place; money is yuan in the form and fen on the wire.

export const SPEC_SEPARATOR = '/'
export const MAX_SKUS = 600
export const MAX_DIMENSIONS = 3

/** The columns a row carries and fill-down copies. */
export const FILL_COLUMNS = ['price', 'original_price', 'stock', 'weight_grams', 'barcode']

export const specKey = (values) => values.join(SPEC_SEPARATOR)

/** Every combination of the dimensions' values, first dimension slowest; [[]] without dimensions. */
export function combinations(dimensions) {
  let result = [[]]
  for (const dimension of dimensions) {
    const next = []
    for (const prefix of result) for (const value of dimension.values) next.push([...prefix, value])
    result = next
  }
  return result
}

/** How many rows the dimensions make (0 when a dimension has no value yet). */
export const combinationCount = (dimensions) => dimensions.reduce((n, d) => n * d.values.length, 1)

export function emptyRow(specValues) {
  return {
    key: specKey(specValues),
    spec_values: specValues,
    id: null, // the SKU id once saved
    price: null, // yuan
    original_price: null, // yuan, empty = no 划线价
    stock: 0,
    loadedStock: null, // the stock when the editor opened (edit mode: a change becomes a stock adjustment)
    weight_grams: 0,
    barcode: '',
    is_enabled: true,
  }
}

/**
 * The rows for `dimensions`, reusing `previous` rows: a combination that existed keeps its row (id, stock and
 * all); a new combination that extends or narrows an old one (a dimension was added or removed) starts from
 * that row's price, original price, weight (never its id, stock or barcode); anything else starts empty.
 */
export function rebuildRows(dimensions, previous = []) {
  const byKey = new Map(previous.map((row) => [row.key, row]))
  return combinations(dimensions).map((values) => {
    const key = specKey(values)
    const same = byKey.get(key)
    if (same) return same
    const row = emptyRow(values)
    const related = previous.find(
      (old) => old.spec_values.every((v) => values.includes(v)) || values.every((v) => old.spec_values.includes(v)),
    )
    if (related) {
      row.price = related.price
      row.original_price = related.original_price
      row.weight_grams = related.weight_grams
    }
    return row
  })
}

/** Copy `column` of the row at `from` to every row below it (向下填充). */
export function fillDown(rows, column, from = 0) {
  const value = rows[from]?.[column]
  for (let i = from + 1; i < rows.length; i += 1) rows[i][column] = value
}

export const yuanToFen = (yuan) => (yuan === null || yuan === undefined || yuan === '' ? 0 : Math.round(Number(yuan) * 100))
export const fenToYuan = (fen) => (fen ? fen / 100 : fen === 0 ? 0 : null)

/**
 * The first problem of the matrix in the merchant's words (a message key and its params), or null.
 * The server checks it all again; this only saves a round trip and points at the row.
 */
export function matrixProblem(dimensions, rows) {
  for (const d of dimensions) {
    if (!d.name.trim()) return { key: 'editor.err.specName' }
    if (!d.values.length) return { key: 'editor.err.specValues', params: { name: d.name } }
  }
  const names = dimensions.map((d) => d.name.trim())
  if (new Set(names).size !== names.length) return { key: 'editor.err.specNameDup' }
  if (rows.length > MAX_SKUS) return { key: 'editor.err.tooMany', params: { n: rows.length, max: MAX_SKUS } }
  for (const [index, row] of rows.entries()) {
    const where = { row: index + 1, spec: row.key || '—' }
    if (row.price === null || row.price === undefined || row.price === '') return { key: 'editor.err.price', params: where }
    if (row.original_price && Number(row.original_price) < Number(row.price)) {
      return { key: 'editor.err.original', params: where }
    }
  }
  return null
}

/** The SKUs of a create (with stock) or update (without: stock moves by adjustments) request. */
export function skuPayload(rows, { withStock }) {
  return rows.map((row) => {
    const sku = {
      spec_values: row.spec_values,
      price: yuanToFen(row.price),
      original_price: yuanToFen(row.original_price),
      weight_grams: Math.max(0, Math.round(Number(row.weight_grams) || 0)),
      barcode: (row.barcode || '').trim(),
      is_enabled: row.is_enabled,
    }
    if (withStock) sku.stock = Math.max(0, Math.round(Number(row.stock) || 0))
    return sku
  })
}

/** Rows of a saved product (GET /products/{id}) for the editor: only enabled SKUs of the current matrix. */
export function rowsFromProduct(product) {
  return (product.skus || []).map((sku) => ({
    ...emptyRow(sku.spec_values),
    id: sku.id,
    price: fenToYuan(sku.price),
    original_price: sku.original_price ? fenToYuan(sku.original_price) : null,
    stock: sku.stock,
    loadedStock: sku.stock,
    weight_grams: sku.weight_grams,
    barcode: sku.barcode,
    is_enabled: sku.is_enabled,
  }))
}

/**
 * The stock adjustments that make the saved SKUs match the stock typed in the matrix (edit mode): one per row
 * whose stock changed, as a delta from what was loaded, so sales in the meantime are not overwritten.
 * `saved` is the product the PUT returned (its SKUs carry ids and the current stock).
 */
export function stockChanges(rows, saved) {
  const ids = new Map((saved.skus || []).map((sku) => [sku.spec_key, sku]))
  const changes = []
  for (const row of rows) {
    const sku = ids.get(row.key)
    if (!sku) continue
    const before = row.loadedStock ?? 0 // a new combination starts at 0 on the server
    const wanted = Math.max(0, Math.round(Number(row.stock) || 0))
    const delta = wanted - before
    if (delta) changes.push({ sku_id: sku.id, key: row.key, delta })
  }
  return changes
}
