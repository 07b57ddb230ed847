// After-sale status → the merchant actions the detail page offers, and the audit-log time parameter.
import { describe, expect, it } from 'vitest'
import { AFTER_SALE_TABS, DEFAULT_TAB, allowedActions, beijingParam, statusType } from '../src/utils/afterSales.js'

const MANAGE = ['orders.read', 'aftersales.manage']
const sale = (status, extra = {}) => ({ status, kind: 'refund_only', refund_state: '', ...extra })

describe('after-sale actions', () => {
  it('offers approve and reject while waiting for review', () => {
    expect(allowedActions(sale('pending_review'), MANAGE)).toEqual(['approve', 'reject'])
    expect(allowedActions(sale('pending_review', { kind: 'return_refund' }), MANAGE)).toEqual(['approve', 'reject'])
  })

  it('offers confirm-received only for a return on its way back', () => {
    expect(allowedActions(sale('returning', { kind: 'return_refund' }), MANAGE)).toEqual(['confirm_received'])
    expect(allowedActions(sale('approved', { kind: 'return_refund' }), MANAGE)).toEqual([])
  })

  it('offers retry-refund while refunding (failed or stuck)', () => {
    expect(allowedActions(sale('refunding', { refund_state: 'failed' }), MANAGE)).toEqual(['retry_refund'])
    expect(allowedActions(sale('refunding', { refund_state: 'pending' }), MANAGE)).toEqual(['retry_refund'])
  })

  it('offers nothing on final states, without the permission, or without an after-sale', () => {
    for (const status of ['rejected', 'withdrawn', 'refunded']) expect(allowedActions(sale(status), MANAGE)).toEqual([])
    expect(allowedActions(sale('pending_review'), ['orders.read', 'audit.read'])).toEqual([])
    expect(allowedActions(sale('pending_review'), undefined)).toEqual([])
    expect(allowedActions(null, MANAGE)).toEqual([])
  })

  it('defaults the list to the review queue and colours every status', () => {
    expect(DEFAULT_TAB).toBe('pending_review')
    expect(AFTER_SALE_TABS[0]).toBe('pending_review')
    expect(AFTER_SALE_TABS).toContain('all')
    expect(statusType('pending_review')).toBe('danger')
    expect(statusType('refunded')).toBe('success')
    expect(statusType('nonsense')).toBe('info')
  })
})

describe('audit log time filter', () => {
  it('sends Beijing wall time without a zone (the server reads it as Beijing time)', () => {
    expect(beijingParam('2026-12-07 14:00:00')).toBe('2026-12-07T14:00:00')
    expect(beijingParam('')).toBe('')
    expect(beijingParam(null)).toBe('')
  })
})
