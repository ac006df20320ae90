// The commands that use a saved model or the GPU (evaluate, recommend, similar, info, bench),
// and the table of every command.
import { Dataset } from '../src/dataset.js'
import { NcfError } from '../src/errors.js'
import { gpuInfo } from '../src/gpu.js'
import { NcfModel } from '../src/model.js'
import type { Device } from '../src/types.js'
import { dataOptions, f4, int, MODEL_KINDS, oneOf, Out, parse, UsageError, type Values } from './args.js'
import { loadData } from './data.js'
import { usage } from './help.js'
import { buildModel, cmdCompare, cmdTrain } from './train.js'

async function loadModel(values: Values): Promise<NcfModel> {
  if (!values.model) throw new UsageError('--model: give the saved model file')
  return NcfModel.load(String(values.model), { device: oneOf(values, 'device', ['auto', 'gpu', 'cpu'] as const) as Device })
}

async function cmdEvaluate(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ...dataOptions,
    model: { type: 'string' },
    k: { type: 'string', default: '10' },
    protocol: { type: 'string', default: 'both' },
  })
  if (values.help) return usage('evaluate')
  const out = new Out(values.json === true)
  const protocol = oneOf(values, 'protocol', ['sampled', 'full', 'both'] as const)
  const k = int(values, 'k')!
  const model = await loadModel(values)
  try {
    const { data } = await loadData(positionals[0], { ...values, task: model.task })
    if (model.task === 'rating') {
      const m = await model.evaluate(data, { metrics: ['rmse', 'mae', 'r2'] })
      out.line(`RMSE ${f4(m.rmse)}  MAE ${f4(m.mae)}  R² ${f4(m.r2)}  (${m.count} ratings, ${m.backend})`)
      out.result(m)
      return 0
    }
    const results = []
    for (const p of protocol === 'both' ? (['sampled', 'full'] as const) : [protocol]) {
      if (p === 'sampled' && data.testNegatives === 0) continue
      const m = await model.evaluate(data, { k, protocol: p })
      out.line(`${p.padEnd(8)} HR@${k} ${f4(m.hr)}  NDCG@${k} ${f4(m.ndcg)}${m.recall !== undefined ? `  Recall@${k} ${f4(m.recall)}` : ''}  (${m.cases} ${p === 'full' ? 'users' : 'cases'}, ${m.backend})`)
      results.push(m)
    }
    out.result(results)
    return 0
  } finally {
    model.dispose()
  }
}

/**
 * Ids on the command line are the exact strings the model saved. A model whose ids are numbers
 * (or that has none: dense indices) takes a number, written as the model writes it: `''`,
 * `0x1f`, `1e3` or ` 7` are not `0`, `31`, `1000` and `7` (they went through Number()).
 */
function asId(model: NcfModel, side: 'users' | 'items', raw: string, flag: string): string | number {
  const ids = side === 'users' ? model.userIds : model.itemIds
  const numeric = ids === undefined || (ids.length > 0 && typeof ids[0] === 'number')
  if (!numeric) return raw
  const n = Number(raw)
  if (raw.length === 0 || !Number.isSafeInteger(n) || String(n) !== raw) {
    throw new UsageError(`${flag}: '${raw}' is not an id of this model (its ${side === 'users' ? 'user' : 'item'} ids are integers written in decimal)`)
  }
  return n
}

async function cmdRecommend(args: string[]): Promise<number> {
  const { values } = parse(args, {
    model: { type: 'string' },
    user: { type: 'string' },
    k: { type: 'string', default: '10' },
    'include-seen': { type: 'boolean', default: false },
    device: { type: 'string', default: 'auto' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  })
  if (values.help) return usage('recommend')
  if (values.user === undefined) throw new UsageError('--user: give the user id')
  const out = new Out(values.json === true)
  const model = await loadModel(values)
  try {
    const user = asId(model, 'users', String(values.user), '--user')
    const recs = await model.recommend(user, { k: int(values, 'k'), excludeSeen: !values['include-seen'] })
    recs.forEach((r, n) => out.line(`${String(n + 1).padStart(3)}. ${String(r.id).padEnd(12)} ${r.score.toFixed(4)}`))
    out.result({ user, items: recs })
    return 0
  } finally {
    model.dispose()
  }
}

async function cmdSimilar(args: string[]): Promise<number> {
  const { values } = parse(args, {
    model: { type: 'string' },
    item: { type: 'string' },
    user: { type: 'string' },
    k: { type: 'string', default: '10' },
    device: { type: 'string', default: 'auto' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  })
  if (values.help) return usage('similar')
  if ((values.item === undefined) === (values.user === undefined)) throw new UsageError('give one of --item ID or --user ID')
  const out = new Out(values.json === true)
  const model = await loadModel(values)
  try {
    const k = int(values, 'k')
    const side = values.item !== undefined ? 'items' : 'users'
    const id = asId(model, side, String(values.item ?? values.user), values.item !== undefined ? '--item' : '--user')
    const near = side === 'items' ? await model.similarItems(id, { k }) : await model.similarUsers(id, { k })
    near.forEach((r, n) => out.line(`${String(n + 1).padStart(3)}. ${String(r.id).padEnd(12)} ${r.score.toFixed(4)}`))
    out.result({ [side === 'items' ? 'item' : 'user']: id, similar: near })
    return 0
  } finally {
    model.dispose()
  }
}

async function cmdInfo(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } })
  if (values.help) return usage('info')
  const out = new Out(values.json === true)
  try {
    const g = await gpuInfo()
    out.line(`adapter   ${g.name} (${g.deviceType})\nbackend   ${g.backend}, driver ${g.driver} ${g.driverInfo}`)
    out.line(`limits    max storage binding ${g.limits.maxStorageBufferBindingSize} B, workgroup ${g.workgroupSize}, subgroups ${g.subgroupMinSize}–${g.subgroupMaxSize}, f32 atomics ${g.float32Atomics ? 'yes' : 'no'}`)
    out.line(`'auto' trains on ${g.deviceType === 'Cpu' ? 'the CPU backend (the only adapter is a software rasterizer)' : 'this GPU'}`)
    out.result({ gpu: g })
  } catch (e) {
    if (!(e instanceof NcfError && e.code === 'ERR_NO_GPU')) throw e
    out.line(`no GPU adapter: ${e.message}\n'auto' trains on the CPU backend`)
    out.result({ gpu: null, reason: e.message })
  }
  return 0
}

async function cmdBench(args: string[]): Promise<number> {
  const { values } = parse(args, {
    model: { type: 'string', default: 'neumf' },
    factors: { type: 'string', default: '8' },
    batch: { type: 'string', default: '256' },
    epochs: { type: 'string', default: '2' },
    device: { type: 'string', default: 'both' },
    users: { type: 'string', default: '6040' },
    items: { type: 'string', default: '3706' },
    'per-user': { type: 'string', default: '160' },
    seed: { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  })
  if (values.help) return usage('bench')
  const out = new Out(values.json === true)
  const kind = oneOf(values, 'model', MODEL_KINDS)
  const which = oneOf(values, 'device', ['auto', 'gpu', 'cpu', 'both'] as const)
  const data = Dataset.synthetic({ numUsers: int(values, 'users'), numItems: int(values, 'items'), perUser: int(values, 'per-user'), seed: int(values, 'seed', 0) })
  out.line(`${kind} on synthetic ${data.numUsers} users × ${data.numItems} items, ${data.numInteractions} interactions`)
  const results = []
  for (const device of which === 'both' ? (['cpu', 'gpu'] as const) : [which]) {
    if (device === 'gpu') {
      try {
        await gpuInfo()
      } catch {
        out.line('gpu: no adapter, skipped')
        continue
      }
    }
    const model = buildModel(kind, data, { ...values, device, task: 'implicit', biases: undefined })
    const epochs = int(values, 'epochs')!
    const h = await model.fit(data, { epochs: epochs + 1, batchSize: int(values, 'batch'), evaluate: false, validation: 'none' })
    model.dispose()
    const measured = h.epochs.slice(1)
    const seconds = measured.reduce((s, e) => s + e.seconds, 0)
    const samples = measured.reduce((s, e) => s + e.samples, 0)
    const r = { device, backend: h.backend, samplesPerSecond: samples / seconds, secondsPerEpoch: seconds / measured.length }
    out.line(`${device.padEnd(4)} (${h.backend}): ${(r.samplesPerSecond / 1e6).toFixed(3)} M samples/s, ${r.secondsPerEpoch.toFixed(2)} s/epoch`)
    results.push(r)
  }
  out.result({ model: kind, users: data.numUsers, items: data.numItems, interactions: data.numInteractions, results })
  return 0
}

export const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  train: cmdTrain,
  evaluate: cmdEvaluate,
  recommend: cmdRecommend,
  similar: cmdSimilar,
  compare: cmdCompare,
  info: cmdInfo,
  bench: cmdBench,
}
