/**
 * The contract between the format layer and a tape driver (LTO over SCSI, the virtual library, an
 * in-memory tape in tests). The driver moves whole 256 KiB blocks and filemarks; everything about
 * block headers, sequence numbers and archives lives above it.
 */

/** Where a blocked writer sends its blocks. */
export interface BlockSink {
  /**
   * Write one block of exactly `BLOCK_SIZE` bytes. `leom` reports the early warning (logical end of
   * medium, sense 0/00/02): the block was written, but the archive should be closed soon.
   * The buffer is only valid during the call (the writer reuses it); copy it if it must outlive it.
   * Hitting the physical end of the medium is an error (thrown), not `leom`.
   */
  writeBlock(block: Uint8Array): Promise<{ leom: boolean }>
  /**
   * Write one filemark (ends the current tape file). Drives may buffer it, like PBS's filemarks
   * with the IMMED bit: what was written is durable only after the driver's flush
   * (`TapeDriver.writeFilemarks(0)`), so commit points flush before they record anything.
   */
  writeFilemark(): Promise<void>
}

/** What a blocked reader reads blocks from. */
export interface BlockSource {
  /**
   * Read the next block. A data block is returned as bytes (must be exactly `BLOCK_SIZE` long for a
   * PBS stream; anything else is reported as an error by the reader). The returned buffer is only
   * valid until the next call. `'filemark'` = the drive crossed a filemark (end of this tape file);
   * `'end-of-data'` = nothing more is recorded on the tape.
   */
  readBlock(): Promise<Uint8Array | 'filemark' | 'end-of-data'>
}
