/**
 * Names and default timeouts per operation code, so errors say which command failed and every
 * command gets a sensible timeout without each caller choosing one. Timeouts follow PBS
 * (pbs-tape.md §8.1): 30 s for quick status commands, 60 s (the sg default PBS relies on) for
 * mode/log/attribute/security pages, 10 min for anything that moves tape, 5 min for changer
 * commands and 30 min for INITIALIZE ELEMENT STATUS.
 */

const SECOND = 1000
const MINUTE = 60 * SECOND

export const Timeout = {
  SHORT: 30 * SECOND,
  DEFAULT: 60 * SECOND,
  TAPE: 10 * MINUTE,
  CHANGER: 5 * MINUTE,
  INVENTORY: 30 * MINUTE,
  /**
   * ERASE LONG without IMMED runs to the end of the partition — hours on any LTO generation, so
   * PBS's 10 minutes would abort it; 24 h covers a full LTO-9 pass.
   */
  LONG_ERASE: 24 * 60 * MINUTE,
  /** PBS polls a drive for up to 2 h while an LTO-9 cartridge is initialised after FORMAT. */
  LTO9_FORMAT: 120 * MINUTE
} as const

const COMMANDS: Record<number, [string, number]> = {
  0x00: ['TEST UNIT READY', Timeout.SHORT],
  0x01: ['REWIND', Timeout.TAPE],
  0x03: ['REQUEST SENSE', Timeout.SHORT],
  0x04: ['FORMAT MEDIUM', Timeout.TAPE],
  0x05: ['READ BLOCK LIMITS', Timeout.DEFAULT],
  0x07: ['INITIALIZE ELEMENT STATUS', Timeout.INVENTORY],
  0x08: ['READ(6)', Timeout.TAPE],
  0x0a: ['WRITE(6)', Timeout.TAPE],
  0x10: ['WRITE FILEMARKS(6)', Timeout.TAPE],
  0x11: ['SPACE(6)', Timeout.TAPE],
  0x12: ['INQUIRY', Timeout.SHORT],
  0x15: ['MODE SELECT(6)', Timeout.DEFAULT],
  0x19: ['ERASE(6)', Timeout.TAPE],
  0x1a: ['MODE SENSE(6)', Timeout.DEFAULT],
  0x1b: ['LOAD UNLOAD', Timeout.TAPE],
  0x1e: ['PREVENT ALLOW MEDIUM REMOVAL', Timeout.DEFAULT],
  0x2b: ['LOCATE(10)', Timeout.TAPE],
  0x34: ['READ POSITION', Timeout.SHORT],
  0x44: ['REPORT DENSITY SUPPORT', Timeout.DEFAULT],
  0x4c: ['LOG SELECT', Timeout.DEFAULT],
  0x4d: ['LOG SENSE', Timeout.DEFAULT],
  0x55: ['MODE SELECT(10)', Timeout.DEFAULT],
  0x5a: ['MODE SENSE(10)', Timeout.DEFAULT],
  0x8c: ['READ ATTRIBUTE', Timeout.DEFAULT],
  0x8d: ['WRITE ATTRIBUTE', Timeout.DEFAULT],
  0x91: ['SPACE(16)', Timeout.TAPE],
  0x92: ['LOCATE(16)', Timeout.TAPE],
  0xa0: ['REPORT LUNS', Timeout.SHORT],
  0xa2: ['SECURITY PROTOCOL IN', Timeout.DEFAULT],
  0xa3: ['REPORT SUPPORTED OPERATION CODES', Timeout.DEFAULT],
  0xa5: ['MOVE MEDIUM', Timeout.CHANGER],
  0xb5: ['SECURITY PROTOCOL OUT', Timeout.DEFAULT],
  0xb8: ['READ ELEMENT STATUS', Timeout.CHANGER]
}

/** "READ(6)", or "opcode 0xc1" for commands not in the table. */
export function commandName(cdb: Uint8Array): string {
  return COMMANDS[cdb[0]]?.[0] ?? `opcode 0x${cdb[0].toString(16).padStart(2, '0')}`
}

export function defaultTimeoutMs(cdb: Uint8Array): number {
  const isLongErase = cdb[0] === 0x19 && (cdb[1] & 0x03) === 0x01
  if (isLongErase) return Timeout.LONG_ERASE
  return COMMANDS[cdb[0]]?.[1] ?? Timeout.DEFAULT
}
