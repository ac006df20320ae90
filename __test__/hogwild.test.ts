// Issue 16: Rendle et al.'s MF recipe through the API: batch-1 SGD lock-free across the CPU's
// threads (hogwild), the initStd it starts from, and the refusals around them.
import test from 'ava'

import { Dataset, MF, MLP } from '../index.ts'
import { randomHr, rejectsWith } from './helpers.ts'

const data = Dataset.synthetic({ numUsers: 400, numItems: 300, perUser: 20, seed: 3 })

test('issue16: hogwild MF trains one sample at a time on every CPU thread', async (t) => {
  const mf = new MF({ numUsers: data.numUsers, numItems: data.numItems, factors: 16, initStd: 0.1, seed: 1 })
  const h = await mf.fit(data, { epochs: 6, hogwild: true, lr: 0.05, l2: 0.0025, negatives: 8, device: 'cpu' })
  t.is(h.backend, 'cpu')
  t.is(h.epochs[0].samples, data.numInteractions * 9, '1 positive and 8 negatives each')
  t.true(h.epochs[5].loss < h.epochs[0].loss, `loss ${h.epochs[0].loss} then ${h.epochs[5].loss}`)
  t.true(h.epochs[5].hr! > 4 * randomHr(10, data.testNegatives), `HR@10 ${h.epochs[5].hr}`)
  mf.dispose()
})

test('issue16: hogwild and initStd refuse what they cannot do', async (t) => {
  const mf = new MF({ numUsers: data.numUsers, numItems: data.numItems, factors: 8 })
  await rejectsWith(t, mf.fit(data, { epochs: 1, hogwild: true, optimizer: 'adam', device: 'cpu' }), 'ERR_INVALID_ARG', /^hogwild: is plain SGD/)
  await rejectsWith(t, mf.fit(data, { epochs: 1, hogwild: true, batchSize: 32, device: 'cpu' }), 'ERR_INVALID_ARG', /^batchSize: hogwild steps one sample at a time/)
  await rejectsWith(t, mf.fit(data, { epochs: 1, hogwild: true, device: 'gpu' }), 'ERR_DATA', /hogwild is batch-1 SGD across CPU threads/)
  await rejectsWith(t, mf.fit(data, { epochs: 1, hogwild: 'yes' as never, device: 'cpu' }), 'ERR_INVALID_ARG', /^hogwild: /)
  const mlp = new MLP({ numUsers: data.numUsers, numItems: data.numItems, factors: 8 })
  await rejectsWith(t, mlp.fit(data, { epochs: 1, hogwild: true, device: 'cpu' }), 'ERR_INVALID_ARG', /^hogwild: trains GMF and MF/)
  for (const bad of [0, -1, 11, Number.NaN, '0.1']) {
    t.throws(() => new MF({ numUsers: 3, numItems: 3, initStd: bad as never }), { message: /^initStd: must be a number in \(0, 10\]/ })
  }
  mf.dispose()
  mlp.dispose()
})
