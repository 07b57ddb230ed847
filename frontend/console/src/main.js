import { createApp } from 'vue'
// Element Plus components and their CSS are imported on demand by the build (vite.config.js); the theme
// variables, the message box and the toast are used from code, so they are imported here.
import 'element-plus/theme-chalk/base.css'
import 'element-plus/es/components/message/style/css'
import 'element-plus/es/components/message-box/style/css'
import { ElMessage } from 'element-plus'
import App from './App.vue'
import { router, pendingPath } from './router/index.js'
import { configureClient } from './api/client.js'
import { forgetSession } from './auth/session.js'
import { locale, setLocale, t } from './locale/index.js'
import './styles.css'

let sessionOverShown = false

configureClient({
  notify: (message) => ElMessage({ type: 'error', message, grouping: true, showClose: true }),
  fallbackMessage: (kind) => t(kind === 'network' ? 'errors.network' : kind === 'server' ? 'errors.server' : 'errors.request'),
  onSessionOver: () => {
    forgetSession()
    const back = router.currentRoute.value.fullPath
    if (back.startsWith('/login')) return
    if (!sessionOverShown) {
      sessionOverShown = true
      ElMessage({ type: 'warning', message: t('login.expired'), grouping: true })
      setTimeout(() => (sessionOverShown = false), 2000)
    }
    // while a page is being opened (a deep link, a reload) the router guard sends it to the sign-in page itself
    if (pendingPath) return
    router.replace({ name: 'login', query: back !== '/' ? { redirect: back, expired: '1' } : { expired: '1' } })
  },
})

setLocale(locale.value)
const app = createApp(App)
app.config.globalProperties.$t = t
app.use(router)
app.mount('#app')
