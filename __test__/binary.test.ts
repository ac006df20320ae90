// What a user is told when no native addon loads: the platform, its package and what to do.
import test from 'ava'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { GLIBC_FLOOR, PREBUILT, noBinaryError, platformKey, rustTriple, type BinaryProbe } from '../src/binary.ts'
import { repoRoot } from './helpers.ts'

const machine = (over: Partial<BinaryProbe>): BinaryProbe => ({
  platform: 'linux',
  arch: 'arm64',
  libc: 'gnu',
  glibc: '2.31',
  version: '0.1.0',
  installed: () => null,
  tryLoad: () => null,
  ...over,
})
const loaderError = new Error('Cannot find native binding. npm has a bug related to optional dependencies')

test('a missing platform package is ERR_NO_BINARY naming the platform, its triple, the package and the install command', (t) => {
  const err = noBinaryError(machine({}), loaderError)
  t.is(err.code, 'ERR_NO_BINARY')
  t.is(err.name, 'NcfError')
  t.regex(err.message, /linux-arm64-gnu \(aarch64-unknown-linux-gnu\)/)
  t.regex(err.message, /its package ncf-native-linux-arm64-gnu is not installed/)
  t.regex(err.message, /`npm i ncf-native-linux-arm64-gnu@0\.1\.0`/)
  t.regex(err.message, /--omit=optional/)
  t.regex(err.message, /CONTRIBUTING\.md/)
  t.notRegex(err.message, /npm has a bug|removing both package-lock/)
  t.is(err.cause, loaderError)
})

test('each prebuilt platform names its own package', (t) => {
  const cases: Array<[Partial<BinaryProbe>, string]> = [
    [{ platform: 'linux', arch: 'x64', libc: 'gnu' }, 'ncf-native-linux-x64-gnu'],
    [{ platform: 'darwin', arch: 'arm64', libc: undefined }, 'ncf-native-darwin-arm64'],
    [{ platform: 'darwin', arch: 'x64', libc: undefined }, 'ncf-native-darwin-x64'],
    [{ platform: 'win32', arch: 'x64', libc: undefined, winAbi: 'msvc' }, 'ncf-native-win32-x64-msvc'],
  ]
  for (const [over, pkg] of cases) {
    const m = machine(over)
    t.true(platformKey(m) in PREBUILT, pkg)
    t.true(noBinaryError(m, loaderError).message.includes(`its package ${pkg} is not installed`), pkg)
  }
})

test('a platform without a prebuilt package lists the prebuilt ones and points to a source build; musl suggests a glibc image', (t) => {
  const musl = noBinaryError(machine({ arch: 'x64', libc: 'musl', glibc: undefined }), loaderError)
  t.is(musl.code, 'ERR_NO_BINARY')
  t.regex(musl.message, /linux-x64-musl \(x86_64-unknown-linux-musl\)/)
  t.regex(musl.message, /no prebuilt package exists/)
  t.regex(musl.message, new RegExp(`linux-x64-gnu \\(glibc ≥ ${GLIBC_FLOOR.replace('.', '\\.')}\\)`))
  t.regex(musl.message, /glibc-based image/)
  t.regex(musl.message, /build the addon from source/)
  const bsd = noBinaryError(machine({ platform: 'freebsd', arch: 'x64', libc: undefined }), loaderError)
  t.regex(bsd.message, /freebsd-x64 \(x86_64-unknown-freebsd\): no prebuilt package exists/)
  t.regex(bsd.message, /\. Build the addon from source/)
  t.notRegex(bsd.message, /glibc-based image/)
  t.is(rustTriple({ platform: 'linux', arch: 'arm', libc: 'gnu' }), 'armv7-unknown-linux-gnueabihf')
  t.is(rustTriple({ platform: 'win32', arch: 'arm64', winAbi: 'msvc' }), 'aarch64-pc-windows-msvc')
})

test('an installed package whose binary does not load quotes the loader and, for a glibc symbol, the floor', (t) => {
  const m = machine({
    glibc: '2.12',
    installed: (name) => (name === 'ncf-native-linux-arm64-gnu' ? { version: '0.1.0', dir: '/app/node_modules/ncf-native-linux-arm64-gnu' } : null),
    tryLoad: () => new Error("/lib/aarch64-linux-gnu/libc.so.6: version `GLIBC_2.17' not found (required by ncf-native.linux-arm64-gnu.node)\nmore"),
  })
  const err = noBinaryError(m, loaderError)
  t.is(err.code, 'ERR_NO_BINARY')
  t.regex(err.message, /ncf-native-linux-arm64-gnu is installed \(\/app\/node_modules\/ncf-native-linux-arm64-gnu\) but its binary does not load: .*GLIBC_2\.17' not found/)
  t.regex(err.message, new RegExp(`This system's glibc is 2\\.12; ncf-native's binaries need glibc ≥ ${GLIBC_FLOOR.replace('.', '\\.')}`))
  t.notRegex(err.message, /more/)
  const other = noBinaryError({ ...m, tryLoad: () => new Error('invalid ELF header') }, loaderError)
  t.regex(other.message, /does not load: invalid ELF header\. Reinstall it/)
  t.notRegex(other.message, /glibc is/)
})

test('a platform package of another version is named with both versions and the matching install', (t) => {
  const err = noBinaryError(machine({ installed: () => ({ version: '0.0.9', dir: '/x' }) }), loaderError)
  t.regex(err.message, /ncf-native-linux-arm64-gnu 0\.0\.9 is installed \(\/x\), but ncf-native 0\.1\.0 needs ncf-native-linux-arm64-gnu@0\.1\.0/)
  t.regex(err.message, /`npm i ncf-native@0\.1\.0 ncf-native-linux-arm64-gnu@0\.1\.0`/)
})

test('the glibc floor and the prebuilt targets agree with the build scripts and the npm packages', async (t) => {
  const targets = (await import(join(repoRoot, 'scripts/targets.mjs'))) as {
    GLIBC_FLOOR: string
    TARGETS: Array<{ triple: string; dir: string; glibc?: string; standIn?: boolean }>
  }
  t.is(targets.GLIBC_FLOOR, GLIBC_FLOOR)
  const shipped = Object.fromEntries(targets.TARGETS.filter((x) => !x.standIn).map((x) => [x.dir, x.triple]))
  t.deepEqual(shipped, { ...PREBUILT })
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { napi: { targets: string[] } }
  t.deepEqual([...pkg.napi.targets].sort(), Object.values(PREBUILT).sort())
  for (const dir of Object.keys(PREBUILT)) {
    const meta = JSON.parse(readFileSync(join(repoRoot, 'npm', dir, 'package.json'), 'utf8')) as { name: string; main: string }
    t.is(meta.name, `ncf-native-${dir}`)
    t.is(meta.main, `ncf-native.${dir}.node`)
  }
})

test('an addon named by NAPI_RS_NATIVE_LIBRARY_PATH that does not load is named with the loader\'s reason', (t) => {
  const err = noBinaryError(machine({ override: '/opt/ncf/ncf-native.linux-x64-musl.node', tryLoad: (p) => new Error(`${p}: cannot open shared object file`) }), loaderError)
  t.is(err.code, 'ERR_NO_BINARY')
  t.regex(err.message, /^NAPI_RS_NATIVE_LIBRARY_PATH=\/opt\/ncf\/ncf-native\.linux-x64-musl\.node does not load on linux-arm64-gnu \(aarch64-unknown-linux-gnu\): .*cannot open shared object file/)
  t.regex(err.message, /unset the variable/)
})
