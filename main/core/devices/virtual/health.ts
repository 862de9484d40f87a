/**
 * Volume statistics and cartridge memory of a virtual cartridge, from what the library really
 * records about it (library.json): mounts, end-to-end passes, bytes written and read, unrecovered
 * errors (injected faults), capacity and use. Counters a virtual tape has no notion of (datasets,
 * servo errors, compression, mount time, middle-of-tape passes) stay 0, like a parameter a drive
 * does not report; attributes it has no value for are left out of the cartridge memory.
 */
import { mamAttributeName, MamId } from '../scsi/mam'
import { LTO_DENSITY } from '../scsi/ssc-data'
import type { CartridgeMemoryAttribute, VolumeStatistics } from '../tape-driver'
import { DATA_MEDIA_TYPES } from './media'
import type { CartridgeState, UsageCounters } from './schema'

const MIB = 1024 * 1024

export const emptyUsage = (): UsageCounters => ({
  'bytes-written': 0,
  'bytes-read': 0,
  'write-errors': 0,
  'read-errors': 0
})

export function addUsage(a: UsageCounters | undefined, b: UsageCounters): UsageCounters {
  const sum = { ...(a ?? emptyUsage()) }
  for (const k of Object.keys(sum) as (keyof UsageCounters)[]) sum[k] += b[k]
  return sum
}

/** A cartridge as the drive sees it now: recorded state plus what this handle has not persisted. */
export interface CartridgeView {
  tape: string
  cartridge: CartridgeState
  /** Usage since the last persist (added to both lifetime and last-mount counters). */
  pending: UsageCounters
  /** Bytes on the tape now (the recorded figure lags behind a running write). */
  used: number
}

export function volumeStatisticsOf(v: CartridgeView): VolumeStatistics {
  const c = v.cartridge
  const life = addUsage(c.lifetime, v.pending)
  const mount = addUsage(c['last-mount'], v.pending)
  return {
    'volume-mounts': c.mounts,
    'volume-datasets-written': 0,
    'volume-recovered-write-data-errors': 0,
    'volume-unrecovered-write-data-errors': life['write-errors'],
    'volume-write-servo-errors': 0,
    'volume-unrecovered-write-servo-errors': 0,
    'volume-datasets-read': 0,
    'volume-recovered-read-errors': 0,
    'volume-unrecovered-read-errors': life['read-errors'],
    'last-mount-unrecovered-write-errors': mount['write-errors'],
    'last-mount-unrecovered-read-errors': mount['read-errors'],
    'last-mount-bytes-written': mount['bytes-written'],
    'last-mount-bytes-read': mount['bytes-read'],
    'lifetime-bytes-written': life['bytes-written'],
    'lifetime-bytes-read': life['bytes-read'],
    'last-load-write-compression-ratio': 0,
    'last-load-read-compression-ratio': 0,
    'medium-mount-time': 0,
    'medium-ready-time': 0,
    'total-native-capacity': c.capacity,
    'total-used-native-capacity': v.used,
    'write-protect': c['write-protect'],
    worm: false,
    'beginning-of-medium-passes': c.passes,
    'middle-of-tape-passes': 0,
    // A virtual cartridge's only serial number is its barcode.
    serial: v.tape
  }
}

const DENSITY_CODE = new Map(Object.entries(LTO_DENSITY).map(([code, name]) => [name, +code]))

/**
 * MAM attributes in id order with PBS's names and value formatting (decimal counters, text, hex
 * for binary fields). Capacities and byte counters in MiB, as the attributes define them.
 */
export function cartridgeMemoryOf(v: CartridgeView): CartridgeMemoryAttribute[] {
  const c = v.cartridge
  const life = addUsage(c.lifetime, v.pending)
  const mount = addUsage(c['last-mount'], v.pending)
  const density = DENSITY_CODE.get(DATA_MEDIA_TYPES[c['media-type']] ?? '')
  const values: [number, string | number | undefined][] = [
    [MamId.REMAINING_CAPACITY, Math.floor(Math.max(0, c.capacity - v.used) / MIB)],
    [MamId.MAXIMUM_CAPACITY, Math.floor(c.capacity / MIB)],
    [MamId.LOAD_COUNT, c.mounts],
    [MamId.TOTAL_MB_WRITTEN, Math.floor(life['bytes-written'] / MIB)],
    [MamId.TOTAL_MB_READ, Math.floor(life['bytes-read'] / MIB)],
    [0x0222, Math.floor(mount['bytes-written'] / MIB)],
    [0x0223, Math.floor(mount['bytes-read'] / MIB)],
    [0x0405, density === undefined ? undefined : hexByte(density)],
    // Medium type 00h: data (cleaning cartridges never thread for data).
    [MamId.MEDIUM_TYPE, hexByte(0)],
    [MamId.BARCODE, v.tape]
  ]
  return values.flatMap(([id, value]) =>
    value === undefined ? [] : [{ id, name: mamAttributeName(id) as string, value: String(value) }]
  )
}

const hexByte = (n: number): string => n.toString(16).padStart(2, '0')
