// The smoke test of an installed ncf-native, run inside a fresh project where the packed
// tarballs were installed (scripts/test-targets.mjs copies it there). Plain JavaScript, no
// dependency but ncf-native, so it runs as it is on every platform's Node, emulated or not.
//
//   node smoke.mjs                       the whole smoke test; prints one line per check
//   node smoke.mjs --expect-no-binary P  only the import, which must fail with ERR_NO_BINARY
//                                        naming the package P (the main tarball alone)
//   (--predict FILE and --gpu-info are the child processes the smoke test starts)
//
// It imports ncf-native, trains GMF for 2 epochs on the CPU on the seeded synthetic data, and
// checks HR@10 against a random ranker's; saves, loads in a fresh process and compares the
// predictions bit for bit; recommends; and asks gpuInfo() in a child process, which must name an
// adapter or throw a coded error, never crash. Where it names one, that child trains the same
// GMF on it (device 'gpu'), which must match the CPU's loss. Exits 1 on the first failed check.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const self = fileURLToPath(import.meta.url)
const args = process.argv.slice(2)
const started = Date.now()
const fail = (msg) => {
  console.log(`FAIL ${msg}`)
  process.exit(1)
}
const ok = (msg) => console.log(`ok   ${msg}`)

// The pairs whose predictions must survive a save and a load in another process.
const PAIRS = { users: [0, 1, 2, 3, 5, 8, 13, 21, 34, 55], items: [3, 1, 4, 1, 5, 9, 2, 6, 5, 3] }

// Children write their answer to a file: Node under wine cannot always write to a pipe. Under
// qemu-user without binfmt_misc, an arm64 Node cannot exec another one by itself:
// NCF_SMOKE_EXEC (a JSON array, e.g. ["qemu-aarch64-static"]) is put before it.
const prefix = process.env.NCF_SMOKE_EXEC ? JSON.parse(process.env.NCF_SMOKE_EXEC) : []
function child(flag, ...rest) {
  const out = join(mkdtempSync(join(tmpdir(), 'ncf-smoke-')), 'answer.json')
  const argv = [...prefix, process.execPath, self, flag, out, ...rest]
  const r = spawnSync(argv[0], argv.slice(1), { stdio: 'ignore', timeout: 600_000 })
  let answer = null
  try {
    answer = JSON.parse(readFileSync(out, 'utf8'))
  } catch {
    // no answer: reported below with the exit status
  }
  return { status: r.status, signal: r.signal, error: r.error, answer }
}

// The training every run of the smoke test does, on `device`. Over 20 data and model seeds this
// setting scored HR@10 0.53–0.80 after 2 epochs on the CPU (the bound below is 0.19).
async function train(api, device) {
  const data = api.Dataset.synthetic({ numUsers: 400, numItems: 300, perUser: 30, seed: 11 })
  const model = new api.GMF({ numUsers: data.numUsers, numItems: data.numItems, factors: 16, seed: 1 })
  const history = await model.fit(data, { epochs: 2, seed: 1, lr: 0.005, device })
  return { data, model, history, last: history.epochs.at(-1) }
}

if (args[0] === '--gpu-info') {
  const api = await import('ncf-native')
  let answer
  try {
    const info = await api.gpuInfo()
    answer = { adapter: info.name, deviceType: info.deviceType, backend: info.backend }
  } catch (e) {
    answer = { code: e?.code ?? null, message: String(e?.message ?? e) }
  }
  writeFileSync(args[1], JSON.stringify(answer))
  if (answer.adapter) {
    try {
      const { history, last } = await train(api, 'gpu')
      Object.assign(answer, { trained: history.backend, loss: last.loss, hr: last.hr })
    } catch (e) {
      Object.assign(answer, { trainError: `${e?.code ?? ''} ${e?.message ?? e}` })
    }
    writeFileSync(args[1], JSON.stringify(answer))
  }
  process.exit(0)
}

if (args[0] === '--predict') {
  const { NcfModel } = await import('ncf-native')
  const model = await NcfModel.load(args[2], { device: 'cpu' })
  const p = await model.predict(PAIRS.users, PAIRS.items)
  writeFileSync(args[1], JSON.stringify(Array.from(new Uint32Array(p.buffer, p.byteOffset, p.length))))
  process.exit(0)
}

if (args[0] === '--expect-no-binary') {
  const pkg = args[1]
  try {
    await import('ncf-native')
  } catch (e) {
    if (e?.code !== 'ERR_NO_BINARY') fail(`import without the platform package threw ${e?.code ?? e?.name}: ${e?.message}`)
    if (!String(e.message).includes(pkg)) fail(`ERR_NO_BINARY does not name ${pkg}: ${e.message}`)
    ok(`import without ${pkg}: ERR_NO_BINARY: ${e.message}`)
    process.exit(0)
  }
  fail('import succeeded without the platform package')
}

console.log(`smoke: node ${process.version} on ${process.platform}-${process.arch}`)
const api = await import('ncf-native')
const { NcfModel } = api
ok('import ncf-native')

const { data, model, history, last } = await train(api, 'cpu')
// A random ranker puts the held-out item in the top 10 of 1 + negatives with probability
// 10 / (1 + negatives); over n test users its HR@10 has standard deviation sqrt(p(1 − p)/n).
const p = 10 / (1 + data.testNegatives)
const bound = p + 6 * Math.sqrt((p * (1 - p)) / data.numTestCases)
if (history.backend !== 'cpu') fail(`trained on ${history.backend}, not the CPU`)
if (history.epochs.length !== 2) fail(`${history.epochs.length} epochs, not 2`)
if (!Number.isFinite(last.loss)) fail(`loss ${last.loss}`)
if (!(last.hr > bound)) fail(`HR@10 ${last.hr} is not above a random ranker's ${p.toFixed(3)} (+6σ: ${bound.toFixed(3)})`)
ok(`GMF, 2 epochs on the CPU: loss ${last.loss.toFixed(4)}, HR@10 ${last.hr.toFixed(4)} > random ${p.toFixed(3)} (+6σ ${bound.toFixed(3)})`)

const dir = mkdtempSync(join(tmpdir(), 'ncf-smoke-'))
const file = join(dir, 'gmf.ncf')
await model.save(file)
const mine = await model.predict(PAIRS.users, PAIRS.items)
const bits = Array.from(new Uint32Array(mine.buffer, mine.byteOffset, mine.length))
const loaded = child('--predict', file)
if (loaded.status !== 0 || !loaded.answer) fail(`loading in a fresh process: exit ${loaded.status ?? loaded.signal} ${loaded.error ?? ''}`)
if (JSON.stringify(loaded.answer) !== JSON.stringify(bits)) fail(`predictions differ after save and load: ${JSON.stringify(loaded.answer)} vs ${JSON.stringify(bits)}`)
ok(`saved, loaded in a fresh process: ${bits.length} predictions identical bit for bit`)

const again = await NcfModel.load(file, { device: 'cpu' })
const recs = await again.recommend(0, { k: 10 })
if (recs.length !== 10) fail(`recommend gave ${recs.length} items, not 10`)
for (let i = 1; i < recs.length; i++) if (!(recs[i - 1].score >= recs[i].score)) fail('recommendations are not sorted by score')
if (recs.some((r) => !Number.isInteger(r.id) || r.id < 0 || r.id >= data.numItems)) fail(`a recommendation is no item: ${JSON.stringify(recs)}`)
if (new Set(recs.map((r) => r.id)).size !== 10) fail('a recommendation is repeated')
ok(`recommend(0, k 10): ${recs.map((r) => r.id).join(' ')}`)
again.dispose()
model.dispose()
rmSync(dir, { recursive: true, force: true })

const gpu = child('--gpu-info')
if (gpu.status !== 0 || !gpu.answer) fail(`gpuInfo() crashed the process: exit ${gpu.status ?? gpu.signal} ${gpu.error ?? ''}`)
if (typeof gpu.answer.adapter === 'string' && gpu.answer.adapter.length > 0) {
  ok(`gpuInfo(): ${gpu.answer.adapter} (${gpu.answer.deviceType}, ${gpu.answer.backend})`)
  // The GPU draws the same samples as the CPU (one counter-based hash in Rust and WGSL), so the
  // two losses differ by float rounding only.
  const a = gpu.answer
  if (a.trainError) fail(`training on ${a.adapter} failed: ${a.trainError}`)
  if (a.trained !== 'gpu') fail(`device 'gpu' trained on ${a.trained}`)
  const rel = Math.abs(a.loss - last.loss) / Math.abs(last.loss)
  if (!(rel < 1e-3)) fail(`the GPU's loss ${a.loss} is not the CPU's ${last.loss} (relative difference ${rel})`)
  if (!(a.hr > bound)) fail(`HR@10 on the GPU ${a.hr} is not above a random ranker's`)
  ok(`GMF, 2 epochs on ${a.adapter}: loss ${a.loss.toFixed(4)} (CPU ${last.loss.toFixed(4)}, relative difference ${rel.toExponential(1)}), HR@10 ${a.hr.toFixed(4)}`)
} else if (typeof gpu.answer.code === 'string' && /^ERR_[A-Z_]+$/.test(gpu.answer.code)) {
  ok(`gpuInfo(): no adapter, ${gpu.answer.code}: ${gpu.answer.message.split('.')[0]}`)
} else fail(`gpuInfo() neither named an adapter nor gave a coded error: ${JSON.stringify(gpu.answer)}`)

console.log(`smoke: passed in ${((Date.now() - started) / 1000).toFixed(1)} s`)
