import { describe, expect, it } from 'vitest'
import { formatBytes, renderObject, renderTable } from '../../main/cli/output'
import { progressLine } from '../../main/cli/task-follow'

describe('CLI tables', () => {
  it('draws the PBS box table with a header rule and row separators', () => {
    const table = renderTable(
      [
        { header: 'name', value: (r: { name: string; path: string }) => r.name },
        { header: 'path', value: (r) => r.path }
      ],
      [
        { name: 'hh8', path: '/dev/sg1' },
        { name: 'lto9drive', path: '/dev/sg12' }
      ]
    )
    expect(table).toBe(
      [
        '┌───────────┬───────────┐',
        '│ name      │ path      │',
        '╞═══════════╪═══════════╡',
        '│ hh8       │ /dev/sg1  │',
        '├───────────┼───────────┤',
        '│ lto9drive │ /dev/sg12 │',
        '└───────────┴───────────┘'
      ].join('\n')
    )
  })

  it('draws an empty table with only the header', () => {
    expect(renderTable([{ header: 'name', value: () => '' }], []).split('\n')).toHaveLength(4)
  })

  it('shows one object as Name/Value rows, leaving out unset values', () => {
    const text = renderObject({ name: 'daily', allocation: 'mon..fri 22:00', comment: undefined })
    expect(text).toContain('│ allocation │ mon..fri 22:00 │')
    expect(text).not.toContain('comment')
  })

  it('formats sizes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(1536)).toBe('1.50 KiB')
    expect(formatBytes(300 * 1024 ** 2)).toBe('300 MiB')
  })

  it('renders a progress bar with rate and ETA', () => {
    const line = progressLine(
      { done: 50, total: 100, unit: 'bytes', rate: 10 * 1024 ** 2, eta: 65 },
      100
    )
    expect(line).toMatch(/^\[#{15}-{15}\] {2}50%/)
    expect(line).toContain('10.0 MiB/s')
    expect(line).toContain('ETA 1m 5s')
  })
})
