// The console's download sizes, read from the build's manifest (vite build → dist/.vite/manifest.json):
// what the first visit loads (the sign-in page: the entry and its static imports), what the console frame adds
// after sign-in, and what opening each lazy page first adds on top (its chunk and the shared chunks it needs
// that were not loaded yet; a page opened later shares most of them). gzip level 9
// is what the app serves (frontend/compress.mjs writes the .gz copies).
//   node scripts/bundle-report.mjs            print the table
//   node scripts/bundle-report.mjs --check    also fail when a budget below is passed (make test runs this)
//   node scripts/bundle-report.mjs --write F  also put the table in F between <!-- bundle:start --> and <!-- bundle:end -->
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { constants, gzipSync } from 'node:zlib'

export const BUDGET_FIRST_VISIT_GZ = 200 * 1024
export const BUDGET_PAGE_GZ = 150 * 1024 // a page opened first after sign-in, with the Element Plus parts it needs
export const BUDGET_ON_DEMAND_GZ = 200 * 1024 // code a page loads when it needs it (ECharts)

const dist = resolve(process.argv.includes('--dist') ? process.argv[process.argv.indexOf('--dist') + 1] : 'dist')
const manifestPath = join(dist, '.vite', 'manifest.json')
if (!existsSync(manifestPath)) {
  console.error(`no ${manifestPath}: build the console first (npx vite build)`)
  process.exit(2)
}
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
const sizes = new Map()

function size(file) {
  if (!sizes.has(file)) {
    const data = readFileSync(join(dist, file))
    sizes.set(file, { raw: data.length, gz: gzipSync(data, { level: constants.Z_BEST_COMPRESSION }).length })
  }
  return sizes.get(file)
}

/** Every file a chunk loads before it runs: itself, its CSS, and its static imports' (recursively). */
function closure(key, seen = new Set()) {
  const chunk = manifest[key]
  if (!chunk || seen.has(chunk.file)) return seen
  seen.add(chunk.file)
  for (const css of chunk.css || []) seen.add(css)
  for (const imported of chunk.imports || []) closure(imported, seen)
  return seen
}

const total = (files) => [...files].reduce((sum, f) => ({ raw: sum.raw + size(f).raw, gz: sum.gz + size(f).gz }), { raw: 0, gz: 0 })
const kb = (n) => `${(n / 1024).toFixed(1)} kB`

const entryKey = Object.keys(manifest).find((k) => manifest[k].isEntry)
const first = closure(entryKey)
const firstSize = total(first)

const layoutKey = Object.keys(manifest).find((k) => k.endsWith('src/layouts/ConsoleLayout.vue'))
const signedIn = new Set([...first, ...closure(layoutKey)])
const frame = total([...closure(layoutKey)].filter((f) => !first.has(f)))

// each page as the first one opened after sign-in (what it adds to the entry and the console frame)
const pages = Object.keys(manifest)
  .filter((k) => /src\/pages\/.+\.vue$/.test(k) && manifest[k].isDynamicEntry)
  .map((key) => ({
    name: key.replace(/^.*\//, '').replace(/\.vue$/, ''),
    ...total([...closure(key)].filter((f) => !signedIn.has(f))),
  }))
  .sort((a, b) => a.name.localeCompare(b.name))
// code a page loads only when it needs it (the dashboard's ECharts)
const onDemand = Object.keys(manifest)
  .filter((k) => manifest[k].isDynamicEntry && !/src\/(pages|layouts)\//.test(k))
  .map((key) => ({ name: key.replace(/^.*\//, ''), ...total([...closure(key)].filter((f) => !signedIn.has(f))) }))

const lines = [
  `| Load | gzip | raw |`,
  `|---|---:|---:|`,
  `| First visit (sign-in page: entry, Vue, router, locale, shared code) | ${kb(firstSize.gz)} | ${kb(firstSize.raw)} |`,
  `| + console frame after sign-in (menu, header) | ${kb(frame.gz)} | ${kb(frame.raw)} |`,
  ...pages.map((p) => `| + ${p.name}, opened first | ${kb(p.gz)} | ${kb(p.raw)} |`),
  ...onDemand.map((p) => `| + ${p.name}, on demand | ${kb(p.gz)} | ${kb(p.raw)} |`),
]
const table = lines.join('\n')
console.log(table)

const problems = []
if (firstSize.gz > BUDGET_FIRST_VISIT_GZ) problems.push(`first visit ${kb(firstSize.gz)} > ${kb(BUDGET_FIRST_VISIT_GZ)}`)
for (const p of pages) if (p.gz > BUDGET_PAGE_GZ) problems.push(`${p.name} adds ${kb(p.gz)} > ${kb(BUDGET_PAGE_GZ)}`)
for (const p of onDemand) if (p.gz > BUDGET_ON_DEMAND_GZ) problems.push(`${p.name} adds ${kb(p.gz)} > ${kb(BUDGET_ON_DEMAND_GZ)}`)
if (pages.length < 10) problems.push(`only ${pages.length} lazy pages found: are the pages still lazy-loaded?`)

const writeAt = process.argv.indexOf('--write')
if (writeAt > 0) {
  const target = process.argv[writeAt + 1]
  const text = readFileSync(target, 'utf8')
  const block = /<!-- bundle:start -->[\s\S]*<!-- bundle:end -->/
  if (!block.test(text)) {
    console.error(`${target} has no <!-- bundle:start --> … <!-- bundle:end --> block`)
    process.exit(2)
  }
  writeFileSync(target, text.replace(block, `<!-- bundle:start -->\n${table}\n<!-- bundle:end -->`))
}
if (process.argv.includes('--check') && problems.length) {
  console.error(`console bundle over budget:\n  ${problems.join('\n  ')}`)
  process.exit(1)
}
