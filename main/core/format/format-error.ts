/**
 * Errors raised by the on-tape format layer.
 *
 * Readers throw `FormatError` for anything structurally wrong (bad magic, broken sequence, malformed
 * JSON, CRC mismatch …) so callers can tell "this tape file is damaged or not ours" from I/O errors
 * of the drive, which pass through unchanged.
 */
export class FormatError extends Error {
  override readonly name: string = 'FormatError'
}

/**
 * A tape file that was deliberately left unfinished: PBS (and Tapedeck) mark a snapshot or catalog
 * archive INCOMPLETE when the early warning (LEOM) arrived while writing it, and rewrite it whole on
 * the next tape; a stream without end marker is an aborted write. Neither is corruption, so restore
 * and catalog rebuilds skip such files instead of failing.
 */
export class IncompleteArchiveError extends FormatError {
  override readonly name: string = 'IncompleteArchiveError'
  constructor(
    message: string,
    /** 'incomplete': END_OF_STREAM block had the INCOMPLETE flag; 'no-end-marker': aborted write. */
    readonly reason: 'incomplete' | 'no-end-marker'
  ) {
    super(message)
  }
}
