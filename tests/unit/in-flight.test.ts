import { describe, expect, it } from 'vitest'
import { InFlight } from '../../main/core/util/in-flight'

const later = <T>(ms: number, value: T, fail = false) =>
  new Promise<T>((resolve, reject) => setTimeout(() => (fail ? reject(value) : resolve(value)), ms))

describe('InFlight', () => {
  it('keeps at most `limit` pieces of work pending', async () => {
    const work = new InFlight(3)
    let running = 0
    let peak = 0
    const task = async () => {
      peak = Math.max(peak, ++running)
      await later(5, null)
      running--
    }
    for (let i = 0; i < 20; i++) await work.add(task())
    await work.drain()
    expect(peak).toBe(3)
    expect(running).toBe(0)
    expect(work.size).toBe(0)
  })

  it('throws a failure at the next add or drain, once, without an unhandled rejection', async () => {
    const work = new InFlight(10)
    await work.add(later(1, new Error('disk full'), true))
    await later(10, null)
    await expect(work.add(later(1, 'ok'))).rejects.toThrow('disk full')
    await work.drain()

    await work.add(later(1, new Error('second'), true))
    await expect(work.drain()).rejects.toThrow('second')
    await work.drain()
  })
})
