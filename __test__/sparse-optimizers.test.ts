// Row-sparse updates (`sparse: true`) and Adam's β/ε through the public API, on
// every model × backend. The kernels' own parity tests are in Rust (ncf-core cpu tests,
// ncf-gpu tests/*_parity.rs); here the option must mean the same on both backends.
import test, { type ExecutionContext } from 'ava'
import { Dataset, GMF, MF, MLP, NeuMF, type Device } from '../index.ts'
import { randomHr, rejectsWith } from './helpers.ts'

const data = Dataset.synthetic({ numUsers: 300, numItems: 200, perUser: 15, seed: 11 })
const MODELS = [['GMF', GMF], ['MF', MF], ['MLP', MLP], ['NeuMF', NeuMF]] as const
const DEVICES: Device[] = ['cpu', 'gpu']

/** max |a − b| / (abs + rel·|b|) over the arrays: ≤ 1 means within tolerance. */
function worst(a: Float32Array, b: Float32Array, abs: number, rel: number): number {
  let w = 0
  for (let k = 0; k < a.length; k++) w = Math.max(w, Math.abs(a[k] - b[k]) / (abs + rel * Math.abs(b[k])))
  return w
}

/**
 * Asserts `a` ≈ `b` within abs + rel·|b|, but for ReLU units near their kink that float-atomics
 * order can flip on the GPU (as the Rust epoch parity tests allow): at most `share` of the
 * weights may stray, each by at most `maxErr`. No NaN passes.
 */
function closeButKinks(t: ExecutionContext, a: Float32Array, b: Float32Array, abs: number, rel: number, share: number, maxErr: number) {
  let stray = 0
  for (let k = 0; k < b.length; k++) {
    const err = Math.abs(a[k] - b[k])
    if (!(err <= abs + rel * Math.abs(b[k]))) {
      stray++
      if (!(err <= maxErr)) return t.fail(`weight ${k}: ${a[k]} vs ${b[k]}`)
    }
  }
  t.true(stray <= share * b.length, `${stray} of ${b.length} weights differ`)
}

test('sparse, beta1, beta2 and eps are checked before training', async (t) => {
  const m = new GMF({ numUsers: data.numUsers, numItems: data.numItems, factors: 4 })
  await rejectsWith(t, m.fit(data, { sparse: 'yes' as never }), 'ERR_INVALID_ARG', /^sparse: must be true or false, got yes$/)
  await rejectsWith(t, m.fit(data, { beta1: 1 }), 'ERR_INVALID_ARG', /^beta1: must be in \[0, 1\), got 1$/)
  await rejectsWith(t, m.fit(data, { eps: 0 }), 'ERR_INVALID_ARG', /^eps: must be a positive finite number, got 0$/)
  await rejectsWith(t, m.fit(data, { optimizer: 'sgd', beta2: 0.5 }), 'ERR_INVALID_ARG', /^beta1: beta1, beta2 and eps apply to optimizer 'adam' only$/)
  m.dispose()
})

for (const [name, Model] of MODELS) {
  const build = () => new Model({ numUsers: data.numUsers, numItems: data.numItems, factors: 8, seed: 2 })
  for (const device of DEVICES) {
    test(`${name} × ${device}: sparse Adam trains, and differs from dense Adam`, async (t) => {
      const sparse = build()
      const h = await sparse.fit(data, { epochs: 3, lr: 0.01, batchSize: 128, sparse: true, device })
      t.is(h.backend, device)
      for (const e of h.epochs) t.true(Number.isFinite(e.loss) && e.loss > 0)
      t.true(h.epochs[2].loss < h.epochs[0].loss, 'loss decreases')
      t.true(h.epochs[2].hr! > 2 * randomHr(10, data.testNegatives), `HR@10 ${h.epochs[2].hr}`)
      const dense = build()
      await dense.fit(data, { epochs: 3, lr: 0.01, batchSize: 128, device })
      // LazyAdam leaves the moments of untouched rows undecayed: not the dense trajectory.
      t.true(worst(sparse.weights(), dense.weights(), 1e-4, 1e-3) > 1, 'sparse Adam is its own optimizer')
      sparse.dispose()
      dense.dispose()
    })

    test(`${name} × ${device}: sparse SGD is dense SGD (rows without gradient do not move)`, async (t) => {
      // Without momentum or weight decay an untouched row's SGD update is exactly zero, so the
      // sparse path must give the dense weights (tolerance abs 1e-5 + rel 1e-4: summation order).
      const opts = { epochs: 2, lr: 0.05, batchSize: 100, optimizer: 'sgd', device, evaluate: false } as const
      const a = build()
      await a.fit(data, { ...opts, sparse: true })
      const b = build()
      await b.fit(data, opts)
      t.false(a.weights().some(Number.isNaN))
      // The CPU sums in a fixed order (bit for bit in the Rust tests); the GPU's float atomics
      // may flip a ReLU unit between the two runs.
      if (device === 'cpu') t.true(worst(a.weights(), b.weights(), 1e-5, 1e-4) <= 1)
      else closeButKinks(t, a.weights(), b.weights(), 1e-5, 1e-4, 0.02, 5e-2)
      a.dispose()
      b.dispose()
    })
  }

  test(`${name}: sparse training is the same on the CPU and the GPU`, async (t) => {
    const run = async (device: Device) => {
      const m = build()
      // SGD with (lazy) momentum: Adam would amplify float-order noise in near-zero gradients
      // into whole ±lr steps, so its weights are compared in the Rust parity tests instead, on
      // caller-chosen batches.
      const opts = { optimizer: 'sgd', momentum: 0.9, lr: 0.02, batchSize: 64, sparse: true, evaluate: false } as const
      const h = await m.fit(data, { ...opts, epochs: 2, device })
      return { loss: h.epochs.map((e) => e.loss), w: m.weights(), m }
    }
    const cpu = await run('cpu')
    const gpu = await run('gpu')
    for (let e = 0; e < 2; e++) t.true(Math.abs(cpu.loss[e] - gpu.loss[e]) <= 1e-4 + 1e-3 * cpu.loss[e], `epoch ${e + 1}`)
    closeButKinks(t, gpu.w, cpu.w, 1e-3, 1e-2, 0.01, 2e-2)
    cpu.m.dispose()
    gpu.m.dispose()
  })
}

test('the large-batch recipe (batch 2^16, lr 0.0045, β 0.25/0.5) trains on both backends', async (t) => {
  for (const device of DEVICES) {
    const m = new NeuMF({ numUsers: data.numUsers, numItems: data.numItems, factors: 8, seed: 2 })
    const h = await m.fit(data, { epochs: 2, batchSize: 2 ** 16, lr: 0.0045, beta1: 0.25, beta2: 0.5, device })
    t.is(h.epochs[0].samples, data.numInteractions * 5)
    t.true(h.epochs.every((e) => Number.isFinite(e.loss)), device)
    m.dispose()
  }
})
