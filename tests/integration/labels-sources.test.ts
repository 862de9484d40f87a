/**
 * Label sheets through the API (as the Labels view calls it): sources from the inventory, media
 * sets by UUID or name, unlabelled barcodes from a virtual library's changer, and errors.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LabelSheetRequest } from '../../main/core/api/contract'
import { tempCore, tempDir } from '../helpers/temp'

type Core = Awaited<ReturnType<typeof tempCore>>

const SET_A = '11111111-2222-4333-8444-555555555555'
const SET_B = '99999999-2222-4333-8444-555555555555'

describe('labels API sources', () => {
  let core: Core
  let lib: Awaited<ReturnType<typeof tempDir>>

  const preview = (source: LabelSheetRequest['source'], extra: Partial<LabelSheetRequest> = {}) =>
    core.api.invoke('labels.preview', { source, mode: 'simple', paper: 'a4', ...extra })

  /** `set`: media-set UUID, sequence number, and the set's start time. */
  async function addTape(
    label: string,
    uuid: string,
    pool?: string,
    set?: [string, number, number]
  ) {
    await core.drives.inventory.store({
      label: { uuid, labelText: label, ctime: 1_600_000_000, pool },
      mediaSet:
        set && pool
          ? { pool, uuid: set[0], seqNr: set[1], ctime: set[2] + 600 * set[1] }
          : undefined
    })
  }

  beforeAll(async () => {
    core = await tempCore()
    lib = await tempDir('tapedeck-labels-vlib-')
    await core.api.invoke('pool.create', { name: 'daily', template: 'daily-%s' })
    // A library of 6 tapes (TAPE01L9 …) and a cleaning cartridge; two of its tapes get labelled.
    const created = await core.api.invoke('vlib.create', {
      name: 'lib',
      path: join(lib.path, 'lib'),
      tapes: 6,
      cleaning: 1
    })
    expect(created.tapes).toEqual([
      'TAPE01L9',
      'TAPE02L9',
      'TAPE03L9',
      'TAPE04L9',
      'TAPE05L9',
      'TAPE06L9'
    ])
    await addTape('TAPE02L9', 'aaaaaaaa-0000-4000-8000-000000000002', 'daily', [
      SET_A,
      1,
      1_700_000_000
    ])
    await addTape('TAPE04L9', 'aaaaaaaa-0000-4000-8000-000000000004', 'daily', [
      SET_A,
      0,
      1_700_000_000
    ])
    await addTape('VAULT1L8', 'aaaaaaaa-0000-4000-8000-000000000011', 'daily', [
      SET_B,
      0,
      1_700_500_000
    ])
    await addTape('FREE01L8', 'aaaaaaaa-0000-4000-8000-000000000021')
  })
  afterAll(async () => {
    await core?.cleanup()
    await lib?.remove()
  })

  it('takes a pool, in label order', async () => {
    const r = await preview({ kind: 'inventory', pool: 'daily' })
    expect(r.labels).toEqual(['TAPE02L9', 'TAPE04L9', 'VAULT1L8'])
    expect(r.pages).toHaveLength(1)
    expect(r.page).toEqual({ widthMm: 210, heightMm: 297 })
    expect(r.pages[0].match(/<text /g)).toHaveLength(3 * 8)
  })

  it('takes a media set by UUID or by its name, in the order the tapes were written', async () => {
    expect((await preview({ kind: 'inventory', mediaSet: SET_A })).labels).toEqual([
      'TAPE04L9',
      'TAPE02L9'
    ])
    // template daily-%s at the set's start: the ctime of its first tape (seq 0)
    expect((await preview({ kind: 'inventory', mediaSet: 'daily-1700000000' })).labels).toEqual([
      'TAPE04L9',
      'TAPE02L9'
    ])
    await expect(preview({ kind: 'inventory', mediaSet: 'daily-1' })).rejects.toThrow(
      "no media set 'daily-1' in the inventory"
    )
  })

  it('restricts to a selection and names tapes that are not there', async () => {
    const r = await preview({ kind: 'inventory', labels: ['FREE01L8', 'TAPE02L9'] })
    expect(r.labels).toEqual(['FREE01L8', 'TAPE02L9'])
    await expect(
      preview({ kind: 'inventory', pool: 'daily', labels: ['FREE01L8', 'NOPE01L9'] })
    ).rejects.toThrow('not among the selected inventory tapes: FREE01L8, NOPE01L9')
    await expect(preview({ kind: 'inventory', pool: 'weekly' })).rejects.toThrow(
      "no inventory tape matches (pool 'weekly')"
    )
  })

  it('finds barcodes the changer reports that have no media label, without cleaning tapes', async () => {
    const r = await preview({ kind: 'inventory', unlabeled: true })
    expect(r.labels).toEqual(['TAPE01L9', 'TAPE03L9', 'TAPE05L9', 'TAPE06L9'])
    await expect(preview({ kind: 'inventory', unlabeled: true, pool: 'daily' })).rejects.toThrow(
      'unlabeled tapes belong to no pool or media set yet'
    )
  })

  it('reports positions, skipped slots and returns a PDF with a file name', async () => {
    const source = { kind: 'range', prefix: 'AB', start: 7, count: 3, type: 'LY' } as const
    const r = await preview(source, { paper: 'avery3420', startPosition: 50 })
    expect(r).toMatchObject({
      labels: ['AB0007LY', 'AB0008LY', 'AB0009LY'],
      perPage: 51,
      skipped: 49
    })
    expect(r.pages).toHaveLength(2)
    const pdf = await core.api.invoke('labels.pdf', { source, mode: 'color', paper: 'a4' })
    expect(pdf.fileName).toBe('labels-AB0007LY-AB0009LY.pdf')
    expect(Buffer.from(pdf.pdfBase64, 'base64').subarray(0, 8).toString()).toBe('%PDF-1.4')
  })

  it('turns bad requests into invalid-argument errors', async () => {
    await expect(preview({ kind: 'list', labels: ['TAPE01L9', 'TAPE-2L9'] })).rejects.toMatchObject(
      {
        code: 'invalid-argument',
        message: "label 'TAPE-2L9' contains '-'; LTO volume serials use only A–Z and 0–9"
      }
    )
    await expect(
      preview({ kind: 'list', labels: ['TAPE01L9'] }, { layout: { labelWidthMm: 60 } })
    ).rejects.toThrow('layout.labelWidthMm: label width must be at least 70 mm')
    await expect(
      core.api.invoke('labels.calibration-page', { paper: 'a5' as 'a4' })
    ).rejects.toMatchObject({ code: 'invalid-argument' })
  })
})
