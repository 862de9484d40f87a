import { describe, expect, it } from 'vitest'
import {
  login,
  negotiatedParameters,
  operationalKeys,
  type LoginOptions
} from '../../../main/core/devices/scsi/iscsi/login'
import {
  decodeTextKeys,
  encodeTextKeys,
  type Pdu,
  type TextKeys
} from '../../../main/core/devices/scsi/iscsi/pdu'

/** tgt 1.0.85's answer to our operational keys (reference/scsi.md §5.3), without MaxRecvDataSegmentLength. */
const TGT_ANSWER: TextKeys = [
  ['TargetPortalGroupTag', '1'],
  ['HeaderDigest', 'None'],
  ['DataDigest', 'None'],
  ['InitialR2T', 'Yes'],
  ['ImmediateData', 'Yes'],
  ['FirstBurstLength', '65536'],
  ['MaxBurstLength', '262144'],
  ['DefaultTime2Wait', '2'],
  ['DefaultTime2Retain', '0'],
  ['MaxOutstandingR2T', '1'],
  ['DataPDUInOrder', 'Yes'],
  ['DataSequenceInOrder', 'Yes'],
  ['ErrorRecoveryLevel', '0'],
  ['IFMarker', 'No'],
  ['OFMarker', 'No'],
  ['MaxConnections', '1']
]

describe('iSCSI key negotiation', () => {
  it("uses tgt's answers and the RFC default 8192 for the undeclared MaxRecvDataSegmentLength", () => {
    expect(negotiatedParameters('Normal', TGT_ANSWER)).toEqual({
      maxSendDataSegmentLength: 8192,
      maxRecvDataSegmentLength: 262144,
      initialR2T: true,
      immediateData: true,
      firstBurstLength: 65536,
      maxBurstLength: 262144,
      maxOutstandingR2T: 1,
      dataPduInOrder: true,
      dataSequenceInOrder: true,
      errorRecoveryLevel: 0,
      headerDigest: 'None',
      dataDigest: 'None'
    })
  })

  it('honours a declared MaxRecvDataSegmentLength and caps bursts at our own offer', () => {
    const p = negotiatedParameters('Normal', [
      ['MaxRecvDataSegmentLength', '65536'],
      ['MaxBurstLength', '16776192'],
      ['FirstBurstLength', '16776192'],
      ['InitialR2T', 'No'],
      ['ImmediateData', 'No']
    ])
    expect(p).toMatchObject({
      maxSendDataSegmentLength: 65536,
      maxBurstLength: 1048576,
      firstBurstLength: 262144,
      initialR2T: false,
      immediateData: false
    })
  })

  it('falls back to RFC defaults for keys the target leaves out', () => {
    expect(negotiatedParameters('Normal', [])).toMatchObject({
      maxSendDataSegmentLength: 8192,
      initialR2T: true,
      immediateData: true,
      firstBurstLength: 65536,
      maxBurstLength: 262144
    })
  })

  it.each([
    [[['HeaderDigest', 'CRC32C']], /HeaderDigest=CRC32C; only None/],
    [[['ErrorRecoveryLevel', '2']], /ErrorRecoveryLevel=2, expected 0/],
    [[['MaxBurstLength', 'lots']], /MaxBurstLength=lots, expected a number/],
    [[['InitialR2T', 'Maybe']], /InitialR2T=Maybe, expected Yes or No/],
    [[['ImmediateData', 'Reject']], /rejected ImmediateData=Yes/],
    [[['DataPDUInOrder', 'No']], /out-of-order/]
  ] as Array<[TextKeys, RegExp]>)('refuses %j', (keys, message) => {
    expect(() => negotiatedParameters('Normal', keys)).toThrow(message)
  })

  it('offers only digests and MaxRecvDataSegmentLength on a discovery session', () => {
    expect(operationalKeys('Discovery').map(([k]) => k)).toEqual([
      'HeaderDigest',
      'DataDigest',
      'MaxRecvDataSegmentLength'
    ])
    expect(new Map(operationalKeys('Normal')).get('ErrorRecoveryLevel')).toBe('0')
  })
})

/** A Login Response PDU. */
function response(o: {
  transit: boolean
  csg: number
  nsg: number
  tsih?: number
  statSN?: number
  status?: number
  keys?: TextKeys
}): Pdu {
  const bhs = Buffer.alloc(48)
  bhs[0] = 0x23
  bhs[1] = (o.transit ? 0x80 : 0) | (o.csg << 2) | o.nsg
  bhs.writeUInt16BE(o.tsih ?? 0, 14)
  bhs.writeUInt32BE(o.statSN ?? 0, 24)
  bhs.writeUInt32BE(1, 28)
  bhs.writeUInt32BE(2, 32)
  bhs.writeUInt16BE(o.status ?? 0, 36)
  return { bhs, data: encodeTextKeys(o.keys ?? []) }
}

const OPTIONS: LoginOptions = {
  initiatorName: 'iqn.2024-01.test:init',
  targetName: 'iqn.2024-01.test:target',
  sessionType: 'Normal',
  isid: Buffer.from('800102030405', 'hex'),
  itt: 1,
  cmdSN: 1
}

/** Runs `login` against scripted responses, recording each request's BHS byte 1, ExpStatSN and keys. */
async function scripted(responses: Pdu[], options = OPTIONS) {
  const requests: Array<{ flags: number; expStatSN: number; tsih: number; keys: TextKeys }> = []
  const result = await login(async (chunks) => {
    const bytes = Buffer.concat(chunks)
    const length = bytes.readUIntBE(5, 3)
    requests.push({
      flags: bytes[1],
      expStatSN: bytes.readUInt32BE(28),
      tsih: bytes.readUInt16BE(14),
      keys: decodeTextKeys(bytes.subarray(48, 48 + length))
    })
    const next = responses.shift()
    if (!next) throw new Error('no more responses')
    return next
  }, options)
  return { result, requests }
}

describe('iSCSI login', () => {
  it('goes security → operational → full feature and negotiates on the way', async () => {
    const { result, requests } = await scripted([
      response({
        transit: true,
        csg: 0,
        nsg: 1,
        statSN: 0,
        keys: [
          ['AuthMethod', 'None'],
          ['TargetPortalGroupTag', '1']
        ]
      }),
      response({
        transit: true,
        csg: 1,
        nsg: 3,
        statSN: 1,
        tsih: 0x0500,
        keys: TGT_ANSWER.slice(1)
      })
    ])
    expect(requests.map((r) => r.flags)).toEqual([0x81, 0x87]) // T|CSG 0|NSG 1, then T|CSG 1|NSG 3
    expect(requests[0].keys).toEqual([
      ['InitiatorName', 'iqn.2024-01.test:init'],
      ['SessionType', 'Normal'],
      ['TargetName', 'iqn.2024-01.test:target'],
      ['AuthMethod', 'None']
    ])
    expect(requests[1].keys).toEqual(operationalKeys('Normal'))
    expect(requests[1].expStatSN).toBe(1)
    expect(result).toMatchObject({ tsih: 0x0500, expStatSN: 2, expCmdSN: 1, maxCmdSN: 2 })
    expect(result.parameters.maxSendDataSegmentLength).toBe(8192)
    expect(result.targetKeys).toContainEqual(['TargetPortalGroupTag', '1'])
  })

  it('sends an empty request while the target stays in a stage (T=0)', async () => {
    const { requests } = await scripted([
      response({ transit: false, csg: 0, nsg: 0, keys: [['AuthMethod', 'None']] }),
      response({ transit: true, csg: 0, nsg: 1 }),
      response({ transit: true, csg: 1, nsg: 3, tsih: 7 })
    ])
    expect(requests.map((r) => [r.flags, r.keys.length])).toEqual([
      [0x81, 4],
      [0x81, 0],
      [0x87, operationalKeys('Normal').length]
    ])
  })

  it('asks for CHAP credentials when the target requires CHAP and none are configured', async () => {
    await expect(
      scripted([response({ transit: false, csg: 0, nsg: 0, keys: [['AuthMethod', 'CHAP']] })])
    ).rejects.toThrow(/requires CHAP authentication; configure a CHAP user and secret/)
  })

  it('answers a CHAP challenge with MD5(id ‖ secret ‖ challenge) before leaving the security stage', async () => {
    const chap = { user: 'tapedeck', secret: 'opensesame12' }
    const { requests } = await scripted(
      [
        response({ transit: false, csg: 0, nsg: 0, keys: [['AuthMethod', 'CHAP']] }),
        response({
          transit: false,
          csg: 0,
          nsg: 0,
          keys: [
            ['CHAP_A', '5'],
            ['CHAP_I', '7'],
            ['CHAP_C', '0x00112233445566778899aabbccddeeff']
          ]
        }),
        response({ transit: true, csg: 0, nsg: 1 }),
        response({ transit: true, csg: 1, nsg: 3 })
      ],
      { ...OPTIONS, chap }
    )
    expect(requests[0].keys).toContainEqual(['AuthMethod', 'CHAP,None'])
    expect(requests.map((r) => r.flags)).toEqual([0x81, 0x00, 0x81, 0x87])
    expect(requests[1].keys).toEqual([['CHAP_A', '5']])
    expect(requests[2].keys).toEqual([
      ['CHAP_N', 'tapedeck'],
      ['CHAP_R', '0x6c1fe0dcdbf9a2ee8a64174eed9a151c'] // python3 hashlib.md5 of the same bytes
    ])
  })

  it.each([
    [
      [
        ['CHAP_A', '7'],
        ['CHAP_I', '1'],
        ['CHAP_C', '0x00']
      ],
      /CHAP_A=7, not MD5/
    ],
    [
      [
        ['CHAP_A', '5'],
        ['CHAP_I', 'x'],
        ['CHAP_C', '0x00']
      ],
      /malformed CHAP_I/
    ],
    [
      [
        ['CHAP_A', '5'],
        ['CHAP_I', '1'],
        ['CHAP_C', 'zz']
      ],
      /malformed CHAP_C/
    ]
  ] as Array<[TextKeys, RegExp]>)('refuses a bad CHAP challenge %j', async (keys, message) => {
    const chap = { user: 'u', secret: 'secretsecret' }
    await expect(
      scripted(
        [
          response({ transit: false, csg: 0, nsg: 0, keys: [['AuthMethod', 'CHAP']] }),
          response({ transit: false, csg: 0, nsg: 0, keys })
        ],
        { ...OPTIONS, chap }
      )
    ).rejects.toThrow(message)
  })

  it('refuses authentication methods other than CHAP and None', async () => {
    await expect(
      scripted([response({ transit: false, csg: 0, nsg: 0, keys: [['AuthMethod', 'SRP']] })])
    ).rejects.toThrow(/requires SRP authentication; only CHAP and None/)
  })

  it.each([
    [0x0203, /target not found \(status 0x0203\)/],
    [0x0201, /authentication failed/],
    [0x0301, /service unavailable/]
  ])('reports login status 0x%s', async (status, message) => {
    await expect(scripted([response({ transit: false, csg: 0, nsg: 0, status })])).rejects.toThrow(
      message
    )
  })

  it('names the redirect address of a moved target', async () => {
    await expect(
      scripted([
        response({
          transit: false,
          csg: 0,
          nsg: 0,
          status: 0x0101,
          keys: [['TargetAddress', '10.0.0.9:3260,1']]
        })
      ])
    ).rejects.toThrow(/moved temporarily.*redirected to 10\.0\.0\.9:3260,1/)
  })

  it('needs a target name for a Normal session, none for discovery', async () => {
    await expect(scripted([], { ...OPTIONS, targetName: undefined })).rejects.toThrow(
      /needs a target name/
    )
    const { requests } = await scripted(
      [response({ transit: true, csg: 0, nsg: 1 }), response({ transit: true, csg: 1, nsg: 3 })],
      { ...OPTIONS, targetName: undefined, sessionType: 'Discovery' }
    )
    expect(requests[0].keys.map(([k]) => k)).toEqual(['InitiatorName', 'SessionType', 'AuthMethod'])
  })
})
