// scripts/check-rules.mjs, the architecture rules CI runs (`npm run lint:rules`).
// Each test writes a small repository of its own, clean but for one forbidden thing, and checks
// that the script exits 1 naming that thing's file and line (so the CI step can fail).
// No native binding is needed: the script only reads source text.
import test, { type ExecutionContext } from 'ava'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'

const repoRoot = resolve(import.meta.dirname, '..')
const script = join(repoRoot, 'scripts/check-rules.mjs')

// A minimal repository that obeys every rule, with the traps the rules must not fall into:
// forbidden names in comments and strings, a folder's re-export, `super` inside an inline
// test module, excluded folders that import index.ts, and nested `use` groups.
const clean: Record<string, string> = {
  'crates/ncf-core/Cargo.toml': '[package]\nname = "ncf-core"\n\n[dependencies]\nthiserror.workspace = true\n# wgpu = "30" stays out\n',
  'crates/ncf-core/src/lib.rs': [
    '//! The GPU twin of this crate lives in ncf_gpu, built on wgpu::Device; napi:: binds it.',
    'pub mod cpu;',
    'pub mod data;',
    'pub mod error;',
    'pub mod model;',
    'pub use model::Model;',
    'const NOTE: &str = "use wgpu::Device; crate::model";',
    'const RAW: &str = r#"a "wgpu::Instance" b"#;',
    '',
  ].join('\n'),
  'crates/ncf-core/src/error.rs': 'pub struct Error;\n',
  'crates/ncf-core/src/data.rs': "pub struct Data;\npub fn brace() -> char { '{' }\n",
  'crates/ncf-core/src/model.rs': [
    'use crate::{data::{self, Data}, error::Error};',
    'pub struct Model(Data);',
    'pub fn make() -> Result<Model, Error> { Ok(Model(data::Data)) }',
    '',
  ].join('\n'),
  'crates/ncf-core/src/cpu/mod.rs': 'mod dense;\nmod tower;\npub use tower::Tower;\n',
  'crates/ncf-core/src/cpu/tower.rs': 'use super::dense::matmul;\nuse crate::model::Model;\npub struct Tower;\n',
  'crates/ncf-core/src/cpu/dense.rs': [
    // The folder's re-export of Tower is no edge dense → tower.
    'use super::Tower;',
    'pub fn matmul(_: &Tower) {}',
    'pub fn tower() {}',
    '#[cfg(test)]',
    'mod tests {',
    // `super` here is dense itself: its own fn tower, not the sibling module.
    '    use super::tower;',
    '}',
    '',
  ].join('\n'),
  'crates/ncf-node/Cargo.toml': [
    '[package]', 'name = "ncf-node"', '', '[dependencies]', 'ncf-core.workspace = true', 'ncf-gpu.workspace = true',
    'napi.workspace = true', '', '[build-dependencies]', 'napi-build.workspace = true', '',
  ].join('\n'),
  'crates/ncf-node/src/lib.rs': [
    'use ncf_core::Model;',
    'use ncf_gpu::{select, GpuInfo};',
    '// GpuSteps stays behind the seam.',
    'pub fn info() -> GpuInfo { ncf_gpu::gpu_info(select()) }',
    '',
  ].join('\n'),
  'index.ts': "export * from './src/model.js'\nexport type { Options } from './src/types.js'\n",
  'src/model.ts': [
    "import { helper } from './util.js'",
    "import type { Options } from './types.js'",
    "// import { x } from '../index.js'",
    'export const model = (o: Options) => helper + String(o)',
    '',
  ].join('\n'),
  'src/util.ts': [
    'export const helper = 1',
    `export const hint = "import('../index.js')"`,
    `export const usage = 'import("../index.js") loads it; see http://example.org'`,
    "export const re = /'/",
    'export const page = `<p>${[1].map((x) => `<b>${x}</b>`).join(\'\')}</p>`',
    '',
  ].join('\n'),
  'src/types.ts': 'export interface Options { epochs?: number }\n',
  '__test__/model.test.ts': "import { model } from '../index.js'\n",
  'examples/demo.ts': "import { model } from '../index.js'\nimport '../src/model.js'\n",
  'index.d.ts': "export * from './index.js'\n",
}

/** Writes the clean repository, with `changes` (a file's new text) over it, into a folder of its own. */
function repo(changes: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'ncf-rules-'))
  for (const [name, text] of Object.entries({ ...clean, ...changes })) {
    mkdirSync(dirname(join(dir, name)), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
  return dir
}

function check(dir: string) {
  const r = spawnSync(process.execPath, [script, '--root', dir], { encoding: 'utf8' })
  return { status: r.status, out: r.stdout + r.stderr, lines: r.stdout.split('\n').filter((l) => l.length > 0) }
}

/** Runs the rules on the clean repository plus `changes`; each `expected` must be a whole line. */
function fails(t: ExecutionContext, changes: Record<string, string>, expected: RegExp[]) {
  const r = check(repo(changes))
  t.is(r.status, 1, r.out)
  for (const re of expected) t.true(r.lines.some((l) => re.test(l)), `${re} in:\n${r.out}`)
  // Only the added thing is reported: the clean tree's traps stay quiet.
  t.is(r.lines.length, expected.length, r.out)
}

test('the clean repository passes every rule', (t) => {
  const r = check(repo())
  t.is(r.status, 0, r.out)
  t.regex(r.out, /^rules: ok \(\d+ checks\)\n$/)
})

test('a root that is not the repository fails instead of passing vacuously', (t) => {
  const r = check(mkdtempSync(join(tmpdir(), 'ncf-rules-empty-')))
  t.is(r.status, 1, r.out)
  t.regex(r.out, /crates\/ncf-core\/Cargo.toml:1: core-imports: missing/)
})

test('ncf-core may not depend on napi, in any dependency table', (t) => {
  const toml = clean['crates/ncf-core/Cargo.toml']
  fails(t, { 'crates/ncf-core/Cargo.toml': `${toml}napi = "3"\n` }, [
    /^crates\/ncf-core\/Cargo\.toml:7: core-imports: depends on napi/,
  ])
  fails(t, { 'crates/ncf-core/Cargo.toml': `${toml}\n[target.'cfg(unix)'.dev-dependencies]\ngpu = { package = "wgpu" }\n` }, [
    /^crates\/ncf-core\/Cargo\.toml:9: core-imports: depends on wgpu/,
  ])
  fails(t, { 'crates/ncf-core/Cargo.toml': `${toml}\n[build-dependencies.napi-build]\nversion = "2"\n` }, [
    /^crates\/ncf-core\/Cargo\.toml:8: core-imports: depends on napi-build/,
  ])
})

test('ncf-node may not use GPU backend internals', (t) => {
  const lib = clean['crates/ncf-node/src/lib.rs']
  fails(t, { 'crates/ncf-node/src/lib.rs': `${lib}use ncf_gpu::GpuSteps;\n` }, [
    /^crates\/ncf-node\/src\/lib\.rs:5: node-imports: names ncf_gpu::GpuSteps/,
  ])
  // Inside a group, next to allowed names.
  fails(t, { 'crates/ncf-node/src/lib.rs': `${lib}use ncf_gpu::{gpu_info, {GpuLimits, Backend}};\n` }, [
    /^crates\/ncf-node\/src\/lib\.rs:5: node-imports: names ncf_gpu::Backend/,
  ])
  // Through the core's re-export the name is still a backend internal.
  fails(t, { 'crates/ncf-node/src/job.rs': 'fn run(t: &ncf_core::GpuContext) {}\n' }, [
    /^crates\/ncf-node\/src\/job\.rs:1: node-imports: names GpuContext/,
  ])
})

test('ncf-node may not use CPU backend internals or wgpu', (t) => {
  fails(t, { 'crates/ncf-node/src/model.rs': 'pub fn go() {\n    ncf_core::cpu::x();\n}\n' }, [
    /^crates\/ncf-node\/src\/model\.rs:2: node-imports: names ncf_core::cpu::x/,
  ])
  const toml = clean['crates/ncf-node/Cargo.toml']
  fails(t, { 'crates/ncf-node/Cargo.toml': toml.replace('napi.workspace', 'wgpu.workspace = true\nnapi.workspace') }, [
    /^crates\/ncf-node\/Cargo\.toml:7: node-imports: depends on wgpu/,
  ])
})

test('no TypeScript module imports index.ts, in any import form', (t) => {
  const forms = [
    "import { x } from '../index.js'",
    "import type { Options } from '../index.ts'",
    "export { model } from '..'",
    "export * from '../index'",
    "const m = await import('../index.js')",
    "import '../index.js'",
  ]
  // In a module index.ts does not import (as the CLI's), so that no cycle is reported too.
  for (const form of forms) {
    fails(t, { 'src/help.ts': `export const usage = 'ncf-native <command>'\n\n${form}\n` }, [
      /^src\/help\.ts:3: ts-index: imports '\.\.(\/index(\.[jt]s)?)?'/,
    ])
  }
  // After literals that a naive scanner reads as opening a template, which would hide the import.
  for (const before of ['export const t = `a ${1 // `\n} b`', 'export const r = /`/', 'export const s = "`"']) {
    const line = before.split('\n').length + 2
    fails(t, { 'src/help.ts': `${before}\n\nimport '../index.js'\n` }, [new RegExp(`^src/help\\.ts:${line}: ts-index: imports '\\.\\./index\\.js'`)])
  }
  fails(t, { 'cli.ts': "import {\n  model,\n} from './index.js'\n" }, [/^cli\.ts:3: ts-index: imports '\.\/index\.js'/])
})

test('a cycle among a crate\'s top-level modules fails, naming both edges', (t) => {
  fails(t, { 'crates/ncf-core/src/data.rs': 'pub struct Data;\n\nfn back() { crate::model::make(); }\n' }, [
    /^crates\/ncf-core\/src\/data\.rs:3: rust-cycle: .*top-level modules: data → model → data \(data → model at crates\/ncf-core\/src\/data\.rs:3; model → data at crates\/ncf-core\/src\/model\.rs:1\)/,
  ])
})

test('nested use groups are read: crate::{a::{b}, c}', (t) => {
  fails(t, { 'crates/ncf-core/src/error.rs': 'use crate::{\n    data::{Data},\n    model::{self},\n};\npub struct Error;\n' }, [
    /^crates\/ncf-core\/src\/error\.rs:3: rust-cycle: .*error → model → error \(error → model at crates\/ncf-core\/src\/error\.rs:3; model → error at crates\/ncf-core\/src\/model\.rs:1\)/,
  ])
})

test('a cycle among the modules of a folder fails', (t) => {
  fails(t, { 'crates/ncf-core/src/cpu/dense.rs': 'use crate::cpu::tower::Tower;\npub fn matmul(_: &Tower) {}\n' }, [
    /^crates\/ncf-core\/src\/cpu\/dense\.rs:1: rust-cycle: .*folder cpu: dense → tower → dense \(dense → tower at crates\/ncf-core\/src\/cpu\/dense\.rs:1; tower → dense at crates\/ncf-core\/src\/cpu\/tower\.rs:1\)/,
  ])
})

test('test code makes no edge: a test may use what sits above the module it tests', (t) => {
  // dense's inline tests name the sibling tower, which uses dense: no cycle of the modules.
  const dense = clean['crates/ncf-core/src/cpu/dense.rs'].replace('use super::tower;', 'use super::super::tower::Tower;')
  const inline = check(repo({ 'crates/ncf-core/src/cpu/dense.rs': dense }))
  t.is(inline.status, 0, inline.out)
  // Nor does a `#[path]` test file (`*_tests.rs`) that names a module above its own.
  const file = check(repo({ 'crates/ncf-core/src/data_tests.rs': 'use crate::model::make;\n' }))
  t.is(file.status, 0, file.out)
  // The same import outside test code is a cycle.
  fails(t, { 'crates/ncf-core/src/data.rs': 'pub struct Data;\nuse crate::model::make;\n' }, [/^crates\/ncf-core\/src\/data\.rs:2: rust-cycle: .*data → model → data/])
})

test('a cycle among TypeScript modules fails', (t) => {
  fails(t, { 'src/util.ts': "import type { Options } from './model.js'\nexport const helper = 1\n" }, [
    /^src\/model\.ts:1: ts-cycle: .*src\/model\.ts → src\/util\.ts → src\/model\.ts \(src\/model\.ts → src\/util\.ts at src\/model\.ts:1; src\/util\.ts → src\/model\.ts at src\/util\.ts:1\)/,
  ])
})

test('this repository: every line the script prints is a violation or the ok line', (t) => {
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8' })
  t.true(r.status === 0 || r.status === 1, r.stdout + r.stderr)
  for (const line of r.stdout.split('\n').filter((l) => l.length > 0)) {
    t.regex(line, /^(\S+:\d+: (core-imports|node-imports|ts-index|rust-cycle|ts-cycle): .+|rules: ok \(\d+ checks\))$/)
  }
})
