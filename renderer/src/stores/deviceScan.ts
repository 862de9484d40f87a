import { defineStore } from 'pinia'
import { ref } from 'vue'
import { call } from '@/api/client'
import type { ApiResult } from '@/api/contract'
import { errorMessage } from '@/api/errors'
import { useLibraryStore } from './library'

export type DeviceScan = ApiResult<'devices.scan'>
export type ScannedDrive = DeviceScan['drives'][number]
export type ScannedChanger = DeviceScan['changers'][number]

/** What the scan wizard is about to write: one changer (or none) and its drives. */
export interface LibraryPlan {
  changer: { name: string; path: string } | null
  drives: { name: string; path: string; drivenum?: number }[]
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{2,31}$/

/** PBS's safe-id rules for drive and changer names (3–32 characters). */
export function nameProblem(name: string): string | null {
  if (name.length < 3) return 'at least 3 characters'
  if (name.length > 32) return 'at most 32 characters'
  if (!NAME.test(name))
    return "only letters, digits, '_', '.' and '-', not starting with '.' or '-'"
  return null
}

/** A valid name from model and serial ("L700-LIB0001"), not one of `taken`. */
export function suggestName(parts: string[], fallback: string, taken: Set<string>): string {
  let base = parts
    .filter(Boolean)
    .join('-')
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[.-]+|-+$/g, '')
    .slice(0, 29)
  if (base.length < 3) base = fallback
  let name = base
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}`
  return name
}

/** The tape.cfg sections the plan adds, as Tapedeck (and PBS) writes them. */
export function tapeCfgPreview(plan: LibraryPlan): string {
  const sections: string[] = []
  if (plan.changer) sections.push(`changer: ${plan.changer.name}\n\tpath ${plan.changer.path}`)
  for (const d of plan.drives) {
    const lines = [`lto: ${d.name}`]
    if (plan.changer) {
      lines.push(`\tchanger ${plan.changer.name}`)
      // PBS does not store the default drive number 0
      if (d.drivenum) lines.push(`\tchanger-drivenum ${d.drivenum}`)
    }
    lines.push(`\tpath ${d.path}`)
    sections.push(lines.join('\n'))
  }
  return sections.join('\n\n')
}

/** Device discovery for the scan wizard, and writing what the user picked to tape.cfg. */
export const useDeviceScanStore = defineStore('deviceScan', () => {
  const library = useLibraryStore()
  const scanning = ref(false)
  const error = ref<string | null>(null)
  const result = ref<DeviceScan | null>(null)

  async function scan(iscsiPortal: string | null): Promise<void> {
    scanning.value = true
    error.value = null
    result.value = null
    try {
      result.value = await call('devices.scan', iscsiPortal ? { 'iscsi-portal': iscsiPortal } : {})
    } catch (err) {
      error.value = errorMessage(err)
    } finally {
      scanning.value = false
    }
  }

  /**
   * Creates the changer, then its drives. tape.cfg is updated per entry, so when one fails the
   * entries this call already made are removed again: the user fixes the problem and retries
   * without leftovers.
   */
  async function create(plan: LibraryPlan): Promise<void> {
    const made: { kind: 'drive' | 'changer'; name: string }[] = []
    try {
      if (plan.changer) {
        await call('changer.create', plan.changer)
        made.push({ kind: 'changer', name: plan.changer.name })
      }
      for (const d of plan.drives) {
        await call('drive.create', {
          name: d.name,
          path: d.path,
          ...(plan.changer ? { changer: plan.changer.name, 'changer-drivenum': d.drivenum } : {})
        })
        made.push({ kind: 'drive', name: d.name })
      }
    } catch (err) {
      for (const m of made.reverse()) {
        await call(m.kind === 'drive' ? 'drive.remove' : 'changer.remove', { name: m.name }).catch(
          () => undefined
        )
      }
      throw err
    } finally {
      await library.load()
    }
  }

  return { scanning, error, result, scan, create }
})
