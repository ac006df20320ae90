// What live progress costs: the same fits with and without `onProgress` (every 100 ms),
// alternating, on each backend. On the GPU, progress keeps at most two submits in flight and
// brings each submit's 512 losses back, so this is where a cost would show.
//
//   npx tsx examples/progress-overhead.ts [--device cpu,gpu] [--models gmf,neumf] [--rounds 3]
import { parseArgs } from 'node:util'
import { Dataset, GMF, NeuMF, type Device } from '../index.ts'

const { values } = parseArgs({
  options: {
    device: { type: 'string', default: 'cpu,gpu' },
    models: { type: 'string', default: 'gmf,neumf' },
    rounds: { type: 'string', default: '3' },
    users: { type: 'string', default: '2000' },
    items: { type: 'string', default: '1500' },
    'per-user': { type: 'string', default: '50' },
  },
})
const data = Dataset.synthetic({ numUsers: Number(values.users), numItems: Number(values.items), perUser: Number(values['per-user']), seed: 1 })
console.log(`synthetic ${data.numUsers} × ${data.numItems}, ${data.numInteractions} interactions (${data.numInteractions * 5} samples per epoch)`)
for (const device of values.device.split(',') as Device[]) {
  for (const kind of values.models.split(',')) {
    const secs = { off: [] as number[], on: [] as number[] }
    for (let r = 0; r < Number(values.rounds); r++) {
      for (const mode of r % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
        const sizes = { numUsers: data.numUsers, numItems: data.numItems, factors: 16, device }
        const m = kind === 'gmf' ? new GMF(sizes) : new NeuMF(sizes)
        let calls = 0
        const h = await m.fit(data, { epochs: 2, evaluate: false, ...(mode === 'on' ? { onProgress: () => calls++, progressEvery: 100 } : {}) })
        m.dispose()
        secs[mode].push(...h.epochs.map((e) => e.seconds))
        if (mode === 'on' && calls === 0) throw new Error('no progress reported')
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
    const [off, on] = [mean(secs.off), mean(secs.on)]
    console.log(`${device} ${kind.padEnd(5)} s/epoch without ${off.toFixed(3)}, with progress ${on.toFixed(3)}: ratio ${(on / off).toFixed(3)}`)
  }
}
