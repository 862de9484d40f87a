/**
 * An LTO (or any SSC) tape drive over a SCSI transport, as PBS drives it (pbs-tape.md §8):
 * variable-block mode with compression and buffered mode on, 256 KiB blocks, filemarks, hardware
 * encryption through SECURITY PROTOCOL OUT.
 *
 * Positions are tracked from the commands this handle issued (REWIND → file 0, a READ that hits a
 * filemark → next file, SPACE …), because tgt has neither LOCATE nor a real READ POSITION. Where
 * the drive answers READ POSITION sensibly it is used for what tracking cannot know (after SPACE
 * EOD); LOCATE(16) is used when the drive has it, REWIND + SPACE otherwise. Nothing is retried
 * after a TransportError: the position is then unknown until the next REWIND.
 */
import { BLOCK_SIZE } from '../../format/block-header'
import type {
  CartridgeMemoryAttribute,
  DriveStatus,
  TapeDriver,
  TapePosition,
  VolumeStatistics
} from '../tape-driver'
import {
  aes256GcmIndex,
  buildSetDataEncryptionPage,
  EncryptionPage,
  parseEncryptionCapabilities
} from '../scsi/encryption'
import {
  LogPage,
  parseTapeAlertResponsePage,
  parseVolumeStatistics,
  type VolumeStatistics as Lp17Statistics
} from '../scsi/log-pages'
import { parseAttributes, type MamAttribute } from '../scsi/mam'
import { TAPE_ALERT_FLAGS } from '../tape-alert'
import { ScsiDataError } from '../scsi/bytes'
import { describeSense, SenseKey, type Sense } from '../scsi/sense'
import { ScsiDevice, ScsiError } from '../scsi/scsi-device'
import {
  logSenseCdb,
  modeSense6Cdb,
  readAttributeCdb,
  SecurityProtocol,
  securityProtocolInCdb,
  securityProtocolOutCdb
} from '../scsi/spc-cdb'
import {
  buildModeSelectParameters,
  DeviceType,
  parseModeParameters,
  type ModeParameters
} from '../scsi/spc-data'
import {
  eraseCdb,
  formatMediumCdb,
  loadUnloadCdb,
  locate16Cdb,
  readPositionCdb,
  READ_POSITION_LENGTH,
  rewindCdb,
  space16Cdb,
  spaceCdb,
  type SpaceCode
} from '../scsi/ssc-cdb'
import { LTO_DENSITY, parseLongPosition, type LongPosition } from '../scsi/ssc-data'
import { readBlock, writeBlock, writeFilemarks } from '../scsi/tape-io'
import { TransportError, type ScsiTransport } from '../scsi/transport'
import { driveErrorOf, LtoDriveError, type LtoDriveErrorCode } from './errors'

const DATA_COMPRESSION_PAGE = 0x0f
/** BUFFERED MODE 1 in the mode header's device-specific byte (PBS `set_drive_options`). */
const BUFFERED_MODE = 0x10
const LTO9_DENSITY = 0x60
const SPACE6_MAX = 0x7fffff

export interface LtoDriveOptions {
  /** Passed to ScsiDevice (tests shorten the retry delays). */
  device?: ConstructorParameters<typeof ScsiDevice>[1]
}

export class LtoDrive implements TapeDriver {
  private readonly device: ScsiDevice
  /** Where the tape is, as far as this handle knows; null = unknown. */
  private pos: TapePosition | null = null
  /** Mode pages set for the loaded cartridge (reset on every medium change). */
  private configured = false
  private density = 0
  /** Capabilities learnt on first use: undefined = not tried yet, false = the drive lacks it. */
  private readPositionWorks: boolean | undefined
  private locateWorks: boolean | undefined
  /** The vendor's filemark numbering for LOCATE, relative to PBS's (IBM and HP differ by one). */
  private locateOffset = 0
  private logSenseWorks: boolean | undefined
  /** AES-256-GCM algorithm index; null = no hardware encryption. */
  private encryptionIndex: number | null | undefined
  /** The key the drive should hold, re-applied after a reset; wiped on close. */
  private key: Uint8Array | undefined
  private keyApplied = false
  private closed = false
  /** Where the barcode of the loaded cartridge comes from (its changer); drives do not know it. */
  private volumeTagSource: (() => Promise<string | undefined>) | undefined

  private constructor(
    readonly name: string,
    transport: ScsiTransport,
    options: LtoDriveOptions
  ) {
    this.device = new ScsiDevice(transport, {
      ...options.device,
      onUnitAttention: (sense) => this.unitAttention(sense)
    })
  }

  /** Opens the drive at `transport` (which it then owns) and checks that it is a tape drive. */
  static async open(
    name: string,
    transport: ScsiTransport,
    options: LtoDriveOptions = {}
  ): Promise<LtoDrive> {
    const drive = new LtoDrive(name, transport, options)
    try {
      const inquiry = await drive.device.inquiry()
      if (inquiry.deviceType !== DeviceType.TAPE) {
        throw new LtoDriveError(
          name,
          'not-a-tape-drive',
          `${transport.address} is not a tape drive (peripheral device type ${inquiry.deviceType}: ${inquiry.vendor} ${inquiry.product})`
        )
      }
      return drive
    } catch (err) {
      await transport.close()
      throw driveErrorOf(name, err)
    }
  }

  /**
   * Tells the driver that a changer moved a cartridge into (`loaded`) or out of the drive: the
   * drive then stands at the beginning of the new tape. Libraries also raise UNIT ATTENTION
   * 28/00, tgt does not.
   */
  mediumChanged(loaded: boolean): void {
    this.pos = loaded ? { file: 0, block: 0 } : null
    this.configured = false
  }

  /** Lets `status()` report the cartridge's barcode, as the changer sees it in this drive. */
  identifyVolumesWith(source: () => Promise<string | undefined>): void {
    this.volumeTagSource = source
  }

  // -------------------------------------------------------------------------------------------
  // Blocks and filemarks

  async readBlock(): Promise<Uint8Array | 'filemark' | 'end-of-data'> {
    await this.prepare()
    let outcome
    try {
      outcome = await readBlock(this.device, BLOCK_SIZE, { sili: true })
    } catch (err) {
      // A medium error leaves the drive behind the bad block, so reading can go on.
      if (err instanceof ScsiError && err.code === 'medium-error' && this.pos) this.pos.block++
      throw this.fail(err, true)
    }
    switch (outcome.kind) {
      case 'block':
        if (this.pos) this.pos.block++
        return outcome.data
      case 'filemark':
        this.pos = this.pos && { file: this.pos.file + 1, block: 0 }
        return 'filemark'
      case 'end-of-data':
        return 'end-of-data'
      case 'block-too-long':
        if (this.pos) this.pos.block++
        throw this.error(
          'read-error',
          `a ${outcome.length}-byte block is longer than ${BLOCK_SIZE} bytes: not a PBS tape block`
        )
    }
  }

  async writeBlock(block: Uint8Array): Promise<{ leom: boolean }> {
    await this.prepare()
    try {
      const { leom } = await writeBlock(this.device, block)
      if (this.pos) this.pos.block++
      return { leom }
    } catch (err) {
      throw this.fail(err)
    }
  }

  /** One filemark with IMMED, as PBS: durable after the next `writeFilemarks(0)`. */
  async writeFilemark(): Promise<void> {
    await this.prepare()
    await this.filemarks(1, true)
  }

  async writeFilemarks(count: number): Promise<void> {
    checkCount(this.name, count, 'filemark count', 0)
    await this.prepare()
    await this.filemarks(count, false)
  }

  private async filemarks(count: number, immediate: boolean): Promise<void> {
    try {
      // Early warning on a filemark is expected near the end of a tape (PBS ignores it too).
      await writeFilemarks(this.device, count, { immediate })
    } catch (err) {
      throw this.fail(err)
    }
    if (count > 0) this.pos = this.pos && { file: this.pos.file + count, block: 0 }
  }

  // -------------------------------------------------------------------------------------------
  // Positioning

  async rewind(): Promise<void> {
    await this.prepare()
    await this.command(rewindCdb())
    this.pos = { file: 0, block: 0 }
  }

  async position(): Promise<TapePosition> {
    this.assertOpen()
    if (this.pos) return { ...this.pos }
    const reported = await this.readPosition()
    if (reported?.bop) return { file: 0, block: 0 }
    throw this.error(
      'position-lost',
      'the tape position is unknown (the drive does not report it); rewind or locate a file first'
    )
  }

  async locateFile(file: number): Promise<void> {
    checkCount(this.name, file, 'file number', 0)
    await this.prepare()
    if (file === 0) return this.rewind()
    // Forward from where we are, else from the beginning (or with LOCATE where the drive has it).
    if (this.pos && this.pos.file < file) return this.space('filemarks', file - this.pos.file)
    if (this.locateWorks !== false && (await this.locate(file))) return
    await this.rewind()
    await this.space('filemarks', file)
  }

  /**
   * PBS `locate_file`: LOCATE(16) to the BOT side of filemark file−1, then SPACE over it. Vendors
   * disagree by one on the filemark number, so the result is checked with READ POSITION and the
   * difference kept for later locates. False when the drive has no LOCATE(16) or cannot say
   * where it is.
   */
  private async locate(file: number): Promise<boolean> {
    let mark = file - 1 + this.locateOffset
    for (let attempt = 0; attempt < 2 && mark >= 0; attempt++) {
      try {
        await this.device.run({ cdb: locate16Cdb(mark, { destination: 'file' }) })
      } catch (err) {
        if (err instanceof ScsiError && err.code === 'not-supported') {
          this.locateWorks = false
          return false
        }
        this.pos = null
        throw this.fail(err)
      }
      this.pos = null
      await this.space('filemarks', 1)
      const at = await this.readPosition()
      if (at?.fileNumber == null) {
        this.locateWorks = false
        return false
      }
      this.locateWorks = true
      if (at.fileNumber === file) {
        this.locateOffset = mark - (file - 1)
        this.pos = { file, block: 0 }
        return true
      }
      mark += file - at.fileNumber
    }
    throw this.error('position-lost', `LOCATE to file ${file} did not reach it`)
  }

  async moveToEndOfData(): Promise<void> {
    await this.prepare()
    if (this.readPositionWorks !== false) {
      await this.command(spaceCdb('end-of-data'))
      this.pos = null
      const at = await this.readPosition()
      if (at?.fileNumber != null) {
        this.pos = { file: at.fileNumber, block: at.bop ? 0 : await this.blocksBeforeEndOfData() }
        return
      }
    }
    await this.countToEndOfData()
  }

  /**
   * At end of data: whether the last file lacks its filemark (an interrupted write), the PBS way —
   * SPACE back one block stops at a filemark (0/00/01) when the last file is complete. The exact
   * count of such blocks does not matter to callers; 1 stands for "at least one".
   */
  private async blocksBeforeEndOfData(): Promise<number> {
    try {
      await this.device.run({ cdb: spaceCdb('blocks', -1) })
    } catch (err) {
      if (err instanceof ScsiError && err.code === 'filemark') {
        await this.command(spaceCdb('filemarks', 1))
        return 0
      }
      throw this.fail(err)
    }
    await this.command(spaceCdb('blocks', 1))
    return 1
  }

  /**
   * For drives without READ POSITION (tgt): count the files by spacing over filemarks from the
   * beginning, then count the blocks of an unfinished last file by reading them.
   */
  private async countToEndOfData(): Promise<void> {
    await this.rewind()
    let files = 0
    for (;;) {
      try {
        await this.device.run({ cdb: spaceCdb('filemarks', 1) })
        files++
      } catch (err) {
        if (err instanceof ScsiError && err.code === 'end-of-data') break
        this.pos = null
        throw this.fail(err)
      }
    }
    await this.rewind()
    if (files > 0) await this.space('filemarks', files)
    for (;;) {
      const block = await this.readBlock()
      if (block === 'end-of-data') return
      if (block === 'filemark')
        throw this.error('position-lost', 'found a filemark after the last one')
    }
  }

  async spaceFilemarks(count: number): Promise<void> {
    checkCount(this.name, count, 'filemark count')
    await this.prepare()
    await this.space('filemarks', count)
  }

  async spaceBlocks(count: number): Promise<void> {
    checkCount(this.name, count, 'block count')
    await this.prepare()
    await this.space('blocks', count)
  }

  /** SPACE(6), or SPACE(16) beyond 24 bits; tracks the position of a forward filemark space. */
  private async space(code: SpaceCode, count: number): Promise<void> {
    if (count === 0) return
    const cdb = Math.abs(count) <= SPACE6_MAX ? spaceCdb(code, count) : space16Cdb(code, count)
    const before = this.pos
    this.pos = null
    try {
      await this.device.run({ cdb })
    } catch (err) {
      if (err instanceof ScsiError && err.code === 'beginning-of-medium')
        this.pos = { file: 0, block: 0 }
      throw this.fail(err)
    }
    if (!before) return
    if (code === 'filemarks' && count > 0) this.pos = { file: before.file + count, block: 0 }
    // Within a file (a block space crossing a filemark fails above and leaves the position unknown).
    if (code === 'blocks') this.pos = { file: before.file, block: before.block + count }
    // Backward over filemarks: only the drive knows how long the file before the mark is.
  }

  /** READ POSITION long form, or null when the drive has none or answers nonsense (tgt's zeros). */
  private async readPosition(): Promise<LongPosition | null> {
    if (this.readPositionWorks === false) return null
    let at: LongPosition
    try {
      const data = await this.device.dataIn(readPositionCdb('long'), READ_POSITION_LENGTH.long)
      at = parseLongPosition(data)
    } catch (err) {
      if (!(err instanceof ScsiError) || err.code !== 'not-supported') throw this.fail(err)
      this.readPositionWorks = false
      return null
    }
    // Block 0 of file 0 is the beginning of the tape: a drive that says so without BOP is a dummy.
    const dummy = at.blockNumber === 0 && at.fileNumber === 0 && !at.bop
    if (dummy) {
      this.readPositionWorks = false
      return null
    }
    this.readPositionWorks = true
    return at
  }

  // -------------------------------------------------------------------------------------------
  // Cartridge handling

  async load(): Promise<void> {
    this.assertOpen()
    await this.command(loadUnloadCdb({ load: true }))
    this.mediumChanged(true)
  }

  /** LOAD UNLOAD (unload): the drive rewinds and ejects (tgt treats it as a no-op; its changer moves). */
  async eject(): Promise<void> {
    this.assertOpen()
    await this.command(loadUnloadCdb({ load: false }))
    this.mediumChanged(false)
  }

  /**
   * PBS `format_media`: FORMAT MEDIUM on LTO-5…8 (ERASE short on LTO-9, where FORMAT starts the
   * long media optimisation), ERASE LONG after it for a slow format, ERASE where FORMAT MEDIUM is
   * not known. tgt has neither: there an already blank tape passes, anything else is refused —
   * no tgt command removes recorded blocks without writing new ones.
   */
  async format(fast: boolean): Promise<void> {
    await this.rewind()
    let erased = false
    if (this.density < LTO9_DENSITY) erased = await this.ifSupported(formatMediumCdb())
    if (!fast || !erased) erased = (await this.ifSupported(eraseCdb({ long: !fast }))) || erased
    await this.rewind()
    if (erased) return
    const first = await this.readBlock()
    await this.rewind()
    if (first !== 'end-of-data') {
      throw this.error(
        'not-supported',
        'cannot erase the tape: FORMAT MEDIUM and ERASE are not supported by this drive; the tape still holds data'
      )
    }
  }

  /** Runs a command the drive may not implement: false when it answers 05/20/00. */
  private async ifSupported(cdb: Uint8Array): Promise<boolean> {
    try {
      await this.device.run({ cdb })
      return true
    } catch (err) {
      if (err instanceof ScsiError && err.code === 'not-supported') return false
      this.pos = null
      throw this.fail(err)
    }
  }

  // -------------------------------------------------------------------------------------------
  // Encryption

  async setEncryption(key: Uint8Array | undefined): Promise<void> {
    this.assertOpen()
    if (key !== undefined && key.length !== 32) {
      throw this.error(
        'invalid-argument',
        `encryption key must be 32 bytes (AES-256), got ${key.length}`
      )
    }
    const index = await this.encryptionAlgorithm()
    if (index === null) {
      if (key === undefined) return
      throw this.error(
        'not-supported',
        'hardware encryption is not supported by this drive (no AES-256-GCM via SECURITY PROTOCOL IN/OUT)'
      )
    }
    this.key?.fill(0)
    this.key = key && Uint8Array.from(key)
    this.keyApplied = false
    await this.applyKey(index)
  }

  private async applyKey(index: number): Promise<void> {
    const page = buildSetDataEncryptionPage({ algorithmIndex: index, key: this.key ?? null })
    try {
      await this.device.run({
        cdb: securityProtocolOutCdb(
          SecurityProtocol.TAPE_DATA_ENCRYPTION,
          EncryptionPage.SET_DATA_ENCRYPTION,
          page.length
        ),
        dataOut: page
      })
    } finally {
      page.fill(0)
    }
    this.keyApplied = true
  }

  /** The AES-256-GCM algorithm index, or null when the drive has no hardware encryption. */
  private async encryptionAlgorithm(): Promise<number | null> {
    if (this.encryptionIndex !== undefined) return this.encryptionIndex
    try {
      const data = await this.device.dataIn(
        securityProtocolInCdb(SecurityProtocol.TAPE_DATA_ENCRYPTION, EncryptionPage.CAPABILITIES),
        8196
      )
      this.encryptionIndex = aes256GcmIndex(parseEncryptionCapabilities(data))
    } catch (err) {
      if (!(err instanceof ScsiError) || err.code !== 'not-supported') throw this.fail(err)
      this.encryptionIndex = null
    }
    return this.encryptionIndex
  }

  // -------------------------------------------------------------------------------------------
  // Status

  async status(): Promise<DriveStatus> {
    this.assertOpen()
    const alertFlags = await this.alertFlags()
    try {
      await this.device.testUnitReady()
    } catch (err) {
      if (err instanceof ScsiError && err.code === 'no-medium') {
        this.mediumChanged(false)
        return { loaded: false, 'alert-flags': alertFlags }
      }
      throw this.fail(err)
    }
    const mode = await this.modeSense()
    const density = mode.blockDescriptors[0]?.densityCode ?? 0
    const status: DriveStatus = {
      loaded: true,
      'write-protect': mode.writeProtected,
      'alert-flags': alertFlags
    }
    if (LTO_DENSITY[density]) status.density = LTO_DENSITY[density]
    const volumeTag = await this.volumeTagSource?.()
    if (volumeTag) status['volume-tag'] = volumeTag
    if (this.pos) status.position = { ...this.pos }
    // Drives without LOG SENSE (tgt), or without a cartridge's statistics, just say less.
    const volume = await this.readVolumeStatistics().catch((err: unknown) => {
      if (err instanceof LtoDriveError && err.code === 'not-supported') return null
      if (err instanceof ScsiDataError) return null
      throw err
    })
    if (volume) {
      status['bytes-used'] = volume.totalUsedNativeCapacity
      status.capacity = volume.totalNativeCapacity
      status['medium-passes'] = Math.max(volume.beginningOfMediumPasses, volume.middleOfTapePasses)
      status['volume-mounts'] = volume.volumeMounts
    }
    return status
  }

  /**
   * LOG SENSE page 17h with PBS's field names; a 'not-supported' LtoDriveError on drives without
   * it (tgt, LTO-4).
   */
  async volumeStatistics(): Promise<VolumeStatistics> {
    return pbsVolumeStatistics(await this.readVolumeStatistics())
  }

  private async readVolumeStatistics(): Promise<Lp17Statistics> {
    const data = await this.rejectedAsUnsupported(
      'volume statistics (LOG SENSE page 17h) are',
      this.logSense(LogPage.VOLUME_STATISTICS)
    )
    return parseVolumeStatistics(data)
  }

  /**
   * READ ATTRIBUTE (all attributes from 0000h, 32 KiB as PBS) as PBS lists cartridge memory; a
   * 'not-supported' LtoDriveError on drives without MAM access (tgt).
   */
  async cartridgeMemory(): Promise<CartridgeMemoryAttribute[]> {
    this.assertOpen()
    const data = await this.rejectedAsUnsupported(
      'cartridge memory (READ ATTRIBUTE) is',
      this.device.dataIn(readAttributeCdb(), 32 * 1024).catch((err: unknown) => {
        throw this.fail(err)
      })
    )
    // PBS lists only the attributes it knows by name, in the order the drive sent them.
    return parseAttributes(data).flatMap((a) =>
      a.name === null ? [] : [{ id: a.id, name: a.name, value: mamValueText(a) }]
    )
  }

  /**
   * ILLEGAL REQUEST "invalid command operation code" (tgt) or "invalid field in CDB" (a drive
   * without that log page) mean the drive lacks the feature: say so, with the device's answer.
   */
  private async rejectedAsUnsupported<T>(what: string, pending: Promise<T>): Promise<T> {
    try {
      return await pending
    } catch (err) {
      if (!(err instanceof LtoDriveError)) throw err
      const cause = err.cause instanceof ScsiError ? err.cause : null
      const sense = cause?.sense
      const refused =
        sense?.key === SenseKey.ILLEGAL_REQUEST && (sense.asc === 0x20 || sense.asc === 0x24)
      if (!refused && err.code !== 'not-supported') throw err
      const answer =
        cause && sense
          ? `${cause.address} answered ${cause.command} with ${describeSense(sense)}`
          : err.message
      throw this.error('not-supported', `${what} not supported by this drive (${answer})`)
    }
  }

  /** TapeAlert flags by PBS name (page 12h); none on drives without LOG SENSE. */
  private async alertFlags(): Promise<string[]> {
    if (this.logSenseWorks === false) return []
    try {
      const flags = parseTapeAlertResponsePage(await this.logSense(LogPage.TAPE_ALERT_RESPONSE))
      return flags.names
    } catch (err) {
      if (err instanceof LtoDriveError && err.code === 'not-supported') return []
      throw err
    }
  }

  private async logSense(page: number): Promise<Uint8Array> {
    if (this.logSenseWorks === false) {
      throw this.error('not-supported', `LOG SENSE is not supported by this drive`)
    }
    try {
      const data = await this.device.dataIn(logSenseCdb({ page, allocationLength: 8192 }), 8192)
      this.logSenseWorks = true
      return data
    } catch (err) {
      if (err instanceof ScsiError && err.code === 'not-supported' && !this.logSenseWorks)
        this.logSenseWorks = false
      throw this.fail(err)
    }
  }

  // -------------------------------------------------------------------------------------------
  // Setup

  /**
   * Before the first tape command on a cartridge: variable-block mode (block length 0), buffered
   * mode 1 and compression on, as PBS `set_drive_options` (MODE SENSE/SELECT(6): tgt lacks
   * MODE SELECT(10)); and the encryption key again after a reset.
   */
  private async prepare(): Promise<void> {
    this.assertOpen()
    if (this.configured && (!this.key || this.keyApplied)) return
    const mode = await this.modeSense()
    const descriptor = mode.blockDescriptors[0]
    this.density = descriptor?.densityCode ?? 0
    const compression = mode.pages.find((p) => p.code === DATA_COMPRESSION_PAGE)
    const pages: Uint8Array[] = []
    // DCC (byte 2 bit 6): only a drive that can compress is asked to.
    if (compression && compression.bytes.length >= 4 && compression.bytes[2] & 0x40) {
      const page = Uint8Array.from(compression.bytes)
      page[2] |= 0x80
      pages.push(page)
    }
    const parameters = buildModeSelectParameters(6, {
      deviceSpecific: BUFFERED_MODE,
      blockDescriptors: [{ densityCode: this.density, blockCount: 0, blockLength: 0 }],
      pages
    })
    try {
      await this.device.modeSelect(6, parameters)
    } catch (err) {
      throw this.fail(err)
    }
    this.configured = true
    if (this.key && !this.keyApplied) {
      const index = await this.encryptionAlgorithm()
      if (index !== null) await this.applyKey(index)
    }
  }

  private async modeSense(): Promise<ModeParameters> {
    try {
      const cdb = modeSense6Cdb({ page: DATA_COMPRESSION_PAGE, allocationLength: 255 })
      return parseModeParameters(await this.device.dataIn(cdb, 255), 6)
    } catch (err) {
      throw this.fail(err)
    }
  }

  private unitAttention(sense: Sense): void {
    // 28/00: another cartridge (at its beginning); 29/xx reset: position, modes and key are gone.
    if (sense.asc === 0x28) this.mediumChanged(true)
    if (sense.asc === 0x29) {
      this.pos = null
      this.configured = false
      this.keyApplied = false
    }
  }

  // -------------------------------------------------------------------------------------------

  async close(): Promise<void> {
    if (this.closed) return
    try {
      if (this.key) {
        this.key.fill(0)
        this.key = undefined
        const index = await this.encryptionAlgorithm().catch(() => null)
        if (index !== null) await this.applyKey(index).catch(() => undefined)
      }
    } finally {
      this.closed = true
      await this.device.transport.close()
    }
  }

  private async command(cdb: Uint8Array): Promise<void> {
    try {
      await this.device.run({ cdb })
    } catch (err) {
      this.pos = null
      throw this.fail(err)
    }
  }

  private fail(err: unknown, reading = false): unknown {
    // The command may have moved the tape: only a REWIND (or the drive) can tell where it is now.
    if (err instanceof TransportError) this.pos = null
    return driveErrorOf(this.name, err, reading)
  }

  private error(code: LtoDriveErrorCode, message: string): LtoDriveError {
    return new LtoDriveError(this.name, code, message)
  }

  private assertOpen(): void {
    if (this.closed) throw this.error('closed', 'the drive handle is closed')
  }
}

/** The parsed page under PBS's API names, in PBS's order (`Lp17VolumeStatistics`). */
function pbsVolumeStatistics(v: Lp17Statistics): VolumeStatistics {
  return {
    'volume-mounts': v.volumeMounts,
    'volume-datasets-written': v.volumeDatasetsWritten,
    'volume-recovered-write-data-errors': v.volumeRecoveredWriteDataErrors,
    'volume-unrecovered-write-data-errors': v.volumeUnrecoveredWriteDataErrors,
    'volume-write-servo-errors': v.volumeWriteServoErrors,
    'volume-unrecovered-write-servo-errors': v.volumeUnrecoveredWriteServoErrors,
    'volume-datasets-read': v.volumeDatasetsRead,
    'volume-recovered-read-errors': v.volumeRecoveredReadErrors,
    'volume-unrecovered-read-errors': v.volumeUnrecoveredReadErrors,
    'last-mount-unrecovered-write-errors': v.lastMountUnrecoveredWriteErrors,
    'last-mount-unrecovered-read-errors': v.lastMountUnrecoveredReadErrors,
    'last-mount-bytes-written': v.lastMountBytesWritten,
    'last-mount-bytes-read': v.lastMountBytesRead,
    'lifetime-bytes-written': v.lifetimeBytesWritten,
    'lifetime-bytes-read': v.lifetimeBytesRead,
    'last-load-write-compression-ratio': v.lastLoadWriteCompressionRatio,
    'last-load-read-compression-ratio': v.lastLoadReadCompressionRatio,
    'medium-mount-time': v.mediumMountTime,
    'medium-ready-time': v.mediumReadyTime,
    'total-native-capacity': v.totalNativeCapacity,
    'total-used-native-capacity': v.totalUsedNativeCapacity,
    'write-protect': v.writeProtect,
    worm: v.worm,
    'beginning-of-medium-passes': v.beginningOfMediumPasses,
    'middle-of-tape-passes': v.middleOfTapePasses,
    serial: v.serial
  }
}

/**
 * PBS prints counters in decimal, text as text, the rest as hex (mam.rs). The TapeAlert attribute
 * (0002h) it shows as flag names, reading the big-endian value with flag k at bit k-1.
 */
function mamValueText(a: MamAttribute): string {
  if (a.id === 0x0002 && a.raw.length === 8) {
    const bits = Buffer.from(a.raw).readBigUInt64BE(0)
    const names = Object.entries(TAPE_ALERT_FLAGS)
      .filter(([, flag]) => (bits >> BigInt(flag - 1)) & 1n)
      .map(([name]) => name)
    return names.length ? names.join(' | ') : '(empty)'
  }
  return String(a.value)
}

function checkCount(drive: string, value: number, what: string, min = -Infinity): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new LtoDriveError(
      drive,
      'invalid-argument',
      `${what} must be an integer${min === 0 ? ' ≥ 0' : ''}, got ${value}`
    )
  }
}
