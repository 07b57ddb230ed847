import { createSSRApp } from 'vue'
import App from './App.vue'
import { t, formatFen, getLocale } from './locale'

const TABS = ['tab.home', 'tab.category', 'tab.cart', 'tab.me']

export function createApp() {
  const app = createSSRApp(App)
  app.config.globalProperties.$t = t
  app.config.globalProperties.$fen = formatFen
  // The tab bar's words come from pages.json (Chinese). In another language every page re-labels it when shown:
  // the tab bar exists only once a tab page is on screen, and setTabBarItem fails harmlessly elsewhere.
  app.mixin({
    onShow() {
      if (getLocale() === 'zh-Hans') return
      TABS.forEach((key, index) => uni.setTabBarItem({ index, text: t(key), fail: () => {} }))
    },
  })
  return { app }
}
