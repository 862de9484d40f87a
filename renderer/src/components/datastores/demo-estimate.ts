const MiB = 1024 * 1024

/**
 * Rough bytes of chunk data a demo datastore takes, for the "writes about …" note. Measured on
 * the generator: a VM stores ~40 % of its disk (zeros deduplicate, text compresses) plus ~5.5 %
 * per later snapshot; containers and hosts carry pxar archives of a quarter of the disk size
 * (2–32 MiB) that store ~65 % resp. ~33 % of that, and grow with every snapshot.
 */
export function demoEstimate(o: {
  vms: number
  cts: number
  hosts: number
  snapshots: number
  diskSize: number
}): number {
  const later = Math.max(0, o.snapshots - 1)
  const budget = Math.min(32 * MiB, Math.max(2 * MiB, o.diskSize / 4))
  return (
    o.vms * o.diskSize * (0.4 + 0.055 * later) +
    o.cts * budget * (0.65 + 0.22 * later) +
    o.hosts * budget * (0.33 + 0.1 * later)
  )
}
