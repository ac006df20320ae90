// The napi-rs binding, loaded once for every module of the API. Nothing else requires
// `binding.cjs`, so the environment set here is in place before the addon starts.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import type * as Native from '../binding.cjs'
import { noBinaryError, type BinaryProbe } from './binary.js'
import { NcfError } from './errors.js'

// Mesa's device-select Vulkan layer prints "error: XDG_RUNTIME_DIR is invalid" in headless
// processes. ncf-native ranks adapters itself, so the layer has nothing to add; the user's own
// setting wins.
process.env.NODEVICE_SELECT ??= '1'

const require = createRequire(import.meta.url)

/** This machine and the packages installed beside ncf-native, as the diagnosis reads them. */
function probe(): BinaryProbe {
  const header = process.platform === 'linux' ? (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header : undefined
  const variables = (process.config as { variables?: Record<string, unknown> }).variables ?? {}
  const installed = (name: string) => {
    try {
      const file = require.resolve(`${name}/package.json`)
      return { version: String(JSON.parse(readFileSync(file, 'utf8')).version), dir: dirname(file) }
    } catch {
      return null
    }
  }
  return {
    platform: process.platform,
    arch: process.arch,
    libc: process.platform === 'linux' ? (header?.glibcVersionRuntime ? 'gnu' : 'musl') : undefined,
    winAbi: process.platform === 'win32' ? (variables.shlib_suffix === 'dll.a' ? 'gnu' : 'msvc') : undefined,
    glibc: header?.glibcVersionRuntime,
    version: String(require('../package.json').version),
    override: process.env.NAPI_RS_NATIVE_LIBRARY_PATH || undefined,
    installed,
    tryLoad: (name) => {
      try {
        require(name)
        return null
      } catch (err) {
        return err
      }
    },
  }
}

function load(): typeof Native {
  try {
    return require('../binding.cjs')
  } catch (err) {
    if ((err as { code?: string }).code === 'MODULE_NOT_FOUND' && /binding\.cjs/.test((err as Error).message.split('\n')[0])) {
      throw new NcfError('ERR_NO_BINARY', 'binding.cjs, the loader of the native addon, is missing: in a checkout, run `npm run build`', { cause: err })
    }
    throw noBinaryError(probe(), err)
  }
}

/** The binding's exports (`NativeModel`, `NativeDataset`, …), typed by `binding.d.cts`. */
export const native: typeof Native = load()

export type { Native }
