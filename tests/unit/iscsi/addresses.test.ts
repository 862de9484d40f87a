import { describe, expect, it } from 'vitest'
import { formatIscsiUrl, parseIscsiUrl } from '../../../main/core/devices/scsi/iscsi/initiator'
import {
  parseSendTargets,
  parseTargetAddress
} from '../../../main/core/devices/scsi/iscsi/discovery'

describe('iSCSI device paths', () => {
  it.each([
    [
      'iscsi://127.0.0.1:3261/iqn.2024-01.test:vtl/1',
      { host: '127.0.0.1', port: 3261, target: 'iqn.2024-01.test:vtl', lun: 1 }
    ],
    [
      'iscsi://tapes.example/iqn.2024-01.test:vtl/3',
      { host: 'tapes.example', port: 3260, target: 'iqn.2024-01.test:vtl', lun: 3 }
    ],
    [
      'iscsi://[fd00::5]:3262/iqn.2024-01.test:vtl/0',
      { host: 'fd00::5', port: 3262, target: 'iqn.2024-01.test:vtl', lun: 0 }
    ]
  ])('parses %s and formats it back', (url, parsed) => {
    expect(parseIscsiUrl(url)).toEqual(parsed)
    expect(formatIscsiUrl(parsed)).toBe(
      url.includes(':326') ? url : url.replace('.example/', '.example:3260/')
    )
  })

  it.each([
    ['/dev/sg3', /not an iSCSI device path/],
    ['iscsi://host/iqn.x', /expected iscsi:\/\/host\[:port\]\/iqn\/lun/],
    ['iscsi://host:70000/iqn.x/1', /invalid port 70000/],
    ['iscsi://host/iqn.x/20000', /LUN 20000 .* out of range/]
  ])('rejects %s', (url, message) => expect(() => parseIscsiUrl(url)).toThrow(message))
})

describe('SendTargets responses', () => {
  it('groups addresses under the target named before them', () => {
    expect(
      parseSendTargets([
        ['TargetName', 'iqn.a:lib1'],
        ['TargetAddress', '127.0.0.1:3275,1'],
        ['TargetAddress', '[fd00::1]:3260,2'],
        ['TargetName', 'iqn.a:lib2'],
        ['TargetAddress', 'tapes.example']
      ])
    ).toEqual([
      {
        target: 'iqn.a:lib1',
        portals: [
          { host: '127.0.0.1', port: 3275, group: 1 },
          { host: 'fd00::1', port: 3260, group: 2 }
        ]
      },
      { target: 'iqn.a:lib2', portals: [{ host: 'tapes.example', port: 3260, group: 1 }] }
    ])
  })

  it('rejects malformed answers', () => {
    expect(() => parseSendTargets([['TargetAddress', '1.2.3.4']])).toThrow(/before any TargetName/)
    expect(() => parseTargetAddress('host:port,x')).toThrow(/malformed TargetAddress "host:port,x"/)
  })
})
