// The napi-rs binding, loaded once for every module of the API. Nothing else requires
// `binding.cjs`, so the environment set here is in place before the addon starts.
import { createRequire } from 'node:module'
import type * as Native from '../binding.cjs'

// Mesa's device-select Vulkan layer prints "error: XDG_RUNTIME_DIR is invalid" in headless
// processes. ncf-native ranks adapters itself, so the layer has nothing to add; the user's own
// setting wins.
process.env.NODEVICE_SELECT ??= '1'

const require = createRequire(import.meta.url)

/** The binding's exports (`NativeModel`, `NativeDataset`, …), typed by `binding.d.cts`. */
export const native: typeof Native = require('../binding.cjs')

export type { Native }
