// Shipping templates between the API (fen, items, grams) and the editor's form (yuan, items, kg).
import { describe, expect, it } from 'vitest'
import {
  codesTakenElsewhere,
  emptyForm,
  fieldErrors,
  formToBody,
  templateToForm,
  unitsFromForm,
  yuanToFenNumber,
} from '../src/utils/shippingTemplates.js'

const WEIGHT_TEMPLATE = {
  id: 7,
  name: '生鲜冷链',
  charge_by: 'weight',
  default_rule: { first_units: 1000, first_fee: 1200, additional_units: 500, additional_fee: 350 },
  region_rules: [{ regions: ['650000', '540000'], first_units: 1000, first_fee: 3000, additional_units: 1000, additional_fee: 1500 }],
  free_rules: [{ regions: [], min_amount: 9900, min_quantity: null }, { regions: ['310000'], min_amount: null, min_quantity: 3 }],
  unshippable_regions: ['710000'],
  is_default: true,
}

describe('shipping template form', () => {
  it('shows fen as yuan and grams as kg, and sends back exactly what it was given', () => {
    const form = templateToForm(WEIGHT_TEMPLATE)
    expect(form.default_rule).toEqual({ first_units: 1, first_fee: 12, additional_units: 0.5, additional_fee: 3.5 })
    expect(form.free_rules[0]).toEqual({ regions: [], min_amount: 99, min_quantity: null })
    const { id, ...body } = WEIGHT_TEMPLATE
    expect(id).toBe(7)
    expect(formToBody(form)).toEqual(body)
  })

  it('rounds money to the fen and weight to the gram without floating-point noise', () => {
    expect(yuanToFenNumber(0.1 + 0.2)).toBe(30)
    expect(yuanToFenNumber(19.99)).toBe(1999)
    expect(unitsFromForm(0.3, 'weight')).toBe(300)
    expect(unitsFromForm(2, 'piece')).toBe(2)
  })

  it('trims the name and keeps a piece template in items', () => {
    const form = { ...emptyForm(), name: '  普通快递 ' }
    form.region_rules.push({ regions: ['110000'], first_units: 2, first_fee: 8, additional_units: 1, additional_fee: 2.5 })
    expect(formToBody(form)).toEqual({
      name: '普通快递',
      charge_by: 'piece',
      default_rule: { first_units: 1, first_fee: 1000, additional_units: 1, additional_fee: 500 },
      region_rules: [{ regions: ['110000'], first_units: 2, first_fee: 800, additional_units: 1, additional_fee: 250 }],
      free_rules: [],
      unshippable_regions: [],
      is_default: false,
    })
  })

  it('knows which provinces other rules already use', () => {
    const form = templateToForm(WEIGHT_TEMPLATE)
    form.region_rules.push({ regions: ['110000'], first_units: 1, first_fee: 1, additional_units: 1, additional_fee: 1 })
    expect([...codesTakenElsewhere(form, form.region_rules[1])].sort()).toEqual(['540000', '650000', '710000'])
    expect([...codesTakenElsewhere(form, form.unshippable_regions)].sort()).toEqual(['110000', '540000', '650000'])
  })

  it('maps 422 details to one message per field', () => {
    expect(fieldErrors([
      { field: 'name', message: '长度不能少于 1 个字符' },
      { field: 'region_rules.0.first_fee', message: '不能大于 10000000' },
      { field: 'name', message: 'second' },
      { field: '', message: 'whole body' },
    ])).toEqual({ name: '长度不能少于 1 个字符', 'region_rules.0.first_fee': '不能大于 10000000' })
    expect(fieldErrors(null)).toEqual({})
  })
})
