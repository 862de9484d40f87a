import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { call, onEvent } from '@/api/client'
import type { ApiArgs, ChangerStatusEntry, InventoryEntry, TaskInfo } from '@/api/contract'
import { errorMessage } from '@/api/errors'
import { useLibraryStore } from './library'
import { useTasksStore } from './tasks'
import { onReconnect } from './util'

/** Cleaning cartridges carry a CLN barcode prefix; they are never labelled or loaded for data. */
export const isCleaningTape = (barcode: string | undefined): boolean =>
  barcode?.startsWith('CLN') ?? false

/** Drive operations that run as tasks (each returns `{upid}`). */
export type DriveTaskMethod =
  | 'drive.label'
  | 'drive.barcode-label'
  | 'drive.load-media'
  | 'drive.load-slot'
  | 'drive.unload'
  | 'drive.export-media'
  | 'drive.eject'
  | 'drive.rewind'
  | 'drive.format'
  | 'drive.clean'
  | 'drive.inventory'

/** How often (at most) the picture of a changer is refreshed while a task moves its tapes. */
const LIVE_REFRESH_MS = 700

/**
 * What is physically where: changer status per changer and the media inventory, kept current when
 * tasks on a drive finish (and, throttled, while they run).
 */
export const useTapeStore = defineStore('tape', () => {
  const library = useLibraryStore()
  const tasks = useTasksStore()

  const status = ref<Record<string, ChangerStatusEntry[]>>({})
  const statusError = ref<Record<string, string>>({})
  const statusLoading = ref<Record<string, boolean>>({})
  const statusSeq: Record<string, number> = {}

  const inventory = ref<InventoryEntry[]>([])
  const inventoryLoaded = ref(false)
  const inventoryError = ref<string | null>(null)
  let inventorySeq = 0

  /** Inventory entries by label text (the barcode, for tapes labelled with barcode-label). */
  const byLabel = computed(() => {
    const map = new Map<string, InventoryEntry>()
    for (const e of inventory.value) map.set(e['label-text'], e)
    return map
  })

  async function loadStatus(changer: string): Promise<void> {
    const mine = (statusSeq[changer] = (statusSeq[changer] ?? 0) + 1)
    statusLoading.value[changer] = true
    try {
      const result = await call('changer.status', { name: changer })
      if (mine !== statusSeq[changer]) return
      status.value[changer] = result
      delete statusError.value[changer]
    } catch (err) {
      if (mine !== statusSeq[changer]) return
      statusError.value[changer] = errorMessage(err)
    } finally {
      if (mine === statusSeq[changer]) statusLoading.value[changer] = false
    }
  }

  async function loadInventory(): Promise<void> {
    const mine = ++inventorySeq
    try {
      const result = await call('media.list', {})
      if (mine !== inventorySeq) return
      inventory.value = result
      inventoryError.value = null
      inventoryLoaded.value = true
    } catch (err) {
      if (mine !== inventorySeq) return
      inventoryError.value = errorMessage(err)
    }
  }

  /** Changer status first (it records which tapes are online), then the inventory. */
  async function refresh(changer?: string): Promise<void> {
    const names = changer ? [changer] : library.changers.map((c) => c.name)
    await Promise.all(names.map(loadStatus))
    await loadInventory()
  }

  /** The changer a drive sits in, if any. */
  function changerOfDrive(drive: string | undefined): string | undefined {
    if (!drive) return undefined
    return library.drives.find((d) => d.name === drive)?.changer
  }

  /** Running tasks per drive name (a task on a drive has the drive name as worker id). */
  const runningByDrive = computed(() => {
    const map: Record<string, TaskInfo[]> = {}
    for (const t of tasks.running) {
      if (!t.worker_id) continue
      ;(map[t.worker_id] ??= []).push(t)
    }
    return map
  })

  async function startTask<M extends DriveTaskMethod>(
    method: M,
    args: ApiArgs<M>
  ): Promise<string> {
    const { upid } = (await call(method, args)) as { upid: string }
    // the started event may come later than the answer: make the task known right away
    void tasks.fetchTask(upid)
    return upid
  }

  async function transfer(changer: string, from: number, to: number): Promise<void> {
    try {
      await call('changer.transfer', { name: changer, from, to })
    } finally {
      await refresh(changer)
    }
  }

  async function readLabel(drive: string, inventorize: boolean) {
    try {
      return await call('drive.read-label', { drive, inventorize })
    } finally {
      if (inventorize) void loadInventory()
    }
  }

  // While a task moves tapes, redraw now and then; when it ends, redraw for sure.
  const timers = new Map<string, ReturnType<typeof setTimeout>>()
  function refreshSoon(changer: string): void {
    if (timers.has(changer)) return
    timers.set(
      changer,
      setTimeout(() => {
        timers.delete(changer)
        void loadStatus(changer)
      }, LIVE_REFRESH_MS)
    )
  }
  onEvent('task.log', ({ upid }) => {
    const changer = changerOfDrive(tasks.byUpid[upid]?.worker_id)
    if (changer && status.value[changer]) refreshSoon(changer)
  })
  onEvent('task.finished', (task) => {
    const changer = changerOfDrive(task.worker_id)
    if (changer) void refresh(changer)
    else if (task.worker_id && library.drives.some((d) => d.name === task.worker_id)) {
      void loadInventory()
    }
  })
  onEvent('config.changed', ({ file }) => {
    if (file !== 'tape.cfg') return
    // export-slots may have changed which slots are import/export slots
    for (const name of Object.keys(status.value)) void loadStatus(name)
  })
  onReconnect(() => {
    for (const name of Object.keys(status.value)) void loadStatus(name)
    if (inventoryLoaded.value) void loadInventory()
  })

  return {
    status,
    statusError,
    statusLoading,
    inventory,
    inventoryLoaded,
    inventoryError,
    byLabel,
    runningByDrive,
    loadStatus,
    loadInventory,
    refresh,
    changerOfDrive,
    startTask,
    transfer,
    readLabel
  }
})
