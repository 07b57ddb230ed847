// Shipping templates between the API (fen, items or grams) and the editor's form (yuan, items or kg), plus
// the helpers the list and the editor share. Pure functions, tested in tests/shippingTemplates.test.js.

/** fen → yuan as a number for el-input-number (1050 → 10.5). */
export const fenToYuan = (fen) => Math.round(Number(fen) || 0) / 100
/** yuan from el-input-number → integer fen (0.1 → 10, 10.005 rounds). */
export const yuanToFenNumber = (yuan) => Math.round((Number(yuan) || 0) * 100)

/** API units → form units: items stay items, grams become kg. */
export function unitsToForm(units, chargeBy) {
  return chargeBy === 'weight' ? (Number(units) || 0) / 1000 : Number(units) || 0
}

/** form units → API units: kg become whole grams. */
export function unitsFromForm(value, chargeBy) {
  return chargeBy === 'weight' ? Math.round((Number(value) || 0) * 1000) : Math.round(Number(value) || 0)
}

function ruleToForm(rule, chargeBy) {
  return {
    first_units: unitsToForm(rule.first_units, chargeBy),
    first_fee: fenToYuan(rule.first_fee),
    additional_units: unitsToForm(rule.additional_units, chargeBy),
    additional_fee: fenToYuan(rule.additional_fee),
  }
}

function ruleFromForm(rule, chargeBy) {
  return {
    first_units: unitsFromForm(rule.first_units, chargeBy),
    first_fee: yuanToFenNumber(rule.first_fee),
    additional_units: unitsFromForm(rule.additional_units, chargeBy),
    additional_fee: yuanToFenNumber(rule.additional_fee),
  }
}

/** A new rule: the first item (or kg) ¥10, each further one ¥5. */
export function emptyRule() {
  return { first_units: 1, first_fee: 10, additional_units: 1, additional_fee: 5 }
}

export function emptyForm() {
  return {
    name: '',
    charge_by: 'piece',
    default_rule: emptyRule(),
    region_rules: [],
    free_rules: [],
    unshippable_regions: [],
    is_default: false,
  }
}

/** A template from the API as the editor's form. */
export function templateToForm(template) {
  const by = template.charge_by
  return {
    name: template.name,
    charge_by: by,
    default_rule: ruleToForm(template.default_rule, by),
    region_rules: template.region_rules.map((rule) => ({ regions: [...rule.regions], ...ruleToForm(rule, by) })),
    free_rules: template.free_rules.map((rule) => ({
      regions: [...(rule.regions || [])],
      min_amount: rule.min_amount === null || rule.min_amount === undefined ? null : fenToYuan(rule.min_amount),
      min_quantity: rule.min_quantity ?? null,
    })),
    unshippable_regions: [...template.unshippable_regions],
    is_default: template.is_default,
  }
}

/** The editor's form as the body of POST / PUT /shipping-templates. */
export function formToBody(form) {
  const by = form.charge_by
  return {
    name: form.name.trim(),
    charge_by: by,
    default_rule: ruleFromForm(form.default_rule, by),
    region_rules: form.region_rules.map((rule) => ({ regions: [...rule.regions], ...ruleFromForm(rule, by) })),
    free_rules: form.free_rules.map((rule) => ({
      regions: [...rule.regions],
      min_amount: rule.min_amount === null || rule.min_amount === undefined ? null : yuanToFenNumber(rule.min_amount),
      min_quantity: rule.min_quantity === null || rule.min_quantity === undefined ? null : Math.round(rule.min_quantity),
    })),
    unshippable_regions: [...form.unshippable_regions],
    is_default: Boolean(form.is_default),
  }
}

/** Region codes used elsewhere in the form than `except` (a rule object): one code may not be in two rules. */
export function codesTakenElsewhere(form, except) {
  const taken = new Set()
  for (const rule of form.region_rules) if (rule !== except) rule.regions.forEach((code) => taken.add(code))
  if (form.unshippable_regions !== except) form.unshippable_regions.forEach((code) => taken.add(code))
  return taken
}

/** 422 details [{field, message}] → {field: message} (the first message per field). */
export function fieldErrors(details) {
  const errors = {}
  for (const item of Array.isArray(details) ? details : []) {
    const field = typeof item?.field === 'string' ? item.field : ''
    if (field && !(field in errors)) errors[field] = item.message || ''
  }
  return errors
}
