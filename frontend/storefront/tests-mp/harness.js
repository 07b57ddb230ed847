// Run compiled uni-app mini-program pages inside miniprogram-simulate (jsdom), with a fake `wx`.
//
// The fake answers wx.request from a route table the test gives (so a page sees realistic API JSON),
// records navigation calls, and implements storage in memory. `App`, `getApp`, `getCurrentPages` and `Page`
// are shimmed the way the WeChat runtime provides them; uni-app compiles pages to `Component(...)`, which
// miniprogram-simulate defines.
const path = require('path')
const fs = require('fs')
const simulate = require('miniprogram-simulate')

const MP_ROOT = path.resolve(__dirname, '../dist/build/mp-weixin')

function assertBuilt() {
  if (!fs.existsSync(path.join(MP_ROOT, 'app.json'))) {
    throw new Error(`no mini-program build at ${MP_ROOT}: run \`make mp\` first`)
  }
}

function createWx(routes, initialStorage = {}) {
  const storage = new Map(Object.entries(initialStorage))
  const calls = { requests: [], navigateTo: [], switchTab: [], redirectTo: [], toasts: [] }
  const done = (options, result) => {
    if (options.success) options.success(result)
    if (options.complete) options.complete(result)
  }
  const wx = {
    calls,
    request(options) {
      const url = new URL(options.url)
      calls.requests.push({ method: options.method || 'GET', path: url.pathname, query: url.search })
      const handler = routes[`${options.method || 'GET'} ${url.pathname}`]
      setTimeout(() => {
        if (!handler) {
          done(options, { statusCode: 404, data: { code: 'not_found', message: '页面不存在' }, header: {} })
          return
        }
        const [statusCode, data] = handler(url)
        done(options, { statusCode, data, header: { 'content-type': 'application/json' } })
      }, 0)
      return { abort() {} }
    },
    getStorageSync: (key) => (storage.has(key) ? storage.get(key) : ''),
    setStorageSync: (key, value) => storage.set(key, value),
    removeStorageSync: (key) => storage.delete(key),
    getStorage: (o) => done(o, { data: storage.get(o.key) }),
    setStorage: (o) => { storage.set(o.key, o.data); done(o, {}) },
    navigateTo: (o) => { calls.navigateTo.push(o.url); done(o, {}) },
    redirectTo: (o) => { calls.redirectTo.push(o.url); done(o, {}) },
    switchTab: (o) => { calls.switchTab.push(o.url); done(o, {}) },
    reLaunch: (o) => done(o, {}),
    navigateBack: (o = {}) => done(o, {}),
    login: (o) => done(o, { code: 'demo-xiaoming-1', errMsg: 'login:ok' }),
    requestPayment: (o) => { calls.payments = (calls.payments || []).concat([o]); done(o, { errMsg: 'requestPayment:ok' }) },
    setClipboardData: (o) => done(o, {}),
    showToast: (o) => { calls.toasts.push(o.title); done(o, {}) },
    hideToast: () => {},
    showLoading: (o) => done(o, {}),
    hideLoading: () => {},
    showModal: (o) => done(o, { confirm: true, cancel: false }),
    stopPullDownRefresh: () => {},
    setNavigationBarTitle: (o) => { calls.titles = (calls.titles || []).concat([o.title]); done(o, {}) },
    setTabBarItem: (o) => done(o, {}),
    setTabBarBadge: (o) => done(o, {}),
    removeTabBarBadge: (o) => done(o, {}),
    getSystemInfoSync: () => ({ windowWidth: 390, windowHeight: 844, pixelRatio: 2, platform: 'devtools',
      safeAreaInsets: { top: 0, bottom: 0, left: 0, right: 0 }, statusBarHeight: 20 }),
    getWindowInfo: () => ({ windowWidth: 390, windowHeight: 844, pixelRatio: 2, statusBarHeight: 20,
      safeArea: { top: 20, bottom: 844, left: 0, right: 390, width: 390, height: 824 } }),
    getDeviceInfo: () => ({ platform: 'devtools', system: 'iOS 17', brand: 'devtools', model: 'iPhone' }),
    getAppBaseInfo: () => ({ SDKVersion: '3.7.0', language: 'zh_CN', version: '8.0.50', theme: 'light' }),
    getSystemSetting: () => ({}),
    getAppAuthorizeSetting: () => ({}),
    getMenuButtonBoundingClientRect: () => ({ top: 24, bottom: 56, left: 300, right: 380, width: 80, height: 32 }),
    onAppRoute: () => {},
    onAppShow: () => {},
    onAppHide: () => {},
    canIUse: () => true,
    createSelectorQuery: () => ({
      in() { return this },
      select() { return this },
      selectAll() { return this },
      boundingClientRect() { return this },
      fields() { return this },
      exec(cb) { if (cb) cb([]) },
    }),
    preloadAssets: () => {},
    nextTick: (fn) => setTimeout(fn, 0),
    env: { USER_DATA_PATH: 'http://usr' },
  }
  return wx
}

/**
 * Load the mini-program runtime (vendor + app) and one page, as WeChat would open it with `query`; `storage`
 * is what wx storage holds beforehand (e.g. {qm_auth: {...}} for a logged-in shopper). Returns {wx, page}.
 */
function loadPage(pagePath, routes, query = {}, { storage = {} } = {}) {
  assertBuilt()
  const wx = createWx(routes, storage)
  global.wx = wx
  global.__wxConfig = { envVersion: 'develop', platform: 'devtools', pages: [pagePath], global: { window: {} } }
  let appInstance = { globalData: {} }
  global.App = (options) => {
    appInstance = Object.assign({ globalData: {} }, options)
    if (appInstance.onLaunch) appInstance.onLaunch.call(appInstance, { path: pagePath, query })
  }
  global.getApp = () => appInstance
  const pages = []
  global.getCurrentPages = () => pages
  global.Page = (options) => global.Component(options)

  // one module registry for the runtime, the app and the page (miniprogram-simulate requires the page with
  // the same jest registry), so the page renders inside the app that app.js created
  jest.resetModules()
  require(path.join(MP_ROOT, 'common/vendor.js'))
  require(path.join(MP_ROOT, 'app.js'))
  const id = simulate.load(path.join(MP_ROOT, pagePath), { rootPath: MP_ROOT })
  const page = simulate.render(id)
  // the WeChat runtime sets route before `attached` (uni-app tells pages from components by it), then calls
  // onLoad(query) and onShow
  page.instance.route = pagePath
  pages.push(page.instance)
  page.attach(document.createElement('parent-wrapper'))
  page.instance.onLoad(query)
  page.instance.onShow()
  return { wx, page, simulate }
}

/** Wait until `predicate()` holds (the page's requests are answered on later ticks). */
async function waitFor(predicate, timeout = 3000) {
  const started = Date.now()
  while (!predicate()) {
    if (Date.now() - started > timeout) throw new Error('timed out waiting for the page')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

module.exports = { loadPage, waitFor, MP_ROOT }
