import { describe, expect, it } from 'vitest'
import {
  checkGroupFilter,
  checkGroupFilterSyntax,
  compileGroupFilters,
  normalizeGroupFilter,
  parseGroupFilter,
  regexOf
} from '../../main/core/config/group-filter'

describe('group filter parser (PBS GroupFilter)', () => {
  it.each([
    ['type:vm', { exclude: false, kind: 'type', value: 'vm' }],
    ['include:type:ct', { exclude: false, kind: 'type', value: 'ct' }],
    ['exclude:type:host', { exclude: true, kind: 'type', value: 'host' }],
    ['group:vm/100', { exclude: false, kind: 'group', value: 'vm/100' }],
    ['exclude:group:ct/my.host-1_a', { exclude: true, kind: 'group', value: 'ct/my.host-1_a' }],
    ['regex:^vm/1\\d\\d$', { exclude: false, kind: 'regex', value: '^vm/1\\d\\d$' }],
    // the value of a regex is everything after the first "regex:", colons included
    ['exclude:regex:a:b', { exclude: true, kind: 'regex', value: 'a:b' }],
    ['regex:', { exclude: false, kind: 'regex', value: '' }]
  ])('parses %s', (text, expected) => {
    expect(parseGroupFilter(text)).toEqual(expected)
  })

  it.each([
    ['vm', /expected '\[include:\|exclude:\]type/],
    ['include:', /expected '\[include:\|exclude:\]type/],
    ['type:lxc', /unknown backup type 'lxc'/],
    ['type:', /unknown backup type ''/],
    ['group:vm', /'vm' is not a backup group/],
    ['group:qemu/100', /'qemu\/100' is not a backup group/],
    ['group:vm/-1', /is not a backup group/],
    ['Type:vm', /expected 'group', 'type' or 'regex' prefix, got 'Type'/],
    ['exclude:exclude:type:vm', /got 'exclude'/],
    ['include:exclude:type:vm', /got 'exclude'/]
  ])('rejects %s', (text, message) => {
    expect(checkGroupFilter(text)).toMatch(message)
    expect(checkGroupFilter(text)).toContain(`group filter '${text}'`)
  })

  it('checks the regex of a regex filter', () => {
    expect(checkGroupFilter('regex:(')).toMatch(/regex '\(' is not valid/)
    expect(checkGroupFilter('regex:[a-')).toMatch(/is not valid/)
    // Rust's regex engine (PBS) has no look-around or back-references
    expect(checkGroupFilter('regex:^vm/(?!9)')).toMatch(/look-around is not supported by PBS/)
    expect(checkGroupFilter('regex:(a)\\1')).toMatch(/back-references/)
    expect(checkGroupFilter('regex:(?x)a b')).toMatch(/inline flag 'x'/)
    // … but a file PBS wrote still loads; the regex is compiled when the job runs
    expect(checkGroupFilterSyntax('regex:(')).toBeUndefined()
    expect(checkGroupFilterSyntax('type:lxc')).toMatch(/unknown backup type/)
  })

  it('understands Rust inline flags and named groups', () => {
    expect(regexOf('(?i)^VM/').test('vm/100')).toBe(true)
    expect(regexOf('(?P<kind>vm|ct)/1').test('ct/12')).toBe(true)
    expect(regexOf('^vm/\\d+$').flags).toContain('u')
  })

  it('writes filters the way PBS does (without the default include:)', () => {
    expect(normalizeGroupFilter('include:type:vm')).toBe('type:vm')
    expect(normalizeGroupFilter('exclude:regex:^vm/9')).toBe('exclude:regex:^vm/9')
    expect(normalizeGroupFilter('group:ct/200')).toBe('group:ct/200')
  })
})

describe('group filter matching (PBS apply_filters)', () => {
  const groups = [
    { type: 'vm', id: '100' },
    { type: 'vm', id: '900' },
    { type: 'ct', id: '200' },
    { type: 'host', id: 'pve1' }
  ]
  const select = (filters?: string[]) => {
    const keep = compileGroupFilters(filters)
    return groups.filter(keep).map((g) => `${g.type}/${g.id}`)
  }

  it('keeps everything without filters or with excludes only', () => {
    expect(select(undefined)).toEqual(['vm/100', 'vm/900', 'ct/200', 'host/pve1'])
    expect(select([])).toHaveLength(4)
    expect(select(['exclude:type:vm'])).toEqual(['ct/200', 'host/pve1'])
  })

  it('keeps what any include matches, minus what any exclude matches', () => {
    expect(select(['type:vm'])).toEqual(['vm/100', 'vm/900'])
    expect(select(['type:vm', 'exclude:regex:^vm/9'])).toEqual(['vm/100'])
    expect(select(['type:vm', 'group:ct/200'])).toEqual(['vm/100', 'vm/900', 'ct/200'])
    expect(select(['regex:0$', 'exclude:group:vm/100'])).toEqual(['vm/900', 'ct/200'])
    // a regex searches anywhere in "<type>/<id>", it is not anchored
    expect(select(['regex:pve'])).toEqual(['host/pve1'])
  })

  it('fails on an invalid filter', () => {
    expect(() => compileGroupFilters(['regex:('])).toThrow(/is not valid/)
  })
})
