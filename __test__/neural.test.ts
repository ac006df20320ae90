// MLP and NeuMF beyond the shared contract: NeuMF-pre built from trained GMF and MLP models,
// its SGD default, dropout on both backends, and tower options.
import test from 'ava'
import { Dataset, GMF, MLP, NeuMF, type Device } from '../index.ts'
import { rejectsWith } from './helpers.ts'

const data = Dataset.synthetic({ numUsers: 300, numItems: 200, perUser: 15, seed: 8 })
const sizes = { numUsers: data.numUsers, numItems: data.numItems }

async function pretrained(device: Device) {
  const gmf = new GMF({ ...sizes, factors: 8, seed: 1 })
  const mlp = new MLP({ ...sizes, factors: 8, seed: 2 })
  await gmf.fit(data, { epochs: 2, lr: 0.01, seed: 3, device, evaluate: false })
  await mlp.fit(data, { epochs: 2, lr: 0.01, seed: 3, device, evaluate: false })
  return { gmf, mlp }
}

for (const device of ['cpu', 'gpu'] as Device[]) {
  test(`NeuMF-pre × ${device}: α = 1 ranks exactly as the GMF, α = 0 as the MLP`, async (t) => {
    const { gmf, mlp } = await pretrained(device)
    const [g, m] = [await gmf.evaluate(data, { device }), await mlp.evaluate(data, { device })]
    const a1 = await NeuMF.fromPretrained(gmf, mlp, { alpha: 1 }).evaluate(data, { device })
    const a0 = await NeuMF.fromPretrained(gmf, mlp, { alpha: 0 }).evaluate(data, { device })
    t.is(a1.hr, g.hr)
    t.is(a1.ndcg, g.ndcg)
    t.is(a0.hr, m.hr)
    t.is(a0.ndcg, m.ndcg)
    t.not(g.hr, m.hr, 'the two branches must differ for this check to mean anything')
  })

  test(`NeuMF-pre × ${device}: fine-tunes with SGD by default and keeps the source models`, async (t) => {
    const { gmf, mlp } = await pretrained(device)
    const gw = gmf.weights()
    const neumf = NeuMF.fromPretrained(gmf, mlp)
    t.true(neumf.pretrained)
    t.deepEqual(neumf.layers, [64, 32, 16, 8])
    const before = await neumf.evaluate(data, { device })
    // momentum is an SGD option (an error with Adam), so accepting it shows the SGD default.
    const h = await neumf.fit(data, { epochs: 3, lr: 0.05, momentum: 0.9, seed: 4, device })
    t.true(h.epochs.every((e) => Number.isFinite(e.loss)))
    t.true(h.epochs[2].loss < h.epochs[0].loss)
    t.true(h.epochs[2].hr! >= before.hr - 0.05, `${before.hr} → ${h.epochs[2].hr}`)
    t.deepEqual(gmf.weights(), gw, 'the GMF is not modified by fine-tuning')
    const end = new NeuMF({ ...sizes, factors: 8 })
    t.false(end.pretrained)
    await rejectsWith(t, end.fit(data, { epochs: 1, momentum: 0.9, device }), 'ERR_INVALID_ARG', /momentum/)
  })
}

test('NeuMF-pre weights are the GMF and MLP blocks with the α-mixed predict layer', async (t) => {
  const { gmf, mlp } = await pretrained('cpu')
  const [g, m, n] = [gmf.weights(), mlp.weights(), NeuMF.fromPretrained(gmf, mlp, { alpha: 0.3 }).weights()]
  const f = 8
  const gEmb = (sizes.numUsers + sizes.numItems) * f
  const mBody = m.length - (f + 1)
  t.is(n.length, gEmb + mBody + 2 * f + 1)
  t.deepEqual(n.subarray(0, gEmb), g.subarray(0, gEmb))
  t.deepEqual(n.subarray(gEmb, gEmb + mBody), m.subarray(0, mBody))
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-7 + 1e-6 * Math.abs(b)
  for (let k = 0; k < f; k++) {
    t.true(close(n[gEmb + mBody + k], 0.3 * g[gEmb + k]))
    t.true(close(n[gEmb + mBody + f + k], 0.7 * m[mBody + k]))
  }
  t.true(close(n[n.length - 1], 0.3 * g[g.length - 1] + 0.7 * m[m.length - 1]))
})

test('dropout: GPU and CPU agree epoch by epoch, and it changes training', async (t) => {
  const fit = async (device: Device, dropout: number) => {
    const m = new NeuMF({ ...sizes, factors: 8, layers: [32, 16, 8], seed: 5 })
    return (await m.fit(data, { epochs: 2, lr: 0.005, seed: 6, device, dropout })).epochs
  }
  const [g, c, none] = [await fit('gpu', 0.3), await fit('cpu', 0.3), await fit('cpu', 0)]
  for (let i = 0; i < 2; i++) {
    t.true(Math.abs(g[i].loss - c[i].loss) <= 1e-4 * c[i].loss, `loss ${g[i].loss} vs ${c[i].loss}`)
    t.true(Math.abs(g[i].hr! - c[i].hr!) <= 2 / data.numTestCases, `hr ${g[i].hr} vs ${c[i].hr}`)
  }
  t.true(Math.abs(c[0].loss - none[0].loss) > 1e-4, 'dropout must change the training loss')
})

test('custom towers: layers set the MLP widths; factors and layers must agree for MLP', (t) => {
  const m = new MLP({ ...sizes, layers: [20, 10, 6] })
  t.is(m.factors, 6)
  t.deepEqual(m.layers, [20, 10, 6])
  t.is(m.weights().length, (sizes.numUsers + sizes.numItems) * 10 + (10 * 20 + 10) + (6 * 10 + 6) + 6 + 1)
  const n = new NeuMF({ ...sizes, factors: 4, layers: [16, 8] })
  t.is(n.factors, 4)
  t.is(n.weights().length, (sizes.numUsers + sizes.numItems) * (4 + 8) + (8 * 16 + 8) + 4 + 8 + 1)
  t.deepEqual(new GMF(sizes).layers, [])
})
