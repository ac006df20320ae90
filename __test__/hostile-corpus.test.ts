// The project's own hostile corpus. Over 100 generated inputs (files and API
// arguments) run in child processes under a time limit and a memory cap (the parent watches
// the child's RSS and kills it past 1 GiB); each case must end with its expected error code.
import test from 'ava'
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

import { GMF } from '../index.ts'
import { repoRoot } from './helpers.ts'

const dir = mkdtempSync(join(tmpdir(), 'ncf-corpus-'))
const file = (name: string, bytes: string | Buffer): string => {
  const p = join(dir, name)
  writeFileSync(p, bytes)
  return p
}
type Case = { name: string; op: string; args: unknown[]; want: string }
const cases: Case[] = []
const add = (name: string, want: string, op: string, ...args: unknown[]) => cases.push({ name, op, args, want })

const CAP = 1 << 30

test.before(async () => {
  // Files of every reader: bombs, devices, links, folders, FIFOs, broken text.
  const nulBomb = file('nul.gz', gzipSync(Buffer.alloc(64 << 20)))
  const letterBomb = file('letters.gz', gzipSync(Buffer.alloc(64 << 20, 'a')))
  const link = join(dir, 'zero-link')
  symlinkSync('/dev/zero', link)
  const folder = join(dir, 'folder')
  mkdirSync(folder)
  const fifo = join(dir, 'fifo')
  execFileSync('mkfifo', [fifo])
  const empty = file('empty.txt', '')
  for (const format of ['csv', 'movielens', 'netflix'] as const) {
    // A CSV-only option (header) is refused for the fixed layouts, so it goes with CSV alone.
    const opts = format === 'csv' ? { format, header: false } : { format }
    add(`${format}: gzip of 64 MiB of NULs`, 'ERR_LIMIT', 'fromFile', nulBomb, opts)
    add(`${format}: gzip of 64 MiB of one letter`, 'ERR_LIMIT', 'fromFile', letterBomb, opts)
    add(`${format}: /dev/zero`, 'ERR_IO', 'fromFile', '/dev/zero', opts)
    add(`${format}: a link to /dev/zero`, 'ERR_IO', 'fromFile', link, opts)
    add(`${format}: a folder`, 'ERR_IO', 'fromFile', folder, opts)
    add(`${format}: a FIFO with no writer`, 'ERR_IO', 'fromFile', fifo, opts)
    add(`${format}: a missing file`, 'ERR_IO', 'fromFile', join(dir, 'missing'), opts)
    add(`${format}: an empty file`, 'ERR_DATA', 'fromFile', empty, opts)
    add(`${format}: maxBytes 10`, 'ERR_LIMIT', 'fromFile', file(`${format}-rows`, '1,2,3\n'.repeat(50)), { ...opts, maxBytes: 10 })
    add(`${format}: maxLineBytes 3`, 'ERR_LIMIT', 'fromFile', file(`${format}-line`, '11,22,3\n'), { ...opts, maxLineBytes: 3 })
    for (const bad of [0, -1, 1.5, Number.NaN, 'x']) {
      add(`${format}: maxBytes ${String(bad)}`, 'ERR_INVALID_ARG', 'fromFile', empty, { ...opts, maxBytes: bad })
    }
  }
  const csv = { format: 'csv', header: false }
  // A gzip of one row repeated was held whole before de-duplication. 20M copies
  // held as before take ~1.6 GB, past the 1 GiB cap; folded while streaming, one record.
  const repeated = file('repeated.csv.gz', gzipSync(Buffer.from('u0,i0\n'.repeat(20_000_000)), { level: 1 }))
  add('csv: a gzip of 20M copies of one row loads as one interaction', 'OK', 'fromFile', repeated, csv)
  add('csv: an unterminated quote', 'ERR_PARSE', 'fromFile', file('quote.csv', 'u1,i1\nu2,"i2\nu3,i3\n'), csv)
  add('csv: invalid UTF-8', 'ERR_PARSE', 'fromFile', file('utf8.csv', Buffer.from([0x75, 0x2c, 0xff, 0xfe, 0x0a])), csv)
  add('csv: a rating that is not a number', 'ERR_PARSE', 'fromFile', file('rating.csv', 'u,i,five\n'), { ...csv, columns: { rating: 2 } })
  add('csv: a missing column', 'ERR_PARSE', 'fromFile', file('cols.csv', 'u\n'), csv)
  add('csv: header true but no such column', 'ERR_INVALID_ARG', 'fromFile', file('head.csv', 'a,b\n1,2\n'), { format: 'csv', columns: { user: 'nope' } })
  add('csv: a boolean header given as a string', 'ERR_INVALID_ARG', 'fromFile', empty, { format: 'csv', header: 'yes' })
  for (const date of ['2005-02-31', '2005-02-29', '1900-02-29', '2005-13-01', '2005-00-10', '2005-1-1x', '05-09-2005']) {
    add(`netflix: date ${date}`, 'ERR_PARSE', 'fromFile', file(`nf-${date}`, `1:\n5,3,${date}\n`), { format: 'netflix' })
  }
  add('netflix: a rating line before any movie', 'ERR_PARSE', 'fromFile', file('nf-orphan', '5,3,2005-09-06\n'), { format: 'netflix' })
  add('movielens: five fields', 'ERR_PARSE', 'fromFile', file('ml5', '1::2::3::4::5\n'), { format: 'movielens' })
  add('movielens: a timestamp that is not an integer', 'ERR_PARSE', 'fromFile', file('mlts', '1::2::3::x\n'), { format: 'movielens' })
  add('format: unknown', 'ERR_INVALID_ARG', 'fromFile', empty, { format: 'parquet' })
  // NCF files (dense indices).
  const ncf = (name: string, text: string) => ({ train: file(name, text) })
  add('ncf: id 2,000,000,000 in a 15-byte file', 'ERR_PARSE', 'fromNcf', ncf('huge.rating', '2000000000\t1\t5\n'))
  add('ncf: item id 4,294,967,295', 'ERR_PARSE', 'fromNcf', ncf('huge-item.rating', '0\t4294967295\t5\n'))
  add('ncf: a negative id', 'ERR_PARSE', 'fromNcf', ncf('neg.rating', '-1\t1\t5\n'))
  add('ncf: a non-integer id', 'ERR_PARSE', 'fromNcf', ncf('frac.rating', '1.5\t1\t5\n'))
  add('ncf: one column', 'ERR_PARSE', 'fromNcf', ncf('one.rating', '1\n'))
  add('ncf: /dev/zero', 'ERR_IO', 'fromNcf', { train: '/dev/zero' })
  add('ncf: a folder', 'ERR_IO', 'fromNcf', { train: folder })
  add('ncf: a FIFO', 'ERR_IO', 'fromNcf', { train: fifo })
  add('ncf: a gzip bomb', 'ERR_LIMIT', 'fromNcf', { train: nulBomb })
  // Model files: every byte position class, truncations, devices, foreign files.
  const good = join(dir, 'good.ncf')
  const m = new GMF({ numUsers: 30, numItems: 25, factors: 4, device: 'cpu' })
  await m.save(good, { info: { note: 'corpus' } })
  m.dispose()
  const bytes = readFileSync(good)
  for (let k = 0; k < 40; k++) {
    const bit = Math.floor(((k + 0.5) / 40) * bytes.length * 8)
    const b = Buffer.from(bytes)
    b[bit >> 3] ^= 1 << (bit & 7)
    add(`model: bit ${bit} flipped`, 'ERR_FORMAT', 'load', file(`flip-${bit}.ncf`, b))
  }
  for (const cut of [0, 1, 8, 100, bytes.length - 1]) add(`model: cut to ${cut} bytes`, 'ERR_FORMAT', 'load', file(`cut-${cut}.ncf`, bytes.subarray(0, cut)))
  add('model: /dev/zero', 'ERR_IO', 'load', '/dev/zero')
  add('model: a link to /dev/zero', 'ERR_IO', 'load', link)
  add('model: a folder', 'ERR_IO', 'load', folder)
  add('model: a FIFO', 'ERR_IO', 'load', fifo)
  add('model: JSON', 'ERR_FORMAT', 'load', file('json.ncf', '{"ncf_native": {}}'))
  add('model: a header length of 2^63', 'ERR_FORMAT', 'load', file('len.ncf', Buffer.from([0, 0, 0, 0, 0, 0, 0, 0x80, 0x7b, 0x7d])))
  // API arguments.
  add('fromArrays: index 2^31 - 1', 'ERR_INVALID_ARG', 'fromArrays', [0, 2 ** 31 - 1], [0, 1], {})
  add('fromArrays: empty', 'ERR_DATA', 'fromArrays', [], [], {})
  add('fromArrays: a negative id', 'ERR_INVALID_ARG', 'fromArrays', [0, -1], [0, 1], {})
  add('fromArrays: lengths differ', 'ERR_INVALID_ARG', 'fromArrays', [0, 1], [0], {})
  add('fromArrays: numUsers 2^30', 'ERR_INVALID_ARG', 'fromArrays', [0, 1], [0, 1], { numUsers: 2 ** 30 })
  for (const [name, opts] of [
    ['numUsers 2e8', { numUsers: 2e8 }],
    ['numUsers 1e300', { numUsers: 1e300 }],
    ['numUsers -1', { numUsers: -1 }],
    ['numUsers NaN', { numUsers: Number.NaN }],
    ['numItems 1', { numItems: 1 }],
    ['perUser 1e9', { perUser: 1e9 }],
  ] as const) add(`synthetic: ${name}`, 'ERR_INVALID_ARG', 'synthetic', opts)
  for (const [name, opts] of [
    ['excludeSeen "no"', { excludeSeen: 'no' }],
    ['k 0', { k: 0 }],
    ['k -1', { k: -1 }],
    ['k 1.5', { k: 1.5 }],
    ['k "ten"', { k: 'ten' }],
    ['device "tpu"', { device: 'tpu' }],
  ] as const) add(`recommend: ${name}`, 'ERR_INVALID_ARG', 'recommend', opts)
  for (const [name, opts] of [
    ['evaluate "no"', { evaluate: 'no' }],
    ['sparse "yes"', { sparse: 'yes' }],
    ['restoreBest 1', { restoreBest: 1 }],
    ['epochs 0', { epochs: 0 }],
    ['lr NaN', { lr: Number.NaN }],
    ['batchSize 0', { batchSize: 0 }],
    ['dropout 2', { dropout: 2 }],
    ['optimizer "rmsprop"', { optimizer: 'rmsprop' }],
  ] as const) add(`fit: ${name}`, 'ERR_INVALID_ARG', 'fit', opts)
  add('save: an empty path', 'ERR_INVALID_ARG', 'save', '', {})
  add('save: seen "no"', 'ERR_INVALID_ARG', 'save', join(dir, 's.ncf'), { seen: 'no' })
  add('save: into a missing folder', 'ERR_IO', 'save', join(dir, 'missing', 's.ncf'), {})
  add('save: a name of 300 bytes', 'ERR_IO', 'save', join(dir, `${'n'.repeat(300)}.ncf`), {})
})

/** Runs `batch` in one child; kills it past `CAP` bytes of RSS or 120 s. */
async function runBatch(batch: Case[], k: number): Promise<Array<{ name: string; code: string; message: string; maxRss: number }>> {
  const spec = join(dir, `cases-${k}.json`)
  writeFileSync(spec, JSON.stringify(batch, (_, v) => (Number.isNaN(v) ? '__NaN__' : v)))
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, '__test__/hostile/runner.mts'), spec], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  let killed = ''
  const watch = setInterval(() => {
    try {
      const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) * 1024
      if (rss > CAP) {
        killed = `RSS ${rss} bytes`
        child.kill('SIGKILL')
      }
    } catch {
      // The child is gone.
    }
  }, 20)
  const timer = setTimeout(() => {
    killed = 'over 120 s'
    child.kill('SIGKILL')
  }, 120_000)
  await new Promise((ok) => child.once('close', ok))
  clearInterval(watch)
  clearTimeout(timer)
  const lines = out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { name: string; code: string; message: string; maxRss: number })
  if (lines.length < batch.length) {
    const at = batch[lines.length]
    throw new Error(`case '${at.name}' ended its child (${killed || 'crash'}): ${err.slice(-2000)}`)
  }
  return lines
}

test('every hostile input of the corpus ends in its error code, within time and memory caps', async (t) => {
  t.true(cases.length >= 100, `${cases.length} cases`)
  const batches = [0, 1, 2, 3].map((k) => cases.filter((_, i) => i % 4 === k))
  const results = (await Promise.all(batches.map((b, k) => runBatch(b, k)))).flat()
  const wrong = results.filter((r) => r.code !== cases.find((c) => c.name === r.name)!.want)
  t.deepEqual(wrong.map((r) => `${r.name}: ${r.code} ${r.message}`), [], 'each case ends in its code')
  const peak = Math.max(...results.map((r) => r.maxRss))
  t.log(`${results.length} cases; peak child RSS ${(peak / 2 ** 20).toFixed(0)} MiB`)
  t.true(peak < CAP)
})
