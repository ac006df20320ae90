// Without a GPU adapter: 'gpu' fails with an actionable message, 'auto' falls back to the CPU
// with a one-line warning. WGPU_BACKEND=metal on Linux leaves wgpu with no adapter at all,
// which is what a machine without a Vulkan driver sees.
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { repoRoot } from './helpers.ts'

const script = `
import { Dataset, GMF, gpuInfo } from ${JSON.stringify(join(repoRoot, 'index.ts'))}
const out = {}
try { await gpuInfo(); out.info = 'adapter' } catch (e) { out.info = { code: e.code, message: e.message } }
const data = Dataset.synthetic({ numUsers: 50, numItems: 200, perUser: 5, seed: 1 })
const m = new GMF({ numUsers: data.numUsers, numItems: data.numItems })
try { await m.fit(data, { epochs: 1, device: 'gpu' }); out.gpu = 'trained' } catch (e) { out.gpu = e.code }
const h = await m.fit(data, { epochs: 1 })
await m.fit(data, { epochs: 1 })
out.auto = h.backend
out.hr = h.epochs[0].hr
console.log(JSON.stringify(out))
`

test('no adapter: gpu fails clearly, auto falls back to the CPU with one warning', (t) => {
  if (process.platform === 'darwin') {
    t.pass('Metal is the real backend here')
    return
  }
  const r = spawnSync(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], {
    cwd: repoRoot,
    env: { ...process.env, WGPU_BACKEND: 'metal', NODEVICE_SELECT: '1' },
    encoding: 'utf8',
  })
  t.is(r.status, 0, r.stderr)
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!)
  t.is(out.info.code, 'ERR_NO_GPU')
  t.regex(out.info.message, /apt-get install mesa-vulkan-drivers libvulkan1/)
  t.regex(out.info.message, /device: 'cpu'/)
  t.is(out.gpu, 'ERR_NO_GPU')
  t.is(out.auto, 'cpu')
  t.true(out.hr >= 0 && out.hr <= 1)
  const warnings = r.stderr.split('\n').filter((l) => l.includes('falling back to the CPU backend'))
  t.is(warnings.length, 1, r.stderr)
})

test('a software adapter only: auto takes the faster CPU backend and says why; gpu still uses it', async (t) => {
  const r = spawnSync(
    process.execPath,
    [
      '--import=tsx',
      '--input-type=module',
      '-e',
      `import { Dataset, GMF, gpuInfo } from ${JSON.stringify(join(repoRoot, 'index.ts'))}
const info = await gpuInfo()
const data = Dataset.synthetic({ numUsers: 50, numItems: 200, perUser: 5, seed: 1 })
const m = new GMF({ numUsers: data.numUsers, numItems: data.numItems })
const auto = (await m.fit(data, { epochs: 1 })).backend
const gpu = (await m.fit(data, { epochs: 1, device: 'gpu' })).backend
console.log(JSON.stringify({ type: info.deviceType, name: info.name, auto, gpu }))`,
    ],
    { cwd: repoRoot, env: { ...process.env, NODEVICE_SELECT: '1' }, encoding: 'utf8' },
  )
  t.is(r.status, 0, r.stderr)
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!)
  t.is(out.gpu, 'gpu')
  const warnings = r.stderr.split('\n').filter((l) => l.includes('falling back to the CPU backend'))
  if (out.type === 'Cpu') {
    t.is(out.auto, 'cpu')
    t.is(warnings.length, 1, r.stderr)
    t.true(warnings[0].includes(`'${out.name}', is a software rasterizer`), warnings[0])
  } else {
    t.is(out.auto, 'gpu', `a ${out.type} adapter is a real GPU`)
    t.is(warnings.length, 0, r.stderr)
  }
})
