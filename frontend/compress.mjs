// After a front-end build (the H5 storefront, the console): write a gzip copy (name.gz) beside every text asset
// that shrinks by at least 10%, for the app to serve to browsers that accept gzip (qingmall/core/static.py).
// Usage: node frontend/compress.mjs <dir>
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { gzipSync, constants } from 'node:zlib'

if (!process.argv[2]) {
  console.error('usage: node compress.mjs <built site dir>')
  process.exit(2)
}
const root = resolve(process.argv[2])
const TEXT = /\.(js|css|html|json|svg|ttf|txt|map)$/
let before = 0
let after = 0

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) {
      walk(path)
    } else if (TEXT.test(name) && statSync(path).size >= 1024) {
      const data = readFileSync(path)
      const zipped = gzipSync(data, { level: constants.Z_BEST_COMPRESSION })
      if (zipped.length <= data.length * 0.9) {
        writeFileSync(`${path}.gz`, zipped)
        before += data.length
        after += zipped.length
      }
    }
  }
}

walk(root)
console.log(`gzip copies: ${(before / 1024).toFixed(0)} KiB -> ${(after / 1024).toFixed(0)} KiB in ${root}`)
