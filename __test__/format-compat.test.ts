// Model files saved by an older build load with the same predictions: these fixtures were
// written by the build of 7e562c3, before the recommender, its fit and the backend seam moved
// into ncf-core (see fixtures/saved-by-7e562c3/README.md).
import test from 'ava'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Dataset, GMF, NcfModel, NeuMF } from '../index.ts'
import { rejectsWith } from './helpers.ts'

const dir = fileURLToPath(new URL('./fixtures/saved-by-7e562c3/', import.meta.url))
type Expected = { users: string[]; items: string[]; predictions: number[]; top: string[]; kind: string }
const expected = JSON.parse(readFileSync(`${dir}expected.json`, 'utf8')) as Record<string, Expected>

for (const [name, e] of Object.entries(expected)) {
  for (const device of ['cpu', 'gpu'] as const) {
    test(`a ${name} file saved before the change loads with the same predictions (${device})`, async (t) => {
      const m = await NcfModel.load(`${dir}${name}.ncf`, { device })
      t.is(m.kind, e.kind)
      // The info the old build wrote (expected.json's `info` is the in-memory model's: none).
      t.deepEqual(m.info, name === 'neumf-pre' ? { fixture: name, pretrained: true } : { fixture: name })
      const p = await m.predict(e.users, e.items)
      t.is(p.length, e.predictions.length)
      // Same weights and the same link function: equal on the CPU, within float rounding of
      // the GPU's own kernels there.
      p.forEach((x, k) => {
        const tol = device === 'cpu' ? 0 : 1e-5 + 1e-4 * Math.abs(e.predictions[k])
        t.true(Number.isFinite(x) && Math.abs(x - e.predictions[k]) <= tol, `${name} pair ${k}: ${x} vs ${e.predictions[k]}`)
      })
      const top = await m.recommend(e.users[0], { k: 3 })
      t.deepEqual(top.map((s) => String(s.id)), e.top)
      if (name === 'neumf-pre') t.true(m instanceof NeuMF && m.pretrained, 'NeuMF-pre stays pretrained (SGD by default)')
      m.dispose()
    })
  }
}

test('fit options cross to the core typed, and a wrong type names its field', async (t) => {
  const data = Dataset.fromArrays({ users: Int32Array.of(0, 1, 2), items: Int32Array.of(0, 1, 2), numItems: 10 })
  const m = new GMF({ numUsers: 3, numItems: 10, device: 'cpu' })
  // Booleans are booleans: 'no' is not false (it used to evaluate).
  await rejectsWith(t, m.fit(data, { evaluate: 'no' as never }), 'ERR_INVALID_ARG', /^evaluate: must be true or false, got no$/)
  await rejectsWith(t, m.fit(data, { restoreBest: 1 as never }), 'ERR_INVALID_ARG', /^restoreBest: must be true or false/)
  await rejectsWith(t, m.fit(data, { batchSize: '64' as never }), 'ERR_INVALID_ARG', /^batchSize: must be a number, got 64$/)
  await rejectsWith(t, m.fit(data, { reduceLrOnPlateau: { patience: 'x' as never } }), 'ERR_INVALID_ARG', /^reduceLrOnPlateau\.patience: must be a number/)
  // Defaults are the core's: unset options train as before.
  const h = await m.fit(data, { epochs: 1, evaluate: false })
  t.is(h.epochs.length, 1)
  t.true(Number.isFinite(h.epochs[0].loss))
  m.dispose()
})
