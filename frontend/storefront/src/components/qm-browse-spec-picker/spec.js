// Spec matrix rules for the product page: which SKU a choice names, which values can still be picked.
// A selection is an array with one entry per spec dimension: the chosen value, or '' for none yet.

export function isBuyable(sku) {
  return Boolean(sku && sku.is_enabled && sku.stock > 0)
}

/** The most one order of this SKU may hold: its stock, capped by max_per_order (0 = no cap) and 999. */
export function quantityLimit(sku) {
  if (!sku) return 1
  let limit = Math.min(sku.stock, 999)
  if (sku.max_per_order > 0) limit = Math.min(limit, sku.max_per_order)
  return Math.max(limit, 0)
}

function matches(sku, selection, skipIndex) {
  return selection.every((value, index) => index === skipIndex || !value || sku.spec_values[index] === value)
}

/** Can `value` of dimension `dimIndex` be picked, given what the other dimensions hold? */
export function isValueAvailable(skus, selection, dimIndex, value) {
  return skus.some(
    (sku) => isBuyable(sku) && sku.spec_values[dimIndex] === value && matches(sku, selection, dimIndex),
  )
}

/** The enabled SKU the selection names, once every dimension has a value (a product without specs: its SKU). */
export function findSku(skus, dimensions, selection) {
  if (selection.some((value) => !value)) return null
  return (
    skus.find(
      (sku) => sku.is_enabled && sku.spec_values.length === dimensions.length && sku.spec_values.every((v, i) => v === selection[i]),
    ) || null
  )
}

/** Pick (or un-pick) a value; other choices that no longer combine with it into a buyable SKU are dropped. */
export function toggleValue(skus, selection, dimIndex, value) {
  const next = selection.slice()
  next[dimIndex] = next[dimIndex] === value ? '' : value
  next.forEach((chosen, index) => {
    if (index !== dimIndex && chosen && !isValueAvailable(skus, next, index, chosen)) next[index] = ''
  })
  return next
}

/** The starting selection: a dimension whose only buyable value is one value gets it pre-picked. */
export function initialSelection(skus, dimensions) {
  const selection = dimensions.map(() => '')
  dimensions.forEach((dimension, index) => {
    const buyable = dimension.values.filter((value) => isValueAvailable(skus, selection, index, value))
    if (dimension.values.length === 1 && buyable.length === 1) selection[index] = buyable[0]
  })
  return selection
}
