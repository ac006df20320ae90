// The watch over a native job that runs off the event loop (a fit's epoch, a file's load): a
// progress callback polled on a timer, and cancellation when that callback fails.

/**
 * Runs `job`, calling `report` every `every` ms while it runs (except while `quiet()` holds)
 * and once more after it resolves. A `report` that throws, or returns a promise that rejects,
 * stops the reports and calls `cancel`; its error then rejects the watch once `job` has settled
 * (promptly: a cancelled job stops at its next check), in place of the job's own outcome. So a
 * failing callback never crashes the process from a timer or as an unhandled rejection.
 * Without `report`, it only runs `job`.
 */
export async function watched<T>(
  job: () => Promise<T>,
  report: (() => unknown) | undefined,
  { every, cancel, quiet }: { every: number; cancel: () => void; quiet?: () => boolean },
): Promise<T> {
  if (!report) return job()
  let failed: { error: unknown } | undefined
  const fail = (error: unknown) => {
    if (failed) return
    failed = { error }
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
  const last = report()
  if (isThenable(last)) await last
  return result
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v != null && typeof (v as { then?: unknown }).then === 'function'
}
