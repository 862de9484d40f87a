/**
 * A SCSI medium changer (SMC) as PBS and mtx drive it (pbs-tape.md §8.7, scsi.md §3): the Element
 * Address Assignment page gives the address ranges, READ ELEMENT STATUS is asked one element type
 * at a time with VOLTAG (tgt garbles "all types" and drops the last 8 bytes, so the parser is
 * tolerant), and MOVE MEDIUM does loads, unloads and transfers. Slots are numbered like mtx: storage
 * slots 1…N in address order, then the import/export slots; drives 0…M−1 in address order.
 */
import type {
  ChangerDriveStatus,
  ChangerSlotStatus,
  ChangerStatus,
  MediaChanger
} from '../media-changer'
import { ScsiDevice, ScsiError } from '../scsi/scsi-device'
import {
  elementAddressAssignmentCdb,
  ElementType,
  moveMediumCdb,
  readElementStatusCdb
} from '../scsi/smc-cdb'
import {
  parseElementAddressAssignment,
  parseElementStatus,
  type Element,
  type ElementAddressAssignment,
  type ElementRange
} from '../scsi/smc-data'
import { DeviceType } from '../scsi/spc-data'
import { TransportError, type ScsiTransport } from '../scsi/transport'

export type ScsiChangerErrorCode =
  | 'not-a-changer'
  | 'invalid-element'
  | 'source-empty'
  | 'destination-full'
  | 'medium-removal-prevented'
  | 'not-supported'
  | 'transport'
  | 'device-error'
  | 'closed'

export class ScsiChangerError extends Error {
  override readonly name: string = 'ScsiChangerError'
  constructor(
    readonly changer: string,
    readonly code: ScsiChangerErrorCode,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(`changer ${changer}: ${message}`)
    if (options?.cause !== undefined) this.cause = options.cause
  }
}

const SCSI_CODES: Partial<Record<string, ScsiChangerErrorCode>> = {
  'source-empty': 'source-empty',
  'destination-full': 'destination-full',
  'removal-prevented': 'medium-removal-prevented',
  'not-supported': 'not-supported'
}

/** Elements of one type per READ ELEMENT STATUS; big libraries are read in pages (PBS: 1000). */
const ELEMENTS_PER_REQUEST = 1000

interface Layout {
  storage: Element[]
  importExport: Element[]
  drives: Element[]
}

export class ScsiChanger implements MediaChanger {
  private closed = false

  private constructor(
    readonly name: string,
    private readonly device: ScsiDevice,
    private readonly assignment: ElementAddressAssignment
  ) {}

  /** Opens the changer at `transport` (which it then owns): checks the type, reads page 1Dh. */
  static async open(
    name: string,
    transport: ScsiTransport,
    options: ConstructorParameters<typeof ScsiDevice>[1] = {}
  ): Promise<ScsiChanger> {
    const device = new ScsiDevice(transport, options)
    try {
      const inquiry = await device.inquiry()
      if (inquiry.deviceType !== DeviceType.CHANGER) {
        throw new ScsiChangerError(
          name,
          'not-a-changer',
          `${transport.address} is not a medium changer (peripheral device type ${inquiry.deviceType}: ${inquiry.vendor} ${inquiry.product})`
        )
      }
      const assignment = parseElementAddressAssignment(
        await device.dataIn(elementAddressAssignmentCdb(), 255)
      )
      if (assignment.dataTransfer.count === 0 || assignment.storage.count === 0) {
        throw new ScsiChangerError(
          name,
          'device-error',
          `${transport.address} reports ${assignment.dataTransfer.count} drive(s) and ${assignment.storage.count} storage slot(s); a library needs at least one of each`
        )
      }
      return new ScsiChanger(name, device, assignment)
    } catch (err) {
      await transport.close()
      throw changerErrorOf(name, err)
    }
  }

  async status(): Promise<ChangerStatus> {
    const layout = await this.layout()
    const slots = [...layout.storage, ...layout.importExport]
    const slotOf = new Map(slots.map((e, i) => [e.address, i + 1]))
    const drives: ChangerDriveStatus[] = layout.drives.map((e, i) => {
      const drive: ChangerDriveStatus = { 'drive-number': i, full: e.full }
      if (e.full && e.volumeTag) drive['volume-tag'] = e.volumeTag
      const source = e.full && e.sourceAddress !== null ? slotOf.get(e.sourceAddress) : undefined
      if (source !== undefined) drive['loaded-slot'] = source
      return drive
    })
    return {
      drives,
      slots: slots.map((e, i): ChangerSlotStatus => {
        const slot: ChangerSlotStatus = {
          slot: i + 1,
          'import-export': e.kind === 'import-export',
          full: e.full
        }
        if (e.full && e.volumeTag) slot['volume-tag'] = e.volumeTag
        return slot
      })
    }
  }

  /**
   * Serial numbers of the drives (DVCID), in drive-number order, to match changer drives with
   * drive devices (VPD 80h). Asked without VOLTAG, as PBS does: some changers cannot report both.
   * Null entries where the changer does not identify a drive.
   */
  async driveSerials(): Promise<(string | null)[]> {
    const { first, count } = this.assignment.dataTransfer
    if (this.closed) throw new ScsiChangerError(this.name, 'closed', 'the changer handle is closed')
    try {
      const data = await this.device.dataIn(
        readElementStatusCdb({
          elementType: ElementType.DATA_TRANSFER,
          startAddress: first,
          count,
          dvcid: true
        }),
        0xffff
      )
      return parseElementStatus(data, { elementType: ElementType.DATA_TRANSFER })
        .elements.sort((x, y) => x.address - y.address)
        .map((e) => e.identifier?.serial ?? null)
    } catch (err) {
      throw changerErrorOf(this.name, err)
    }
  }

  async load(slot: number, driveNumber: number): Promise<void> {
    const layout = await this.layout()
    await this.move(this.slotAddress(layout, slot), this.driveAddress(layout, driveNumber))
  }

  async unload(driveNumber: number, slot: number): Promise<void> {
    const layout = await this.layout()
    await this.move(this.driveAddress(layout, driveNumber), this.slotAddress(layout, slot))
  }

  async transfer(from: number, to: number): Promise<void> {
    const layout = await this.layout()
    await this.move(this.slotAddress(layout, from), this.slotAddress(layout, to))
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.device.transport.close()
  }

  // -------------------------------------------------------------------------------------------

  private async move(source: number, destination: number): Promise<void> {
    try {
      await this.device.run({
        cdb: moveMediumCdb(this.assignment.transport.first, source, destination)
      })
    } catch (err) {
      throw changerErrorOf(this.name, err)
    }
  }

  /** Every element of the library by type, each list in address order. */
  private async layout(): Promise<Layout> {
    if (this.closed) throw new ScsiChangerError(this.name, 'closed', 'the changer handle is closed')
    const a = this.assignment
    try {
      return {
        storage: await this.elements(ElementType.STORAGE, a.storage),
        importExport: await this.elements(ElementType.IMPORT_EXPORT, a.importExport),
        drives: await this.elements(ElementType.DATA_TRANSFER, a.dataTransfer)
      }
    } catch (err) {
      throw changerErrorOf(this.name, err)
    }
  }

  private async elements(type: number, range: ElementRange): Promise<Element[]> {
    const found = new Map<number, Element>()
    const end = range.first + range.count
    let start = range.first
    while (start < end) {
      const count = Math.min(end - start, ELEMENTS_PER_REQUEST)
      const data = await this.device.dataIn(
        readElementStatusCdb({ elementType: type, startAddress: start, count, voltag: true }),
        0xffff
      )
      const page = parseElementStatus(data, { elementType: type }).elements.filter(
        (e) => e.address >= start && e.address < end
      )
      if (page.length === 0) break
      for (const e of page) found.set(e.address, e)
      start = Math.max(...page.map((e) => e.address)) + 1
    }
    return [...found.values()].sort((x, y) => x.address - y.address)
  }

  private slotAddress(layout: Layout, slot: number): number {
    const slots = [...layout.storage, ...layout.importExport]
    const element = Number.isInteger(slot) ? slots[slot - 1] : undefined
    if (!element) {
      throw new ScsiChangerError(
        this.name,
        'invalid-element',
        `slot ${slot} does not exist (slots 1-${slots.length}: ${layout.storage.length} storage, ${layout.importExport.length} import/export)`
      )
    }
    return element.address
  }

  private driveAddress(layout: Layout, driveNumber: number): number {
    const element = Number.isInteger(driveNumber) ? layout.drives[driveNumber] : undefined
    if (!element) {
      throw new ScsiChangerError(
        this.name,
        'invalid-element',
        `drive ${driveNumber} does not exist (drives 0-${layout.drives.length - 1})`
      )
    }
    return element.address
  }
}

function changerErrorOf(name: string, err: unknown): unknown {
  if (err instanceof ScsiError) {
    return new ScsiChangerError(name, SCSI_CODES[err.code] ?? 'device-error', err.message, {
      cause: err
    })
  }
  if (err instanceof TransportError) {
    const what = err.mayHaveRun ? 'the command may have run' : 'the command did not run'
    return new ScsiChangerError(name, 'transport', `${err.message}; ${what}`, { cause: err })
  }
  return err
}
