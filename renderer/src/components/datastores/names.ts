/** A datastore name suggested from a directory's last path component ("/srv/pbs-main" → "pbs-main"). */
export function nameFromDir(dir: string): string {
  const base =
    dir
      .replace(/[/\\]+$/, '')
      .split(/[/\\]/)
      .pop() ?? ''
  return base.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[.-]+/, '')
}

/** Display name of a namespace: '' is the root. */
export function nsLabel(ns: string): string {
  return ns === '' ? 'Root namespace' : ns
}

/** "1 snapshot", "3 snapshots", with the number grouped. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? word : many}`
}

/** The first hex digits of a chunk digest, enough to tell chunks apart on screen. */
export function shortDigest(digest: string): string {
  return digest.length > 16 ? `${digest.slice(0, 12)}…` : digest
}
