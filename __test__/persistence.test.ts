// save → load: one safetensors file per model, written atomically, read back as the right
// class with identical weights; bad files are ERR_FORMAT naming the path.
import test from 'ava'
import { readFileSync, readdirSync, writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Dataset, GMF, MF, MLP, NeuMF, NcfModel } from '../index.ts'
import { rejectsWith } from './helpers.ts'

const data = Dataset.synthetic({ numUsers: 120, numItems: 150, perUser: 10, seed: 4 })
const sizes = { numUsers: data.numUsers, numItems: data.numItems }
const dir = mkdtempSync(join(tmpdir(), 'ncf-persist-'))

for (const [name, make] of [
  ['GMF', () => new GMF({ ...sizes, factors: 6 })],
  ['MF', () => new MF({ ...sizes, factors: 6 })],
  ['MLP', () => new MLP({ ...sizes, layers: [16, 8, 4] })],
  ['NeuMF', () => new NeuMF({ ...sizes, factors: 4, layers: [16, 8] })],
] as const) {
  test(`${name}: trained on the GPU, saved, loaded on the CPU: same weights and metrics`, async (t) => {
    const m = make()
    await m.fit(data, { epochs: 2, lr: 0.01, device: 'gpu', evaluate: false })
    // Its own folder, so the check for leftover temporary files sees only this test's saves.
    const own = mkdtempSync(join(dir, `${name}-`))
    const path = join(own, `${name}.ncf`)
    await m.save(path, { info: { note: 'round trip', epochs: 2 } })
    const loaded = await NcfModel.load(path, { device: 'cpu' })
    t.is(loaded.constructor, m.constructor)
    t.is(loaded.kind, name)
    t.is(loaded.device, 'cpu')
    t.deepEqual(loaded.layers, m.layers)
    t.is(loaded.factors, m.factors)
    t.deepEqual(loaded.weights(), m.weights())
    t.deepEqual(loaded.info, { note: 'round trip', epochs: 2 })
    const [a, b] = [await m.evaluate(data, { device: 'cpu' }), await loaded.evaluate(data)]
    t.is(b.backend, 'cpu')
    t.is(a.hr, b.hr)
    t.is(a.ndcg, b.ndcg)
    // The file is safetensors: 8-byte header length, then JSON naming PyTorch-style tensors.
    const bytes = readFileSync(path)
    const header = bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString()
    t.regex(header, name === 'MF' ? /"embed_user.weight"/ : name === 'MLP' ? /"MLP_layers.0.weight"/ : /"embed_user_GMF.weight"/)
    t.deepEqual(readdirSync(own).filter((f) => f.endsWith('.tmp')), [], 'no temporary file is left')
    m.dispose()
    loaded.dispose()
  })
}

test('loading through a subclass checks the kind; NeuMF-pre stays pretrained', async (t) => {
  const gmf = new GMF({ ...sizes, factors: 4 })
  const mlp = new MLP({ ...sizes, layers: [16, 8, 4] })
  const path = join(dir, 'gmf-kind.ncf')
  await gmf.save(path)
  const g: GMF = await GMF.load(path)
  t.true(g instanceof GMF)
  await rejectsWith(t, MLP.load(path), 'ERR_FORMAT', /gmf-kind\.ncf: holds a GMF model, not a MLP/)
  const pre = NeuMF.fromPretrained(gmf, mlp)
  const prePath = join(dir, 'pre.ncf')
  await pre.save(prePath)
  const back = await NeuMF.load(prePath)
  t.true(back.pretrained)
  t.deepEqual(back.weights(), pre.weights())
  // Saving over an existing file replaces it.
  await mlp.save(path)
  t.is((await NcfModel.load(path)).kind, 'MLP')
})

test('bad files and paths: ERR_FORMAT or ERR_IO naming the path; nothing is half-written', async (t) => {
  const m = new MLP({ ...sizes, layers: [16, 8] })
  const good = join(dir, 'good.ncf')
  await m.save(good)
  const bytes = readFileSync(good)
  const cut = join(dir, 'truncated.ncf')
  writeFileSync(cut, bytes.subarray(0, bytes.length - 10))
  await rejectsWith(t, NcfModel.load(cut), 'ERR_FORMAT', /truncated\.ncf: not a readable ncf-native model file/)
  const junk = join(dir, 'junk.ncf')
  writeFileSync(junk, 'definitely not a model')
  await rejectsWith(t, NcfModel.load(junk), 'ERR_FORMAT', /junk\.ncf: /)
  await rejectsWith(t, NcfModel.load(join(dir, 'missing.ncf')), 'ERR_IO', /cannot read .*missing\.ncf/)
  await rejectsWith(t, m.save(join(dir, 'no-such-dir', 'm.ncf')), 'ERR_IO', /cannot write .*no-such-dir\/m\.ncf/)
  await rejectsWith(t, m.save(good, { info: { big: 10n } as never }), 'ERR_INVALID_ARG', /info: must be JSON-serialisable/)
  t.deepEqual(readFileSync(good), bytes, 'failed saves leave the old file untouched')
  m.dispose()
  await rejectsWith(t, m.save(good), 'ERR_DISPOSED', /Model is disposed/)
})
