// What to tell a user whose machine has no loadable addon: which platform package would serve
// it, whether it is installed, why it does not load, and what to do.
import { NcfError } from './errors.js'

/** The oldest glibc the Linux binaries load on (scripts/targets.mjs builds against it). */
export const GLIBC_FLOOR = '2.17'

/** The prebuilt platform packages (`ncf-native-<key>`) and the Rust target each is built for. */
export const PREBUILT: Readonly<Record<string, string>> = {
  'linux-x64-gnu': 'x86_64-unknown-linux-gnu',
  'linux-arm64-gnu': 'aarch64-unknown-linux-gnu',
  'darwin-x64': 'x86_64-apple-darwin',
  'darwin-arm64': 'aarch64-apple-darwin',
  'win32-x64-msvc': 'x86_64-pc-windows-msvc',
}

const RUST_ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i686', arm: 'armv7', riscv64: 'riscv64gc', ppc64: 'powerpc64le', s390x: 's390x', loong64: 'loongarch64' }
const RUST_OS: Record<string, string> = { linux: 'unknown-linux', darwin: 'apple-darwin', win32: 'pc-windows', freebsd: 'unknown-freebsd', android: 'linux-android' }

/** What the diagnosis needs to know of the machine and the installed packages. */
export interface BinaryProbe {
  platform: string
  arch: string
  /** Linux only: the C library, as napi-rs names the packages (`gnu` or `musl`). */
  libc?: 'gnu' | 'musl'
  /** Windows only: the C runtime official Node is built with (`msvc`), or MinGW's (`gnu`). */
  winAbi?: 'msvc' | 'gnu'
  /** The running glibc, when known (`2.31`). */
  glibc?: string
  /** ncf-native's own version: the platform package must match it. */
  version: string
  /** `NAPI_RS_NATIVE_LIBRARY_PATH`: an addon built from source, loaded instead of the package. */
  override?: string
  /** The installed package.json of `name`, or null when the package is not installed. */
  installed(name: string): { version: string; dir: string } | null
  /** Loads the installed package `name`; returns the error it throws, or null when it loads. */
  tryLoad(name: string): unknown
}

/** napi-rs's name for this platform: `linux-arm64-gnu`, `darwin-x64`, `win32-x64-msvc`. */
export function platformKey(p: Pick<BinaryProbe, 'platform' | 'arch' | 'libc' | 'winAbi'>): string {
  const abi = p.platform === 'linux' ? `-${p.libc ?? 'gnu'}` : p.platform === 'win32' ? `-${p.winAbi ?? 'msvc'}` : ''
  return `${p.platform}-${p.arch}${abi}`
}

/** The Rust target triple of this platform, for the message and for building from source. */
export function rustTriple(p: Pick<BinaryProbe, 'platform' | 'arch' | 'libc' | 'winAbi'>): string {
  const key = platformKey(p)
  if (PREBUILT[key]) return PREBUILT[key]
  const arch = RUST_ARCH[p.arch] ?? p.arch
  const os = RUST_OS[p.platform] ?? p.platform
  const env = p.platform === 'linux' ? `-${p.libc ?? 'gnu'}${p.arch === 'arm' ? 'eabihf' : ''}` : p.platform === 'win32' ? `-${p.winAbi ?? 'msvc'}` : ''
  return `${arch}-${os}${env}`
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]
const SOURCE =
  'build the addon from source on this machine and set NAPI_RS_NATIVE_LIBRARY_PATH to the built file (CONTRIBUTING.md, "Building from source": a Rust toolchain and `npm run build:native`)'

/**
 * The `ERR_NO_BINARY` error for a failed load of the addon: the platform and its Rust triple, the
 * package that serves it, what went wrong with it, and what to do. `cause` is the loader's error.
 */
export function noBinaryError(probe: BinaryProbe, cause: unknown): NcfError {
  const key = platformKey(probe)
  const triple = rustTriple(probe)
  const pkg = `ncf-native-${key}`
  const what = `ncf-native has no native binary for this machine, ${key} (${triple})`
  const wrap = (text: string) => new NcfError('ERR_NO_BINARY', `${what}: ${text}`, { cause })

  if (probe.override) {
    return new NcfError(
      'ERR_NO_BINARY',
      `NAPI_RS_NATIVE_LIBRARY_PATH=${probe.override} does not load on ${key} (${triple}): ${messageOf(probe.tryLoad(probe.override) ?? cause)}. ` +
        'Build it for this machine (CONTRIBUTING.md, "Building from source"), or unset the variable to use the prebuilt package.',
      { cause },
    )
  }
  if (!PREBUILT[key]) {
    const musl = probe.libc === 'musl' ? ' On Alpine and other musl systems, use a glibc-based image (node:20-bookworm-slim, say), or' : ''
    const prebuilt = Object.keys(PREBUILT)
      .map((k) => (k.startsWith('linux') ? `${k} (glibc ≥ ${GLIBC_FLOOR})` : k))
      .join(', ')
    return wrap(`no prebuilt package exists for it (prebuilt: ${prebuilt}).${musl} ${musl ? SOURCE : SOURCE[0].toUpperCase() + SOURCE.slice(1)}.`)
  }
  const found = probe.installed(pkg)
  if (!found) {
    return wrap(
      `its package ${pkg} is not installed. npm installs it as an optional dependency of ncf-native, and skips it under ` +
        `--omit=optional (or --no-optional), or when node_modules or package-lock.json was made on another platform. ` +
        `Install it with \`npm i ${pkg}@${probe.version}\`, or ${SOURCE}.`,
    )
  }
  if (found.version !== probe.version) {
    return wrap(
      `${pkg} ${found.version} is installed (${found.dir}), but ncf-native ${probe.version} needs ${pkg}@${probe.version}. ` +
        `Install the matching version: \`npm i ncf-native@${probe.version} ${pkg}@${probe.version}\`.`,
    )
  }
  const loadError = probe.tryLoad(pkg)
  if (loadError) {
    const text = messageOf(loadError)
    const glibc = /GLIBC_[0-9.]+/.test(text)
      ? ` This system's glibc is ${probe.glibc ?? 'unknown'}; ncf-native's binaries need glibc ≥ ${GLIBC_FLOOR}.`
      : ''
    return wrap(`${pkg} is installed (${found.dir}) but its binary does not load: ${text}.${glibc} Reinstall it, or ${SOURCE}.`)
  }
  return wrap(`${pkg} is installed and loads, but the loader failed: ${messageOf(cause)}.`)
}
