// Every file ncf-native writes (a model, an ONNX graph, a checkpoint, a report) replaces only a
// regular file: a folder, a FIFO or a socket at the path is ERR_IO naming it and is left as it
// was, and a symbolic link is written through to its target and stays a link.
import test from 'ava'
import { execFileSync } from 'node:child_process'
import { lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { Dataset, GMF, writeReport } from '../index.ts'
import { rejectsWith, tempFiles } from './helpers.ts'

const unix = process.platform !== 'win32'

test('each writer refuses a folder, a FIFO, a socket and a link to nothing, and leaves them', async (t) => {
  if (!unix) return t.pass('FIFOs and sockets are POSIX')
  const dir = tempFiles({})
  const folder = join(dir, 'folder')
  mkdirSync(folder)
  const fifo = join(dir, 'fifo')
  execFileSync('mkfifo', [fifo])
  const socket = join(dir, 'socket')
  const server = createServer().listen(socket)
  await new Promise((r) => server.once('listening', r))
  const dangling = join(dir, 'dangling')
  symlinkSync(join(dir, 'nothing'), dangling)
  const data = Dataset.synthetic({ numUsers: 20, numItems: 30, perUser: 5, testNegatives: 10, seed: 1 })
  const model = new GMF({ numUsers: data.numUsers, numItems: data.numItems, factors: 4 })
  const history = await model.fit(data, { epochs: 1, device: 'cpu' })
  const writers: Array<[string, (path: string) => unknown]> = [
    ['save', (p) => model.save(p)],
    ['exportOnnx', (p) => model.exportOnnx(p)],
    ['checkpoint', (p) => model.fit(data, { epochs: 1, device: 'cpu', checkpoint: { path: p } })],
    ['writeReport', (p) => writeReport([history], p)],
  ]
  for (const [name, write] of writers) {
    for (const [path, says] of [
      [folder, 'it is a folder'],
      [fifo, 'it is a FIFO'],
      [socket, 'it is a socket'],
      [dangling, 'it is a link to nothing'],
    ] as const) {
      await rejectsWith(t, () => write(path), 'ERR_IO', new RegExp(`${path.replaceAll('/', '\\/')}: ${says}`))
      t.true(lstatSync(path).isDirectory() || lstatSync(path).isFIFO() || lstatSync(path).isSocket() || lstatSync(path).isSymbolicLink(), `${name} left ${path}`)
    }
  }
  t.true(lstatSync(fifo).isFIFO() && lstatSync(socket).isSocket() && statSync(folder).isDirectory())
  server.close()
  model.dispose()
})

test('each writer writes a link through to its regular file, and the link stays', async (t) => {
  if (!unix) return t.pass('links are POSIX here')
  const dir = tempFiles({})
  const data = Dataset.synthetic({ numUsers: 20, numItems: 30, perUser: 5, testNegatives: 10, seed: 2 })
  const model = new GMF({ numUsers: data.numUsers, numItems: data.numItems, factors: 4 })
  const history = await model.fit(data, { epochs: 1, device: 'cpu' })
  for (const [name, write] of [
    ['model.ncf', (p: string) => model.save(p)],
    ['model.onnx', (p: string) => model.exportOnnx(p)],
    ['report.html', (p: string) => writeReport([history], p)],
  ] as const) {
    const real = join(dir, `v1-${name}`)
    writeFileSync(real, 'old')
    const link = join(dir, name)
    symlinkSync(real, link)
    await write(link)
    t.true(lstatSync(link).isSymbolicLink(), `${name} is still a link`)
    t.not(readFileSync(real, 'utf8'), 'old', `${name}'s target holds the new file`)
  }
  const back = await GMF.load(join(dir, 'model.ncf'))
  t.deepEqual(back.weights(), model.weights())
  back.dispose()
  model.dispose()
})
