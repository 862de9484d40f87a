import {
  type ScsiRequest,
  type ScsiResponse,
  type ScsiTransport
} from '../../../main/core/devices/scsi/transport'
import { h } from './hex'

/**
 * A ScsiTransport that replays programmed answers in order and records every request it was given,
 * so tests can assert how many commands reached the "device" and with which CDBs.
 */
export class ScriptedTransport implements ScsiTransport {
  readonly address = 'test://lun1'
  readonly requests: ScsiRequest[] = []
  private readonly script: (ScsiResponse | Error)[]

  constructor(...script: (ScsiResponse | Error)[]) {
    this.script = script
  }

  async execute(request: ScsiRequest): Promise<ScsiResponse> {
    this.requests.push(request)
    const next = this.script.shift()
    if (!next)
      throw new Error(
        `unexpected command ${Buffer.from(request.cdb).toString('hex')}: script exhausted`
      )
    if (next instanceof Error) throw next
    return next
  }

  get remaining(): number {
    return this.script.length
  }

  async close(): Promise<void> {}
}

export const good = (data: Uint8Array = new Uint8Array(0), residual = 0): ScsiResponse => ({
  status: 0x00,
  data,
  sense: new Uint8Array(0),
  residual
})

/** CHECK CONDITION with sense bytes given as hex; `data` is whatever Data-In the target sent along. */
export const check = (
  senseHex: string,
  data: Uint8Array = new Uint8Array(0),
  residual = 0
): ScsiResponse => ({
  status: 0x02,
  data,
  sense: h(senseHex),
  residual
})

export const status = (value: number): ScsiResponse => ({
  status: value,
  data: new Uint8Array(0),
  sense: new Uint8Array(0),
  residual: 0
})

/** Fixed-format sense: key byte (FILEMARK/EOM/ILI | key), ASC, ASCQ, optional VALID INFORMATION. */
export function fixedSense(keyByte: number, asc: number, ascq: number, info?: number): string {
  const b = new Uint8Array(18)
  b[0] = info === undefined ? 0x70 : 0xf0
  b[2] = keyByte
  new DataView(b.buffer).setInt32(3, info ?? 0)
  b[7] = 0x0a
  b[12] = asc
  b[13] = ascq
  return Buffer.from(b).toString('hex')
}

export const UNIT_ATTENTION_RESET = fixedSense(0x06, 0x29, 0x00)
export const BECOMING_READY = fixedSense(0x02, 0x04, 0x01)
