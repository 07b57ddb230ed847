// The dashboard's pure helpers, and the dashboard as home for the roles that may read reports.
import { describe, expect, it } from 'vitest'
import { compactYuan, compareDays, fenToYuanNumber, shortDate } from '../src/utils/dashboard.js'
import { buildMenu, firstAllowedPage } from '../src/router/nav.js'
import { consolePages } from '../src/router/routes.js'

describe('today against yesterday', () => {
  it('gives the change in percent, one decimal below 10%', () => {
    expect(compareDays(15000, 10000)).toEqual({ direction: 'up', percent: 50 })
    expect(compareDays(5000, 10000)).toEqual({ direction: 'down', percent: 50 })
    expect(compareDays(10250, 10000)).toEqual({ direction: 'up', percent: 2.5 })
    expect(compareDays(2, 3)).toEqual({ direction: 'down', percent: 33 })
    expect(compareDays(0, 4)).toEqual({ direction: 'down', percent: 100 })
  })

  it('has no percentage of nothing', () => {
    expect(compareDays(12001, 0)).toEqual({ direction: 'new', percent: null })
    expect(compareDays(0, 0)).toEqual({ direction: 'flat', percent: null })
    expect(compareDays(10000, 10000)).toEqual({ direction: 'flat', percent: 0 })
    expect(compareDays(100001, 100000)).toEqual({ direction: 'flat', percent: 0 })
  })
})

describe('chart labels', () => {
  it('shortens dates and yuan', () => {
    expect(shortDate('2026-12-07')).toBe('12-07')
    expect(fenToYuanNumber(12345)).toBe(123.45)
    expect(compactYuan(950)).toBe('950')
    expect(compactYuan(12000)).toBe('1.2万')
    expect(compactYuan(250000000)).toBe('2.5亿')
    expect(compactYuan(12000, 'en')).toBe('12k')
    expect(compactYuan(2500000, 'en')).toBe('2.5M')
  })
})

describe('the dashboard in the menu', () => {
  it('comes first and is home for reports.read; the others keep their first page', () => {
    expect(buildMenu(consolePages, ['reports.read', 'orders.read'])[0]).toMatchObject({
      name: 'dashboard',
      path: '/dashboard',
      className: 'menu-dashboard',
    })
    expect(firstAllowedPage(consolePages, ['reports.read', 'orders.read'])).toBe('dashboard')
    expect(firstAllowedPage(consolePages, ['orders.read', 'orders.ship'])).toBe('orders')
    expect(buildMenu(consolePages, ['orders.read']).map((m) => m.name)).not.toContain('dashboard')
  })
})
