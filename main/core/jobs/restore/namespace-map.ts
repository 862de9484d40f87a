/**
 * PBS restore namespace mappings (`proxmox-tape restore --namespace …`, pbs-tape.md §6.3):
 * `store=<source datastore>[,source=<ns>][,target=<ns>][,max-depth=N]`, repeatable. `source` and
 * `target` default to the root namespace, `max-depth` to 7 (all levels). A snapshot in namespace
 * `source/rest` of that store is restored to `target/rest` when `rest` is at most `max-depth`
 * levels deep; with several matching mappings it is restored to each target. Once any mapping is
 * given, only snapshots with a mapping are restored (snapshots of other stores or outside every
 * mapped namespace are skipped), and missing target namespaces are created.
 */
import { MAX_NAMESPACE_DEPTH } from '../../format/snapshot-path'
import { SAFE_ID, formatNamespace, parseNamespace } from '../../datastore/layout'

export interface NamespaceMapping {
  store: string
  source: string[]
  target: string[]
  maxDepth: number
}

export interface NamespaceMap {
  readonly mappings: readonly NamespaceMapping[]
  /** Target namespaces for a snapshot of `store` in namespace `ns` (empty: not mapped). */
  targets(store: string, ns: readonly string[]): string[][]
  /** Target namespaces named by the mappings of `store` (created before the restore, as PBS does). */
  usedTargets(store: string): string[][]
}

/** Parses one `store=…,source=…,target=…,max-depth=…` property string. */
export function parseNamespaceMapping(text: string): NamespaceMapping {
  const fields = new Map<string, string>()
  for (const part of text.split(',').map((p) => p.trim())) {
    if (part === '') continue
    const eq = part.indexOf('=')
    if (eq <= 0) throw new Error(`namespace mapping '${text}': '${part}' is not key=value`)
    const key = part.slice(0, eq).trim()
    const value = part.slice(eq + 1).trim()
    if (!['store', 'source', 'target', 'max-depth'].includes(key))
      throw new Error(`namespace mapping '${text}': unknown key '${key}'`)
    if (fields.has(key)) throw new Error(`namespace mapping '${text}': '${key}' given twice`)
    fields.set(key, value)
  }
  const store = fields.get('store')
  if (store === undefined) throw new Error(`namespace mapping '${text}': store= is required`)
  if (!SAFE_ID.test(store)) throw new Error(`namespace mapping '${text}': invalid store '${store}'`)
  const ns = (key: string) => {
    try {
      return parseNamespace(fields.get(key) ?? '')
    } catch (err) {
      throw new Error(`namespace mapping '${text}': ${(err as Error).message}`, { cause: err })
    }
  }
  let maxDepth = MAX_NAMESPACE_DEPTH
  const depth = fields.get('max-depth')
  if (depth !== undefined) {
    if (!/^\d+$/.test(depth) || Number(depth) > MAX_NAMESPACE_DEPTH)
      throw new Error(
        `namespace mapping '${text}': max-depth must be 0..${MAX_NAMESPACE_DEPTH}, not '${depth}'`
      )
    maxDepth = Number(depth)
  }
  return { store, source: ns('source'), target: ns('target'), maxDepth }
}

/** Parses the repeated `--namespace` values; a second mapping of the same store+source is an error. */
export function parseNamespaceMap(texts: readonly string[]): NamespaceMap {
  const mappings = texts.map(parseNamespaceMapping)
  const seen = new Set<string>()
  for (const m of mappings) {
    const key = `${m.store}\0${formatNamespace(m.source)}`
    if (seen.has(key))
      throw new Error(
        `duplicate namespace mapping for ${m.store}:${formatNamespace(m.source) || '(root)'}`
      )
    seen.add(key)
  }
  return {
    mappings,
    targets: (store, ns) =>
      mappings.flatMap((m) => {
        if (m.store !== store) return []
        const mapped = mapPrefix(ns, m.source, m.target, m.maxDepth)
        return mapped ? [mapped] : []
      }),
    usedTargets: (store) => mappings.filter((m) => m.store === store).map((m) => [...m.target])
  }
}

/**
 * `ns` with the prefix `source` replaced by `target` (PBS `map_prefix`); undefined when `source`
 * is not a prefix, `ns` is more than `maxDepth` levels below it, or the result is too deep.
 */
export function mapPrefix(
  ns: readonly string[],
  source: readonly string[],
  target: readonly string[],
  maxDepth: number
): string[] | undefined {
  if (source.length > ns.length || ns.length - source.length > maxDepth) return undefined
  if (source.some((part, i) => ns[i] !== part)) return undefined
  const mapped = [...target, ...ns.slice(source.length)]
  return mapped.length > MAX_NAMESPACE_DEPTH ? undefined : mapped
}
