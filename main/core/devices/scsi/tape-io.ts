/**
 * Variable-block tape I/O on top of ScsiDevice: READ(6), WRITE(6) and WRITE FILEMARKS with the
 * sense interpretation of scsi.md §2.3/§2.4. The block length of a short read comes from sense
 * INFORMATION, never from the transport residual (tgt 1.0.85 swaps residual and data length).
 */
import { ScsiError, type ScsiDevice } from './scsi-device'
import { type Sense, SenseKey, classifySense, isEndOfData, isLeom } from './sense'
import { readBlockCdb, writeBlockCdb, writeFilemarksCdb } from './ssc-cdb'
import { ScsiStatus } from './transport'

export type ReadOutcome =
  /** One whole block (possibly shorter than requested). */
  | { kind: 'block'; data: Uint8Array }
  /** A filemark: the end of a tape file; the tape is now positioned after it. */
  | { kind: 'filemark' }
  /** End of recorded data (BLANK CHECK). */
  | { kind: 'end-of-data' }
  /** The block is longer than the buffer; its data is lost and the tape is positioned after it. */
  | { kind: 'block-too-long'; length: number }

/** Conditions a READ reports without failing: filemark, EOD, ILI, early warning. */
const readAccepts = (s: Sense): boolean =>
  !s.deferred &&
  (s.key === SenseKey.NO_SENSE ||
    s.key === SenseKey.RECOVERED_ERROR ||
    s.key === SenseKey.BLANK_CHECK)

/**
 * Reads the next block in variable-block mode into a buffer of `length` bytes. `sili` suppresses
 * the ILI CHECK CONDITION for short blocks on drives that honour it (PBS sets it); both ways the
 * result is the same.
 */
export async function readBlock(
  device: ScsiDevice,
  length: number,
  o: { sili?: boolean } = {}
): Promise<ReadOutcome> {
  const cdb = readBlockCdb(length, { sili: o.sili })
  const { data, sense } = await device.run({ cdb, dataInLength: length, accept: readAccepts })
  if (!sense) return { kind: 'block', data: data.subarray(0, Math.min(data.length, length)) }
  const fail = (detail: string): ScsiError =>
    new ScsiError(device.address, 'READ(6)', ScsiStatus.CHECK_CONDITION, sense, detail)
  if (classifySense(sense) === 'filemark') return { kind: 'filemark' }
  if (isEndOfData(sense)) return { kind: 'end-of-data' }
  if (sense.ili) {
    if (sense.information === null)
      throw fail('incorrect length without INFORMATION: the block length is unknown')
    const blockLength = length - sense.information
    if (blockLength > length) return { kind: 'block-too-long', length: blockLength }
    if (data.length < blockLength) {
      throw fail(
        `the target sent ${data.length} bytes of a ${blockLength}-byte block (tgt 1.0.85 truncates blocks read with a buffer between 1 and 2 times their size)`
      )
    }
    return { kind: 'block', data: data.subarray(0, blockLength) }
  }
  // NO SENSE/RECOVERED ERROR without ILI: the whole requested length was transferred.
  if (data.length < length) throw fail(`the target sent ${data.length} of ${length} bytes`)
  return { kind: 'block', data: data.subarray(0, length) }
}

export interface WriteOutcome {
  /** Logical end of medium (early warning): the data was written, but the tape is nearly full. */
  leom: boolean
}

/**
 * Completed-with-information conditions of WRITE and WRITE FILEMARKS. VOLUME OVERFLOW is not one of
 * them: at physical end of medium INFORMATION bytes were not written, so it is thrown.
 */
const writeAccepts = (s: Sense): boolean =>
  !s.deferred && (s.key === SenseKey.NO_SENSE || s.key === SenseKey.RECOVERED_ERROR)

const writeOutcome = (sense: Sense | null): WriteOutcome => ({
  leom: sense !== null && isLeom(sense)
})

/** Writes one variable-length block (one WRITE(6) = one block on tape). */
export async function writeBlock(device: ScsiDevice, data: Uint8Array): Promise<WriteOutcome> {
  const { sense } = await device.run({
    cdb: writeBlockCdb(data.length),
    dataOut: data,
    accept: writeAccepts
  })
  return writeOutcome(sense)
}

/** Writes `count` filemarks; count 0 flushes the drive buffer (and surfaces deferred errors). */
export async function writeFilemarks(
  device: ScsiDevice,
  count: number,
  o: { immediate?: boolean } = {}
): Promise<WriteOutcome> {
  const { sense } = await device.run({ cdb: writeFilemarksCdb(count, o), accept: writeAccepts })
  return writeOutcome(sense)
}
