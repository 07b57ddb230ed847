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
import { DataAnalysis, Files, Goods, Memo, Service, Tickets } from '@element-plus/icons-vue'
import { ChatLineSquare, Picture, User } from '@element-plus/icons-vue' // customers area
import { Avatar, Setting, Van } from '@element-plus/icons-vue' // settings area
import { session } from '../auth/session.js'
import { firstAllowedPage } from './nav.js'

export const consolePages = [
  {
    // first, so it is home for the roles that may read reports (the others land on their first page below)
    path: 'dashboard',
    name: 'dashboard',
    component: () => import('../pages/DashboardPage.vue'),
    meta: { title: 'nav.dashboard', permission: 'reports.read', icon: markRaw(DataAnalysis), menu: true },
  },
  {
    path: 'orders',
    name: 'orders',
    component: () => import('../pages/OrdersPage.vue'),
    meta: { title: 'nav.orders', permission: 'orders.read', icon: markRaw(Tickets), menu: true },
  },
  {
    // before orders/:orderNo in spirit (a static segment wins over a parameter anyway)
    path: 'orders/picking-list',
    name: 'picking-list',
    component: () => import('../pages/PickingListPage.vue'),
    meta: { title: 'nav.pickingList', permission: 'orders.read', activeMenu: 'orders' },
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
    path: 'products/:spuId(\\d+)/stock',
    name: 'product-stock',
    component: () => import('../pages/ProductStockPage.vue'),
    props: true,
    meta: { title: 'nav.productStock', permission: 'catalog.read', activeMenu: 'products' },
  },
  {
    path: 'categories',
    name: 'categories',
    component: () => import('../pages/CategoriesPage.vue'),
    meta: { title: 'nav.categories', permission: 'catalog.read', icon: markRaw(Files), menu: true },
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
    path: 'shoppers',
    name: 'shoppers',
    component: () => import('../pages/ShoppersPage.vue'),
    meta: { title: 'nav.shoppers', permission: 'shoppers.read', icon: markRaw(User), menu: true, group: 'nav.group.customers' },
  },
  {
    path: 'shoppers/:shopperId(\\d+)',
    name: 'shopper-detail',
    component: () => import('../pages/ShopperDetailPage.vue'),
    props: true,
    meta: { title: 'nav.shopperDetail', permission: 'shoppers.read', activeMenu: 'shoppers' },
  },
  {
    path: 'reviews',
    name: 'reviews',
    component: () => import('../pages/ReviewsPage.vue'),
    meta: { title: 'nav.reviews', permission: 'reviews.moderate', icon: markRaw(ChatLineSquare), menu: true, group: 'nav.group.customers' },
  },
  {
    path: 'banners',
    name: 'banners',
    component: () => import('../pages/BannersPage.vue'),
    meta: { title: 'nav.banners', permission: ['catalog.read', 'content.write'], icon: markRaw(Picture), menu: true },
  },
  {
    path: 'audit-logs',
    name: 'audit-logs',
    component: () => import('../pages/AuditLogPage.vue'),
    meta: { title: 'nav.audit', permission: 'audit.read', icon: markRaw(Memo), menu: true, menuClass: 'menu-audit' },
  },
  // settings area (设置): shipping templates, staff and roles, shop settings
  {
    path: 'shipping-templates',
    name: 'shipping-templates',
    component: () => import('../pages/ShippingTemplatesPage.vue'),
    meta: { title: 'nav.shippingTemplates', permission: 'shipping.write', icon: markRaw(Van), menu: true, group: 'nav.group.settings' },
  },
  {
    path: 'shipping-templates/new',
    name: 'shipping-template-new',
    component: () => import('../pages/ShippingTemplateEditPage.vue'),
    meta: { title: 'nav.shippingTemplateNew', permission: 'shipping.write', activeMenu: 'shipping-templates' },
  },
  {
    path: 'shipping-templates/:templateId(\\d+)',
    name: 'shipping-template-edit',
    component: () => import('../pages/ShippingTemplateEditPage.vue'),
    props: true,
    meta: { title: 'nav.shippingTemplateEdit', permission: 'shipping.write', activeMenu: 'shipping-templates' },
  },
  {
    path: 'staff',
    name: 'staff',
    component: () => import('../pages/StaffPage.vue'),
    meta: { title: 'nav.staff', permission: 'staff.manage', icon: markRaw(Avatar), menu: true, group: 'nav.group.settings' },
  },
  {
    path: 'settings',
    name: 'settings',
    component: () => import('../pages/SettingsPage.vue'),
    meta: { title: 'nav.settings', permission: 'settings.manage', icon: markRaw(Setting), menu: true, group: 'nav.group.settings' },
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
