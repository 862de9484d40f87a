import { describe, expect, it } from 'vitest'
import {
  mediaSetsFrom,
  parseSnapshot,
  selectionRequest,
  snapshotRows,
  snapshotTree,
  type ContentRow
} from '../../../renderer/src/components/restore/model'
import { parseNamespaceMap } from '../../../main/core/jobs/restore/namespace-map'
import { parseDatastoreMap } from '../../../main/core/jobs/restore/datastore-map'

const SET = '11111111-2222-4333-8444-555555555555'
const row = (store: string, snapshot: string, label = 'TAPE01L9'): ContentRow => ({
  'label-text': label,
  uuid: 'u',
  'media-set-uuid': SET,
  'media-set-ctime': 100,
  'media-set-name': 'daily-1',
  'seq-nr': 0,
  pool: 'daily',
  store,
  snapshot,
  'backup-time': Date.parse(snapshot.slice(-20)) / 1000
})

describe('restore view model', () => {
  it('parses namespaces and groups out of PBS snapshot paths', () => {
    expect(parseSnapshot('vm/100/2024-01-01T00:00:00Z')).toEqual({
      ns: '',
      group: 'vm/100',
      type: 'vm'
    })
    expect(parseSnapshot('ns/a/ns/b/ct/200/2024-01-01T00:00:00Z')).toEqual({
      ns: 'a/b',
      group: 'ct/200',
      type: 'ct'
    })
  })

  it('builds media sets from the inventory and groups snapshots by store, namespace, group', () => {
    const sets = mediaSetsFrom(
      [
        {
          'label-text': 'B',
          uuid: 'b',
          ctime: 1,
          'media-set-uuid': SET,
          'seq-nr': 1,
          pool: 'daily'
        },
        {
          'label-text': 'A',
          uuid: 'a',
          ctime: 1,
          'media-set-uuid': SET,
          'seq-nr': 0,
          pool: 'daily'
        },
        { 'label-text': 'C', uuid: 'c', ctime: 1 }
      ],
      [row('s1', 'vm/100/2024-01-01T00:00:00Z')]
    )
    expect(sets).toHaveLength(1)
    expect(sets[0]).toMatchObject({ uuid: SET, name: 'daily-1', pool: 'daily' })
    expect(sets[0].tapes.map((t) => t.label)).toEqual(['A', 'B'])

    const rows = snapshotRows(
      [
        row('s1', 'vm/100/2024-01-01T00:00:00Z'),
        row('s1', 'vm/100/2024-01-02T00:00:00Z'),
        row('s1', 'ns/prod/vm/100/2024-01-01T00:00:00Z'),
        row('s0', 'host/h/2024-01-01T00:00:00Z')
      ],
      SET
    )
    const tree = snapshotTree(rows)
    expect(tree.map((t) => t.store)).toEqual(['s0', 's1'])
    expect(tree[1].namespaces.map((n) => n.ns)).toEqual(['', 'prod'])
    expect(tree[1].namespaces[0].groups[0].snapshots.map((s) => s.snapshot)).toEqual([
      'vm/100/2024-01-02T00:00:00Z',
      'vm/100/2024-01-01T00:00:00Z'
    ])
  })

  it('a drop maps every source store and namespace of the selection onto the target', () => {
    const rows = snapshotRows(
      [
        row('s1', 'vm/100/2024-01-01T00:00:00Z'),
        row('s1', 'ns/prod/ns/db/ct/200/2024-01-01T00:00:00Z')
      ],
      SET
    )
    const request = selectionRequest(SET, rows, { store: 'dst', ns: 'restored' })
    expect(request).toEqual({
      'media-set': SET,
      store: 's1=dst',
      snapshots: ['s1:vm/100/2024-01-01T00:00:00Z', 's1:ns/prod/ns/db/ct/200/2024-01-01T00:00:00Z'],
      namespaces: [
        'store=s1,target=restored,max-depth=0',
        'store=s1,source=prod/db,target=restored,max-depth=0'
      ]
    })
    // The core accepts what the view sends, and it lands where it was dropped.
    expect(parseDatastoreMap(request.store).target('s1')).toBe('dst')
    const ns = parseNamespaceMap(request.namespaces!)
    expect(ns.targets('s1', [])).toEqual([['restored']])
    expect(ns.targets('s1', ['prod', 'db'])).toEqual([['restored']])
    expect(ns.targets('s1', ['prod'])).toEqual([])
    expect(selectionRequest(SET, rows.slice(0, 1), { store: 'dst', ns: '' }).namespaces).toEqual([
      'store=s1,max-depth=0'
    ])
  })
})
