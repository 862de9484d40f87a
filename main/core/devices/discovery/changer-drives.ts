/**
 * Which scanned drive sits in which changer, and at which drive number: the changer names its
 * drives in READ ELEMENT STATUS with DVCID (scsi.md §3.2), the drives name themselves in VPD 80h.
 */
import { scanGroupOf } from './scanned-device'

export type DriveMatch = 'serial' | 'order'

export interface ChangerDrives {
  path: string
  /** DVCID serial per drive number; null where the changer gave none (or it arrived cut off). */
  driveSerials: (string | null)[]
}

export interface DriveAssignment {
  changerPath: string
  driveNumber: number
  /** `serial`: the changer named this drive; `order`: inferred, see assignChangerDrives. */
  match: DriveMatch
}

/**
 * Drive path → its place in a changer.
 *
 * First every drive whose serial a changer reports is placed there. Then the gaps: tgt drops the
 * last 8 bytes of every READ ELEMENT STATUS answer (scsi.md §0.4), which cuts the serial of the
 * last drive in half, so its identifier is unreadable; real changers may also simply not report
 * one. Drive numbers without a serial are filled with the drives not placed yet, in scan order
 * (LUN order behind an iSCSI target, sgN order locally) — but only when that is unambiguous: the
 * drives come from the changer's own group (same iSCSI target, or both local), exactly one changer
 * of that group has gaps, and it has exactly as many gaps as there are unplaced drives. Anything
 * else stays unassigned rather than guessed.
 */
export function assignChangerDrives(
  changers: ChangerDrives[],
  drives: { path: string; serial: string }[]
): Map<string, DriveAssignment> {
  const assigned = new Map<string, DriveAssignment>()
  const bySerial = new Map(drives.filter((d) => d.serial).map((d) => [d.serial, d.path]))
  for (const changer of changers) {
    changer.driveSerials.forEach((serial, driveNumber) => {
      const path = serial === null ? undefined : bySerial.get(serial.trim())
      if (path !== undefined && !assigned.has(path)) {
        assigned.set(path, { changerPath: changer.path, driveNumber, match: 'serial' })
      }
    })
  }

  const withGaps = changers.filter((c) => c.driveSerials.includes(null))
  for (const changer of withGaps) {
    const group = scanGroupOf(changer.path)
    if (withGaps.filter((c) => scanGroupOf(c.path) === group).length !== 1) continue
    const gaps = changer.driveSerials.flatMap((s, n) => (s === null ? [n] : []))
    const unplaced = drives.filter((d) => !assigned.has(d.path) && scanGroupOf(d.path) === group)
    if (unplaced.length !== gaps.length) continue
    unplaced.forEach((d, i) =>
      assigned.set(d.path, { changerPath: changer.path, driveNumber: gaps[i]!, match: 'order' })
    )
  }
  return assigned
}
