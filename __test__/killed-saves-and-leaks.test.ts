// Saves killed with SIGKILL mid-write never tear the target and
// leave nothing the next save does not clean up; and 1,000 fit/save/load/dispose cycles do not
// grow the process (RSS within 5 % after warm-up).
import test from 'ava'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { GMF, NcfModel } from '../index.ts'
import { repoRoot } from './helpers.ts'

const dir = mkdtempSync(join(tmpdir(), 'ncf-killed-saves-'))
const index = join(repoRoot, 'index.ts')
const script = (name: string, body: string): string => {
  const p = join(dir, name)
  writeFileSync(p, `import { Dataset, GMF, NcfModel } from ${JSON.stringify(index)}\n${body}`)
  return p
}
const node = (args: string[]) => [process.execPath, ['--import', 'tsx', ...args]] as const

test('SIGKILL during save leaves the old or the new model, and the next save removes the leftovers', async (t) => {
  // Two models big enough (~13 MB) that a kill lands inside a write; the child saves them in turn.
  const sizes = { numUsers: 40_000, numItems: 2_000, factors: 80, device: 'cpu' as const }
  const target = join(dir, 'model.ncf')
  const child = script(
    'saver.mts',
    `const a = new GMF({ ...${JSON.stringify(sizes)}, seed: 1 }), b = new GMF({ ...${JSON.stringify(sizes)}, seed: 2 })
     process.stdout.write('ready\\n')
     for (let k = 0; ; k++) await (k % 2 ? b : a).save(${JSON.stringify(target)})`,
  )
  const a = new GMF({ ...sizes, seed: 1 }).weights()
  const b = new GMF({ ...sizes, seed: 2 }).weights()
  await new GMF({ ...sizes, seed: 1 }).save(target)
  let torn = 0
  for (let round = 0; round < 10; round++) {
    const [cmd, args] = node([child])
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((ok) => p.stdout.once('data', () => ok()))
    await new Promise((ok) => setTimeout(ok, 150 + 97 * round))
    p.kill('SIGKILL')
    await new Promise((ok) => p.once('close', ok))
    const w = (await NcfModel.load(target)).weights()
    const same = (x: Float32Array) => x.length === w.length && x.every((v, k) => v === w[k])
    if (!same(a) && !same(b)) torn++
  }
  t.is(torn, 0, 'the target is always one of the two models, whole')
  const left = readdirSync(dir).filter((f) => f.endsWith('.tmp'))
  t.log(`${left.length} temporary files left by 10 kills`)
  await new GMF({ ...sizes, seed: 3 }).save(target)
  t.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'the next save removed them')
})

test('1,000 fit/save/load/dispose cycles keep RSS within 5 % after warm-up', (t) => {
  const path = join(dir, 'cycle.ncf')
  const child = script(
    'cycles.mts',
    `const data = Dataset.synthetic({ numUsers: 60, numItems: 50, perUser: 8, testNegatives: 9, seed: 5 })
     const rss: number[] = []
     for (let k = 1; k <= 1000; k++) {
       const m = new GMF({ numUsers: 60, numItems: 50, factors: 8, device: 'cpu', seed: k })
       await m.fit(data, { epochs: 1, evaluate: false })
       await m.save(${JSON.stringify(path)})
       const back = await NcfModel.load(${JSON.stringify(path)})
       back.dispose()
       m.dispose()
       if (k % 100 === 0) { (globalThis as { gc?: () => void }).gc?.(); rss.push(process.memoryUsage().rss) }
     }
     process.stdout.write(JSON.stringify(rss))`,
  )
  const [cmd, args] = node([child])
  const r = spawnSync(cmd, ['--expose-gc', ...args], { encoding: 'utf8', timeout: 600_000 })
  t.is(r.status, 0, r.stderr)
  const rss = JSON.parse(r.stdout) as number[]
  t.is(rss.length, 10)
  const [warm, last] = [rss[1], rss[9]]
  t.log(`RSS after 200 cycles ${(warm / 2 ** 20).toFixed(1)} MiB, after 1000 ${(last / 2 ** 20).toFixed(1)} MiB`)
  t.true(last <= warm * 1.05, `RSS grew from ${warm} to ${last} bytes`)
})
