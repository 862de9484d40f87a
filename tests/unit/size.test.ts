import { describe, expect, it } from 'vitest'
import { parseSize } from '../../main/core/util/size'

describe('sizes', () => {
  it.each([
    ['1024', 1024],
    ['64MiB', 64 * 1024 ** 2],
    ['1.5 GiB', 1.5 * 1024 ** 3],
    ['18TB', 18e12],
    ['12 tib', 12 * 1024 ** 4],
    ['512k', 512 * 1024]
  ])('parses %s', (text, bytes) => expect(parseSize(text)).toBe(bytes))

  it.each(['', 'lots', '5 parsecs', '-1GiB', '1e3'])('rejects %j', (text) =>
    expect(() => parseSize(text)).toThrow(/is not a size/)
  )
})
