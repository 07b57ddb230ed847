// Permission → menu / page access, over the real route table and over a made-up one with groups.
import { describe, expect, it } from 'vitest'
import { allowed, buildMenu, firstAllowedPage } from '../src/router/nav.js'
import { consolePages } from '../src/router/routes.js'

// the demo roles' permissions (docs/api.md, "Roles → permissions")
const OWNER = ['catalog.read', 'catalog.write', 'inventory.write', 'orders.read', 'orders.ship', 'orders.cancel',
  'aftersales.manage', 'shipping.write', 'reviews.moderate', 'shoppers.read', 'staff.manage', 'audit.read', 'media.upload', 'content.write']
const CUSTOMER_SERVICE = ['catalog.read', 'orders.read', 'orders.cancel', 'aftersales.manage', 'reviews.moderate', 'shoppers.read']
const WAREHOUSE = ['catalog.read', 'inventory.write', 'orders.read', 'orders.ship']

const names = (menu) => menu.map((entry) => entry.name || entry.group)

describe('the console menu', () => {
  it('shows orders, products, after-sales and the audit log to the owner, in route-table order, with stable classes', () => {
    const menu = buildMenu(consolePages, OWNER)
    expect(names(menu)).toEqual(['orders', 'products', 'categories', 'after-sales', 'nav.group.customers', 'banners',
      'audit-logs', 'nav.group.settings'])
    expect(menu.map((m) => m.className)).toEqual(['menu-orders', 'menu-products', 'menu-categories',
      'menu-after-sales menu-aftersales', undefined, 'menu-banners', 'menu-audit-logs menu-audit', undefined])
    expect(menu[4].children.map((c) => c.className)).toEqual(['menu-shoppers', 'menu-reviews'])
    // settings.manage is not in this list: shop settings stay hidden, templates and staff show
    expect(menu[7].children.map((c) => c.className)).toEqual(['menu-shipping-templates', 'menu-staff'])
    expect(names(buildMenu(consolePages, [...OWNER, 'settings.manage'])[7].children)).toEqual(
      ['shipping-templates', 'staff', 'settings'])
    expect(menu[0]).toMatchObject({ path: '/orders', title: 'nav.orders' })
    expect(menu[0].icon).toBeTruthy()
  })

  it('never lists pages outside the menu (the order detail)', () => {
    expect(names(buildMenu(consolePages, OWNER))).not.toContain('order-detail')
    expect(names(buildMenu(consolePages, OWNER))).not.toContain('after-sale-detail')
  })

  it('hides what a role lacks', () => {
    expect(names(buildMenu(consolePages, ['orders.read']))).toEqual(['orders'])
    expect(names(buildMenu(consolePages, ['catalog.read']))).toEqual(['products', 'categories'])
    expect(buildMenu(consolePages, [])).toEqual([])
    expect(buildMenu(consolePages, undefined)).toEqual([])
  })

  it('customer service sees after-sales too; warehouse only orders and products', () => {
    expect(names(buildMenu(consolePages, CUSTOMER_SERVICE))).toEqual(['orders', 'products', 'categories', 'after-sales',
      'nav.group.customers'])
    expect(names(buildMenu(consolePages, WAREHOUSE))).toEqual(['orders', 'products', 'categories'])
  })

  it('gathers entries of a group in place and drops empty groups', () => {
    const pages = [
      { path: 'dashboard', name: 'dashboard', meta: { menu: true, title: 'nav.dashboard' } },
      { path: 'coupons', name: 'coupons', meta: { menu: true, title: 'c', permission: 'marketing.read', group: 'nav.group.marketing' } },
      { path: 'orders', name: 'orders', meta: { menu: true, title: 'o', permission: 'orders.read' } },
      { path: 'flash', name: 'flash', meta: { menu: true, title: 'f', permission: 'marketing.read', group: 'nav.group.marketing' } },
      { path: 'staff', name: 'staff', meta: { menu: true, title: 's', permission: 'staff.manage', group: 'nav.group.settings' } },
    ]
    const menu = buildMenu(pages, ['orders.read', 'marketing.read'])
    expect(names(menu)).toEqual(['dashboard', 'nav.group.marketing', 'orders'])
    expect(menu[1].children.map((c) => c.name)).toEqual(['coupons', 'flash'])
    expect(firstAllowedPage(pages, ['orders.read'])).toBe('dashboard')
    expect(firstAllowedPage(pages.slice(1), ['marketing.read'])).toBe('coupons')
  })
})

describe('page access', () => {
  const page = (name) => consolePages.find((p) => p.name === name)

  it('follows meta.permission', () => {
    expect(allowed(page('orders').meta, CUSTOMER_SERVICE)).toBe(true)
    expect(allowed(page('order-detail').meta, ['catalog.read'])).toBe(false)
    expect(allowed(page('products').meta, ['orders.read'])).toBe(false)
    expect(allowed({}, [])).toBe(true)
    expect(allowed({ permission: ['orders.read', 'orders.ship'] }, WAREHOUSE)).toBe(true)
    expect(allowed({ permission: ['orders.read', 'orders.ship'] }, CUSTOMER_SERVICE)).toBe(false)
  })

  it('home goes to the first allowed page, or nowhere (the 403 page)', () => {
    expect(firstAllowedPage(consolePages, OWNER)).toBe('orders')
    expect(firstAllowedPage(consolePages, ['catalog.read'])).toBe('products')
    expect(firstAllowedPage(consolePages, ['audit.read'])).toBe('audit-logs')
    expect(firstAllowedPage(consolePages, ['shoppers.read'])).toBe('shoppers')
    expect(firstAllowedPage(consolePages, ['balance.adjust'])).toBeNull()
  })

  it('every page is lazy-loaded and has a title', () => {
    for (const p of consolePages) {
      expect(typeof p.component).toBe('function')
      expect(p.meta.title).toBeTruthy()
    }
  })
})
