// The per-platform package of this machine holds a loadable addon, as napi-rs lays it out.
import test from 'ava'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repoRoot } from './helpers.ts'

const require = createRequire(import.meta.url)

test('npm/linux-x64-gnu holds the addon and it loads', (t) => {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    t.pass('not linux-x64')
    return
  }
  const dir = join(repoRoot, 'npm/linux-x64-gnu')
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  t.is(pkg.name, 'ncf-native-linux-x64-gnu')
  t.deepEqual(pkg.os, ['linux'])
  t.true(existsSync(join(dir, pkg.main)), 'run npm run build:native to stage the addon')
  const addon = require(join(dir, pkg.main))
  t.is(typeof addon.NativeModel, 'function')
  t.is(typeof addon.gpuInfo, 'function')
  const m = new addon.NativeModel('gmf', JSON.stringify({ numUsers: 3, numItems: 4, factors: 2 }))
  t.is(m.weights().length, (3 + 4) * 2 + 2 + 1)
})

test('package.json declares every target and its package dir exists', (t) => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'))
  t.is(pkg.name, 'ncf-native')
  t.is(pkg.napi.targets.length, 5)
  for (const d of ['linux-x64-gnu', 'linux-arm64-gnu', 'darwin-x64', 'darwin-arm64', 'win32-x64-msvc']) {
    t.true(existsSync(join(repoRoot, 'npm', d, 'package.json')), d)
  }
})

interface Packed {
  name: string
  file: string
  files: string[]
}

/** Packs the main package and `platforms` (pack.mjs's --platforms), and installs the tarballs
 * into a new empty project; returns the tarballs and the project's folder. */
function packAndInstall(platforms: string): { packed: Packed[]; app: string } {
  const out = mkdtempSync(join(tmpdir(), 'ncf-pack-'))
  const packed = JSON.parse(execFileSync(process.execPath, [join(repoRoot, 'scripts/pack.mjs'), join(out, 'tgz'), '--platforms', platforms], { encoding: 'utf8' })) as Packed[]
  const app = join(out, 'app')
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), '{ "name": "app", "version": "1.0.0", "private": true }\n')
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...packed.map((p) => p.file)], { cwd: app, stdio: 'pipe', timeout: 300_000 })
  return { packed, app }
}

// The tarballs npm would publish install into an empty project and import both ways.
test('packed tarballs hold no data, target or tests, and install and import as ESM and CJS', (t) => {
  if (process.platform !== 'linux' || process.arch !== 'x64') return t.pass('not linux-x64')
  // An empty project installs both tarballs (the other platforms' optional packages are skipped).
  const { packed, app } = packAndInstall('linux-x64-gnu')
  t.deepEqual(packed.map((p) => p.name), ['ncf-native', 'ncf-native-linux-x64-gnu'])
  for (const p of packed) {
    const bad = p.files.filter((f) => /(^|\/)(target|__test__|crates|data|examples|node_modules|bench-out)(\/|$)|\.(rating|negative|dat|csv|ts)$/.test(f) && !f.endsWith('.d.ts'))
    t.deepEqual(bad, [], `${p.name} ships only the package`)
  }
  t.true(packed[0].files.includes('cli.js') && packed[0].files.includes('index.d.ts'))
  const main = JSON.parse(execFileSync('tar', ['-xOzf', packed[0].file, 'package/package.json'], { encoding: 'utf8' })) as Record<string, unknown>
  t.deepEqual(Object.keys(main.optionalDependencies as object).sort(), [
    'ncf-native-darwin-arm64',
    'ncf-native-darwin-x64',
    'ncf-native-linux-arm64-gnu',
    'ncf-native-linux-x64-gnu',
    'ncf-native-win32-x64-msvc',
  ])
  t.false('devDependencies' in main || 'scripts' in main)
  writeFileSync(
    join(app, 'esm.mjs'),
    "import { NeuMF, Dataset } from 'ncf-native'\n" +
      "const d = Dataset.synthetic({ numUsers: 60, numItems: 150, perUser: 10 })\n" +
      "const m = new NeuMF({ numUsers: d.numUsers, numItems: d.numItems, device: 'cpu' })\n" +
      "const h = await m.fit(d, { epochs: 1 })\n" +
      "console.log(JSON.stringify({ esm: typeof NeuMF, epochs: h.epochs.length }))\n",
  )
  writeFileSync(join(app, 'cjs.cjs'), "const { NeuMF, gpuInfo } = require('ncf-native')\nconsole.log(JSON.stringify({ cjs: typeof NeuMF, info: typeof gpuInfo }))\n")
  const env = { ...process.env, NODEVICE_SELECT: '1' }
  t.deepEqual(JSON.parse(execFileSync(process.execPath, ['esm.mjs'], { cwd: app, env, encoding: 'utf8' })), { esm: 'function', epochs: 1 })
  t.deepEqual(JSON.parse(execFileSync(process.execPath, ['cjs.cjs'], { cwd: app, env, encoding: 'utf8' })), { cjs: 'function', info: 'function' })
  t.is(execFileSync('npx', ['--no-install', 'ncf-native', '--version'], { cwd: app, env, encoding: 'utf8' }).trim(), 'ncf-native 0.1.0')
})

test('the main tarball installed alone fails on import with ERR_NO_BINARY naming the missing platform package', (t) => {
  if (process.platform !== 'linux' || process.arch !== 'x64') return t.pass('not linux-x64')
  const { packed, app } = packAndInstall('none')
  t.deepEqual(packed.map((p) => p.name), ['ncf-native'])
  writeFileSync(
    join(app, 'probe.mjs'),
    "try { await import('ncf-native'); console.log(JSON.stringify({ loaded: true })) }\n" +
      'catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })) }\n',
  )
  const env = { ...process.env, NODEVICE_SELECT: '1' }
  delete env.NAPI_RS_NATIVE_LIBRARY_PATH
  const got = JSON.parse(execFileSync(process.execPath, ['probe.mjs'], { cwd: app, env, encoding: 'utf8' })) as Record<string, string>
  t.is(got.code, 'ERR_NO_BINARY')
  t.is(got.name, 'NcfError')
  t.regex(got.message, /linux-x64-gnu \(x86_64-unknown-linux-gnu\): its package ncf-native-linux-x64-gnu is not installed/)
  t.regex(got.message, /npm i ncf-native-linux-x64-gnu@0\.1\.0/)
  t.notRegex(got.message, /npm has a bug/)
  // The CLI says the same, as one line on stderr, with the failure exit code.
  let cli: { status: number; stderr: string } = { status: 0, stderr: '' }
  try {
    execFileSync(process.execPath, [join(app, 'node_modules/ncf-native/cli.js'), 'info'], { cwd: app, env, stdio: 'pipe', encoding: 'utf8' })
  } catch (e) {
    cli = e as { status: number; stderr: string }
  }
  t.is(cli.status, 1)
  t.regex(cli.stderr, /ERR_NO_BINARY.*ncf-native-linux-x64-gnu is not installed/)
})
