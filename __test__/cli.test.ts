// The `ncf-native` command line, run as a user runs it (node cli.js, built by
// `npm run build`): help, exit codes, one-line errors, train → save → report → recommend /
// similar / evaluate with the data's own ids, --json, plain output off a TTY, and Ctrl-C.
import test from 'ava'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { NcfModel } from '../index.ts'
import { dataDir, hasMovieLens, repoRoot } from './helpers.ts'

const cli = join(repoRoot, 'cli.js')
const dir = mkdtempSync(join(tmpdir(), 'ncf-cli-'))
const env = { ...process.env, NODEVICE_SELECT: '1' }

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env, timeout: 300_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

test('help for every command, exit codes, and one-line errors', (t) => {
  t.true(existsSync(cli), 'cli.js is built by npm run build')
  const none = run()
  t.is(none.status, 2)
  t.regex(none.stdout, /Commands:/)
  t.is(run('--help').status, 0)
  for (const c of ['train', 'evaluate', 'recommend', 'similar', 'compare', 'info', 'bench']) {
    const r = run(c, '--help')
    t.is(r.status, 0, c)
    t.regex(r.stdout, /Usage: ncf-native /, c)
    t.regex(r.stdout, /Examples:\n {2}ncf-native /, c)
  }
  const cases: Array<[string[], number, RegExp]> = [
    [['frobnicate'], 2, /^ncf-native: unknown command 'frobnicate'/],
    [['train', 'synthetic', '--epochs', 'x'], 2, /^ncf-native: --epochs: expected an integer ≥ 1, got 'x'$/],
    [['train', 'synthetic', '--model', 'svd'], 2, /^ncf-native: --model: expected gmf\|mf\|als\|mlp\|neumf, got 'svd'$/],
    [['train', 'synthetic', '--bogus'], 2, /^ncf-native: Unknown option '--bogus'/],
    [['train'], 2, /^ncf-native: DATA: give a data file or folder/],
    [['train', join(dir, 'missing.csv')], 1, /^ncf-native: ERR_IO: .*missing\.csv: no such file or folder$/],
    [['recommend', '--user', '1'], 2, /^ncf-native: --model: give the saved model file$/],
    [['recommend', '--model', join(dir, 'nope.ncf'), '--user', '1'], 1, /^ncf-native: ERR_IO: /],
  ]
  for (const [args, status, pattern] of cases) {
    const r = run(...args)
    t.is(r.status, status, args.join(' '))
    t.is(r.stderr.trim().split('\n').length, 1, `one line on stderr: ${r.stderr}`)
    t.regex(r.stderr.trim(), pattern)
  }
})

test('train → save → report, then recommend, similar and evaluate from the file (plain output off a TTY, --json)', (t) => {
  const model = join(dir, 'gmf.ncf')
  const report = join(dir, 'report.html')
  const r = run('train', 'synthetic', '--model', 'gmf', '--factors', '16', '--epochs', '3', '--device', 'cpu', '--out', model, '--report', report)
  t.is(r.status, 0, r.stderr)
  const lines = r.stdout.trim().split('\n')
  t.deepEqual(lines.slice(0, 3).map((l) => l.split('  ')[0]), ['epoch 1/3', 'epoch 2/3', 'epoch 3/3'])
  t.regex(lines[0], /loss \d\.\d{4} {2}HR \d\.\d{4} {2}NDCG \d\.\d{4} {2}valid HR \d\.\d{4} {2}\d+\.\d\d s$/)
  t.false(/\r|\x1b\[/.test(r.stdout + r.stderr), 'no bar or escape codes off a TTY')
  t.true(existsSync(model) && readFileSync(report, 'utf8').includes('<svg'))
  const rec = run('recommend', '--model', model, '--user', '7', '--k', '5', '--json')
  t.is(rec.status, 0, rec.stderr)
  const recs = JSON.parse(rec.stdout) as { user: number; items: Array<{ id: number; score: number }> }
  t.is(recs.user, 7)
  t.is(recs.items.length, 5)
  t.true(recs.items.every((x, k) => k === 0 || x.score <= recs.items[k - 1].score), 'ranked')
  const sim = run('similar', '--model', model, '--item', '3', '--k', '4', '--json')
  t.is(sim.status, 0, sim.stderr)
  const near = JSON.parse(sim.stdout) as { similar: Array<{ id: number; score: number }> }
  t.is(near.similar.length, 4)
  t.false(near.similar.some((x) => x.id === 3), 'the item itself is left out')
  const ev = run('evaluate', 'synthetic', '--model', model, '--json')
  t.is(ev.status, 0, ev.stderr)
  const [sampled, full] = JSON.parse(ev.stdout) as Array<{ protocol: string; hr: number }>
  t.is(sampled.protocol, 'sampled')
  t.is(full.protocol, 'full')
  t.true(sampled.hr > 0.2, `a trained model beats a random ranker (HR@10 ${sampled.hr})`)
  const unknown = run('recommend', '--model', model, '--user', '99999')
  t.is(unknown.status, 1)
  t.regex(unknown.stderr, /^ncf-native: ERR_INVALID_ARG: user: id 99999 is not below numUsers = 1000$/m)
  // '' and '0x1f' once answered for users 0 and 31 (ids went through Number()).
  for (const bad of ['', '0x1f', '1e1', ' 7', '07', '7.0']) {
    const r = run('recommend', '--model', model, '--user', bad)
    t.is(r.status, 2, `--user '${bad}': ${r.stderr}`)
    t.regex(r.stderr, /^ncf-native: --user: '.*' is not an id of this model \(its user ids are integers written in decimal\)$/m)
  }
  const item = run('similar', '--model', model, '--item', '0x3')
  t.is(item.status, 2, item.stderr)
  t.regex(item.stderr, /--item: '0x3' is not an id of this model/)
})

test('compare prints one table and writes one report; bench and info answer in JSON', (t) => {
  const report = join(dir, 'compare.html')
  const r = run('compare', 'synthetic', '--models', 'gmf,mf', '--epochs', '2', '--device', 'cpu', '--report', report, '--json')
  t.is(r.status, 0, r.stderr)
  const { models } = JSON.parse(r.stdout) as { models: Array<{ model: string; hr: number }> }
  t.deepEqual(models.map((m) => m.model), ['GMF', 'MF'])
  t.true(models.every((m) => m.hr > 0))
  const html = readFileSync(report, 'utf8')
  t.true(html.includes('GMF') && html.includes('MF') && html.includes('id="compare"'))
  const b = run('bench', '--model', 'gmf', '--device', 'cpu', '--users', '300', '--items', '200', '--per-user', '20', '--epochs', '1', '--json')
  t.is(b.status, 0, b.stderr)
  const bench = JSON.parse(b.stdout) as { results: Array<{ device: string; samplesPerSecond: number }> }
  t.is(bench.results[0].device, 'cpu')
  t.true(bench.results[0].samplesPerSecond > 1000)
  const info = run('info', '--json')
  t.is(info.status, 0, info.stderr)
  t.true('gpu' in (JSON.parse(info.stdout) as object))
})

test('Ctrl-C stops training cleanly: exit 130, the last complete epoch saved', async (t) => {
  const model = join(dir, 'interrupted.ncf')
  const child = spawn(process.execPath, [cli, 'train', 'synthetic', '--model', 'gmf', '--epochs', '500', '--batch', '8', '--device', 'cpu', '--out', model], { env })
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  let sent = false
  const status = await new Promise<number | null>((resolve) => {
    child.stdout.on('data', (d) => {
      stdout += d
      // One Ctrl-C (a second one quits at once, by design).
      if (!sent && /epoch +2\/500/.test(stdout)) {
        sent = true
        child.kill('SIGINT')
      }
    })
    child.on('close', (code) => resolve(code)) // 'close': after stdout and stderr are drained
  })
  t.is(status, 130, stderr)
  t.regex(stderr, /stopping after the current submit/)
  t.regex(stderr, /interrupted; the model keeps its last complete epoch/)
  t.regex(stdout, /saved .*interrupted\.ncf \(the last complete epoch\)/)
  const epochs = stdout.match(/^epoch +\d+\/500/gm)!.length
  t.true(epochs >= 2 && epochs < 500)
  const m = await NcfModel.load(model, { device: 'cpu' })
  t.is(m.kind, 'GMF')
  m.dispose()
})

test('the README example: train on MovieLens-100K u.data, then recommend and similar in its ids', (t) => {
  if (!hasMovieLens) return t.pass('MovieLens not present')
  const model = join(dir, 'ml100k.ncf')
  const report = join(dir, 'ml100k.html')
  const r = run('train', join(dataDir, 'ml-100k/u.data'), '--epochs', '2', '--device', 'cpu', '--out', model, '--report', report)
  t.is(r.status, 0, r.stderr)
  const rec = run('recommend', '--model', model, '--user', '42', '--k', '10', '--json')
  const items = (JSON.parse(rec.stdout) as { items: Array<{ id: number }> }).items
  t.is(items.length, 10)
  t.true(items.every((x) => Number.isInteger(x.id) && x.id >= 1 && x.id <= 1682), 'u.data film ids')
  const sim = run('similar', '--model', model, '--item', '1', '--json')
  t.is((JSON.parse(sim.stdout) as { similar: unknown[] }).similar.length, 10)
})

test('--checkpoint then --resume continues the run to the uninterrupted result', (t) => {
  const ck = join(dir, 'run.ckpt')
  const common = ['synthetic', '--model', 'gmf', '--device', 'cpu', '--lr', '0.01', '--json', '-q']
  const whole = JSON.parse(run('train', ...common, '--epochs', '4').stdout) as { epochs: Array<{ loss: number }> }
  const part = run('train', ...common, '--epochs', '2', '--checkpoint', ck)
  t.is(part.status, 0, part.stderr)
  const rest = run('train', ...common, '--epochs', '4', '--resume', ck)
  t.is(rest.status, 0, rest.stderr)
  const resumed = JSON.parse(rest.stdout) as { epochs: Array<{ epoch: number; loss: number }> }
  t.deepEqual(resumed.epochs.map((e) => e.epoch), [1, 2, 3, 4])
  t.deepEqual(resumed.epochs.map((e) => e.loss), whole.epochs.map((e) => e.loss), 'bit for bit on the CPU')
  const other = run('train', ...common, '--epochs', '4', '--lr', '0.02', '--resume', ck)
  t.is(other.status, 1)
  t.regex(other.stderr, /^ncf-native: ERR_INVALID_ARG: resumeFrom: the checkpoint was written with other options \(lr: 0\.01 there, 0\.02 here\)/)
})
