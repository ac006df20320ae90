// Dataset.fromFile reports live load progress (onProgress every progressEvery ms,
// once more when done): bytes of the file (compressed for .gz), lines, interactions, phase.
import test from 'ava'
import { mkdtempSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

import { Dataset, NcfError, type LoadProgress } from '../index.ts'
import { failingCallbackStops, rejectsWith } from './helpers.ts'

const dir = mkdtempSync(join(tmpdir(), 'ncf-load-progress-'))

// Netflix format: MOVIES blocks of CUSTOMERS distinct ratings each.
const MOVIES = 50
const CUSTOMERS = 4000
/** Writes a Netflix-format file of `movies` blocks of `customers` distinct ratings each. */
function writeNetflix(path: string, movies: number, customers: number): string {
  const parts: string[] = []
  for (let m = 1; m <= movies; m++) {
    parts.push(`${m}:\n`)
    for (let c = 0; c < customers; c++) parts.push(`${100000 + c},${1 + ((c + m) % 5)},2005-0${1 + (c % 9)}-1${c % 10}\n`)
  }
  writeFileSync(path, parts.join(''))
  return path
}
const netflix = writeNetflix(join(dir, 'combined_data_1.txt'), MOVIES, CUSTOMERS)

// CSV with a header, gzip-compressed; ratings 1…5 in turn.
const ROWS = 100_000
const csvGz = join(dir, 'events.csv.gz')
{
  const rows = ['user,item,stars']
  for (let k = 0; k < ROWS; k++) rows.push(`u${k % 1009},i${k},${(k % 5) + 1}`)
  writeFileSync(csvGz, gzipSync(rows.join('\n') + '\n'))
}

/** Loads `path` with a recording onProgress and checks what every load must report. */
async function load(t: import('ava').ExecutionContext, path: string, options: Parameters<typeof Dataset.fromFile>[1]) {
  const calls: LoadProgress[] = []
  const data = await Dataset.fromFile(path, { ...options, onProgress: (p) => calls.push(p), progressEvery: 5 })
  t.true(calls.length >= 2, `onProgress called ${calls.length} time(s)`)
  for (let k = 1; k < calls.length; k++) {
    if (calls[k].file === calls[k - 1].file) {
      t.true(calls[k].bytesRead >= calls[k - 1].bytesRead, `bytesRead went back at call ${k}`)
      t.true(calls[k].lines >= calls[k - 1].lines, `lines went back at call ${k}`)
    }
  }
  const last = calls[calls.length - 1]
  t.is(last.phase, 'done')
  t.true(calls.slice(0, -1).every((p) => p.phase !== 'done'), "'done' only in the last call")
  return { data, calls, last }
}

test('a Netflix file reports its bytes, lines and interactions while it loads', async (t) => {
  const { data, calls, last } = await load(t, netflix, { format: 'netflix' })
  const size = statSync(netflix).size
  t.is(last.bytesRead, size)
  t.is(last.totalBytes, size)
  t.is(last.fraction, 1)
  t.is(last.lines, MOVIES * (CUSTOMERS + 1))
  t.is(last.interactions, MOVIES * CUSTOMERS)
  t.deepEqual([last.file, last.files], [1, 1])
  t.is(data.numInteractions, MOVIES * CUSTOMERS)
  for (const p of calls) {
    t.true(p.fraction === null ? p.totalBytes === 0 : p.fraction >= 0 && p.fraction <= 1, JSON.stringify(p))
    t.true(p.interactions <= p.lines)
  }
})

test('a .gz CSV counts its compressed bytes; the threshold counts the kept interactions', async (t) => {
  const { data, last } = await load(t, csvGz, { format: 'csv', columns: { rating: 'stars' }, threshold: 3 })
  const size = statSync(csvGz).size
  t.true(size < 1_000_000, 'compressed, not the ≈1.5 MB of text')
  t.deepEqual([last.bytesRead, last.totalBytes, last.fraction], [size, size, 1])
  t.is(last.lines, ROWS + 1, 'the header is a line')
  t.is(last.interactions, (ROWS * 3) / 5, 'rated 3, 4 or 5')
  t.is(data.numInteractions, (ROWS * 3) / 5)
})

test('with a separate test file the counts are the second file of two', async (t) => {
  const held = join(dir, 'held.txt')
  writeFileSync(held, '1:\n100000,5,2005-09-06\n100001,4,2005-09-07\n')
  const { data, calls, last } = await load(t, netflix, { format: 'netflix', test: held })
  t.true(calls.every((p) => p.files === 2))
  t.deepEqual([last.file, last.files, last.lines, last.interactions], [2, 2, 3, 2])
  t.deepEqual([last.bytesRead, last.totalBytes], [statSync(held).size, statSync(held).size])
  t.is(data.numTestCases, 2)
})

// A failing callback (a throw, or an async one's rejection) neither crashes the process from a
// timer nor leaves an unhandled rejection: fromFile rejects with ERR_CALLBACK, its error as cause.
for (const kind of ['throws', 'rejects'] as const) {
  test(`an onProgress that ${kind} rejects fromFile with its error, once, and the process goes on`, async (t) => {
    await failingCallbackStops(t, kind, (onProgress) => Dataset.fromFile(netflix, { format: 'netflix', progressEvery: 5, onProgress }))
    // The addon still loads.
    const again = await Dataset.fromFile(csvGz, { format: 'csv', onProgress: () => {} })
    t.is(again.numInteractions, ROWS)
  })
}

test('onProgress and progressEvery are checked, ERR_INVALID_ARG naming the field', async (t) => {
  await rejectsWith(t, Dataset.fromFile(netflix, { format: 'netflix', onProgress: 'log' as never }), 'ERR_INVALID_ARG', /^onProgress: must be a function, got string$/)
  for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '5']) {
    await rejectsWith(t, Dataset.fromFile(netflix, { format: 'netflix', progressEvery: bad as never }), 'ERR_INVALID_ARG', /^progressEvery: must be a positive number of milliseconds/)
  }
  // Without onProgress the load reports nothing and works as before.
  t.is((await Dataset.fromFile(netflix, { format: 'netflix', progressEvery: 1000 })).numInteractions, MOVIES * CUSTOMERS)
})

// A file long enough that a load is still reading when it is cancelled: 2M lines, 44 MB,
// about a second to read here.
const BIG_MOVIES = 400
const BIG_CUSTOMERS = 5000
const big = writeNetflix(join(dir, 'combined_data_big.txt'), BIG_MOVIES, BIG_CUSTOMERS)
const bigLines = BIG_MOVIES * (BIG_CUSTOMERS + 1)

test('an AbortSignal stops the load inside the file: ERR_ABORTED at file:line, the reason as cause', async (t) => {
  const ac = new AbortController()
  const reason = new Error('the user left')
  let lastLines = 0
  const err = await t.throwsAsync(
    Dataset.fromFile(big, {
      format: 'netflix',
      signal: ac.signal,
      progressEvery: 1,
      onProgress: (p) => {
        lastLines = p.lines
        if (p.lines > 0) ac.abort(reason)
      },
    }),
  )
  t.is((err as { code?: string }).code, 'ERR_ABORTED')
  t.is(err.cause, reason)
  const m = /^(.+):(\d+): the load was cancelled here$/.exec(err.message)
  t.truthy(m, err.message)
  t.is(m![1], big)
  const line = Number(m![2])
  t.true(line >= lastLines && line < bigLines, `stopped at line ${line} of ${bigLines}`)
  // The same file loads whole afterwards.
  t.is((await Dataset.fromFile(big, { format: 'netflix', signal: new AbortController().signal })).numInteractions, BIG_MOVIES * BIG_CUSTOMERS)
})

test('an already aborted signal rejects before reading; a non-signal is ERR_INVALID_ARG', async (t) => {
  const ac = new AbortController()
  ac.abort('no')
  await rejectsWith(t, Dataset.fromFile(big, { format: 'netflix', signal: ac.signal }), 'ERR_ABORTED', /the load was aborted before it started$/)
  const err = await t.throwsAsync(Dataset.fromFile(big, { format: 'netflix', signal: ac.signal }))
  t.is(err.cause, 'no')
  await rejectsWith(t, Dataset.fromFile(big, { format: 'netflix', signal: {} as never }), 'ERR_INVALID_ARG', /^signal: must be an AbortSignal$/)
})

test('a throwing onProgress cancels the load and rejects with ERR_CALLBACK, its error as cause', async (t) => {
  const boom = new Error('stop reading')
  const err = await t.throwsAsync(
    Dataset.fromFile(big, {
      format: 'netflix',
      progressEvery: 1,
      onProgress: (p) => {
        if (p.lines > 0) throw boom
      },
    }),
  )
  t.is((err as NcfError).code, 'ERR_CALLBACK')
  t.is(err?.message, 'onProgress failed: stop reading')
  t.is(err?.cause, boom)
})
