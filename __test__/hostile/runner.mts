// Runs hostile cases in this child process, one after another, and prints one JSON line per
// case: its name, the error code (or 'OK'), the message, and this process's peak RSS so far.
// `__test__/hostile-corpus.test.ts` builds the cases, caps this process's time and memory,
// and checks each code.
import { readFileSync } from 'node:fs'

import { Dataset, GMF, NcfModel } from '../../index.ts'

type Case = { name: string; op: string; args: unknown[] }

const small = () => Dataset.synthetic({ numUsers: 30, numItems: 25, perUser: 5, testNegatives: 9, seed: 1 })
const model = () => new GMF({ numUsers: 30, numItems: 25, factors: 4, device: 'cpu' })
const i32 = (v: unknown) => Int32Array.from(v as number[])

const ops: Record<string, (...a: never[]) => unknown> = {
  fromFile: (path: string, opts: object) => Dataset.fromFile(path, opts as never),
  fromNcf: (files: object) => Dataset.fromNcfFiles(files as never),
  load: (path: string) => NcfModel.load(path),
  fromArrays: (users: number[], items: number[], extra: object) => Dataset.fromArrays({ users: i32(users), items: i32(items), ...(extra as object) }),
  synthetic: (opts: object) => Dataset.synthetic(opts as never),
  recommend: (opts: object) => model().recommend(0, opts as never),
  fit: (opts: object) => model().fit(small(), { epochs: 1, ...(opts as object) }),
  save: (path: string, opts: object) => model().save(path, opts as never),
}

// NaN does not survive JSON: the parent writes it as a marker.
const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'), (_, v) => (v === '__NaN__' ? Number.NaN : v)) as Case[]
for (const c of cases) {
  let code = 'OK'
  let message = ''
  try {
    await (ops[c.op] as (...a: unknown[]) => unknown)(...c.args)
  } catch (e) {
    code = (e as { code?: string }).code ?? `not an NcfError: ${(e as Error).name}`
    message = (e as Error).message
  }
  const maxRss = process.resourceUsage().maxRSS * 1024
  process.stdout.write(`${JSON.stringify({ name: c.name, code, message, maxRss })}\n`)
}
