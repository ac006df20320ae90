// Shared helpers of the ava suites.
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { ExecutionContext } from 'ava'
import { NcfError } from '../index.ts'

export const repoRoot = resolve(import.meta.dirname, '..')
/** MovieLens is read from ../shared/data (never copied into the repo); NCF_DATA_DIR overrides. */
export const dataDir = process.env.NCF_DATA_DIR ?? resolve(repoRoot, '../shared/data')
export const hasMovieLens = existsSync(join(dataDir, 'ml-100k/ncf'))

/** Writes `files` into a fresh temporary folder and returns its path. */
export function tempFiles(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ncf-test-'))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

/** Asserts that `p` rejects (or `f` throws) an NcfError with `code` and a message matching `pattern`. */
export async function rejectsWith(
  t: ExecutionContext,
  p: Promise<unknown> | (() => unknown),
  code: string,
  pattern: RegExp,
): Promise<void> {
  let err: unknown
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (e) {
    err = e
  }
  t.true(err instanceof NcfError, `expected an NcfError, got ${String(err)}`)
  t.true(err instanceof Error)
  const e = err as NcfError
  t.is(e.code, code, e.message)
  t.regex(e.message, pattern)
}

/** Random ranker's expected HR@k with `negatives` negatives per case. */
export function randomHr(k: number, negatives: number): number {
  return Math.min(1, k / (negatives + 1))
}

/**
 * Checks what a failing callback (`name`: `onProgress`, `onEpoch`) does to `run(callback)`: the
 * callback fails as `kind` says (throws, or returns a promise that rejects) on its first call;
 * `run` must reject with ERR_CALLBACK naming it, with that error as `cause`, the callback must
 * not be called again (no timer left, no later epoch), and no unhandled rejection may be left.
 */
export async function failingCallbackStops(
  t: ExecutionContext,
  kind: 'throws' | 'rejects',
  run: (callback: () => unknown) => Promise<unknown>,
  name = 'onProgress',
): Promise<void> {
  const boom = new Error(`${name} ${kind}`)
  let calls = 0
  const callback =
    kind === 'throws'
      ? () => {
          calls++
          throw boom
        }
      : async () => {
          calls++
          throw boom
        }
  const unhandled: unknown[] = []
  const onUnhandled = (e: unknown) => unhandled.push(e)
  process.on('unhandledRejection', onUnhandled)
  try {
    const err = await t.throwsAsync(run(callback))
    t.true(err instanceof NcfError, String(err))
    t.is((err as NcfError).code, 'ERR_CALLBACK')
    t.is(err?.message, `${name} failed: ${name} ${kind}`)
    t.is(err?.cause, boom)
    t.is(calls, 1, 'no call after the failure')
    await new Promise((r) => setTimeout(r, 30))
    t.is(calls, 1, 'the timer is gone')
    t.deepEqual(unhandled, [])
  } finally {
    process.off('unhandledRejection', onUnhandled)
  }
}
