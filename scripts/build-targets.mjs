#!/usr/bin/env node
// Builds the addon for one or more targets and stages each in its platform package under npm/,
// as napi-rs publishes them. The one build script: `npm run build:native` runs it for this host,
// the release workflow for each target on its runner, scripts/test-targets.mjs before testing.
//
//   node scripts/build-targets.mjs [--target TRIPLE | host | here]... [--require-floor]
//     host (the default)  this machine's own target; its addon also lands at the repo root,
//                         beside the loader (binding.cjs) and the types (binding.d.cts) it writes.
//                         On a platform without a prebuilt package (musl, FreeBSD, …) it builds
//                         for this machine alone, at the root, for NAPI_RS_NATIVE_LIBRARY_PATH
//     here                every target this host can build (on Linux: linux x64 and arm64, and
//                         windows-gnu as the stand-in for win32-x64-msvc)
//     --require-floor     fail, instead of warning, when the Linux glibc floor cannot be built
//                         for (cargo-zigbuild missing); the release passes it, and .ci/run sets
//                         NCF_REQUIRE_GLIBC_FLOOR=1, which does the same for `npm run build`
//
// Linux targets go through cargo-zigbuild against glibc GLIBC_FLOOR (scripts/targets.mjs), so
// the addon loads on Ubuntu 18.04+, Debian 8+, RHEL/CentOS 7+ and Amazon Linux 2. Tools:
//   pip install cargo-zigbuild        (cargo-zigbuild and zig, from PyPI)
//   apt-get install mingw-w64         (x86_64-pc-windows-gnu)
//   rustup target add TRIPLE          (done here when rustup is present)
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { inspectElf } from './check-glibc.mjs'
import { TARGETS, addonFile, buildableHere, findTarget, hostTarget } from './targets.mjs'

const root = join(import.meta.dirname, '..')
const { values } = parseArgs({
  options: { target: { type: 'string', multiple: true, default: ['host'] }, 'require-floor': { type: 'boolean', default: false } },
})

if (process.env.NCF_REQUIRE_GLIBC_FLOOR === '1') values['require-floor'] = true
const fail = (msg) => {
  console.error(`build-targets: ${msg}`)
  process.exit(1)
}
const works = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0
const napi = join(root, 'node_modules/@napi-rs/cli/dist/cli.js')
/** napi's build of the addon crate, as every target takes it. */
const napiBuild = () => [napi, 'build', '--platform', '--release', '--manifest-path', 'crates/ncf-node/Cargo.toml', '--package-json-path', 'package.json', '--no-const-enum']
const host = hostTarget()
if (!host && values.target.length === 1 && values.target[0] === 'host') {
  // No prebuilt package serves this platform: napi builds for the host triple and names the
  // file after it (ncf-native.linux-x64-musl.node, say).
  if (!existsSync(napi)) fail('@napi-rs/cli is not installed; run npm ci first')
  const args = [...napiBuild(), '--output-dir', root, '--js', 'binding.cjs', '--dts', 'binding.d.cts']
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) process.exit(1)
  console.log(`build-targets: built for ${process.platform}-${process.arch}, which has no prebuilt package; point NAPI_RS_NATIVE_LIBRARY_PATH at the .node file at the repository root to use it from an application`)
  process.exit(0)
}
const wanted = [
  ...new Set(
    values.target.flatMap((t) => {
      if (t === 'host') return host ? [host] : fail(`${process.platform}-${process.arch} has no prebuilt target; build it alone with no --target`)
      if (t === 'here') return TARGETS.filter((x) => buildableHere(x) && (x.build !== 'native' || x === host))
      return [findTarget(t)]
    }),
  ),
]

function ensureRustTarget(triple) {
  if (!works('rustup', ['--version'])) return // a toolchain without rustup: cargo reports a missing std itself
  const installed = execFileSync('rustup', ['target', 'list', '--installed'], { encoding: 'utf8' }).split('\n')
  if (installed.includes(triple)) return
  console.log(`build-targets: rustup target add ${triple}`)
  if (!works('rustup', ['target', 'add', triple])) fail(`the Rust standard library for ${triple} is missing and \`rustup target add ${triple}\` failed`)
}

const zigReady = () => works('cargo-zigbuild', ['--version']) && (works('zig', ['version']) || works('python3', ['-m', 'ziglang', 'version']))

// napi-build links windows-gnu addons against MSYS2's libnode.dll. With napi's `dyn-symbols`
// (crates/ncf-node/Cargo.toml) no Node-API symbol is linked at all: they are looked up in node.exe
// at load time. The link still asks for `-lnode`, so it gets an empty import library.
function emptyLibnode() {
  const dir = join(root, 'target/cross/libnode')
  mkdirSync(dir, { recursive: true })
  for (const name of ['libnode.dll.a', 'libnode.dll']) writeFileSync(join(dir, name), '!<arch>\n')
  return dir
}

if (!existsSync(napi)) fail('@napi-rs/cli is not installed; run npm ci first')

const built = []
for (const t of wanted) {
  if (!buildableHere(t)) fail(`${t.triple} cannot be built on ${process.platform}-${process.arch}; the release workflow builds it on its own runner`)
  const isHost = t === host
  const args = napiBuild()
  const env = { ...process.env }
  let floor = null
  if (t.build === 'zig') {
    if (zigReady()) {
      args.push('--cross-compile', '--target', `${t.triple}.${t.glibc}`, '--target-dir', 'target/zig')
      floor = t.glibc
    } else if (isHost && !values['require-floor']) {
      console.warn(
        `build-targets: warning: cargo-zigbuild or zig is missing, so this addon needs this machine's glibc, not ${t.glibc}.\n` +
          '  Fine for local use; for a binary that loads on older Linux: pip install cargo-zigbuild',
      )
      args.push('--target', t.triple)
    } else fail(`${t.triple} is built against glibc ${t.glibc} with cargo-zigbuild and zig: pip install cargo-zigbuild`)
  } else if (t.build === 'mingw') {
    if (!works('x86_64-w64-mingw32-gcc', ['--version'])) fail(`${t.triple} links with mingw-w64: apt-get install mingw-w64`)
    args.push('--target', t.triple, '--target-dir', 'target/cross')
    env.LIBNODE_PATH = emptyLibnode()
  } else args.push('--target', t.triple)
  ensureRustTarget(t.triple)

  // The host build writes the loader and the types and leaves its addon at the root, where the
  // loader finds it in a checkout; other targets only need their addon.
  const out = isHost ? root : join(root, 'target/addons', t.triple)
  mkdirSync(out, { recursive: true })
  args.push('--output-dir', out)
  if (isHost) args.push('--js', 'binding.cjs', '--dts', 'binding.d.cts')
  else args.push('--no-js', '--dts', 'binding.d.cts')

  console.log(`build-targets: ${t.triple}${floor ? ` (glibc ${floor}, cargo-zigbuild)` : ''}`)
  const r = spawnSync(process.execPath, args, { cwd: root, env, stdio: 'inherit' })
  if (r.status !== 0) fail(`the build of ${t.triple} failed (exit ${r.status ?? r.signal})`)

  // napi names the file after the target it built: a windows-gnu DLL is win32-x64-gnu.
  const napiDir = t.build === 'mingw' ? 'win32-x64-gnu' : t.dir
  const src = join(out, addonFile(napiDir))
  if (!existsSync(src)) fail(`the build of ${t.triple} left no ${src}`)
  const dest = join(root, 'npm', t.dir, addonFile(t.dir))
  copyFileSync(src, dest)
  built.push({ t, dest, bytes: statSync(dest).size })
}

console.log('\ntarget                      package                         size      glibc')
for (const { t, dest, bytes } of built) {
  let glibc = '-'
  if (t.glibc && works('readelf', ['--version'])) {
    const r = inspectElf(dest, t.glibc)
    glibc = `${r.highest}${r.problems.length ? ` (above the floor ${t.glibc}: ${r.problems.join('; ')})` : ''}`
  }
  const note = t.standIn ? `  (${t.triple} standing in for the MSVC build)` : ''
  console.log(`${t.triple.padEnd(28)}${`ncf-native-${t.dir}`.padEnd(32)}${(bytes / 1e6).toFixed(1).padStart(5)} MB  ${glibc}${note}`)
}
