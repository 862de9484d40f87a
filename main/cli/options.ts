import { InvalidArgumentError } from 'commander'
import { parseSize } from '../core/util/size'

/** Option value parsers shared by the commands. */

export function integer(min: number, max: number) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`'${value}' is not an integer`)
    const n = Number(value)
    if (n < min || n > max) throw new InvalidArgumentError(`must be between ${min} and ${max}`)
    return n
  }
}

/** PBS-style booleans: `--flag`, `--flag true`, `--flag 0` … */
export function boolean(value: string | undefined): boolean {
  if (value === undefined) return true
  const lower = value.toLowerCase()
  if (['true', '1', 'yes', 'on'].includes(lower)) return true
  if (['false', '0', 'no', 'off'].includes(lower)) return false
  throw new InvalidArgumentError(`'${value}' is not a boolean (true/false)`)
}

export function collect(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean)
  ]
}

/** Drop undefined values so the API sees only what the user gave. */
export function defined<T extends Record<string, unknown>>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as T
}

/** Sizes with KiB/MiB/GiB/TiB (or KB/MB/GB/TB) suffixes. */
export function size(value: string): number {
  try {
    return parseSize(value)
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message)
  }
}
