// Build the WeChat mini-program into dist/build/mp-weixin (open that folder in WeChat DevTools).
//   QINGMALL_API_BASE=https://shop.example.com   the API origin the mini-program calls (default http://127.0.0.1:8000)
//   QINGMALL_MP_APPID=wx0123456789abcdef         the mini-program's appid (default touristappid: DevTools' test id)
// Extra arguments go to `uni build` (e.g. --outDir /tmp/mp).
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const args = process.argv.slice(2)
const result = spawnSync('npx', ['uni', 'build', '-p', 'mp-weixin', ...args], { stdio: 'inherit', env: process.env })
if (result.status !== 0) process.exit(result.status || 1)

const outIndex = args.indexOf('--outDir')
const outDir = outIndex >= 0 ? resolve(args[outIndex + 1]) : resolve('dist/build/mp-weixin')
const configPath = join(outDir, 'project.config.json')
const config = JSON.parse(readFileSync(configPath, 'utf8'))
const appid = process.env.QINGMALL_MP_APPID
if (appid) {
  if (!/^wx[0-9a-f]{16}$/.test(appid)) {
    console.error(`QINGMALL_MP_APPID must look like wx + 16 hex digits, got ${JSON.stringify(appid)}`)
    process.exit(2)
  }
  config.appid = appid
}
config.projectname = 'qingmall-storefront'
writeFileSync(configPath, JSON.stringify(config, null, 2) + '\n')
console.log(`mini-program: ${outDir} (appid ${config.appid}, API ${process.env.QINGMALL_API_BASE || 'http://127.0.0.1:8000'})`)
