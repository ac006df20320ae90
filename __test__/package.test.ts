// The per-platform package of this machine holds a loadable addon, as napi-rs lays it out.
import test from 'ava'
import { readFileSync, existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { repoRoot } from './helpers.ts'

const require = createRequire(import.meta.url)

test('npm/linux-x64-gnu holds the addon and it loads', (t) => {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    t.pass('not linux-x64')
    return
  }
  const dir = join(repoRoot, 'npm/linux-x64-gnu')
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  t.is(pkg.name, 'ncf-native-linux-x64-gnu')
  t.deepEqual(pkg.os, ['linux'])
  t.true(existsSync(join(dir, pkg.main)), 'run npm run build:native to stage the addon')
  const addon = require(join(dir, pkg.main))
  t.is(typeof addon.NativeModel, 'function')
  t.is(typeof addon.gpuInfo, 'function')
  const m = new addon.NativeModel('gmf', 3, 4, 2, undefined, 0)
  t.is(m.weights().length, (3 + 4) * 2 + 2 + 1)
})

test('package.json declares every target and its package dir exists', (t) => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'))
  t.is(pkg.name, 'ncf-native')
  t.is(pkg.napi.targets.length, 5)
  for (const d of ['linux-x64-gnu', 'linux-arm64-gnu', 'darwin-x64', 'darwin-arm64', 'win32-x64-msvc']) {
    t.true(existsSync(join(repoRoot, 'npm', d, 'package.json')), d)
  }
})
