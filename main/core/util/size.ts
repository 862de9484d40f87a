/** Sizes as the CLI accepts them: bytes, or a number with KiB/MiB/GiB/TiB (or KB/MB/GB/TB) suffix. */
const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  tb: 1000 ** 4
}

export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(text)
  const factor = match ? UNITS[match[2]!.toLowerCase()] : undefined
  if (!match || factor === undefined) {
    throw new Error(
      `'${text}' is not a size; use bytes or a number with KiB, MiB, GiB, TiB (or KB, MB, GB, TB)`
    )
  }
  const bytes = Math.round(Number(match[1]) * factor)
  if (!Number.isSafeInteger(bytes)) throw new Error(`size '${text}' is too large`)
  return bytes
}
