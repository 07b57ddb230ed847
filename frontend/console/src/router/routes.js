// The console's pages, one entry each. A later issue adds a page by adding an entry here (see README.md):
//   meta.title      message key of the page title (and of its menu item)
//   meta.permission the permission code the staff member's role must have (GET /me → permissions); without it
//                   the menu item is hidden and opening the address shows the 403 page
//   meta.icon       an @element-plus/icons-vue component: shown in the menu
//   meta.menu       true = appears in the left menu (detail pages leave it out)
//   meta.group      optional message key of a menu group (sub-menu), e.g. 'nav.group.marketing'
//   meta.menuClass  optional extra class of the menu item (besides .menu-<route name>)
//   meta.activeMenu for pages outside the menu: the menu item to highlight (the order detail → 'orders')
// Every page is lazy-loaded, so a page's code and its Element Plus components load when it is first opened.
import { markRaw } from 'vue'
import { Goods, Memo, Service, Tickets } from '@element-plus/icons-vue'
import { session } from '../auth/session.js'
import { firstAllowedPage } from './nav.js'

export const consolePages = [
  {
    path: 'orders',
    name: 'orders',
    component: () => import('../pages/OrdersPage.vue'),
    meta: { title: 'nav.orders', permission: 'orders.read', icon: markRaw(Tickets), menu: true },
  },
  {
    path: 'orders/:orderNo',
    name: 'order-detail',
    component: () => import('../pages/OrderDetailPage.vue'),
    props: true,
    meta: { title: 'nav.orderDetail', permission: 'orders.read', activeMenu: 'orders' },
  },
  {
    path: 'products',
    name: 'products',
    component: () => import('../pages/ProductsPage.vue'),
    meta: { title: 'nav.products', permission: 'catalog.read', icon: markRaw(Goods), menu: true },
  },
  {
    path: 'products/new',
    name: 'product-new',
    component: () => import('../pages/ProductEditPage.vue'),
    meta: { title: 'nav.productNew', permission: 'catalog.write', activeMenu: 'products' },
  },
  {
    path: 'products/:spuId(\\d+)/edit',
    name: 'product-edit',
    component: () => import('../pages/ProductEditPage.vue'),
    props: true,
    meta: { title: 'nav.productEdit', permission: 'catalog.write', activeMenu: 'products' },
  },
  {
    path: 'after-sales',
    name: 'after-sales', // menu item classes .menu-after-sales and meta.menuClass .menu-aftersales
    component: () => import('../pages/AfterSalesPage.vue'),
    meta: { title: 'nav.afterSales', permission: 'aftersales.manage', icon: markRaw(Service), menu: true, menuClass: 'menu-aftersales' },
  },
  {
    path: 'after-sales/:afterSaleNo',
    name: 'after-sale-detail',
    component: () => import('../pages/AfterSaleDetailPage.vue'),
    props: true,
    meta: { title: 'nav.afterSaleDetail', permission: 'aftersales.manage', activeMenu: 'after-sales' },
  },
  {
    path: 'audit-logs',
    name: 'audit-logs',
    component: () => import('../pages/AuditLogPage.vue'),
    meta: { title: 'nav.audit', permission: 'audit.read', icon: markRaw(Memo), menu: true, menuClass: 'menu-audit' },
  },
]

export const routes = [
  {
    path: '/login',
    name: 'login',
    component: () => import('../pages/LoginPage.vue'),
    meta: { title: 'login.title', public: true },
  },
  {
    path: '/',
    component: () => import('../layouts/ConsoleLayout.vue'),
    children: [
      {
        // home: the first page of the menu this staff member may open; with none, the 403 page
        path: '',
        name: 'home',
        component: () => import('../pages/ForbiddenPage.vue'),
        meta: { title: 'errors.forbiddenTitle' },
        beforeEnter: () => {
          const first = firstAllowedPage(consolePages, session.staff?.permissions)
          return first ? { name: first } : true
        },
      },
      ...consolePages,
      {
        path: ':pathMatch(.*)*',
        name: 'not-found',
        component: () => import('../pages/NotFoundPage.vue'),
        meta: { title: 'errors.notFoundTitle' },
      },
    ],
  },
]
