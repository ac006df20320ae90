// The platforms ncf-native ships a prebuilt addon for, and how each one is built. One table,
// read by build-targets.mjs (what the release workflow runs), test-targets.mjs, check-glibc.mjs,
// and pack.mjs, so a new target is one row here and one package under npm/.
//
// `dir` is the napi-rs platform name: the package `ncf-native-<dir>` under npm/<dir>, whose
// addon is `ncf-native.<dir>.node`. `build` says where the target is built:
//   - 'zig': any Linux or macOS host, through cargo-zigbuild against glibc `glibc` (the floor);
//   - 'mingw': a Linux host, with Debian's mingw-w64 linker (the proof that Windows builds and
//     runs, tested under wine); its DLL stands in for the win32-x64-msvc package's;
//   - 'native': only on a host of that OS (the release workflow's macOS and Windows runners).
// `runs` names the host (os-arch) that runs the binary without an emulator.

/** glibc symbol versions the Linux addons may need: Rust's own floor (std supports 2.17+),
 * and the oldest glibc a zig-built sysroot targets on both x86_64 and aarch64. */
export const GLIBC_FLOOR = '2.17'

export const TARGETS = [
  { triple: 'x86_64-unknown-linux-gnu', dir: 'linux-x64-gnu', build: 'zig', glibc: GLIBC_FLOOR, runs: 'linux-x64' },
  { triple: 'aarch64-unknown-linux-gnu', dir: 'linux-arm64-gnu', build: 'zig', glibc: GLIBC_FLOOR, runs: 'linux-arm64' },
  { triple: 'x86_64-pc-windows-gnu', dir: 'win32-x64-msvc', build: 'mingw', runs: 'win32-x64', standIn: true },
  { triple: 'x86_64-pc-windows-msvc', dir: 'win32-x64-msvc', build: 'native', runs: 'win32-x64' },
  { triple: 'x86_64-apple-darwin', dir: 'darwin-x64', build: 'native', runs: 'darwin-x64' },
  { triple: 'aarch64-apple-darwin', dir: 'darwin-arm64', build: 'native', runs: 'darwin-arm64' },
]

/** The platform packages, one per `dir` (windows-gnu and -msvc serve the same one). */
export const PLATFORM_DIRS = [...new Set(TARGETS.map((t) => t.dir))]

/** The file name napi-rs gives the addon of a platform package. */
export const addonFile = (dir) => `ncf-native.${dir}.node`

/** The target this host builds for itself, or null where none is prebuilt (a source build for
 * this host only). Linux hosts build the gnu target, Windows hosts the MSVC one (what official
 * Node is built with). */
export function hostTarget() {
  return TARGETS.find((x) => x.runs === `${process.platform}-${process.arch}` && !x.standIn) ?? null
}

export function findTarget(triple) {
  const t = TARGETS.find((x) => x.triple === triple)
  if (!t) throw new Error(`unknown target ${triple}; targets: ${TARGETS.map((x) => x.triple).join(', ')}`)
  return t
}

/** Whether this host can build `t` (not whether its tools are installed). */
export function buildableHere(t) {
  if (t.build === 'zig') return process.platform === 'linux' || process.platform === 'darwin'
  if (t.build === 'mingw') return process.platform === 'linux'
  return t.runs.split('-')[0] === process.platform
}
