// Bad input gets a clear NcfError with a code and a message naming file:line, field or index.
import test from 'ava'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Dataset, ERROR_CODES, GMF, MLP, NeuMF } from '../index.ts'
import { rejectsWith, repoRoot, tempFiles } from './helpers.ts'

const goodTrain = '0\t1\t5\t100\n0\t2\t3\t101\n1\t0\t4\t102\n2\t3\t1\t103\n'
const goodNeg = '(0,3)\t0\t4\n(1,1)\t2\t4\n'

test('a malformed train line names file:line', async (t) => {
  const dir = tempFiles({ 'x.train.rating': '0\t1\n0\t2\n1\n' })
  await rejectsWith(t, Dataset.fromNcfFiles({ train: join(dir, 'x.train.rating') }), 'ERR_PARSE', /x\.train\.rating:3: expected 2 to 4 tab-separated columns/)
})

test('a non-integer or negative id names file:line and the field', async (t) => {
  const dir = tempFiles({ 'a.rating': '0\t1\n0\tabc\n', 'b.rating': '0\t1\n\n-4\t2\n', 'c.rating': '0\t1\t4.5\tnoon\n' })
  await rejectsWith(t, Dataset.fromNcfFiles({ train: join(dir, 'a.rating') }), 'ERR_PARSE', /a\.rating:2: item id 'abc' is not an integer/)
  await rejectsWith(t, Dataset.fromNcfFiles({ train: join(dir, 'b.rating') }), 'ERR_PARSE', /b\.rating:3: user id -4 is negative/)
  await rejectsWith(t, Dataset.fromNcfFiles({ train: join(dir, 'c.rating') }), 'ERR_PARSE', /c\.rating:1: timestamp 'noon' is not an integer/)
})

test('malformed test.negative lines name file:line', async (t) => {
  const dir = tempFiles({
    'tr': goodTrain,
    'n1': '(0,3)\t0\t4\n0,1\t2\t4\n',
    'n2': '(0,3)\t0\t4\n(1,1)\t2\n',
    'n3': '(0,3)\n',
  })
  const train = join(dir, 'tr')
  await rejectsWith(t, Dataset.fromNcfFiles({ train, testNegative: join(dir, 'n1') }), 'ERR_PARSE', /n1:2: expected '\(user,item\)'/)
  await rejectsWith(t, Dataset.fromNcfFiles({ train, testNegative: join(dir, 'n2') }), 'ERR_PARSE', /n2:2: has 1 negatives but earlier lines have 2/)
  await rejectsWith(t, Dataset.fromNcfFiles({ train, testNegative: join(dir, 'n3') }), 'ERR_PARSE', /n3:1: has no negative items/)
})

test('a missing file is ERR_IO naming the path', async (t) => {
  await rejectsWith(t, Dataset.fromNcfFiles({ train: '/nonexistent/ncf.train.rating' }), 'ERR_IO', /\/nonexistent\/ncf\.train\.rating/)
})

test('an empty train file is ERR_DATA', async (t) => {
  const dir = tempFiles({ 'e.rating': '\n\n' })
  await rejectsWith(t, Dataset.fromNcfFiles({ train: join(dir, 'e.rating') }), 'ERR_DATA', /holds no interactions/)
})

test('test items outside the item range are errors', async (t) => {
  const dir = tempFiles({ tr: goodTrain, neg: '(0,3)\t0\t9\n' })
  await rejectsWith(
    t,
    Dataset.fromNcfFiles({ train: join(dir, 'tr'), testNegative: join(dir, 'neg'), numItems: 5 }),
    'ERR_DATA',
    /test negative item 9 of test case 1 is outside the item range \[0, 5\)/,
  )
  const dir2 = tempFiles({ tr: goodTrain, neg: '(0,7)\t0\t1\n' })
  await rejectsWith(
    t,
    Dataset.fromNcfFiles({ train: join(dir2, 'tr'), testNegative: join(dir2, 'neg'), numItems: 5 }),
    'ERR_DATA',
    /test positive item 7/,
  )
})

test('test.rating and test.negative must agree line by line', async (t) => {
  const dir = tempFiles({ tr: goodTrain, rating: '0\t3\n1\t2\n', neg: goodNeg })
  await rejectsWith(
    t,
    Dataset.fromNcfFiles({ train: join(dir, 'tr'), testRating: join(dir, 'rating'), testNegative: join(dir, 'neg') }),
    'ERR_DATA',
    /test case 2 differs/,
  )
  await rejectsWith(t, Dataset.fromNcfFiles({ train: join(dir, 'tr'), testRating: join(dir, 'rating') }), 'ERR_INVALID_ARG', /testNegative/)
})

test('fromArrays names the bad index, and empty input is an error', (t) => {
  const e = t.throws(() => Dataset.fromArrays({ users: Int32Array.of(0, 1, -2), items: Int32Array.of(0, 1, 2) }))
  t.is((e as { code?: string }).code, 'ERR_INVALID_ARG')
  t.regex(e!.message, /users\[2\]: id -2 is negative/)
  const e2 = t.throws(() => Dataset.fromArrays({ users: Int32Array.of(), items: Int32Array.of() }))
  t.is((e2 as { code?: string }).code, 'ERR_DATA')
  const e3 = t.throws(() => Dataset.fromArrays({ users: Int32Array.of(0, 1), items: Int32Array.of(0) }))
  t.regex(e3!.message, /items: has 1 entries but users has 2/)
  const e4 = t.throws(() => Dataset.fromArrays({ users: Int32Array.of(0, 1), items: Int32Array.of(0, 7), numItems: 5 }))
  t.regex(e4!.message, /items\[1\]: id 7 is not below numItems = 5/)
  const e5 = t.throws(() => Dataset.fromArrays({ users: [0, 1] as unknown as Int32Array, items: Int32Array.of(0, 1) }))
  t.regex(e5!.message, /users: must be an Int32Array/)
})

test('duplicates are removed and counted', (t) => {
  const d = Dataset.fromArrays({ users: Int32Array.of(0, 0, 1, 0), items: Int32Array.of(1, 2, 1, 1) })
  t.is(d.numInteractions, 3)
  t.is(d.duplicatesRemoved, 1)
  t.is(d.numUsers, 2)
  t.is(d.numItems, 3)
})

test('bad model and fit options are ERR_INVALID_ARG naming the field', async (t) => {
  t.throws(() => new GMF({ numUsers: 0, numItems: 5 }), { message: /numUsers: must be a positive integer/ })
  t.throws(() => new GMF({ numUsers: 3, numItems: 5, factors: 2.5 }), { message: /factors/ })
  const data = Dataset.fromArrays({ users: Int32Array.of(0, 1, 2), items: Int32Array.of(0, 1, 2), numItems: 10 })
  const m = new GMF({ numUsers: 3, numItems: 10 })
  await rejectsWith(t, m.fit(data, { lr: -1 }), 'ERR_INVALID_ARG', /lr: must be a positive number/)
  await rejectsWith(t, m.fit(data, { device: 'tpu' as never }), 'ERR_INVALID_ARG', /device: must be 'auto', 'gpu' or 'cpu'/)
  await rejectsWith(t, m.fit(data, { batchSize: 0, device: 'cpu' }), 'ERR_INVALID_ARG', /batchSize/)
  await rejectsWith(t, m.fit(data, { negatives: -1, device: 'cpu' }), 'ERR_INVALID_ARG', /negatives: must be a non-negative integer, got -1/)
  await rejectsWith(t, m.fit(data, { optimizer: 'rmsprop' as never, device: 'cpu' }), 'ERR_INVALID_ARG', /optimizer: must be 'adam', 'sgd' or 'als', got 'rmsprop'/)
  await rejectsWith(t, m.fit(data, { epochs: 0 }), 'ERR_INVALID_ARG', /epochs/)
  await rejectsWith(t, m.fit(data, { momentum: 0.9, device: 'cpu' }), 'ERR_INVALID_ARG', /momentum: applies to optimizer 'sgd' only/)
  await rejectsWith(t, m.fit(data, { optimizer: 'sgd', momentum: 1.5, device: 'cpu' }), 'ERR_INVALID_ARG', /momentum: must be in \[0, 1\)/)
  await rejectsWith(t, m.fit(data, { l2: -1, device: 'cpu' }), 'ERR_INVALID_ARG', /l2: must be a finite number >= 0/)
  await rejectsWith(t, m.fit(data, { weightDecay: -0.1, device: 'cpu' }), 'ERR_INVALID_ARG', /weightDecay: must be a finite number >= 0/)
  await rejectsWith(t, m.fit(data, { earlyStopping: { patience: 2 }, device: 'cpu' }), 'ERR_INVALID_ARG', /earlyStopping: decides on the validation metric; pass validation: 'leave-one-out'/)
  await rejectsWith(t, m.fit(data, { reduceLrOnPlateau: {}, device: 'cpu' }), 'ERR_INVALID_ARG', /reduceLrOnPlateau: decides on the validation metric/)
  await rejectsWith(t, m.fit(data, { validation: 'leave-one-out', reduceLrOnPlateau: { factor: 2 }, device: 'cpu' }), 'ERR_INVALID_ARG', /reduceLrOnPlateau.factor: must be in \(0, 1\)/)
  await rejectsWith(t, m.fit(data, { validation: 'kfold' as never, device: 'cpu' }), 'ERR_INVALID_ARG', /validation: must be 'dataset', 'leave-one-out' or 'none'/)
  await rejectsWith(t, m.fit(data, { validation: 'leave-one-out', monitor: 'auc' as never, device: 'cpu' }), 'ERR_INVALID_ARG', /monitor: must be 'hr', 'ndcg' or 'rmse'/)
  await rejectsWith(t, m.fit(data, { validation: 'leave-one-out', device: 'cpu' }), 'ERR_DATA', /at least 2 training interactions/)
  // The core reads every option: a key it does not know is refused by name, not ignored; numbers
  // JSON cannot hold still reach its checks, and a function is no number.
  await rejectsWith(t, m.fit(data, { epoch: 3, device: 'cpu' } as never), 'ERR_INVALID_ARG', /^fit: unknown option 'epoch' \(did you mean 'epochs'\?\)$/)
  await rejectsWith(t, m.fit(data, { earlyStopping: { patience: 2, delta: 1 }, device: 'cpu' } as never), 'ERR_INVALID_ARG', /^earlyStopping: unknown option 'delta' \(the options: patience\)$/)
  await rejectsWith(t, m.fit(data, { lr: Infinity, device: 'cpu' }), 'ERR_INVALID_ARG', /^lr: must be a positive number, got inf$/)
  await rejectsWith(t, m.fit(data, { lr: NaN, device: 'cpu' }), 'ERR_INVALID_ARG', /^lr: must be a number, got NaN$/)
  await rejectsWith(t, m.fit(data, { lr: (() => 1) as never, device: 'cpu' }), 'ERR_INVALID_ARG', /^lr: must be a number, got \[function\]$/)
  await rejectsWith(t, m.fit(data, { onEpoch: 3 as never, device: 'cpu' }), 'ERR_INVALID_ARG', /^onEpoch: must be a function$/)
  // A fit that failed to start leaves the model free to train.
  t.is((await m.fit(data, { epochs: 1, device: 'cpu' })).epochs.length, 1)
  const small = new GMF({ numUsers: 2, numItems: 10 })
  await rejectsWith(t, small.fit(data, { device: 'cpu' }), 'ERR_INVALID_ARG', /numUsers: the dataset has 3 users but the model was built for 2/)
})

test('bad towers, dropout and pretraining inputs are ERR_INVALID_ARG naming the field', async (t) => {
  const sizes = { numUsers: 5, numItems: 6 }
  const data = Dataset.fromArrays({ users: Int32Array.from([0, 1, 2, 3, 4]), items: Int32Array.from([0, 1, 2, 3, 4]) })
  await rejectsWith(t, () => new MLP({ ...sizes, layers: [7, 4] }), 'ERR_INVALID_ARG', /layers\[0\].*even/)
  await rejectsWith(t, () => new MLP({ ...sizes, layers: [8] }), 'ERR_INVALID_ARG', /layers: needs 2\.\.=8 widths/)
  await rejectsWith(t, () => new MLP({ ...sizes, layers: [8, 0] }), 'ERR_INVALID_ARG', /layers\[1\]/)
  await rejectsWith(t, () => new MLP({ ...sizes, factors: 4, layers: [16, 8] }), 'ERR_INVALID_ARG', /factors: is 4 but layers end in 8/)
  await rejectsWith(t, () => new GMF({ ...sizes, layers: [16, 8] } as never), 'ERR_INVALID_ARG', /layers: apply to MLP and NeuMF; GMF/)
  await rejectsWith(t, new GMF(sizes).fit(data, { epochs: 1, dropout: 0.2 }), 'ERR_INVALID_ARG', /dropout: applies to the MLP tower; GMF/)
  await rejectsWith(t, new MLP(sizes).fit(data, { epochs: 1, dropout: 1 }), 'ERR_INVALID_ARG', /dropout: must be in \[0, 0\.95\)/)
  const gmf = new GMF(sizes)
  const mlp = new MLP(sizes)
  await rejectsWith(t, () => NeuMF.fromPretrained(mlp as never, mlp), 'ERR_INVALID_ARG', /gmf: must be a GMF/)
  await rejectsWith(t, () => NeuMF.fromPretrained(gmf, mlp, { alpha: 2 }), 'ERR_INVALID_ARG', /alpha: must be in \[0, 1\]/)
  const other = new MLP({ numUsers: 6, numItems: 6 })
  await rejectsWith(t, () => NeuMF.fromPretrained(gmf, other), 'ERR_INVALID_ARG', /has 6 users × 6 items but the GMF has 5 × 6/)
  gmf.dispose()
  await rejectsWith(t, () => NeuMF.fromPretrained(gmf, mlp), 'ERR_DISPOSED', /Model is disposed/)
})

test('a user who has seen every item cannot be trained on', async (t) => {
  const data = Dataset.fromArrays({ users: Int32Array.of(0, 0, 0, 1), items: Int32Array.of(0, 1, 2, 0) })
  const m = new GMF({ numUsers: 2, numItems: 3 })
  for (const device of ['cpu', 'gpu'] as const) {
    await rejectsWith(t, m.fit(data, { device }), 'ERR_DATA', /user 0 has interacted with all 3 items/)
  }
})

test('evaluate without a test set is ERR_DATA; k must be positive', async (t) => {
  const data = Dataset.fromArrays({ users: Int32Array.of(0, 1), items: Int32Array.of(0, 1), numItems: 4 })
  const m = new GMF({ numUsers: 2, numItems: 4 })
  await rejectsWith(t, m.evaluate(data, { device: 'cpu' }), 'ERR_DATA', /no test set/)
  await rejectsWith(t, m.evaluate(data, { k: 0 }), 'ERR_INVALID_ARG', /k: must be a positive integer/)
})

test('a model trains one fit at a time', async (t) => {
  const data = Dataset.synthetic({ numUsers: 60, numItems: 200, perUser: 6, seed: 2 })
  const m = new GMF({ numUsers: data.numUsers, numItems: data.numItems })
  const first = m.fit(data, { epochs: 3, device: 'cpu' })
  await rejectsWith(t, m.fit(data, { epochs: 1, device: 'cpu' }), 'ERR_BUSY', /already training/)
  const h = await first
  t.is(h.epochs.length, 3)
  t.is(h.epochs[0].lr, 0.001, 'the learning rate is reported as given')
  t.is((await m.fit(data, { epochs: 1, device: 'cpu' })).epochs.length, 1)
})

test('a disposed model fails with "Model is disposed"', async (t) => {
  const data = Dataset.synthetic({ numUsers: 30, numItems: 200, perUser: 5, seed: 1 })
  const m = new GMF({ numUsers: data.numUsers, numItems: data.numItems })
  m.dispose()
  t.true(m.disposed)
  await rejectsWith(t, m.fit(data, { device: 'cpu' }), 'ERR_DISPOSED', /^Model is disposed$/)
  await rejectsWith(t, m.evaluate(data, { device: 'cpu' }), 'ERR_DISPOSED', /^Model is disposed$/)
  await rejectsWith(t, () => m.weights(), 'ERR_DISPOSED', /^Model is disposed$/)
})

test('ERROR_CODES lists every code the core and the TypeScript layer raise, and nothing else', (t) => {
  const core = readFileSync(join(repoRoot, 'crates/ncf-core/src/error.rs'), 'utf8')
  const ts = ['src/errors.ts', 'src/binary.ts', 'src/watch.ts', 'src/load.ts', 'src/model.ts'].map((f) => readFileSync(join(repoRoot, f), 'utf8')).join('\n')
  const raised = new Set([...core.matchAll(/"(ERR_[A-Z_]+)"/g), ...ts.matchAll(/NcfError\('(ERR_[A-Z_]+)'/g)].map((m) => m[1]))
  raised.add('ERR_ABORTED') // FitAbortedError's, through super()
  t.deepEqual([...raised].sort(), [...ERROR_CODES].sort())
})
