// Copies the freshly built addon into its per-platform package under npm/, the layout
// napi-rs publishes (`ncf-native-<platform>` packages, listed in package.json napi.targets).
import { copyFileSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const staged = []
for (const dir of ['linux-x64-gnu', 'linux-arm64-gnu', 'darwin-x64', 'darwin-arm64', 'win32-x64-msvc']) {
  const pkg = JSON.parse(readFileSync(join(root, 'npm', dir, 'package.json'), 'utf8'))
  const built = join(root, pkg.main)
  if (existsSync(built)) {
    copyFileSync(built, join(root, 'npm', dir, pkg.main))
    staged.push(`${pkg.name}/${pkg.main}`)
  }
}
if (staged.length === 0) {
  console.error('stage-binary: no built addon found; run `npm run build:native` first')
  process.exit(1)
}
console.log(`staged ${staged.join(', ')}`)
