import { describe, expect, it } from 'vitest'
import {
  mapPrefix,
  parseNamespaceMap,
  parseNamespaceMapping
} from '../../../main/core/jobs/restore/namespace-map'

describe('restore namespace mappings (PBS --namespace)', () => {
  it('parses store, source, target and max-depth with PBS defaults', () => {
    expect(parseNamespaceMapping('store=ds1')).toEqual({
      store: 'ds1',
      source: [],
      target: [],
      maxDepth: 7
    })
    expect(parseNamespaceMapping('store=ds1,source=a/b,target=x,max-depth=2')).toEqual({
      store: 'ds1',
      source: ['a', 'b'],
      target: ['x'],
      maxDepth: 2
    })
    expect(parseNamespaceMapping(' target=t , store=s ')).toMatchObject({
      store: 's',
      target: ['t']
    })
  })

  it('rejects malformed mappings', () => {
    expect(() => parseNamespaceMapping('source=a')).toThrow(/store= is required/)
    expect(() => parseNamespaceMapping('store=a,foo=b')).toThrow(/unknown key 'foo'/)
    expect(() => parseNamespaceMapping('store=a,store=b')).toThrow(/given twice/)
    expect(() => parseNamespaceMapping('store=a,max-depth=8')).toThrow(/max-depth/)
    expect(() => parseNamespaceMapping('store=a,max-depth=-1')).toThrow(/max-depth/)
    expect(() => parseNamespaceMapping('store=a,source=../x')).toThrow(/not a valid namespace/)
    expect(() => parseNamespaceMapping('store=a b')).toThrow(/invalid store/)
    expect(() => parseNamespaceMapping('ds1')).toThrow(/key=value/)
    expect(() => parseNamespaceMap(['store=a,source=x,target=y', 'store=a,source=x'])).toThrow(
      /duplicate namespace mapping for a:x/
    )
  })

  it('replaces the source prefix by the target, within max-depth', () => {
    expect(mapPrefix(['a', 'b'], ['a'], ['x', 'y'], 7)).toEqual(['x', 'y', 'b'])
    expect(mapPrefix(['a'], ['a'], [], 0)).toEqual([])
    expect(mapPrefix(['a', 'b'], ['a'], ['x'], 0)).toBeUndefined()
    expect(mapPrefix(['b'], ['a'], ['x'], 7)).toBeUndefined()
    expect(mapPrefix([], ['a'], ['x'], 7)).toBeUndefined()
    expect(mapPrefix(['a', 'b', 'c'], [], ['1', '2', '3', '4', '5'], 7)).toBeUndefined()
  })

  it('gives every matching target; other stores and namespaces are not mapped', () => {
    const map = parseNamespaceMap([
      'store=ds1,source=prod,target=restored/prod',
      'store=ds1,source=prod/web,target=web,max-depth=0',
      'store=ds2,target=from-ds2,max-depth=1'
    ])
    expect(map.targets('ds1', ['prod'])).toEqual([['restored', 'prod']])
    expect(map.targets('ds1', ['prod', 'web'])).toEqual([['restored', 'prod', 'web'], ['web']])
    expect(map.targets('ds1', [])).toEqual([])
    expect(map.targets('ds1', ['dev'])).toEqual([])
    expect(map.targets('ds2', [])).toEqual([['from-ds2']])
    expect(map.targets('ds2', ['a'])).toEqual([['from-ds2', 'a']])
    expect(map.targets('ds2', ['a', 'b'])).toEqual([])
    expect(map.targets('ds3', [])).toEqual([])
    expect(map.usedTargets('ds1')).toEqual([['restored', 'prod'], ['web']])
  })
})
