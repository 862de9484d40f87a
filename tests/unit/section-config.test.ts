import { describe, expect, it } from 'vitest'
import {
  formatSectionConfig,
  parseSectionConfig,
  SectionConfigError
} from '../../main/core/config/section-config'
import {
  DATASTORE_CFG_TYPES,
  TAPE_CFG_TYPES,
  TAPE_JOB_CFG_TYPES
} from '../../main/core/config/files'

// As PBS writes it (pbs-tape.md §2.2): TAB-indented, keys sorted, blank line between sections.
const PBS_TAPE_CFG = `changer: sl3
\texport-slots 14,15,16
\tpath /dev/tape/by-id/scsi-CJ0JBE0059

lto: hh8
\tchanger sl3
\tpath /dev/tape/by-id/scsi-10WT065325-sg

lto: hh9
\tchanger sl3
\tchanger-drivenum 1
\tpath /dev/tape/by-id/scsi-10WT065326-sg

virtual: vdrive0
\tmax-size 67108864
\tpath /var/tmp/vtape
`

const PBS_TAPE_JOB_CFG = `backup: job1
\tdrive hh8
\tgroup-filter type:vm
\tgroup-filter exclude:regex:^vm/9
\tlatest-only true
\tpool p4
\tschedule daily
\tstore store3
`

function errorOf(fn: () => unknown): SectionConfigError {
  try {
    fn()
  } catch (err) {
    if (err instanceof SectionConfigError) return err
    throw err
  }
  throw new Error('expected a SectionConfigError')
}

describe('section config', () => {
  it('parses a PBS tape.cfg into typed sections', () => {
    const sections = parseSectionConfig('tape.cfg', PBS_TAPE_CFG, TAPE_CFG_TYPES)
    expect(sections.map((s) => `${s.type}:${s.id}`)).toEqual([
      'changer:sl3',
      'lto:hh8',
      'lto:hh9',
      'virtual:vdrive0'
    ])
    expect(sections[2]!.properties).toEqual({
      changer: 'sl3',
      'changer-drivenum': 1,
      path: '/dev/tape/by-id/scsi-10WT065326-sg'
    })
    expect(sections[3]!.properties['max-size']).toBe(67108864)
  })

  it('writes a PBS file back byte for byte', () => {
    for (const [text, types] of [
      [PBS_TAPE_CFG, TAPE_CFG_TYPES],
      [PBS_TAPE_JOB_CFG, TAPE_JOB_CFG_TYPES]
    ] as const) {
      expect(formatSectionConfig(parseSectionConfig('x.cfg', text, types))).toBe(text)
    }
  })

  it('collects repeated keys of array properties in order', () => {
    const [job] = parseSectionConfig('tape-job.cfg', PBS_TAPE_JOB_CFG, TAPE_JOB_CFG_TYPES)
    expect(job!.properties['group-filter']).toEqual(['type:vm', 'exclude:regex:^vm/9'])
    expect(job!.properties['latest-only']).toBe(true)
  })

  it('sorts keys alphabetically when writing, as PBS does', () => {
    const text = formatSectionConfig([
      {
        type: 'lto',
        id: 'drive1',
        properties: { path: '/dev/sg0', changer: 'lib', 'changer-drivenum': 2 }
      }
    ])
    expect(text).toBe('lto: drive1\n\tchanger lib\n\tchanger-drivenum 2\n\tpath /dev/sg0\n')
  })

  it('accepts spaces instead of a TAB and CRLF line ends', () => {
    const sections = parseSectionConfig(
      'datastore.cfg',
      'datastore: store1\r\n    path /srv/store1\r\n    gc-schedule daily\r\n',
      DATASTORE_CFG_TYPES
    )
    expect(sections[0]!.properties).toEqual({ path: '/srv/store1', 'gc-schedule': 'daily' })
  })

  it.each([
    [
      'lto: hh8\n\tpath /dev/sg0\n\tcolour blue\n',
      3,
      "unknown property 'colour' in section 'lto: hh8'"
    ],
    ['tape: hh8\n\tpath /dev/sg0\n', 1, "unknown section type 'tape'"],
    ['lto: hh8\n\tchanger sl3\n', 1, "missing the required property 'path'"],
    ['lto: hh8\n\tpath /a\n\nlto: hh8\n\tpath /b\n', 4, "duplicate section id 'hh8'"],
    ['\tpath /dev/sg0\n', 1, 'property line outside of a section'],
    [
      'lto: hh8\n\tpath /dev/sg0\n\tchanger-drivenum two\n',
      3,
      "'changer-drivenum' must be an integer"
    ],
    ['lto: hh8\n\tpath /dev/sg0\n\tchanger-drivenum 300\n', 3, 'must be between 0 and 255'],
    ['lto: hh8\n\tpath /dev/sg0\n\tpath /dev/sg1\n', 3, "duplicate property 'path'"],
    ['lto: hh8\n\tpath\n', 2, "expected '<key> <value>'"],
    ['lto: x\n\tpath /dev/sg0\n', 1, "invalid id 'x'"],
    ['changer: lib\n\tpath /dev/sg0\n\teject-before-unload maybe\n', 3, 'must be true or false'],
    [
      'changer: lib\n\tpath /dev/sg0\n\texport-slots 1,x\n',
      3,
      'comma separated list of slot numbers'
    ],
    ['# comment\nlto: hh8\n\tpath /dev/sg0\n', 1, 'expected a section header'],
    ['#type: x\n', 1, "unknown section type '#type'"],
    ['lto: hh8\n\tname hh8\n\tpath /dev/sg0\n', 2, "'name' belongs in the section header"]
  ])('rejects %j at line %i', (text, line, message) => {
    const err = errorOf(() => parseSectionConfig('tape.cfg', text, TAPE_CFG_TYPES))
    expect(err.line).toBe(line)
    expect(err.message).toContain(`tape.cfg line ${line}: `)
    expect(err.message).toContain(message)
  })

  it('refuses to write values that would break the file', () => {
    expect(() =>
      formatSectionConfig([
        { type: 'lto', id: 'hh8', properties: { path: '/dev/sg0\n\tchanger evil' } }
      ])
    ).toThrow(/single-line/)
  })

  it('reads an empty file as no sections', () => {
    expect(parseSectionConfig('tape.cfg', '', TAPE_CFG_TYPES)).toEqual([])
    expect(formatSectionConfig([])).toBe('')
  })
})
