/**
 * LOG SENSE pages a tape drive reports (scsi.md §1.4, pbs-tape.md §8.6): the generic parameter
 * list, TapeAlert (0x2E, and the non-clearing 0x12 PBS reads), Volume Statistics (0x17),
 * Sequential-Access Device (0x0C) and DT Device Status (0x11). tgt implements none of them.
 */
import { ScsiDataError, ascii, requireLength, u16, uint } from './bytes'
import { TAPE_ALERT_FLAGS } from '../tape-alert'

export const LogPage = {
  SUPPORTED_PAGES: 0x00,
  SEQUENTIAL_ACCESS: 0x0c,
  DEVICE_STATUS: 0x11,
  TAPE_ALERT_RESPONSE: 0x12,
  VOLUME_STATISTICS: 0x17,
  TAPE_ALERT: 0x2e
} as const

export interface LogParameter {
  code: number
  /** Control byte: DU(7) TSD(5) ETC(4) TMC(3:2) FORMAT(1:0). */
  control: number
  value: Uint8Array
}

export interface LogPageData {
  page: number
  subpage: number
  parameters: LogParameter[]
}

/**
 * Splits a log page into its parameters. The page length is clamped to the bytes received (Quantum
 * HH7 reports the allocation length instead of the real one, PBS notes); an incomplete trailing
 * parameter is an error rather than a silently short value.
 */
export function parseLogPage(data: Uint8Array, expectedPage?: number): LogPageData {
  requireLength(data, 4, 'log page')
  const page = data[0] & 0x3f
  if (expectedPage !== undefined && page !== expectedPage) {
    throw new ScsiDataError(
      `expected log page 0x${expectedPage.toString(16)}, device sent page 0x${page.toString(16)}`
    )
  }
  const end = Math.min(data.length, 4 + u16(data, 2))
  const parameters: LogParameter[] = []
  for (let o = 4; o < end;) {
    if (o + 4 > end || o + 4 + data[o + 3] > end) {
      throw new ScsiDataError(`log page 0x${page.toString(16)}: parameter at byte ${o} is cut off`)
    }
    parameters.push({
      code: u16(data, o),
      control: data[o + 2],
      value: data.slice(o + 4, o + 4 + data[o + 3])
    })
    o += 4 + data[o + 3]
  }
  return { page, subpage: data[0] & 0x40 ? data[1] : 0, parameters }
}

/** Page 0x00: the log pages the device supports. */
export function parseSupportedLogPages(data: Uint8Array): number[] {
  requireLength(data, 4, 'supported log pages')
  if ((data[0] & 0x3f) !== 0) throw new ScsiDataError('not the supported log pages page')
  return [...data.subarray(4, Math.min(data.length, 4 + u16(data, 2)))].map((p) => p & 0x3f)
}

const FLAG_NAMES = new Map(Object.entries(TAPE_ALERT_FLAGS).map(([name, flag]) => [flag, name]))

export interface TapeAlerts {
  /** Active flag numbers 1–64, ascending. */
  flags: number[]
  /** PBS names of the active flags (numbers without a PBS name are left out, as PBS does). */
  names: string[]
}

function tapeAlerts(flags: number[]): TapeAlerts {
  const sorted = [...flags].sort((a, b) => a - b)
  return { flags: sorted, names: sorted.flatMap((f) => FLAG_NAMES.get(f) ?? []) }
}

/** TapeAlert page 0x2E: parameters 0x0001–0x0040, one byte each, bit 0 = flag active. Reading it clears the flags on most drives. */
export function parseTapeAlertPage(data: Uint8Array): TapeAlerts {
  const { parameters } = parseLogPage(data, LogPage.TAPE_ALERT)
  return tapeAlerts(
    parameters
      .filter((p) => p.code >= 1 && p.code <= 64 && p.value.length > 0 && p.value[0] & 0x01)
      .map((p) => p.code)
  )
}

/**
 * TapeAlert Response page 0x12 (non-destructive; PBS reads this one): parameter 0x0000 holds a
 * 64-bit field with flag 1 in the most significant bit of byte 0.
 */
export function parseTapeAlertResponsePage(data: Uint8Array): TapeAlerts {
  const param = parseLogPage(data, LogPage.TAPE_ALERT_RESPONSE).parameters.find((p) => p.code === 0)
  if (!param || param.value.length !== 8)
    throw new ScsiDataError('TapeAlert response page without its 8-byte flag parameter')
  const flags: number[] = []
  for (let flag = 1; flag <= 64; flag++) {
    if (param.value[(flag - 1) >> 3] & (0x80 >> ((flag - 1) & 7))) flags.push(flag)
  }
  return tapeAlerts(flags)
}

/** Volume Statistics (page 0x17, LTO-5+), field names after PBS `Lp17VolumeStatistics`. */
export interface VolumeStatistics {
  volumeMounts: number
  volumeDatasetsWritten: number
  volumeRecoveredWriteDataErrors: number
  volumeUnrecoveredWriteDataErrors: number
  volumeWriteServoErrors: number
  volumeUnrecoveredWriteServoErrors: number
  volumeDatasetsRead: number
  volumeRecoveredReadErrors: number
  volumeUnrecoveredReadErrors: number
  lastMountUnrecoveredWriteErrors: number
  lastMountUnrecoveredReadErrors: number
  /** Bytes (the page counts in 10^6 bytes). */
  lastMountBytesWritten: number
  lastMountBytesRead: number
  lifetimeBytesWritten: number
  lifetimeBytesRead: number
  lastLoadWriteCompressionRatio: number
  lastLoadReadCompressionRatio: number
  mediumMountTime: number
  mediumReadyTime: number
  totalNativeCapacity: number
  totalUsedNativeCapacity: number
  serial: string
  writeProtect: boolean
  worm: boolean
  beginningOfMediumPasses: number
  middleOfTapePasses: number
}

const VOLUME_COUNTERS: Record<number, [keyof VolumeStatistics, number]> = {
  0x0001: ['volumeMounts', 1],
  0x0002: ['volumeDatasetsWritten', 1],
  0x0003: ['volumeRecoveredWriteDataErrors', 1],
  0x0004: ['volumeUnrecoveredWriteDataErrors', 1],
  0x0005: ['volumeWriteServoErrors', 1],
  0x0006: ['volumeUnrecoveredWriteServoErrors', 1],
  0x0007: ['volumeDatasetsRead', 1],
  0x0008: ['volumeRecoveredReadErrors', 1],
  0x0009: ['volumeUnrecoveredReadErrors', 1],
  0x000c: ['lastMountUnrecoveredWriteErrors', 1],
  0x000d: ['lastMountUnrecoveredReadErrors', 1],
  0x000e: ['lastMountBytesWritten', 1e6],
  0x000f: ['lastMountBytesRead', 1e6],
  0x0010: ['lifetimeBytesWritten', 1e6],
  0x0011: ['lifetimeBytesRead', 1e6],
  0x0012: ['lastLoadWriteCompressionRatio', 1],
  0x0013: ['lastLoadReadCompressionRatio', 1],
  0x0014: ['mediumMountTime', 1],
  0x0015: ['mediumReadyTime', 1],
  0x0016: ['totalNativeCapacity', 1e6],
  0x0017: ['totalUsedNativeCapacity', 1e6],
  0x0101: ['beginningOfMediumPasses', 1],
  0x0102: ['middleOfTapePasses', 1]
}

/** Volume Statistics page 0x17; the page-valid parameter 0x0000 must be present and non-zero. */
export function parseVolumeStatistics(data: Uint8Array): VolumeStatistics {
  const stats: Record<string, number | string | boolean> = {
    serial: '',
    writeProtect: false,
    worm: false
  }
  for (const key of Object.values(VOLUME_COUNTERS)) stats[key[0]] = 0
  let pageValid = false
  for (const p of parseLogPage(data, LogPage.VOLUME_STATISTICS).parameters) {
    const counter = VOLUME_COUNTERS[p.code]
    if (p.code === 0x0000) pageValid = uint(p.value) !== 0
    else if (counter) stats[counter[0]] = uint(p.value) * counter[1]
    else if (p.code === 0x0040) stats.serial = ascii(p.value)
    else if (p.code === 0x0080) stats.writeProtect = uint(p.value) === 1
    else if (p.code === 0x0081) stats.worm = uint(p.value) === 1
  }
  if (!pageValid)
    throw new ScsiDataError('volume statistics page is not valid (parameter 0 missing or zero)')
  return stats as unknown as VolumeStatistics
}

export interface SequentialAccessStatistics {
  /** Bytes from the host before compression, and bytes written to the medium after it. */
  bytesReceivedFromHost: number
  bytesWrittenToMedium: number
  bytesReadFromMedium: number
  bytesSentToHost: number
  /** Native capacities in MB (10^6 bytes). */
  capacityBopToEod: number
  capacityBopToEarlyWarning: number
  capacityEarlyWarningToEop: number
  capacityBopToCurrent: number
  bufferCapacity: number
  /** Parameter 0x0100 non-zero: the drive asks for a cleaning cartridge. */
  cleaningRequired: boolean
}

/** Sequential-Access Device page 0x0C; absent parameters read as 0. */
export function parseSequentialAccessPage(data: Uint8Array): SequentialAccessStatistics {
  const values = new Map(
    parseLogPage(data, LogPage.SEQUENTIAL_ACCESS).parameters.map((p) => [p.code, p.value])
  )
  const get = (code: number): number => {
    const v = values.get(code)
    return v && v.length > 0 ? uint(v) : 0
  }
  return {
    bytesReceivedFromHost: get(0x0000),
    bytesWrittenToMedium: get(0x0001),
    bytesReadFromMedium: get(0x0002),
    bytesSentToHost: get(0x0003),
    capacityBopToEod: get(0x0004),
    capacityBopToEarlyWarning: get(0x0005),
    capacityEarlyWarningToEop: get(0x0006),
    capacityBopToCurrent: get(0x0007),
    bufferCapacity: get(0x0008),
    cleaningRequired: get(0x0100) !== 0
  }
}

/** DT device activity codes of page 0x11 (PBS `DeviceActivity`). */
export const DEVICE_ACTIVITY = [
  'no-activity',
  'cleaning',
  'loading',
  'unloading',
  'other',
  'reading',
  'writing',
  'locating',
  'rewinding',
  'erasing',
  'formatting',
  'calibrating',
  'other-dt',
  'microcode-update',
  'reading-encrypted',
  'writing-encrypted'
] as const
export type DeviceActivity = (typeof DEVICE_ACTIVITY)[number]

/** DT Device Status page 0x11: what the drive is doing right now (PBS polls it with a 1 s timeout). */
export function parseDeviceActivity(data: Uint8Array): DeviceActivity {
  const vhf = parseLogPage(data, LogPage.DEVICE_STATUS).parameters.find((p) => p.code === 0)
  if (!vhf || vhf.value.length !== 4)
    throw new ScsiDataError('device status page without its 4-byte VHF parameter')
  if (!(vhf.value[0] & 0x01)) throw new ScsiDataError('device status page is not valid')
  const activity = DEVICE_ACTIVITY[vhf.value[2]]
  if (!activity) throw new ScsiDataError(`unknown device activity 0x${vhf.value[2].toString(16)}`)
  return activity
}
