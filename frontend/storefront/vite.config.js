// Qingmall storefront build: one uni-app codebase -> H5 (served by the app at /) and the WeChat mini-program.
// QINGMALL_API_BASE sets the API origin baked into the build (H5 default: the page's own origin;
// mini-program default: http://127.0.0.1:8000, change it for a real device). QINGMALL_MP_APPID sets the appid.
import { defineConfig } from 'vite'
import uniModule from '@dcloudio/vite-plugin-uni'

const uni = uniModule.default || uniModule

// `npx uni` (H5 dev server with hot reload) forwards API, media and sandbox paths to a running `make run`.
const devTarget = process.env.QINGMALL_DEV_API || 'http://127.0.0.1:8000'

// uni-app's H5 framework CSS preloads a navigation-bar shadow picture from DCloud's CDN three seconds after every
// page load. We use no navigation-bar shadow, and a shop should not call a third party for each visitor (nor
// show a failed request offline), so the preload is dropped from the built CSS.
const CDN_SHADOW = /url\(https:\/\/cdn\.dcloud\.net\.cn\/img\/shadow-[a-z]+\.png\)/g

function dropCdnShadowPreload() {
  return {
    name: 'qingmall-drop-cdn-shadow-preload',
    apply: 'build',
    enforce: 'post',
    generateBundle(_options, bundle) {
      for (const file of Object.values(bundle)) {
        if (file.type === 'asset' && file.fileName.endsWith('.css') && typeof file.source === 'string') {
          file.source = file.source.replace(CDN_SHADOW, 'none')
        }
      }
    },
  }
}

export default defineConfig({
  plugins: [uni(), dropCdnShadowPreload()],
  server: {
    proxy: {
      '/api': devTarget,
      '/media': devTarget,
      '/sandbox': devTarget,
    },
  },
  define: {
    __QINGMALL_API_BASE__: JSON.stringify(process.env.QINGMALL_API_BASE || ''),
  },
})
