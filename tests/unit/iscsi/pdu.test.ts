import { describe, expect, it } from 'vitest'
import {
  NO_TAG,
  PduReader,
  decodeAsyncMessage,
  decodeDataIn,
  decodeLoginResponse,
  decodeLun,
  decodeNopIn,
  decodeR2T,
  decodeScsiResponse,
  decodeTextKeys,
  encodeDataOut,
  encodeLoginRequest,
  encodeLogoutRequest,
  encodeLun,
  encodeNopOut,
  encodeScsiCommand,
  encodeTextKeys,
  encodeTextRequest,
  type Pdu
} from '../../../main/core/devices/scsi/iscsi/pdu'

/** Hex with whitespace ignored, for writing golden bytes as BHS rows of 4/8 bytes. */
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex')
const joined = (chunks: Buffer[]) => Buffer.concat(chunks)
const zeros = (n: number) => '00'.repeat(n)

/** A target PDU from a hand-written BHS and data segment. */
function pdu(bhsHex: string, data = Buffer.alloc(0)): Pdu {
  const bhs = hex(bhsHex)
  expect(bhs.length).toBe(48)
  bhs.writeUIntBE(data.length, 5, 3)
  return { bhs, data }
}

describe('iSCSI PDU encoding (golden bytes, RFC 7143 §11)', () => {
  it('encodes a Login Request with text keys padded to 4 bytes', () => {
    const bytes = joined(
      encodeLoginRequest({
        transit: true,
        csg: 1,
        nsg: 3,
        isid: hex('800102030405'),
        tsih: 0,
        itt: 1,
        cid: 0,
        cmdSN: 1,
        expStatSN: 0,
        keys: [
          ['InitiatorName', 'iqn.a'],
          ['SessionType', 'Normal']
        ]
      })
    )
    const data = Buffer.from('InitiatorName=iqn.a\0SessionType=Normal\0')
    expect(data.length).toBe(39)
    expect(bytes).toEqual(
      Buffer.concat([
        hex(
          `43 87 00 00  00 000027  800102030405 0000  00000001  0000 0000  00000001  00000000 ${zeros(16)}`
        ),
        data,
        hex('00')
      ])
    )
  })

  it('encodes a security-stage Login Request without transit: NSG stays 0', () => {
    const [bhs] = encodeLoginRequest({
      transit: false,
      csg: 0,
      nsg: 1,
      isid: hex('800102030405'),
      tsih: 0x0500,
      itt: 7,
      cid: 0,
      cmdSN: 1,
      expStatSN: 3,
      keys: []
    })
    expect(bhs.subarray(0, 2)).toEqual(hex('4300'))
    expect(bhs.readUInt16BE(14)).toBe(0x0500)
    expect(bhs.readUIntBE(5, 3)).toBe(0)
  })

  it('encodes a SCSI Command (WRITE(6) 256 KiB, LUN 1) with immediate data', () => {
    const bytes = joined(
      encodeScsiCommand({
        lun: 1,
        itt: 0x10,
        edtl: 262144,
        cmdSN: 5,
        expStatSN: 7,
        cdb: hex('0a0004000000'),
        read: false,
        write: true,
        final: true,
        immediateData: hex('0102030405060708')
      })
    )
    expect(bytes).toEqual(
      hex(
        `01 a1 0000  00 000008  0001000000000000  00000010  00040000  00000005  00000007
         0a0004000000 ${zeros(10)}  0102030405060708`
      )
    )
  })

  it('encodes a read command with R set and no data segment', () => {
    const [bhs, ...rest] = encodeScsiCommand({
      lun: 300,
      itt: 2,
      edtl: 96,
      cmdSN: 1,
      expStatSN: 1,
      cdb: hex('120000006000'),
      read: true,
      write: false,
      final: true
    })
    expect(rest).toEqual([])
    expect(bhs[1]).toBe(0xc1)
    expect(bhs.subarray(8, 16)).toEqual(hex('412c000000000000')) // flat space LUN 300
  })

  it('refuses CDBs the BHS cannot carry', () => {
    const base = {
      lun: 0,
      itt: 1,
      edtl: 0,
      cmdSN: 1,
      expStatSN: 1,
      read: false,
      write: false,
      final: true
    }
    expect(() => encodeScsiCommand({ ...base, cdb: new Uint8Array(17) })).toThrow(/17 bytes/)
  })

  it('encodes a Data-Out PDU answering an R2T', () => {
    const bytes = joined(
      encodeDataOut({
        lun: 1,
        itt: 0x10,
        ttt: 0x1234,
        expStatSN: 7,
        dataSN: 2,
        bufferOffset: 16384,
        final: true,
        data: hex('aabbccddee')
      })
    )
    expect(bytes).toEqual(
      hex(
        `05 80 0000  00 000005  0001000000000000  00000010  00001234  00000000  00000007
         00000000  00000002  00004000  00000000  aabbccddee 000000`
      )
    )
  })

  it('encodes a NOP-Out echoing a target ping', () => {
    const bytes = joined(
      encodeNopOut({
        itt: NO_TAG,
        ttt: 0xabc,
        lun: hex('0003000000000000'),
        cmdSN: 9,
        expStatSN: 4
      })
    )
    expect(bytes).toEqual(
      hex(
        `40 80 0000  00 000000  0003000000000000  ffffffff  00000abc  00000009  00000004 ${zeros(16)}`
      )
    )
  })

  it('encodes a Logout Request (close session)', () => {
    const bytes = joined(
      encodeLogoutRequest({ reason: 0, itt: 0x20, cid: 0, cmdSN: 9, expStatSN: 4 })
    )
    expect(bytes).toEqual(
      hex(
        `46 80 0000  00 000000  ${zeros(8)}  00000020  0000 0000  00000009  00000004 ${zeros(16)}`
      )
    )
  })

  it('encodes a SendTargets Text Request', () => {
    const bytes = joined(
      encodeTextRequest({
        itt: 3,
        ttt: NO_TAG,
        cmdSN: 1,
        expStatSN: 2,
        keys: [['SendTargets', 'All']]
      })
    )
    expect(bytes).toEqual(
      Buffer.concat([
        hex(
          `44 80 0000  00 000010  ${zeros(8)}  00000003  ffffffff  00000001  00000002 ${zeros(16)}`
        ),
        Buffer.from('SendTargets=All\0')
      ])
    )
  })

  it('encodes and decodes LUN fields', () => {
    expect(encodeLun(3)).toEqual(hex('0003000000000000'))
    expect(encodeLun(16383)).toEqual(hex('7fff000000000000'))
    expect(decodeLun(hex('0002000000000000'))).toBe(2)
    expect(decodeLun(hex('412c000000000000'))).toBe(300)
    expect(() => encodeLun(16384)).toThrow(/invalid LUN/)
    expect(() => decodeLun(hex('c000000000000000'))).toThrow(/address method 3/)
  })
})

describe('iSCSI text keys', () => {
  it('round-trips repeated keys in order', () => {
    const keys: Array<[string, string]> = [
      ['TargetName', 'iqn.a:1'],
      ['TargetAddress', '127.0.0.1:3261,1'],
      ['TargetName', 'iqn.a:2']
    ]
    expect(decodeTextKeys(encodeTextKeys(keys))).toEqual(keys)
  })

  it('keeps "=" inside values and rejects a pair without a key', () => {
    expect(decodeTextKeys(Buffer.from('X=a=b\0'))).toEqual([['X', 'a=b']])
    expect(() => decodeTextKeys(Buffer.from('novalue\0'))).toThrow(
      /malformed iSCSI text key "novalue"/
    )
  })
})

describe('iSCSI PDU decoding', () => {
  it('splits a byte stream into PDUs whatever the chunking, dropping pad and AHS', () => {
    const first = joined(
      encodeNopOut({
        itt: 1,
        ttt: NO_TAG,
        lun: Buffer.alloc(8),
        cmdSN: 1,
        expStatSN: 1,
        data: hex('0102030405')
      })
    )
    const second = joined(
      encodeLogoutRequest({ reason: 0, itt: 2, cid: 0, cmdSN: 1, expStatSN: 1 })
    )
    // A third PDU with a 4-byte AHS (TotalAHSLength = 1 word) before its 2-byte data segment.
    const third = Buffer.concat([
      hex(`25 00 0000  01 000002 ${zeros(40)}`),
      hex('deadbeef'),
      hex('abcd0000')
    ])
    const stream = Buffer.concat([first, second, third])
    for (const size of [1, 7, 48, 53, stream.length]) {
      const reader = new PduReader()
      const pdus: Pdu[] = []
      for (let at = 0; at < stream.length; at += size)
        pdus.push(...reader.push(stream.subarray(at, at + size)))
      expect(pdus.map((p) => [p.bhs[0], p.data.toString('hex')])).toEqual([
        [0x40, '0102030405'],
        [0x46, ''],
        [0x25, 'abcd']
      ])
    }
  })

  it('decodes a final Login Response with negotiated keys', () => {
    const keys = Buffer.from('TargetPortalGroupTag=1\0HeaderDigest=None\0MaxBurstLength=262144\0')
    const r = decodeLoginResponse(
      pdu(
        `23 87 00 00  00 000000  800102030405 0500  00000001  00000000  00000000  00000001  00000002  0000 0000 ${zeros(8)}`,
        keys
      )
    )
    expect(r).toMatchObject({
      transit: true,
      continue: false,
      csg: 1,
      nsg: 3,
      tsih: 0x0500,
      itt: 1,
      statSN: 0,
      expCmdSN: 1,
      maxCmdSN: 2,
      statusClass: 0,
      statusDetail: 0,
      keys: [
        ['TargetPortalGroupTag', '1'],
        ['HeaderDigest', 'None'],
        ['MaxBurstLength', '262144']
      ]
    })
    expect(r.isid).toEqual(hex('800102030405'))
  })

  it('decodes a Data-In with status, underflow residual and buffer offset', () => {
    const r = decodeDataIn(
      pdu(
        `25 83 00 00  00 000000  0001000000000000  00000010  ffffffff  0000000a  00000005  00000006
         00000002  00002000  00000100`,
        hex('0102')
      )
    )
    expect(r).toMatchObject({
      final: true,
      statusPresent: true,
      status: 0,
      residual: 256,
      itt: 0x10,
      statSN: 10,
      expCmdSN: 5,
      maxCmdSN: 6,
      dataSN: 2,
      bufferOffset: 0x2000
    })
    expect(r.data).toEqual(hex('0102'))
  })

  it('ignores status and residual fields of a Data-In without the S bit', () => {
    const r = decodeDataIn(
      pdu(
        `25 00 00 02  00 000000  ${zeros(8)}  00000010  ffffffff  0000000a  00000005  00000006  00000000  00000000  00000100`
      )
    )
    expect(r).toMatchObject({ final: false, statusPresent: false, status: 0, residual: 0 })
  })

  it('decodes an R2T', () => {
    const r = decodeR2T(
      pdu(
        `31 80 00 00  00 000000  0001000000000000  00000010  00000abc  00000003  00000005  00000006  00000001  00002000  00040000`
      )
    )
    expect(r).toMatchObject({
      itt: 0x10,
      ttt: 0xabc,
      statSN: 3,
      r2tSN: 1,
      bufferOffset: 0x2000,
      desiredLength: 0x40000
    })
  })

  it('decodes a SCSI Response with CHECK CONDITION sense and an underflow residual', () => {
    const senseBytes = hex('f00020000186a00a000000000000000000000000')
    const data = Buffer.concat([hex('0014'), senseBytes])
    const r = decodeScsiResponse(
      pdu(
        `21 82 00 02  00 000000  ${zeros(8)}  00000010  ffffffff  00000007  00000003  00000004  00000000  00000000  000186a0`,
        data
      )
    )
    expect(r).toMatchObject({
      itt: 0x10,
      response: 0,
      status: 2,
      residual: 100000,
      statSN: 7,
      expCmdSN: 3,
      maxCmdSN: 4
    })
    expect(r.sense).toEqual(senseBytes)
  })

  it('reports an overflow residual as negative and a response without sense as empty sense', () => {
    const r = decodeScsiResponse(
      pdu(
        `21 84 00 00  00 000000  ${zeros(8)}  00000011  ffffffff  00000008  00000003  00000004  00000000  00000000  00000040`
      )
    )
    expect(r).toMatchObject({ status: 0, residual: -64 })
    expect(r.sense.length).toBe(0)
  })

  it('rejects a SCSI Response whose sense length exceeds its data segment', () => {
    expect(() =>
      decodeScsiResponse(pdu(`21 80 00 02  00 000000 ${zeros(40)}`, hex('0012' + '70'.repeat(4))))
    ).toThrow(/announces 18 sense bytes but carries 4/)
  })

  it('decodes a NOP-In ping and an asynchronous logout request', () => {
    const nop = decodeNopIn(
      pdu(
        `20 80 00 00  00 000000  0002000000000000  ffffffff  00000077  00000009  00000005  00000006 ${zeros(12)}`
      )
    )
    expect(nop).toMatchObject({ itt: NO_TAG, ttt: 0x77, statSN: 9 })
    expect(nop.lun).toEqual(hex('0002000000000000'))
    const async = decodeAsyncMessage(
      pdu(
        `32 80 00 00  00 000000  ${zeros(8)}  ffffffff  ffffffff  00000009  00000005  00000006  01 00 0005 0000 0000 00000000`
      )
    )
    expect(async).toMatchObject({ event: 1, parameters: [5, 0, 0], statSN: 9 })
  })
})
