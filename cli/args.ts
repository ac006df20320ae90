// Argument parsing and output for every command: util.parseArgs with typed checks whose
// failures are usage errors (exit code 2), and the split of human lines from --json results.
import { parseArgs, type ParseArgsConfig } from 'node:util'

/** Bad usage: exit code 2. */
export class UsageError extends Error {}

export type Values = Record<string, string | boolean | undefined>

export const MODEL_KINDS = ['gmf', 'mf', 'als', 'mlp', 'neumf'] as const
export type Kind = (typeof MODEL_KINDS)[number]

export const dataOptions = {
  format: { type: 'string', default: 'auto' },
  columns: { type: 'string' },
  test: { type: 'string' },
  task: { type: 'string', default: 'implicit' },
  seed: { type: 'string', default: '0' },
  device: { type: 'string', default: 'auto' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options']

export const trainOptions = {
  ...dataOptions,
  model: { type: 'string', default: 'neumf' },
  factors: { type: 'string' },
  layers: { type: 'string' },
  epochs: { type: 'string', default: '20' },
  batch: { type: 'string' },
  negatives: { type: 'string' },
  optimizer: { type: 'string' },
  lr: { type: 'string' },
  l2: { type: 'string' },
  dropout: { type: 'string' },
  biases: { type: 'boolean' },
  sparse: { type: 'boolean' },
  validation: { type: 'string', default: 'leave-one-out' },
  patience: { type: 'string' },
  out: { type: 'string' },
  report: { type: 'string' },
  checkpoint: { type: 'string' },
  'checkpoint-every': { type: 'string', default: '1' },
  resume: { type: 'string' },
  quiet: { type: 'boolean', short: 'q', default: false },
} as const satisfies ParseArgsConfig['options']

/** Parses a command's arguments; bad usage is a UsageError naming the option. */
export function parse(args: string[], options: ParseArgsConfig['options']): { values: Values; positionals: string[] } {
  try {
    const r = parseArgs({ args, options, allowPositionals: true, strict: true })
    return { values: r.values as Values, positionals: r.positionals }
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
}

export function int(values: Values, name: string, min = 1): number | undefined {
  const v = values[name]
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name}: expected an integer ≥ ${min}, got '${String(v)}'`)
  return n
}

export function num(values: Values, name: string): number | undefined {
  const v = values[name]
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isFinite(n)) throw new UsageError(`--${name}: expected a number, got '${String(v)}'`)
  return n
}

export function oneOf<T extends string>(values: Values, name: string, allowed: readonly T[]): T {
  const v = String(values[name])
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name}: expected ${allowed.join('|')}, got '${v}'`)
  return v as T
}

/** Output: human lines go to stdout, or to stderr when --json keeps stdout for the result. */
export class Out {
  constructor(readonly json: boolean) {}
  line(s: string): void {
    ;(this.json ? process.stderr : process.stdout).write(`${s}\n`)
  }
  result(x: unknown): void {
    if (this.json) process.stdout.write(`${JSON.stringify(x, null, 2)}\n`)
  }
}

export const f4 = (x: number | undefined) => (x === undefined ? '–' : x.toFixed(4))
