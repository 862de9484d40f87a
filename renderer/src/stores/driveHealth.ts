import { defineStore } from 'pinia'
import { ref } from 'vue'
import { call } from '@/api/client'
import type { ApiResult, DriveStatusInfo } from '@/api/contract'
import { errorCode, errorMessage } from '@/api/errors'

export type VolumeStatistics = ApiResult<'drive.volume-statistics'>
export type CartridgeMemory = ApiResult<'drive.cartridge-memory'>
export type TapeAlertFlagInfo = ApiResult<'drive.tape-alert-flags'>[number]

/** One part of a drive's health: its value, a plain "this drive cannot", or a real error. */
export type Reading<T> =
  | { kind: 'value'; value: T }
  | { kind: 'not-supported'; message: string }
  | { kind: 'error'; message: string }

export interface DriveHealth {
  status: Reading<DriveStatusInfo>
  /** Absent when there is no tape to ask about. */
  volume?: Reading<VolumeStatistics>
  memory?: Reading<CartridgeMemory>
}

async function reading<T>(query: () => Promise<T>): Promise<Reading<T>> {
  try {
    return { kind: 'value', value: await query() }
  } catch (err) {
    const kind = errorCode(err) === 'not-supported' ? 'not-supported' : 'error'
    return { kind, message: errorMessage(err) }
  }
}

/**
 * Drive health for the drive detail: status, volume statistics and cartridge memory, read one
 * after the other (each takes the drive lock, so in parallel they would refuse each other), and
 * the TapeAlert advice table, fetched once.
 */
export const useDriveHealthStore = defineStore('driveHealth', () => {
  const advice = ref<Map<string, TapeAlertFlagInfo>>(new Map())

  async function loadAdvice(): Promise<void> {
    if (advice.value.size > 0) return
    const list = await call('drive.tape-alert-flags', {})
    advice.value = new Map(list.map((a) => [a.name, a]))
  }

  async function read(drive: string): Promise<DriveHealth> {
    await loadAdvice().catch(() => undefined)
    const status = await reading(() => call('drive.status', { drive }))
    if (status.kind !== 'value' || !status.value.loaded) return { status }
    const volume = await reading(() => call('drive.volume-statistics', { drive }))
    const memory = await reading(() => call('drive.cartridge-memory', { drive }))
    return { status, volume, memory }
  }

  return { advice, read }
})
