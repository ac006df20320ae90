// Packs the publishable tarballs, as napi-rs publishes them: the main package (its
// package.json gains every per-platform package as an optionalDependency of the same version;
// npm installs the one matching os/cpu/libc and skips the rest) and each per-platform package
// under npm/ whose addon was built here. The repo's own package.json is left alone: the
// platform packages do not exist on the registry until released, so listing them there would
// break `npm ci`.
//
//   node scripts/pack.mjs [outDir] [--platforms DIR,DIR | none]   → prints the tarballs as JSON
//     outDir       default dist/pack
//     --platforms  the platform packages to pack (each must hold its addon); by default every
//                  one whose addon was built here; `none` packs the main package alone
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { PLATFORM_DIRS } from './targets.mjs'

const root = join(import.meta.dirname, '..')
const { values, positionals } = parseArgs({ options: { platforms: { type: 'string' } }, allowPositionals: true })
const out = resolve(positionals[0] ?? join(root, 'dist/pack'))
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const platforms = PLATFORM_DIRS
const chosen = values.platforms === undefined ? null : values.platforms === 'none' ? [] : values.platforms.split(',')
for (const p of chosen ?? []) if (!platforms.includes(p)) throw new Error(`pack: unknown platform ${p}; platforms: ${platforms.join(', ')}`)

rmSync(out, { recursive: true, force: true })
const stage = join(out, 'stage')
mkdirSync(stage, { recursive: true })

// `files` entries are paths, or `folder/*.ext` for a folder's compiled modules (tsc writes
// each module's .js and .d.ts next to its .ts source). A source without its output means the
// build is stale: the package would miss a module that another one imports.
const expand = (entry) => {
  const star = entry.lastIndexOf('/*')
  if (star < 0) return [entry]
  const dir = entry.slice(0, star)
  const ext = entry.slice(star + 2)
  const names = readdirSync(join(root, dir))
  for (const n of names) {
    if (n.endsWith('.ts') && !n.endsWith('.d.ts') && !names.includes(n.replace(/\.ts$/, ext))) {
      throw new Error(`pack: ${dir}/${n.replace(/\.ts$/, ext)} is missing; run npm run build first`)
    }
  }
  return names.filter((n) => n.endsWith(ext) && (ext !== '.js' || names.includes(n.replace(/\.js$/, '.ts')))).map((n) => `${dir}/${n}`)
}

// The main package: only the files package.json lists, plus the README and licence npm adds.
for (const f of [...pkg.files.flatMap(expand), 'README.md', 'LICENSE']) {
  if (!existsSync(join(root, f))) throw new Error(`pack: ${f} is missing; run npm run build first`)
  mkdirSync(dirname(join(stage, f)), { recursive: true })
  copyFileSync(join(root, f), join(stage, f))
}
const published = { ...pkg, optionalDependencies: Object.fromEntries(platforms.map((p) => [`${pkg.name}-${p}`, pkg.version])) }
delete published.devDependencies
delete published.scripts
writeFileSync(join(stage, 'package.json'), `${JSON.stringify(published, null, 2)}\n`)

const npmPack = (dir) => {
  // npm is npm.cmd on Windows, which Node runs only through a shell.
  const json = execFileSync('npm', ['pack', '--json', '--pack-destination', JSON.stringify(out)], { cwd: dir, encoding: 'utf8', shell: true })
  const [info] = JSON.parse(json)
  return { name: info.name, file: join(out, info.filename), files: info.files.map((f) => f.path) }
}

const tarballs = [npmPack(stage)]
for (const p of platforms) {
  const dir = join(root, 'npm', p)
  const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  const built = existsSync(join(dir, meta.main))
  if (chosen && chosen.includes(p) && !built) throw new Error(`pack: npm/${p}/${meta.main} is missing; build it with node scripts/build-targets.mjs`)
  if (built && (!chosen || chosen.includes(p))) tarballs.push(npmPack(dir))
}
rmSync(stage, { recursive: true, force: true })
process.stdout.write(`${JSON.stringify(tarballs, null, 2)}\n`)
