/** Test helper: bytes from a hex string with free spacing, e.g. h('12 00 00 00 60 00'). */
export function h(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '')
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new Error(`bad hex: ${text}`)
  return Uint8Array.from(Buffer.from(clean, 'hex'))
}

/** ASCII bytes padded with `pad` to `length` (SCSI fields are space padded). */
export function padded(text: string, length: number, pad = 0x20): Uint8Array {
  const out = new Uint8Array(length).fill(pad)
  out.set(Buffer.from(text, 'latin1'))
  return out
}

export function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p]))
}

/** Hex of bytes for readable comparisons: expect(hexOf(cdb)).toBe('1a081d00ff00'). */
export const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex')
