#!/usr/bin/env node
// The architecture rules CI checks (`npm run lint:rules`): only what Cargo and Rust's visibility
// do not enforce, all about which module names which. (Stale names in the module docs are
// rustdoc's to find: `cargo doc` with `-D warnings` in CI.)
//   core-imports  ncf-core depends on no GPU, napi or upper-layer crate (Cargo then refuses paths into them)
//   node-imports  ncf-node uses the core's seam and adapter selection, no backend internals
//   ts-index      no TypeScript module imports the top-level index.ts (it only re-exports)
//   rust-cycle    no cycle among a crate's top-level modules, nor among a folder's children;
//                 test code (`*_tests.rs`, `mod tests`) is compiled only into tests: no edge
//   ts-cycle      no cycle among the package's TypeScript modules
// Usage: node scripts/check-rules.mjs [--root DIR] (the repository's by default). Prints
// `file:line: rule: message` per violation and exits 1, or prints `rules: ok (N checks)`.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import ts from 'typescript'

// The ncf_gpu items the binding may name (choosing and describing the adapter); the rest of
// ncf-gpu is backend internals, reached only through the core's backend seam.
const NODE_GPU_ALLOWED = ['select', 'gpu_info', 'GpuInfo', 'GpuLimits']
// Backend types the binding must not name under any path (a re-export is no way around); nor
// any path into the core's CPU backend, `ncf_core::cpu::…`.
const NODE_FORBIDDEN_NAMES = ['CpuSteps', 'HogwildSteps', 'AlsSteps', 'GpuSteps', 'GpuAlsSteps', 'GpuContext']
const CORE_FORBIDDEN_DEPS = ['wgpu', 'naga', 'napi', 'napi-derive', 'napi-build', 'ncf-gpu', 'ncf-node']
const TS_SKIP_DIRS = new Set(['__test__', 'examples', 'node_modules', 'docs', 'target', 'dist']) // no package sources
const DEP_TABLE = /^(dev|build)?[-_]?dependencies$/

let root, checks = 0
const violations = []
const rel = (p) => relative(root, p).split(sep).join('/')
const report = (file, line, rule, message) => violations.push({ file: rel(file), line, rule, message })

/** Files under `dir` whose names match `re`, in a stable order, skipping dot folders and `skip`. */
function walk(dir, re, skip = new Set(['target'])) {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name)).flatMap((e) =>
    e.isDirectory() ? (e.name.startsWith('.') || skip.has(e.name) ? [] : walk(join(dir, e.name), re, skip))
      : re.test(e.name) ? [join(dir, e.name)] : [])
}

/** Dependencies named in a Cargo.toml, in any table (plain, dev, build, target-specific), with
 * the package they rename (`gpu = { package = "wgpu" }` is still wgpu). */
function cargoDeps(text) {
  const [deps, unquote] = [[], (s) => s.trim().replace(/^["']|["']$/g, '')]
  const dotted = (s) => (s.match(/"[^"]*"|'[^']*'|[^.]+/g) ?? []).map(unquote)
  let table = []
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, '')
    const header = /^\s*\[\[?\s*(.+?)\s*\]\]?\s*$/.exec(line)
    const kv = /^\s*("[^"]+"|'[^']+'|[\w.-]+)\s*=\s*(.*)$/.exec(line)
    const add = (name) => deps.push({ name: name.replaceAll('_', '-'), line: i + 1 })
    if (header) {
      table = dotted(header[1])
      if (DEP_TABLE.test(table.at(-2))) add(table.at(-1)) // [dependencies.wgpu]
    } else if (kv && DEP_TABLE.test(table.at(-1))) {
      add(dotted(kv[1])[0])
      const pkg = /package\s*=\s*["']([^"']+)["']/.exec(kv[2])
      if (pkg) add(pkg[1])
    } else if (kv && DEP_TABLE.test(table.at(-2)) && dotted(kv[1])[0] === 'package') add(unquote(kv[2]))
  })
  return deps
}

function checkCargo(file, forbidden, rule, why) {
  if (!existsSync(file)) return report(file, 1, rule, 'missing (is --root the repository?)')
  checks++
  for (const d of cargoDeps(readFileSync(file, 'utf8')).filter((d) => forbidden.includes(d.name))) {
    report(file, d.line, rule, `depends on ${d.name}: ${why}`)
  }
}

// One Rust token: comments (block comments are not nested here) and string, raw-string and
// char literals are matched whole and then dropped, so `"use wgpu::X"`, `'{'` or `// crate::a`
// neither count nor unbalance the braces after them; `'a` (a lifetime) is no char literal.
const RUST_TOKEN = /\/\/[^\n]*|\/\*[\s\S]*?\*\/|b?r(#*)"[\s\S]*?"\1|b?"(?:\\[\s\S]|[^"\\])*"|b?'(?:\\(?:u\{\w*\}|x\w\w|.)|[^'\\\n])'|r#[A-Za-z_]\w*|[A-Za-z_]\w*|::|\S/g
const isIdent = (tk) => tk !== undefined && /^[A-Za-z_]\w*$/.test(tk.t)

/** One `use` tree from toks[i] under `prefix`, every leaf pushed to `out`:
 * `use crate::{a::{b, c as d}, e::*}` gives crate::a::b, crate::a::c and crate::e::*. */
function useTree(toks, i, prefix, out) {
  const segs = [...prefix]
  if (toks[i]?.t === '::') i++
  for (; i < toks.length; ) {
    const tk = toks[i]
    if (tk.t === '{') {
      for (i++; i < toks.length && toks[i].t !== '}'; ) {
        i = Math.max(useTree(toks, i, segs, out), i + 1) // a token no tree takes is skipped
        if (toks[i]?.t === ',') i++
      }
      return i + 1
    }
    if (tk.t === '*') { out.push({ segs: [...segs, '*'], line: tk.line }); return i + 1 }
    if (!isIdent(tk)) return i
    segs.push(tk.t)
    if (toks[++i]?.t === '::') { i++; continue }
    if (segs.length > 1 && segs.at(-1) === 'self') segs.pop() // `a::{self}` is `a`
    out.push({ segs, line: tk.line })
    return toks[i]?.t === 'as' ? i + 2 : i
  }
  return i
}

/** Tokens of a Rust file and every path it names (`use` trees expanded, and expression paths
 * such as `crate::neural::forward(..)`), each with its line and the inline modules around it:
 * in `mod tests { use super::* }`, `super` is the file's own module, not its parent. */
function rustFile(file) {
  const text = readFileSync(file, 'utf8')
  let line = 1, last = 0
  const toks = [...text.matchAll(RUST_TOKEN)].map((m) => {
    for (; last < m.index; last++) if (text[last] === '\n') line++
    return { t: m[0].replace(/^r#(?=\w)/, ''), line }
  }).filter(({ t }) => !/^(\/\/|\/\*|b?r#*"|b?["'])/.test(t))
  const paths = []
  const inline = [] // { name, depth } of the open `mod x { .. }` blocks
  for (let i = 0, depth = 0; i < toks.length; i++) {
    const [tk, scope] = [toks[i], inline.map((m) => m.name)]
    if (tk.t === '{') depth++
    else if (tk.t === '}' && --depth === inline.at(-1)?.depth) inline.pop()
    else if (tk.t === 'mod' && isIdent(toks[i + 1]) && toks[i + 2]?.t === '{') inline.push({ name: toks[++i].t, depth })
    else if (tk.t === 'use') {
      const found = []
      for (i = useTree(toks, i + 1, [], found); i < toks.length && toks[i].t !== ';'; ) i++
      paths.push(...found.map((p) => ({ ...p, scope })))
    } else if (isIdent(tk) && toks[i + 1]?.t === '::' && toks[i - 1]?.t !== '::') {
      const segs = [tk.t]
      while (toks[i + 1]?.t === '::' && isIdent(toks[i + 2])) { segs.push(toks[i + 2].t); i += 2 }
      paths.push({ segs, line: tk.line, scope })
    }
  }
  return { toks, paths }
}

function checkNode(dir) {
  const [rule, seam, viaGpu] = ['node-imports', "a backend internal; use the core's seam",
    'the binding reaches the GPU through ncf-gpu only']
  checkCargo(join(dir, 'Cargo.toml'), ['wgpu', 'naga'], rule, viaGpu)
  for (const file of walk(join(dir, 'src'), /\.rs$/)) {
    checks++
    const { toks, paths } = rustFile(file)
    const named = new Set() // `name:line` already reported through its path
    for (const { segs, line } of paths) {
      const path = segs.join('::')
      const why = segs[0] === 'wgpu' ? viaGpu
        : segs[0] === 'ncf_gpu' && !NODE_GPU_ALLOWED.includes(segs[1])
          ? `only ncf_gpu::{${NODE_GPU_ALLOWED.join(', ')}} (adapter selection) may be used`
        : `${path}::`.startsWith('ncf_core::cpu::') ? seam : null
      if (!why) continue
      report(file, line, rule, `names ${path}: ${why}`)
      segs.forEach((s) => named.add(`${s}:${line}`))
    }
    for (const { t, line } of toks) {
      if (NODE_FORBIDDEN_NAMES.includes(t) && !named.has(`${t}:${line}`)) {
        report(file, line, rule, `names ${t}: ${seam}`)
        named.add(`${t}:${line}`)
      }
    }
  }
}

/** Module path of a file under src/: lib.rs → [], a/mod.rs → [a], a/b.rs → [a, b]. */
function modulePath(srcDir, file) {
  const parts = relative(srcDir, file).replace(/\.rs$/, '').split(sep)
  return parts.at(-1) === 'mod' || (parts.length === 1 && /^(lib|main)$/.test(parts[0])) ? parts.slice(0, -1) : parts
}

/** `crate::`, `self::` and `super::` paths made absolute (segments from the crate root); other
 * paths name other crates, or items in scope, never a sibling module. */
function absolute(segs, here) {
  if (segs[0] === 'crate') return segs.slice(1)
  if (segs[0] !== 'self' && segs[0] !== 'super') return null
  const base = [...here]
  let k = segs[0] === 'self' ? 1 : 0
  for (; segs[k] === 'super'; k++) if (base.pop() === undefined) return null
  return [...base, ...segs.slice(k)]
}

/** Every folder module P of a crate (its root included) is one graph whose nodes are P's
 * children: A → B when a file under P::A names P::B…. A path that stops at P itself (P's mod.rs
 * re-exports) is no edge: re-exporting is what the folder is for. */
function checkRustCycles(crateDir) {
  const srcDir = join(crateDir, 'src')
  const mods = walk(srcDir, /\.rs$/) // each bin is a crate of its own; test files make no edge
    .filter((f) => !relative(srcDir, f).startsWith(`bin${sep}`) && !/(^|_)tests\.rs$/.test(f.split(sep).at(-1)))
    .map((file) => ({ file, mod: modulePath(srcDir, file), paths: rustFile(file).paths }))
  const folders = new Map() // 'a::b' → { prefix, children, edges }
  for (const { mod } of mods) for (let k = 0; k < mod.length; k++) {
    const key = mod.slice(0, k).join('::')
    if (!folders.has(key)) folders.set(key, { prefix: mod.slice(0, k), children: new Set(), edges: new Map() })
    folders.get(key).children.add(mod[k])
  }
  for (const { file, mod, paths } of mods) {
    for (const p of paths.filter((p) => !p.scope.includes('tests'))) {
      const abs = absolute(p.segs, [...mod, ...p.scope])
      for (let k = 0; abs && k < mod.length; k++) {
        const folder = folders.get(mod.slice(0, k).join('::'))
        if (abs.length <= k || folder.prefix.some((s, j) => abs[j] !== s)) continue
        if (mod[k] !== abs[k] && folder.children.has(abs[k])) addEdge(folder.edges, mod[k], abs[k], file, p.line)
      }
    }
  }
  const crate = relative(join(crateDir, '..'), crateDir)
  for (const { prefix, edges } of folders.values()) {
    checks++
    reportCycles(edges, 'rust-cycle', `${crate}, ${prefix.length ? `folder ${prefix.join('/')}` : 'top-level modules'}`)
  }
}

/** The relative imports of a TypeScript file (static, `export … from`, side-effect, `import()`
 * and `require()`) from TypeScript's own syntax tree, each with the .ts file it means (under
 * nodenext `./x.js` is `./x.ts`) and its line. */
function tsImports(file) {
  const [source, found] = [ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true), []]
  const visit = (node) => {
    const call = ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword
      || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
    const spec = ts.isImportDeclaration(node) || ts.isExportDeclaration(node) ? node.moduleSpecifier
      : call ? node.arguments[0] : undefined
    if (spec && ts.isStringLiteralLike(spec) && /^\.\.?(\/|$)/.test(spec.text)) {
      const p = resolve(dirname(file), spec.text)
      const target = /\.[cm]?js$/.test(p) ? p.replace(/js$/, 'ts') : /\.[cm]?ts$/.test(p) ? p
        : [`${p}.ts`, join(p, 'index.ts')].find((c) => existsSync(c)) ?? `${p}.ts`
      found.push({ spec: spec.text, target, line: source.getLineAndCharacterOfPosition(spec.getStart()).line + 1 })
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found.sort((a, b) => a.line - b.line)
}

function checkTypeScript() {
  const index = join(root, 'index.ts')
  if (!existsSync(index)) return report(index, 1, 'ts-index', 'missing (is --root the repository?)')
  const [files, edges] = [walk(root, /^(?!.*\.d\.[cm]?ts$).*\.[cm]?ts$/, TS_SKIP_DIRS), new Map()]
  const why = 'index.ts only re-exports; import the module that defines it'
  checks += files.length + 1 // each file's imports, and the cycles among them
  for (const file of files) {
    for (const { spec, target, line } of tsImports(file)) {
      if (target === index && file !== index) report(file, line, 'ts-index', `imports '${spec}': ${why}`)
      if (files.includes(target)) addEdge(edges, rel(file), rel(target), file, line)
    }
  }
  reportCycles(edges, 'ts-cycle', 'TypeScript modules')
}

/** Keeps the first place (in walk order) that makes each edge, to show it in the report. */
function addEdge(edges, a, b, file, line) {
  if (!edges.has(a)) edges.set(a, new Map())
  if (!edges.get(a).has(b)) edges.get(a).set(b, { file: rel(file), line })
}

/** From each node, the shortest way back to it (breadth first), each cycle reported once: every
 * module on a cycle is named, without listing the exponentially many cycles of a dense knot. */
function reportCycles(edges, rule, where) {
  const seen = new Set()
  for (const start of [...edges.keys()].sort()) {
    const [parent, queue] = [new Map(), [start]]
    let last = null
    while (queue.length && last === null) {
      const v = queue.shift()
      for (const w of [...(edges.get(v)?.keys() ?? [])].sort()) {
        if (w === start) { last = v; break }
        if (!parent.has(w)) { parent.set(w, v); queue.push(w) }
      }
    }
    if (last === null) continue
    const cycle = [last]
    while (cycle[0] !== start) cycle.unshift(parent.get(cycle[0]))
    const min = cycle.indexOf([...cycle].sort()[0]) // the same cycle seen from another start
    const ring = [...cycle.slice(min), ...cycle.slice(0, min)]
    if (seen.has(ring.join('\n'))) continue
    seen.add(ring.join('\n'))
    const at = (k) => edges.get(ring[k]).get(ring[(k + 1) % ring.length])
    const proof = ring.map((a, k) => `${a} → ${ring[(k + 1) % ring.length]} at ${at(k).file}:${at(k).line}`)
    const message = `import cycle in ${where}: ${[...ring, ring[0]].join(' → ')} (${proof.join('; ')})`
    violations.push({ ...at(0), rule, message })
  }
}

try {
  const { values } = parseArgs({ options: { root: { type: 'string' } } })
  root = resolve(values.root ?? join(dirname(fileURLToPath(import.meta.url)), '..'))
} catch (e) {
  console.error(`${e.message}\nusage: node scripts/check-rules.mjs [--root DIR]`)
  process.exit(2)
}
const core = 'the core has no GPU and no napi code'
checkCargo(join(root, 'crates/ncf-core/Cargo.toml'), CORE_FORBIDDEN_DEPS, 'core-imports', core)
checkNode(join(root, 'crates/ncf-node'))
const crates = join(root, 'crates')
for (const name of existsSync(crates) ? readdirSync(crates).sort() : []) {
  if (existsSync(join(crates, name, 'src'))) checkRustCycles(join(crates, name))
}
checkTypeScript()
violations.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.rule.localeCompare(b.rule))
for (const v of violations) console.log(`${v.file}:${v.line}: ${v.rule}: ${v.message}`)
if (violations.length) console.error(`rules: ${violations.length} violation(s) (${checks} checks)`)
else console.log(`rules: ok (${checks} checks)`)
process.exitCode = violations.length ? 1 : 0
