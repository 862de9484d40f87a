/**
 * The array layout pxar uses for goodbye tables (from casync's camakebst.c via pxar's
 * `binary_tree_array::copy`): a sorted array permuted into an implicit binary search tree where the
 * children of index i sit at 2i+1 (smaller) and 2i+2 (larger). Writers must produce exactly this
 * permutation to be byte-compatible with PBS.
 *
 * Calls `copy(src, dest)` for each element: sorted[src] goes to tree[dest].
 */
export function binaryTreeArrayCopy(n: number, copy: (src: number, dest: number) => void): void {
  if (n === 0) return
  const e = 31 - Math.clz32(n) // floor(log2(n))
  copyInner(copy, n, 0, e, 0)
}

function copyInner(
  copy: (src: number, dest: number) => void,
  n: number,
  o: number,
  e: number,
  i: number
): void {
  const p = 2 ** e
  const t = p + Math.floor(p / 2) - 1
  // Size of the left subtree: full bottom row on the left when n passes the row's midpoint.
  const m = n > t ? p - 1 : p - 1 - (t - n)
  copy(o + m, i)
  if (m > 0) copyInner(copy, m, o, e - 1, i * 2 + 1)
  if (m + 1 < n) copyInner(copy, n - m - 1, o + m + 1, e - 1, i * 2 + 2)
}

/** Returns the permutation as an array: result[dest] = src. */
export function binaryTreeArrayPermutation(n: number): number[] {
  const out = new Array<number>(n)
  binaryTreeArrayCopy(n, (src, dest) => {
    out[dest] = src
  })
  return out
}
