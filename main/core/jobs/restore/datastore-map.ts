/**
 * PBS restore datastore maps: `"[src=]dst,[src2=]dst2,default"` — a bare name is the target for
 * every source store not mapped explicitly; without one, only mapped stores are restored.
 */
import { SAFE_ID } from '../../datastore/layout'

export interface DatastoreMap {
  target(source: string): string | undefined
  targets(): string[]
}

export function parseDatastoreMap(text: string): DatastoreMap {
  const explicit = new Map<string, string>()
  let fallback: string | undefined
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [from, to] = part.includes('=')
      ? part.split('=', 2).map((s) => s.trim())
      : [undefined, part]
    for (const name of [from, to]) {
      if (name !== undefined && !SAFE_ID.test(name))
        throw new Error(`invalid datastore name '${name}' in '${text}'`)
    }
    if (from === undefined) {
      if (fallback !== undefined) throw new Error(`datastore map '${text}' has two default targets`)
      fallback = to
    } else {
      if (explicit.has(from)) throw new Error(`datastore map '${text}' maps '${from}' twice`)
      explicit.set(from, to!)
    }
  }
  if (explicit.size === 0 && fallback === undefined) throw new Error('empty datastore map')
  return {
    target: (source) => explicit.get(source) ?? fallback,
    targets: () => [...new Set([...explicit.values(), ...(fallback ? [fallback] : [])])]
  }
}
