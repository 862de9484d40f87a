/**
 * A snapshot named on the command line or in the API for a restore: `store:snapshot`, or a bare
 * snapshot path (`[ns/…/]type/id/time`, which may itself contain no store prefix).
 */
export function splitSnapshotArg(text: string): { store?: string; snapshot: string } {
  const colon = text.indexOf(':')
  return colon > 0 && !text.startsWith('ns/')
    ? { store: text.slice(0, colon), snapshot: text.slice(colon + 1) }
    : { snapshot: text }
}

/** The media set's snapshots an argument names: one, none, or several (a bare path in many stores). */
export function snapshotsNamed<T extends { store: string; snapshot: string }>(
  inSet: readonly T[],
  text: string
): T[] {
  const { store, snapshot } = splitSnapshotArg(text)
  return inSet.filter((s) => s.snapshot === snapshot && (store === undefined || s.store === store))
}
