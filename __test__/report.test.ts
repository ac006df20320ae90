// HTML training reports, rendered in a real browser (headless Chromium through
// puppeteer-core): no console error, every chart has drawn marks, and a screenshot is kept as a
// CI artifact (NCF_ARTIFACTS, default ./artifacts).
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import puppeteer from 'puppeteer-core'

import { Dataset, GMF, MF, NeuMF, renderReport, writeReport, type History } from '../index.ts'
import { rejectsWith, repoRoot } from './helpers.ts'

const dir = mkdtempSync(join(tmpdir(), 'ncf-report-'))
const artifacts = resolve(process.env.NCF_ARTIFACTS ?? join(repoRoot, 'artifacts'))

/** The system Chromium (Debian's `chromium`; `.ci/run` installs it), or CHROMIUM_PATH. */
function chromium(): string {
  const candidates = [
    process.env.CHROMIUM_PATH,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    // GitHub's macOS and Windows runners ship Chrome.
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
  ]
  const found = candidates.find((p): p is string => !!p && existsSync(p))
  if (!found) throw new Error('no Chromium found: apt-get install chromium, or set CHROMIUM_PATH')
  return found
}

async function implicitRuns(): Promise<Array<{ name: string; history: History; hyperparameters: Record<string, unknown>; dataset: Record<string, unknown> }>> {
  const data = Dataset.synthetic({ numUsers: 300, numItems: 200, perUser: 15, seed: 4 })
  const split = data // leave-one-out test set built in; validation via fit
  const runs = []
  for (const [name, model] of [
    ['GMF', new GMF({ numUsers: data.numUsers, numItems: data.numItems, factors: 8, device: 'cpu' })],
    ['NeuMF', new NeuMF({ numUsers: data.numUsers, numItems: data.numItems, factors: 8, device: 'cpu' })],
  ] as const) {
    const fit = { epochs: 4, lr: 0.005, validation: 'leave-one-out' as const }
    const history = await model.fit(split, fit)
    runs.push({ name, history, hyperparameters: { factors: 8, ...fit }, dataset: { users: data.numUsers, items: data.numItems, interactions: data.numInteractions } })
    model.dispose()
  }
  return runs
}

async function render(t: import('ava').ExecutionContext, path: string, shot: string): Promise<void> {
  const browser = await puppeteer.launch({ executablePath: chromium(), headless: true, args: ['--no-sandbox', '--disable-gpu'] })
  try {
    const page = await browser.newPage()
    const problems: string[] = []
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warn') problems.push(`${m.type()}: ${m.text()}`)
    })
    page.on('pageerror', (e) => problems.push(`pageerror: ${String(e)}`))
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`))
    // Any request beyond the file itself would mean the report is not self-contained.
    await page.setRequestInterception(true)
    page.on('request', (r) => {
      if (r.url().startsWith('file:')) void r.continue()
      else {
        problems.push(`network request: ${r.url()}`)
        void r.abort()
      }
    })
    await page.setViewport({ width: 1400, height: 1000 })
    await page.goto(`file://${path}`, { waitUntil: 'load' })
    const charts = await page.$$eval('figure.chart', (figs) =>
      figs.map((f) => ({
        id: f.id,
        marks: Array.from(f.querySelectorAll('.mark')).filter((m) => {
          const b = (m as SVGGraphicsElement).getBoundingClientRect()
          return b.width > 0 || b.height > 0
        }).length,
      })),
    )
    t.deepEqual(problems, [], 'no console errors, page errors or network requests')
    t.true(charts.length >= 5, `charts: ${JSON.stringify(charts)}`)
    for (const c of charts) t.true(c.marks > 0, `chart '${c.id}' has drawn marks`)
    mkdirSync(artifacts, { recursive: true })
    await page.screenshot({ path: join(artifacts, shot) as `${string}.png`, fullPage: true })
    t.true(readFileSync(join(artifacts, shot)).length > 10_000, 'a screenshot was saved')
  } finally {
    await browser.close()
  }
}

test('an implicit-feedback report renders in Chromium with every chart drawn', async (t) => {
  const runs = await implicitRuns()
  const path = join(dir, 'nested', 'implicit.html')
  writeReport(runs, path)
  const html = readFileSync(path, 'utf8')
  for (const id of ['loss', 'hr', 'ndcg', 'compare', 'seconds']) t.true(html.includes(`id="${id}"`), id)
  t.false(/<script|https?:\/\//.test(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')), 'no script, no external resource')
  t.true(html.includes('class="mark selected"'), 'the selected epoch is marked')
  t.true(html.includes('NeuMF') && html.includes('interactions'), 'names and the dataset summary')
  await render(t, path, 'report-implicit.png')
})

test('a rating report shows RMSE/MAE curves and the validation loss', async (t) => {
  const users: number[] = []
  const items: number[] = []
  const ratings: number[] = []
  for (let u = 0; u < 80; u++) {
    for (let j = 0; j < 15; j++) {
      const i = (u * 7 + j * 11) % 60
      users.push(u)
      items.push(i)
      ratings.push(u % 2 === i % 2 ? 5 : 1)
    }
  }
  const data = await Dataset.fromArrays({ users, items, ratings }).split({ method: 'random', testRatio: 0.2, validationRatio: 0.1, negatives: 5, seed: 1 })
  const mf = new MF({ numUsers: data.numUsers, numItems: data.numItems, factors: 8, task: 'rating', device: 'cpu' })
  const history = await mf.fit(data, { epochs: 8, lr: 0.05 })
  t.true(history.bestEpoch! > 0, `an epoch beats the starting weights (best ${history.bestEpoch})`)
  mf.dispose()
  const path = join(dir, 'rating.html')
  writeReport([{ name: 'MF <rating>', history }], path, { title: 'Ratings & "things"' })
  const html = readFileSync(path, 'utf8')
  for (const id of ['loss', 'rmse', 'mae', 'compare', 'seconds']) t.true(html.includes(`id="${id}"`), id)
  t.true(html.includes('MF &lt;rating&gt;') && !html.includes('MF <rating>'), 'names are escaped')
  t.true(html.includes('<title>Ratings &amp; &quot;things&quot;</title>'))
  await render(t, path, 'report-rating.png')
})

test('bad report input is an NcfError naming the field', async (t) => {
  await rejectsWith(t, () => writeReport([], join(dir, 'x.html')), 'ERR_INVALID_ARG', /^runs: expected a non-empty array/)
  await rejectsWith(t, () => renderReport([{ name: 'x' } as never]), 'ERR_INVALID_ARG', /^runs\[0\]: is neither a History/)
  const h: History = { backend: 'cpu', epochs: [{ epoch: 1, loss: 0.5, samples: 10, lr: 0.001, seconds: 0.1 }], stoppedEarly: false }
  await rejectsWith(t, () => writeReport([h], ''), 'ERR_INVALID_ARG', /^path: must be a non-empty string/)
  // A folder that cannot be made: its parent is a file.
  writeReport([h], join(dir, 'file.html'))
  await rejectsWith(t, () => writeReport([h], join(dir, 'file.html', 'x.html')), 'ERR_IO', /file\.html\/x\.html: cannot write the report/)
  // A history without metrics (evaluate: false) still renders its loss and timing.
  t.true(renderReport([h]).includes('id="loss"'))
  // When the starting weights won (bestEpoch 0), no epoch is presented as the selected one.
  const kept = renderReport([{ ...h, bestEpoch: 0, epochs: [{ ...h.epochs[0], hr: 0.3, ndcg: 0.1 }] }])
  t.true(kept.includes('0 (the starting weights)'))
  t.false(kept.includes('id="compare"'), 'no bar claims the last epoch was kept')
})

test('the report `ncf-native train --report` writes renders in Chromium too', async (t) => {
  const path = join(dir, 'cli-report.html')
  const r = spawnSync(process.execPath, [join(repoRoot, 'cli.js'), 'train', 'synthetic', '--model', 'gmf', '--epochs', '3', '--device', 'cpu', '-q', '--report', path], {
    encoding: 'utf8',
    env: { ...process.env, NODEVICE_SELECT: '1' },
  })
  t.is(r.status, 0, r.stderr)
  await render(t, path, 'report-cli.png')
})
