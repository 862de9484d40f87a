import { describe, expect, it } from 'vitest'
import { BufferPool } from '../../main/core/util/buffer-pool'

describe('BufferPool', () => {
  it('hands out views of the asked size at the asked offset, and reuses what it gets back', () => {
    const pool = new BufferPool(4)
    const a = pool.take(1000, 5)
    expect(a.byteLength).toBe(1000)
    expect(a.byteOffset).toBe(5)
    expect(a.buffer).toBeInstanceOf(ArrayBuffer)
    const buffer = a.buffer
    pool.give(a)
    const b = pool.take(2000, 3)
    expect(b.buffer).toBe(buffer)
    expect(b.byteOffset).toBe(3)
  })

  it('takes the smallest free buffer that fits, offset included', () => {
    const pool = new BufferPool(4)
    const small = pool.take(1024 * 1024) // exactly one grain: no room for an offset
    const large = pool.take(3 * 1024 * 1024)
    pool.give(small)
    pool.give(large)
    expect(pool.take(1024 * 1024 - 8, 7).buffer).toBe(small.buffer)
    expect(pool.take(1024 * 1024, 1).buffer).toBe(large.buffer)
  })

  it('shared pools hand out SharedArrayBuffers', () => {
    const view = new BufferPool(2, true).take(10, 2)
    expect(view.buffer).toBeInstanceOf(SharedArrayBuffer)
    expect(view.byteOffset).toBe(2)
  })

  it('keeps no more than it was told to', () => {
    const pool = new BufferPool(1)
    const a = pool.take(10)
    const b = pool.take(10)
    pool.give(a)
    pool.give(b)
    expect(pool.take(10).buffer).toBe(a.buffer)
    expect(pool.take(10).buffer).not.toBe(b.buffer)
  })
})
