#!/usr/bin/env node
// The `ncf-native` command line: train, evaluate, recommend, similar, compare, info, bench.
// Built on Node's own util.parseArgs (no dependency: strict typed options, positionals and
// clear errors are all this needs). Exit codes: 0 success, 1 failure, 2 bad usage, 130 Ctrl-C.
// This file is the bin entry and the dispatch; the commands live in cli/ (see cli/README.md).
import { readFileSync } from 'node:fs'

import { UsageError } from './cli/args.js'
import { help } from './cli/help.js'
import { NcfError } from './src/errors.js'

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${help(rest[0] ?? 'main')}\n`)
    return command === undefined ? 2 : 0
  }
  if (command === '--version' || command === '-v') {
    const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string }
    process.stdout.write(`ncf-native ${pkg.version}\n`)
    return 0
  }
  try {
    // The commands load the native addon: imported here, so `--help` and `--version` work
    // without it and a machine without a loadable binary gets ERR_NO_BINARY as one line.
    const { COMMANDS } = await import('./cli/commands.js')
    const run = COMMANDS[command]
    if (!run) throw new UsageError(`unknown command '${command}' (try ncf-native --help)`)
    return await run(rest)
  } catch (e) {
    const message = e instanceof NcfError ? `${e.code}: ${e.message}` : (e as Error).message
    process.stderr.write(`ncf-native: ${message.split('\n')[0]}\n`)
    return e instanceof UsageError ? 2 : 1
  }
}

process.exitCode = await main(process.argv.slice(2))
