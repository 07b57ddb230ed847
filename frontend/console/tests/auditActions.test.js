import { describe, expect, it } from 'vitest'
import { ACTIONS, auditActionKey } from '../src/utils/auditActions.js'
import messages from '../src/locale/messages.js'

describe('audit action labels', () => {
  it('names a write by its method and route template', () => {
    expect(auditActionKey('PUT', '/api/admin/v1/products/{spu_id}')).toBe('audit.act.productUpdate')
    expect(auditActionKey('POST', '/api/admin/v1/orders/{order_no}/ship')).toBe('audit.act.ship')
  })

  it('leaves an unknown or unmatched route unnamed', () => {
    expect(auditActionKey('GET', '/api/admin/v1/products/{spu_id}')).toBe('')
    expect(auditActionKey('POST', '')).toBe('')
    expect(auditActionKey('POST', '/api/admin/v1/nothing')).toBe('')
  })

  it('has the words in both languages for every named action', () => {
    const routes = Object.keys(ACTIONS)
    expect(routes.length).toBeGreaterThan(30)
    for (const entry of routes) {
      const [method, path] = entry.split(' ')
      const key = auditActionKey(method, `/api/admin/v1${path}`)
      expect(messages['zh-CN'][key], key).toBeTruthy()
      expect(messages.en[key], key).toBeTruthy()
    }
  })
})
