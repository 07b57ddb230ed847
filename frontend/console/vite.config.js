// Qingmall merchant console: served by the app at /console/ (hash routes), so every asset URL starts there.
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import AutoImport from 'unplugin-auto-import/vite'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

const BACKEND = process.env.QINGMALL_BACKEND || 'http://127.0.0.1:8000'

export default defineConfig({
  base: '/console/',
  plugins: [
    vue(),
    // Element Plus on demand: only the components a page uses (and their CSS) end up in that page's chunk
    AutoImport({ resolvers: [ElementPlusResolver()], dts: false }),
    Components({ resolvers: [ElementPlusResolver()], dts: false }),
  ],
  server: {
    port: 5174,
    proxy: {
      '/api': { target: BACKEND, changeOrigin: true },
      '/media': { target: BACKEND, changeOrigin: true },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 600,
    manifest: true, // dist/.vite/manifest.json: what scripts/bundle-report.mjs measures
    rolldownOptions: {
      output: {
        // Vue + router in one long-cached chunk; Element Plus is split by the bundler along the lazy pages, so the
        // sign-in page does not download the table, date picker or dialog code
        codeSplitting: {
          groups: [
            { name: 'vue', test: /node_modules[\\/](@vue|vue|vue-router)[\\/]/, priority: 20 },
          ],
        },
      },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['tests/**/*.test.js'],
  },
})
