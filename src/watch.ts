// The watch over a native job that runs off the event loop (a fit's epoch, a file's load): a
// progress callback polled on a timer, and cancellation when that callback fails.
import { NcfError } from './errors.js'

/**
 * Runs `job`, calling `report` every `every` ms while it runs (except while `quiet()` holds)
 * and once more after it resolves. A `report` that throws, or returns a promise that rejects,
 * stops the reports and calls `cancel`; `ERR_CALLBACK` (with what it threw as `cause`) then
 * rejects the watch once `job` has settled (promptly: a cancelled job stops at its next check),
 * in place of the job's own outcome. So a failing callback never crashes the process from a
 * timer or as an unhandled rejection. Without `report`, it only runs `job`. `name` is the
 * callback's option name, for the message.
 */
export async function watched<T>(
  job: () => Promise<T>,
  report: (() => unknown) | undefined,
  { name, every, cancel, quiet }: { name: string; every: number; cancel: () => void; quiet?: () => boolean },
): Promise<T> {
  if (!report) return job()
  let failed: { error: unknown } | undefined
  const fail = (error: unknown) => {
    if (failed) return
    failed = { error: callbackFailed(name, error) }
    clearInterval(timer)
    cancel()
  }
  const tick = () => {
    if (failed || quiet?.()) return
    try {
      const r = report()
      if (isThenable(r)) r.then(undefined, fail)
    } catch (error) {
      fail(error)
    }
  }
  const timer = setInterval(tick, every)
  let result: T
  try {
    result = await job()
  } catch (err) {
    throw failed ? failed.error : err
  } finally {
    clearInterval(timer)
  }
  if (failed) throw failed.error
  try {
    await report()
  } catch (error) {
    throw callbackFailed(name, error)
  }
  return result
}

/**
 * What a user callback's failure (a throw, or a rejected promise) becomes: `ERR_CALLBACK`
 * naming the callback, with what it threw as `cause`.
 */
export function callbackFailed(name: string, error: unknown): NcfError {
  const said = error instanceof Error ? error.message : String(error)
  return new NcfError('ERR_CALLBACK', `${name} failed: ${said}`, { cause: error })
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v != null && typeof (v as { then?: unknown }).then === 'function'
}
