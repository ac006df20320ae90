// Packs the publishable tarballs, as napi-rs publishes them: the main package (its
// package.json gains every per-platform package as an optionalDependency of the same version;
// npm installs the one matching os/cpu/libc and skips the rest) and each per-platform package
// under npm/ whose addon was built here. The repo's own package.json is left alone: the
// platform packages do not exist on the registry until released, so listing them there would
// break `npm ci`.
//
//   node scripts/pack.mjs [outDir]     (default dist/pack)  → prints the tarball paths as JSON
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const root = join(import.meta.dirname, '..')
const out = resolve(process.argv[2] ?? join(root, 'dist/pack'))
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const platforms = ['linux-x64-gnu', 'linux-arm64-gnu', 'darwin-x64', 'darwin-arm64', 'win32-x64-msvc']

rmSync(out, { recursive: true, force: true })
const stage = join(out, 'stage')
mkdirSync(stage, { recursive: true })

// The main package: only the files package.json lists, plus the README and licence npm adds.
for (const f of [...pkg.files, 'README.md', 'LICENSE']) {
  if (!existsSync(join(root, f))) throw new Error(`pack: ${f} is missing; run npm run build first`)
  copyFileSync(join(root, f), join(stage, f))
}
const published = { ...pkg, optionalDependencies: Object.fromEntries(platforms.map((p) => [`${pkg.name}-${p}`, pkg.version])) }
delete published.devDependencies
delete published.scripts
writeFileSync(join(stage, 'package.json'), `${JSON.stringify(published, null, 2)}\n`)

const npmPack = (dir) => {
  const json = execFileSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: dir, encoding: 'utf8' })
  const [info] = JSON.parse(json)
  return { name: info.name, file: join(out, info.filename), files: info.files.map((f) => f.path) }
}

const tarballs = [npmPack(stage)]
for (const p of platforms) {
  const dir = join(root, 'npm', p)
  const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  if (existsSync(join(dir, meta.main))) tarballs.push(npmPack(dir))
}
rmSync(stage, { recursive: true, force: true })
process.stdout.write(`${JSON.stringify(tarballs, null, 2)}\n`)
