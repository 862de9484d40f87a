/** CDB builders for the SMC (medium changer) commands (scsi.md §3, pbs-tape.md §8.7). */
import { checkRange, put16, put24 } from './bytes'
import { modeSense6Cdb } from './spc-cdb'

export const ElementType = {
  ALL: 0,
  MEDIUM_TRANSPORT: 1,
  STORAGE: 2,
  IMPORT_EXPORT: 3,
  DATA_TRANSFER: 4
} as const

export interface ReadElementStatusOptions {
  /** One element type per request: tgt garbles type 0 ("all") responses (scsi.md §0.4). */
  elementType: number
  startAddress?: number
  /** PBS asks for 1000 elements: some changers limit a query. */
  count?: number
  /** Report primary/alternate volume tags (barcodes). */
  voltag?: boolean
  /** Report the drive identifier (vendor/product/serial) for data transfer elements. */
  dvcid?: boolean
  /** Only cached data, no robot movement. */
  curdata?: boolean
  /** PBS uses 0xFFFF because some changers only read the lower two bytes of the field. */
  allocationLength?: number
}

export function readElementStatusCdb(o: ReadElementStatusOptions): Uint8Array {
  const cdb = new Uint8Array(12)
  cdb[0] = 0xb8
  cdb[1] = (o.voltag ? 0x10 : 0) | checkRange(o.elementType, 0, 15, 'element type')
  put16(cdb, 2, checkRange(o.startAddress ?? 0, 0, 0xffff, 'starting element address'))
  put16(cdb, 4, checkRange(o.count ?? 1000, 0, 0xffff, 'number of elements'))
  cdb[6] = (o.curdata ? 0x02 : 0) | (o.dvcid ? 0x01 : 0)
  put24(cdb, 7, checkRange(o.allocationLength ?? 0xffff, 0, 0xffffff, 'allocation length'))
  return cdb
}

/** MOVE MEDIUM; INVERT only matters for two-sided media, never for LTO. */
export function moveMediumCdb(
  transport: number,
  source: number,
  destination: number,
  invert = false
): Uint8Array {
  const cdb = new Uint8Array(12)
  cdb[0] = 0xa5
  put16(cdb, 2, checkRange(transport, 0, 0xffff, 'transport element address'))
  put16(cdb, 4, checkRange(source, 0, 0xffff, 'source element address'))
  put16(cdb, 6, checkRange(destination, 0, 0xffff, 'destination element address'))
  cdb[10] = invert ? 1 : 0
  return cdb
}

/** INITIALIZE ELEMENT STATUS: full inventory (barcode scan), can take many minutes. */
export const initializeElementStatusCdb = (): Uint8Array => Uint8Array.of(0x07, 0, 0, 0, 0, 0)

/** MODE SENSE(6) of the Element Address Assignment page 0x1D with DBD, as PBS: `1A 08 1D 00 FF 00`. */
export const elementAddressAssignmentCdb = (): Uint8Array =>
  modeSense6Cdb({ page: 0x1d, dbd: true, allocationLength: 255 })
