#!/usr/bin/env node
// Checks that Linux addons load on an old glibc: every versioned symbol they import from glibc
// (`GLIBC_x.y`, what `objdump -T` shows) is at or below the floor, and they need no shared
// library beyond glibc's own and libgcc_s (Vulkan is opened at run time, never linked).
// Reads the ELF's version-needs section with binutils' `readelf`, which reads any
// architecture's ELF (Debian's `objdump` reads only its own).
//
//   node scripts/check-glibc.mjs [--max 2.17] FILE.node...
//   (no FILE: the Linux addons staged under npm/)
// Prints one line per file and exits 1 if any goes past the floor.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { GLIBC_FLOOR, TARGETS, addonFile } from './targets.mjs'

/** Shared libraries an addon may need: glibc's parts, the loader, libgcc_s. */
const ALLOWED_NEEDED = /^(libc|libm|libdl|libpthread|librt|libgcc_s)\.so\.\d+$|^ld-linux[-\w.]*\.so\.\d+$/

const cmp = (a, b) => {
  const x = a.split('.').map(Number)
  const y = b.split('.').map(Number)
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0)
  }
  return 0
}

/** The glibc versions and shared libraries `file` needs, and whether it stays within `max`. */
export function inspectElf(file, max = GLIBC_FLOOR) {
  const versions = execFileSync('readelf', ['--version-info', '--wide', file], { encoding: 'utf8' })
  const dynamic = execFileSync('readelf', ['--dynamic', '--wide', file], { encoding: 'utf8' })
  const glibc = [...new Set([...versions.matchAll(/Name: GLIBC_([0-9.]+)/g)].map((m) => m[1]))].sort(cmp)
  const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1])
  const other = [...new Set([...versions.matchAll(/Name: ((?!GLIBC_)[A-Z]+_[0-9.]+)/g)].map((m) => m[1]))]
  const highest = glibc.at(-1) ?? 'none'
  const problems = [
    ...glibc.filter((v) => cmp(v, max) > 0).map((v) => `needs GLIBC_${v}, above the floor ${max}`),
    ...needed.filter((n) => !ALLOWED_NEEDED.test(n)).map((n) => `links ${n}, which is not part of glibc`),
    ...other.filter((v) => !/^GCC_/.test(v)).map((v) => `needs ${v}`),
  ]
  return { file, highest, glibc, needed, problems }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({ options: { max: { type: 'string', default: GLIBC_FLOOR } }, allowPositionals: true })
  const root = join(import.meta.dirname, '..')
  const files = positionals.length
    ? positionals
    : TARGETS.filter((t) => t.glibc).map((t) => join(root, 'npm', t.dir, addonFile(t.dir))).filter((f) => existsSync(f))
  if (files.length === 0) {
    console.error('check-glibc: no Linux addon found; build one with node scripts/build-targets.mjs')
    process.exit(1)
  }
  let bad = 0
  for (const f of files) {
    const r = inspectElf(f, values.max)
    const head = `${f}: highest GLIBC_${r.highest} (floor ${values.max}); needs ${r.needed.join(', ')}`
    if (r.problems.length) {
      bad++
      console.log(`${head}\n  FAIL: ${r.problems.join('; ')}`)
    } else console.log(`${head}: ok`)
  }
  process.exit(bad ? 1 : 0)
}
