#!/usr/bin/env node
// The architecture rules, checked in CI (`npm run lint:rules`): only what Cargo and Rust's
// visibility do not enforce. The rules are about which module names which: TypeScript's own
// parser reads the TypeScript imports, and for Rust a scanner that drops comments and
// literals is enough.
//
//   core-imports  ncf-core depends on neither wgpu nor napi (nor the crates built on it);
//                 without the dependency Cargo refuses any path into them
//   node-imports  ncf-node uses the core's seam and adapter selection, no backend internals
//   ts-index      no TypeScript module imports the top-level index.ts (it only re-exports)
//   rust-cycle    no cycle among a crate's top-level modules, nor among a folder's children;
//                 test code (`*_tests.rs`, `mod tests`) is compiled only into the tests and
//                 makes no edge
//   ts-cycle      no cycle among the package's TypeScript modules
//   readme-names  a folder README (crates/**, src/) names only files and items that exist:
//                 each `code span`'s file paths, `a::b` paths and CamelCase names
//
// Usage: node scripts/check-rules.mjs [--root DIR]   (DIR defaults to the repository root)
// Prints `file:line: rule: message` per violation and exits 1, or `rules: ok (N checks)`.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import ts from 'typescript'

// The ncf_gpu items the binding may name: choosing the adapter and describing it. Everything
// else in ncf-gpu is backend internals, reached only through the core's backend seam.
const NODE_GPU_ALLOWED = ['select', 'gpu_info', 'GpuInfo', 'GpuLimits']
// Backend types the binding must not name under any path (a re-export is no way around), and
// the core's modules that hold the CPU backend's internals (`ncf_core::cpu::…`).
const NODE_FORBIDDEN_NAMES = ['CpuSteps', 'HogwildSteps', 'AlsSteps', 'GpuSteps', 'GpuAlsSteps', 'GpuContext']
const NODE_FORBIDDEN_CORE = ['cpu', 'backend::cpu']
// The core is the bottom layer: no GPU, no Node, and nothing of the layers above it.
const CORE_FORBIDDEN_DEPS = ['wgpu', 'naga', 'napi', 'napi-derive', 'napi-build', 'ncf-gpu', 'ncf-node']
// Folders whose .ts files are no package sources (tests, examples, docs, installed packages)
// and build outputs, which hold none.
const TS_SKIP_DIRS = new Set(['__test__', 'examples', 'node_modules', 'docs', 'target', 'dist'])
const DEP_TABLES = new Set(['dependencies', 'dev-dependencies', 'build-dependencies', 'dev_dependencies',
  'build_dependencies'])

let root
let checks = 0
const violations = []
const rel = (p) => relative(root, p).split(sep).join('/')
const report = (file, line, rule, message) => violations.push({ file: rel(file), line, rule, message })

/** Files under `dir` whose names match `re`, in a stable order, skipping dot folders and `skip`. */
function walk(dir, re, skip = new Set(['target'])) {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => {
      if (e.isDirectory()) return e.name.startsWith('.') || skip.has(e.name) ? [] : walk(join(dir, e.name), re, skip)
      return re.test(e.name) ? [join(dir, e.name)] : []
    })
}

/** Rust `src` with comments and the insides of literals turned to spaces, newlines kept so
 * lines still match: a `"{"`, a `// use wgpu` or a path quoted in a help text neither counts nor
 * unbalances what follows (nested block comments, raw strings, char literals unlike lifetimes). */
function blankCode(src) {
  const out = src.split('')
  const blank = (a, b) => { for (let k = a; k < b; k++) if (out[k] !== '\n') out[k] = ' ' }
  const find = (s, from) => (src.indexOf(s, from) < 0 ? src.length : src.indexOf(s, from))
  const raw = /b?r(#*)"/y
  for (let i = 0, m, end; i < src.length; i = end) {
    const c = src[i], d = src[i + 1]
    if (c === '/' && d === '/') { end = find('\n', i); blank(i, end); continue }
    if (c === '/' && d === '*') {
      end = i + 2
      for (let n = 1; end < src.length && n > 0; end++) { // block comments nest
        if (src.startsWith('*/', end)) { n--; end++ } else if (src.startsWith('/*', end)) { n++; end++ }
      }
      blank(i, end)
      continue
    }
    raw.lastIndex = i
    if ((c === 'r' || c === 'b') && !/\w/.test(src[i - 1] ?? '') && (m = raw.exec(src))) { // r#"…"#
      end = find(`"${m[1]}`, i + m[0].length)
      blank(i + m[0].length, end)
      end += 1 + m[1].length
      continue
    }
    if (c === '"') {
      for (end = i + 1; end < src.length && src[end] !== c; end++) if (src[end] === '\\') end++
      end++
    } else if (c === "'" && d === '\\') end = find("'", i + 3) + 1 // '\n', '\'', '\u{..}'
    else if (c === "'" && src[i + 2] === "'") end = i + 3 // 'x', where 'a is a lifetime
    else { end = i + 1; continue }
    blank(i + 1, end - 1)
  }
  return out.join('')
}

// ---------------------------------------------------------------------------------- Cargo.toml
/** Dependencies named in a Cargo.toml, in any table (plain, dev, build, target-specific), with
 * the package they rename (`gpu = { package = "wgpu" }` is still wgpu). */
function cargoDeps(text) {
  const deps = []
  const dotted = (s) => (s.match(/"[^"]*"|'[^']*'|[^.]+/g) ?? []).map((x) => x.trim().replace(/^["']|["']$/g, ''))
  let table = []
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, '')
    const header = /^\s*\[\[?\s*(.+?)\s*\]\]?\s*$/.exec(line)
    const kv = /^\s*("[^"]+"|'[^']+'|[\w.-]+)\s*=\s*(.*)$/.exec(line)
    if (header) {
      table = dotted(header[1])
      if (DEP_TABLES.has(table.at(-2))) deps.push({ name: table.at(-1), line: i + 1 }) // [dependencies.wgpu]
    } else if (kv && DEP_TABLES.has(table.at(-1))) {
      deps.push({ name: dotted(kv[1])[0], line: i + 1 })
      const pkg = /package\s*=\s*["']([^"']+)["']/.exec(kv[2])
      if (pkg) deps.push({ name: pkg[1], line: i + 1 })
    } else if (kv && DEP_TABLES.has(table.at(-2)) && dotted(kv[1])[0] === 'package') {
      deps.push({ name: kv[2].trim().replace(/^["']|["']$/g, ''), line: i + 1 })
    }
  })
  return deps.map((d) => ({ ...d, name: d.name.replaceAll('_', '-') }))
}

function checkCargo(file, forbidden, rule, why) {
  if (!existsSync(file)) return report(file, 1, rule, 'missing (is --root the repository?)')
  checks++
  for (const d of cargoDeps(readFileSync(file, 'utf8'))) {
    if (forbidden.includes(d.name)) report(file, d.line, rule, `depends on ${d.name}: ${why}`)
  }
}

// ------------------------------------------------------------------------------------ Rust
const isIdent = (tk) => tk !== undefined && /^[A-Za-z_]\w*$/.test(tk.t)

/** One `use` tree from toks[i] under `prefix`, every leaf pushed to `out`:
 * `use crate::{a::{b, c as d}, e::*}` gives crate::a::b, crate::a::c and crate::e::*. */
function useTree(toks, i, prefix, out) {
  const segs = [...prefix]
  if (toks[i]?.t === '::') i++
  while (i < toks.length) {
    const tk = toks[i]
    if (tk.t === '{') {
      for (i++; i < toks.length && toks[i].t !== '}'; ) {
        const next = useTree(toks, i, segs, out)
        i = next > i ? next : i + 1
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
const rustFiles = new Map()
function rustFile(file) {
  if (rustFiles.has(file)) return rustFiles.get(file)
  const text = blankCode(readFileSync(file, 'utf8'))
  let line = 1, last = 0
  const toks = [...text.matchAll(/r#[A-Za-z_]\w*|[A-Za-z_]\w*|::|\S/g)].map((m) => {
    for (; last < m.index; last++) if (text[last] === '\n') line++
    return { t: m[0].replace(/^r#/, ''), line }
  })
  const paths = []
  const inline = [] // { name, depth } of the open `mod x { .. }` blocks
  for (let i = 0, depth = 0; i < toks.length; i++) {
    const tk = toks[i]
    const scope = inline.map((m) => m.name)
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
  rustFiles.set(file, { toks, paths })
  return rustFiles.get(file)
}

function checkCore(dir) {
  checkCargo(join(dir, 'Cargo.toml'), CORE_FORBIDDEN_DEPS, 'core-imports', 'the core has no GPU and no napi code')
}

function checkNode(dir) {
  const rule = 'node-imports'
  const seam = "a backend internal; use the core's seam"
  const gpu = `only ncf_gpu::{${NODE_GPU_ALLOWED.join(', ')}} (adapter selection) may be used`
  checkCargo(join(dir, 'Cargo.toml'), ['wgpu', 'naga'], rule, 'the binding reaches the GPU through ncf-gpu only')
  for (const file of walk(join(dir, 'src'), /\.rs$/)) {
    checks++
    const { toks, paths } = rustFile(file)
    const named = new Set() // `name:line` already reported through its path
    for (const { segs, line } of paths) {
      const path = segs.join('::')
      const why = segs[0] === 'wgpu' ? 'the binding reaches the GPU through ncf-gpu only'
        : segs[0] === 'ncf_gpu' && !NODE_GPU_ALLOWED.includes(segs[1]) ? gpu
        : NODE_FORBIDDEN_CORE.some((m) => `${path}::`.startsWith(`ncf_core::${m}::`)) ? seam : null
      if (!why) continue
      report(file, line, rule, `names ${path}: ${why}`)
      segs.forEach((s) => named.add(`${s}:${line}`))
    }
    for (const { t, line } of toks) {
      if (!NODE_FORBIDDEN_NAMES.includes(t) || named.has(`${t}:${line}`)) continue
      named.add(`${t}:${line}`)
      report(file, line, rule, `names ${t}: ${seam}`)
    }
  }
}

/** Module path of a file under src/: lib.rs → [], a/mod.rs → [a], a/b.rs → [a, b]. */
function modulePath(srcDir, file) {
  const parts = relative(srcDir, file).split(sep)
  const last = parts.pop().replace(/\.rs$/, '')
  if (last !== 'mod' && !(parts.length === 0 && (last === 'lib' || last === 'main'))) parts.push(last)
  return parts
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
  const mods = walk(srcDir, /\.rs$/)
    .filter((f) => !relative(srcDir, f).startsWith(`bin${sep}`)) // each bin is a crate of its own
    .filter((f) => !/(^|_)tests\.rs$/.test(f.split(sep).at(-1))) // test code is no module's dependency
    .map((file) => ({ file, mod: modulePath(srcDir, file), paths: rustFile(file).paths }))
  const folders = new Map() // 'a::b' → { prefix, children, edges }
  for (const { mod } of mods) {
    for (let k = 0; k < mod.length; k++) {
      const key = mod.slice(0, k).join('::')
      if (!folders.has(key)) folders.set(key, { prefix: mod.slice(0, k), children: new Set(), edges: new Map() })
      folders.get(key).children.add(mod[k])
    }
  }
  for (const { file, mod, paths } of mods) {
    for (const p of paths) {
      if (p.scope.includes('tests')) continue
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
    const where = prefix.length ? `folder ${prefix.join('/')}` : 'top-level modules'
    reportCycles(edges, 'rust-cycle', `${crate}, ${where}`)
  }
}

// ------------------------------------------------------------------------------ TypeScript
/** The relative imports of a TypeScript file (static, `export … from`, side-effect, dynamic
 * `import()` and `require()`), read from TypeScript's own syntax tree, each with the .ts file
 * it means and its line. */
function tsImports(file) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
  const found = []
  const visit = (node) => {
    const call = ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword
      || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
    const spec = ts.isImportDeclaration(node) || ts.isExportDeclaration(node) ? node.moduleSpecifier
      : call ? node.arguments[0] : undefined
    if (spec && ts.isStringLiteralLike(spec) && /^\.\.?(\/|$)/.test(spec.text)) {
      const line = source.getLineAndCharacterOfPosition(spec.getStart()).line + 1
      found.push({ spec: spec.text, target: resolveTs(file, spec.text), line })
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found.sort((a, b) => a.line - b.line)
}

/** The .ts file a relative specifier means under nodenext (`./x.js` is `./x.ts`). */
function resolveTs(from, spec) {
  const p = resolve(dirname(from), spec)
  if (/\.[cm]?js$/.test(p)) return p.replace(/js$/, 'ts')
  if (/\.[cm]?ts$/.test(p)) return p
  return [`${p}.ts`, join(p, 'index.ts')].find((c) => existsSync(c)) ?? `${p}.ts`
}

function checkTypeScript() {
  const index = join(root, 'index.ts')
  if (!existsSync(index)) return report(index, 1, 'ts-index', 'missing (is --root the repository?)')
  const files = walk(root, /^(?!.*\.d\.[cm]?ts$).*\.[cm]?ts$/, TS_SKIP_DIRS)
  const edges = new Map()
  for (const file of files) {
    checks++
    for (const { spec, target, line } of tsImports(file)) {
      if (target === index && file !== index) {
        report(file, line, 'ts-index', `imports '${spec}': index.ts only re-exports; import the module that defines it`)
      }
      if (files.includes(target)) addEdge(edges, rel(file), rel(target), file, line)
    }
  }
  checks++
  reportCycles(edges, 'ts-cycle', 'TypeScript modules')
}

// ---------------------------------------------------------------------------------- cycles
/** Keeps the first place (in walk order) that makes each edge, to show it in the report. */
function addEdge(edges, a, b, file, line) {
  if (!edges.has(a)) edges.set(a, new Map())
  if (!edges.get(a).has(b)) edges.get(a).set(b, { file: rel(file), line })
}

/** From each node, the shortest way back to it (breadth first), each cycle reported once: every
 * module on a cycle is named, without listing the exponentially many cycles of a dense knot. */
function reportCycles(edges, rule, where) {
  const next = (v) => [...(edges.get(v)?.keys() ?? [])].sort()
  const seen = new Set()
  for (const start of [...edges.keys()].sort()) {
    const parent = new Map()
    const queue = [start]
    let last = null
    while (queue.length && last === null) {
      const v = queue.shift()
      for (const w of next(v)) {
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
    const steps = ring.map((a, k) => ({ a, b: ring[(k + 1) % ring.length] }))
    const proof = steps.map(({ a, b }) => `${a} → ${b} at ${edges.get(a).get(b).file}:${edges.get(a).get(b).line}`)
    const { file, line } = edges.get(ring[0]).get(ring[1 % ring.length])
    const message = `import cycle in ${where}: ${[...ring, ring[0]].join(' → ')} (${proof.join('; ')})`
    violations.push({ file, line, rule, message })
  }
}

// ------------------------------------------------------------------------------- READMEs
/** Every code span of a folder README names what exists: a file path (`steps/range.rs`) is
 * the end of some file's path, and each segment of an `a::b` path and each CamelCase name is
 * an identifier of the Rust or TypeScript sources. */
function checkReadmes() {
  const files = walk(root, /\.(rs|wgsl|ts|mjs|cjs|toml|sh)$/, new Set(['target', 'node_modules', 'docs', 'dist']))
  const paths = files.map((f) => `/${rel(f)}`)
  const names = new Set(files.filter((f) => /\.(rs|ts)$/.test(f)).flatMap((f) => readFileSync(f, 'utf8').match(/\w+/g) ?? []))
  const readmes = [...walk(join(root, 'crates'), /^README\.md$/), ...walk(join(root, 'src'), /^README\.md$/)]
  for (const file of readmes) {
    checks++
    readFileSync(file, 'utf8').split('\n').forEach((text, i) => {
      for (const [, span] of text.matchAll(/`([^`]+)`/g)) {
        for (const word of span.split(/[^\w:./-]+/).map((w) => w.replace(/^(\.\.?\/)+/, ''))) {
          const missing = /^[a-zA-Z][\w./-]*\.(rs|wgsl|ts|mjs)$/.test(word)
            ? !paths.some((p) => p.endsWith(`/${word}`))
            : word.includes('::') || /^[A-Z][a-z0-9]+[A-Z]\w*$/.test(word)
              ? word.split(/::|\//).some((s) => /^\w+$/.test(s) && !names.has(s))
              : false
          if (missing) report(file, i + 1, 'readme-names', `names \`${word}\`, which no source defines any more`)
        }
      }
    })
  }
}

// ------------------------------------------------------------------------------------ main
try {
  const { values } = parseArgs({ options: { root: { type: 'string' } } })
  root = resolve(values.root ?? join(dirname(fileURLToPath(import.meta.url)), '..'))
} catch (e) {
  console.error(`${e.message}\nusage: node scripts/check-rules.mjs [--root DIR]`)
  process.exit(2)
}
checkCore(join(root, 'crates/ncf-core'))
checkNode(join(root, 'crates/ncf-node'))
const crates = join(root, 'crates')
for (const name of existsSync(crates) ? readdirSync(crates).sort() : []) {
  if (existsSync(join(crates, name, 'src'))) checkRustCycles(join(crates, name))
}
checkTypeScript()
checkReadmes()
violations.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.rule.localeCompare(b.rule))
for (const v of violations) console.log(`${v.file}:${v.line}: ${v.rule}: ${v.message}`)
if (violations.length) {
  console.error(`rules: ${violations.length} violation(s) (${checks} checks)`)
  process.exit(1)
}
console.log(`rules: ok (${checks} checks)`)
