// DATA as the help describes it: a file or folder whose format is told by its name (or
// --format), read and split the same way every time.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'

import { Dataset } from '../src/dataset.js'
import { NcfError } from '../src/errors.js'
import { int, oneOf, UsageError, type Values } from './args.js'

export interface Loaded {
  data: Dataset
  summary: Record<string, unknown>
}

/** Reads DATA as the help describes, splitting raw interactions the same way every time. */
export async function loadData(path: string | undefined, values: Values): Promise<Loaded> {
  if (!path) throw new UsageError('DATA: give a data file or folder (or synthetic)')
  const seed = int(values, 'seed', 0) ?? 0
  const task = oneOf(values, 'task', ['implicit', 'rating'] as const)
  let format = oneOf(values, 'format', ['auto', 'movielens', 'csv', 'ncf', 'netflix', 'synthetic'] as const)
  let file = path
  if (format === 'auto') {
    if (path === 'synthetic') format = 'synthetic'
    else if (!existsSync(path)) throw new NcfError('ERR_IO', `${path}: no such file or folder`)
    else if (statSync(path).isDirectory()) {
      const names = readdirSync(path)
      const ncf = names.find((n) => n.endsWith('.train.rating'))
      const ml = ['u.data', 'ratings.dat'].find((n) => names.includes(n))
      if (ncf) [format, file] = ['ncf', join(path, ncf)]
      else if (ml) [format, file] = ['movielens', join(path, ml)]
      else throw new UsageError(`${path}: no u.data, ratings.dat or *.train.rating inside; pass a file and --format`)
    } else if (path.endsWith('.train.rating')) format = 'ncf'
    else if (/(^|[/\\])(u\.data|u\d\.base|ua\.base|ub\.base|ratings\.dat)(\.gz)?$/.test(path)) format = 'movielens'
    else if (/\.(csv|tsv)(\.gz)?$/.test(path)) format = 'csv'
    else throw new UsageError(`${path}: cannot tell its format; pass --format movielens|csv|ncf|netflix`)
  }
  let data: Dataset
  if (format === 'synthetic') {
    data = Dataset.synthetic({ seed })
  } else if (format === 'ncf') {
    const stem = file.replace(/\.train\.rating$/, '')
    const side = (ext: string) => (existsSync(`${stem}${ext}`) ? `${stem}${ext}` : undefined)
    data = await Dataset.fromNcfFiles({ train: file, testRating: side('.test.rating'), testNegative: side('.test.negative') })
  } else {
    const test = values.test as string | undefined
    const csv = format === 'csv' ? { delimiter: file.replace(/\.gz$/, '').endsWith('.tsv') ? '\t' : ',', columns: columns(values) } : {}
    const withTest = test === undefined ? {} : { test, testNegatives: task === 'implicit' ? 99 : 0, seed }
    const raw = await Dataset.fromFile(file, { format, ...csv, ...withTest })
    data =
      raw.numTestCases > 0
        ? raw
        : task === 'rating'
          ? await raw.split({ method: 'random', testRatio: 0.2, negatives: 0, seed })
          : await raw.split({ method: 'leave-one-out', negatives: 99, seed })
  }
  return {
    data,
    summary: {
      source: format === 'synthetic' ? 'synthetic' : basename(file),
      users: data.numUsers,
      items: data.numItems,
      interactions: data.numInteractions,
      testCases: data.numTestCases,
    },
  }
}

/** `--columns user=customer,item=sku,rating=stars,timestamp=ts` (names or 0-based positions). */
function columns(values: Values): { user?: string | number; item?: string | number; rating?: string | number; timestamp?: string | number } {
  const spec = values.columns
  if (spec === undefined) return { user: 0, item: 1 }
  const out: Record<string, string | number> = {}
  for (const part of String(spec).split(',')) {
    const [key, col] = part.split('=')
    if (!['user', 'item', 'rating', 'timestamp'].includes(key) || !col) {
      throw new UsageError(`--columns: '${part}' is not user=…, item=…, rating=… or timestamp=…`)
    }
    out[key] = /^\d+$/.test(col) ? Number(col) : col
  }
  return out
}
