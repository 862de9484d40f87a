/**
 * One SCSI command to one logical unit, whatever carries it (iSCSI over TCP, Linux SG_IO). The
 * command layer (CDB builders, sense decoding, retries) sits above this; transports only move
 * bytes and report what the target answered. They never retry a command on their own: a tape
 * command sent twice can write a block twice or skip one.
 */

/** SCSI status byte values a transport can return. */
export const ScsiStatus = {
  GOOD: 0x00,
  CHECK_CONDITION: 0x02,
  CONDITION_MET: 0x04,
  BUSY: 0x08,
  RESERVATION_CONFLICT: 0x18,
  TASK_SET_FULL: 0x28,
  ACA_ACTIVE: 0x30,
  TASK_ABORTED: 0x40
} as const

export interface ScsiRequest {
  /** The CDB, 6 to 16 bytes. */
  cdb: Uint8Array
  /** Data-In: the allocation length the CDB announces (bytes the target may send). */
  dataInLength?: number
  /** Data-Out: the bytes sent to the target. At most one of dataIn/dataOut. */
  dataOut?: Uint8Array
  /** Milliseconds before the transport gives up on the command (tape moves take minutes). */
  timeoutMs: number
}

export interface ScsiResponse {
  status: number
  /**
   * Data-In bytes actually received. Only meaningful when status is GOOD or the command layer
   * knows how to use partial data (CHECK CONDITION with ILI on a variable-block READ): tgt sends
   * junk Data-In before some CHECK CONDITIONs, so transports deliver it but callers must not trust
   * it blindly.
   */
  data: Uint8Array
  /** Sense bytes (fixed or descriptor format) that came with CHECK CONDITION; empty otherwise. */
  sense: Uint8Array
  /**
   * Residual as the transport reports it (positive = underflow: fewer bytes than announced).
   * Unreliable on some targets (tgt 1.0.85 swaps it on long reads): block lengths come from
   * sense INFORMATION instead.
   */
  residual: number
}

export interface ScsiTransport {
  /** Human-readable address for messages, e.g. `iscsi://127.0.0.1:3261/iqn…/1` or `/dev/sg3`. */
  readonly address: string
  execute(request: ScsiRequest): Promise<ScsiResponse>
  close(): Promise<void>
}

/**
 * The transport could not deliver the command or lost the answer (connection dropped, timeout,
 * protocol violation). Whether the command ran on the device is unknown; `mayHaveRun` says so,
 * and nothing above retries a tape command after it.
 */
export class TransportError extends Error {
  constructor(
    readonly address: string,
    /** what went wrong, without the address: for messages that name the device already */
    readonly detail: string,
    readonly mayHaveRun: boolean
  ) {
    super(`${address}: ${detail}`)
    this.name = 'TransportError'
  }
}
