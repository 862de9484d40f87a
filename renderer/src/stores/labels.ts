import { defineStore } from 'pinia'
import { computed, reactive, ref, watch } from 'vue'
import { call } from '@/api/client'
import type {
  LabelCalibration,
  LabelLayoutOptions,
  LabelMode,
  LabelPaper,
  LabelSheetPreview,
  LabelSheetRequest,
  LabelSource
} from '@/api/contract'
import {
  FIELD_ALIASES,
  LAYOUT_FIELDS,
  parseLabelList,
  type LabelField,
  type LayoutField
} from '@/components/labels/model'
import { useFormErrors } from '@/composables/forms'

export type SourceKind = LabelSource['kind']

/** A number field's value: Vuetify gives '' (or NaN) for an empty number input. */
type NumberInput = number | string | null

const CALIBRATION_KEY = 'tapedeck.labels.calibration'

/** The printer calibration belongs to this workstation's printer, so it stays in localStorage. */
function storedCalibration(): LabelCalibration | null {
  try {
    const value = JSON.parse(localStorage.getItem(CALIBRATION_KEY) ?? 'null') as unknown
    if (typeof value === 'object' && value !== null) return value as LabelCalibration
  } catch {
    // nothing stored, or storage disabled
  }
  return null
}

const asNumber = (v: NumberInput): number | undefined =>
  v === null || v === '' || !Number.isFinite(Number(v)) ? undefined : Number(v)

/**
 * The label sheet being designed in the Labels view (kept while the admin visits other views) and
 * its live preview from the core. Every change asks for a new preview after a short pause; only
 * the newest answer counts. The core's errors land next to the field they name.
 */
export const useLabelsStore = defineStore('labels', () => {
  const sourceKind = ref<SourceKind>('range')
  const range = reactive({
    prefix: 'TAPE',
    start: 1 as NumberInput,
    count: 24 as NumberInput,
    type: 'L9'
  })
  const listText = ref('')
  const inventory = reactive({
    pool: null as string | null,
    mediaSet: null as string | null,
    unlabeled: false
  })
  const mode = ref<LabelMode>('color')
  const paper = ref<LabelPaper>('a4')
  /** layout overrides; null = the paper's default */
  const layout = reactive(
    Object.fromEntries(LAYOUT_FIELDS.map((f) => [f, null])) as Record<LayoutField, NumberInput>
  )
  /** null = the paper's default (cut lines on plain paper, none on precut sheets) */
  const borders = ref<boolean | null>(null)
  const startPosition = ref<NumberInput>(1)

  const saved = storedCalibration()
  const calibrate = ref(saved !== null)
  const calibration = reactive<Record<keyof LabelCalibration, NumberInput>>({
    sxMm: saved?.sxMm ?? 50,
    syMm: saved?.syMm ?? 50,
    dxMm: saved?.dxMm ?? 100,
    dyMm: saved?.dyMm ?? 100
  })

  const listLabels = computed(() => parseLabelList(listText.value))
  const errors = useFormErrors<LabelField>(FIELD_ALIASES)

  /** Problems the form can see before asking the core (empty number fields). */
  const localErrors = computed(() => {
    const problems: Partial<Record<LabelField, string>> = {}
    const need = (field: LabelField, value: NumberInput) => {
      if (asNumber(value) === undefined) problems[field] = 'Enter a number'
    }
    if (sourceKind.value === 'range') {
      need('start', range.start)
      need('count', range.count)
    }
    if (sourceKind.value === 'list' && listLabels.value.length === 0) {
      problems.list = 'Enter at least one label, e.g. TAPE01L9'
    }
    need('startPosition', startPosition.value)
    if (calibrate.value) {
      for (const [f, value] of Object.entries(calibration)) need(f as LabelField, value)
    }
    return problems
  })

  /** What a field shows: the core's message about it, else what the form itself sees. */
  function problem(field: LabelField): string[] {
    const fromCore = errors.of(field)
    if (fromCore.length) return fromCore
    const local = localErrors.value[field]
    return local === undefined ? [] : [local]
  }

  /** Every message about the current settings, for a summary next to the preview. */
  const problems = computed(() => {
    const all: string[] = errors.form.value ? [errors.form.value] : []
    for (const field of Object.keys(FIELD_ALIASES) as LabelField[]) all.push(...problem(field))
    return all
  })

  function source(): LabelSource {
    switch (sourceKind.value) {
      case 'range':
        return {
          kind: 'range',
          prefix: range.prefix.trim(),
          start: asNumber(range.start) ?? 0,
          count: asNumber(range.count) ?? 0,
          type: range.type
        }
      case 'list':
        return { kind: 'list', labels: listLabels.value }
      case 'inventory':
        return {
          kind: 'inventory',
          ...(inventory.unlabeled
            ? { unlabeled: true }
            : {
                ...(inventory.pool ? { pool: inventory.pool } : {}),
                ...(inventory.mediaSet ? { mediaSet: inventory.mediaSet } : {})
              })
        }
    }
  }

  /** What the core gets: only the overrides the admin set. */
  const request = computed<LabelSheetRequest>(() => {
    const options: LabelLayoutOptions = {}
    for (const f of LAYOUT_FIELDS) {
      const v = asNumber(layout[f])
      if (v !== undefined) options[f] = v
    }
    if (borders.value !== null) options.borders = borders.value
    const cal = calibrate.value
      ? {
          sxMm: asNumber(calibration.sxMm) ?? 0,
          syMm: asNumber(calibration.syMm) ?? 0,
          dxMm: asNumber(calibration.dxMm) ?? 0,
          dyMm: asNumber(calibration.dyMm) ?? 0
        }
      : undefined
    return {
      source: source(),
      mode: mode.value,
      paper: paper.value,
      ...(Object.keys(options).length ? { layout: options } : {}),
      startPosition: asNumber(startPosition.value) ?? 1,
      ...(cal ? { calibration: cal } : {})
    }
  })

  const preview = ref<LabelSheetPreview | null>(null)
  /** the request the shown preview belongs to (JSON) */
  const previewOf = ref<string | null>(null)
  const pending = ref(false)
  /** 0-based page of the preview on screen */
  const pageIndex = ref(0)
  let seq = 0
  let timer: ReturnType<typeof setTimeout> | undefined

  const requestKey = computed(() => JSON.stringify(request.value))
  const ready = computed(() => Object.keys(localErrors.value).length === 0)
  /** the preview on screen shows exactly the current settings */
  const current = computed(() => preview.value !== null && previewOf.value === requestKey.value)

  async function fetchPreview(): Promise<void> {
    clearTimeout(timer)
    const mine = ++seq
    const key = requestKey.value
    if (!ready.value) {
      errors.clear()
      pending.value = false
      return
    }
    pending.value = true
    try {
      const result = await call('labels.preview', request.value)
      if (mine !== seq) return
      preview.value = result
      previewOf.value = key
      pageIndex.value = Math.min(pageIndex.value, result.pages.length - 1)
      errors.clear()
    } catch (err) {
      if (mine !== seq) return
      errors.clear()
      errors.show(err)
      previewOf.value = null
    } finally {
      if (mine === seq) pending.value = false
    }
  }

  /** Asks for a preview after the admin stopped typing for a moment. */
  function schedulePreview(delayMs = 300): void {
    clearTimeout(timer)
    pending.value = ready.value
    timer = setTimeout(() => void fetchPreview(), delayMs)
  }
  watch(requestKey, () => schedulePreview())

  /** The preview of exactly the current settings (fetched now if the shown one is older). */
  async function currentPreview(): Promise<LabelSheetPreview | null> {
    if (!current.value) await fetchPreview()
    return current.value ? preview.value : null
  }

  watch(
    [calibrate, () => ({ ...calibration })],
    ([on, values]) => {
      try {
        if (on) localStorage.setItem(CALIBRATION_KEY, JSON.stringify(values))
        else localStorage.removeItem(CALIBRATION_KEY)
      } catch {
        // not persisted; still used for this session
      }
    },
    { deep: true }
  )

  /** Starts a sheet for these tapes (the Media view's selection). */
  function useLabels(labels: string[]): void {
    sourceKind.value = 'list'
    listText.value = labels.join('\n')
    startPosition.value = 1
  }

  function resetLayout(): void {
    for (const f of LAYOUT_FIELDS) layout[f] = null
    borders.value = null
  }

  return {
    sourceKind,
    range,
    listText,
    listLabels,
    inventory,
    mode,
    paper,
    layout,
    borders,
    startPosition,
    calibrate,
    calibration,
    request,
    preview,
    current,
    pending,
    pageIndex,
    problem,
    problems,
    fetchPreview,
    currentPreview,
    useLabels,
    resetLayout,
    pdf: () => call('labels.pdf', request.value),
    calibrationPage: () => call('labels.calibration-page', { paper: paper.value })
  }
})
