/**
 * Decoding QR codes with zbarimg (Debian zbar-tools), a real scanner independent of the library
 * that drew them.
 */
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** The text of the (single) QR code in an image file; throws when none is found. */
export function zbarimg(imagePath: string): string {
  const run = spawnSync('zbarimg', ['--raw', '-q', imagePath], { encoding: 'utf8' })
  if (run.status !== 0) {
    throw new Error(`zbarimg found no code in ${imagePath} (exit ${run.status}): ${run.stderr}`)
  }
  // zbarimg ends each decoded symbol with a newline.
  return run.stdout.replace(/\n$/, '')
}

/**
 * Turn a QR code drawn in Unicode half blocks (two module rows per line) back into a bitmap and
 * write it as a PBM with a 4-module quiet zone, 8 pixels per module.
 */
export function halfBlocksToPbm(lines: string[], dir: string, name = 'qr.pbm'): string {
  const rows: boolean[][] = []
  for (const line of lines) {
    const chars = [...line]
    rows.push(chars.map((ch) => ch === '█' || ch === '▀'))
    rows.push(chars.map((ch) => ch === '█' || ch === '▄'))
  }
  const size = Math.max(...rows.map((r) => r.length))
  const margin = 4
  const scale = 8
  const width = (size + 2 * margin) * scale
  const out = ['P1', `${width} ${width}`]
  for (let y = 0; y < width; y++) {
    const r = Math.floor(y / scale) - margin
    const bits: string[] = []
    for (let x = 0; x < width; x++) {
      const c = Math.floor(x / scale) - margin
      bits.push(rows[r]?.[c] ? '1' : '0')
    }
    out.push(bits.join(' '))
  }
  const path = join(dir, name)
  writeFileSync(path, out.join('\n') + '\n')
  return path
}
