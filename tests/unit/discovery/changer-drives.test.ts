import { describe, expect, it } from 'vitest'
import { assignChangerDrives } from '../../../main/core/devices/discovery/changer-drives'
import { parsePortal, scanIscsiPortal } from '../../../main/core/devices/discovery/iscsi-portal'
import { sendTargets } from '../../../main/core/devices/scsi/iscsi/discovery'
import { freePort } from '../../helpers/tgt'

const T = 'iscsi://127.0.0.1:3261/iqn.2024-01.io.tapedeck.test:vtl'
const U = 'iscsi://127.0.0.1:3261/iqn.2024-01.io.tapedeck.test:other'

const places = (map: ReturnType<typeof assignChangerDrives>) =>
  Object.fromEntries([...map].map(([path, a]) => [path, [a.changerPath, a.driveNumber, a.match]]))

describe('assignChangerDrives', () => {
  it('places drives by the serials the changer reports, in any LUN order', () => {
    const result = assignChangerDrives(
      [{ path: '/dev/sg0', driveSerials: ['10WT065325', ' 10WT011111 '] }],
      [
        { path: '/dev/sg2', serial: '10WT011111' },
        { path: '/dev/sg1', serial: '10WT065325' },
        { path: '/dev/sg3', serial: 'STANDALONE' }
      ]
    )
    expect(places(result)).toEqual({
      '/dev/sg1': ['/dev/sg0', 0, 'serial'],
      '/dev/sg2': ['/dev/sg0', 1, 'serial']
    })
  })

  it("fills tgt's cut-off last serial by elimination within the same target", () => {
    const result = assignChangerDrives(
      [{ path: `${T}/3`, driveSerials: ['DRV0001', null] }],
      [
        { path: `${T}/1`, serial: 'DRV0001' },
        { path: `${T}/2`, serial: 'DRV0002' }
      ]
    )
    expect(places(result)).toEqual({
      [`${T}/1`]: [`${T}/3`, 0, 'serial'],
      [`${T}/2`]: [`${T}/3`, 1, 'order']
    })
  })

  it('places drives in order when the changer reports no serials at all', () => {
    const result = assignChangerDrives(
      [{ path: `${T}/0`, driveSerials: [null, null] }],
      [
        { path: `${T}/1`, serial: 'A' },
        { path: `${T}/2`, serial: '' }
      ]
    )
    expect(places(result)).toEqual({
      [`${T}/1`]: [`${T}/0`, 0, 'order'],
      [`${T}/2`]: [`${T}/0`, 1, 'order']
    })
  })

  it('does not guess when the count of gaps and unplaced drives differ, or across targets', () => {
    // one gap, two unplaced drives on the target: which one is it?
    expect(
      places(
        assignChangerDrives(
          [{ path: `${T}/3`, driveSerials: ['DRV0001', null] }],
          [
            { path: `${T}/1`, serial: 'DRV0001' },
            { path: `${T}/2`, serial: 'DRV0002' },
            { path: `${T}/4`, serial: 'DRV0004' }
          ]
        )
      )
    ).toEqual({ [`${T}/1`]: [`${T}/3`, 0, 'serial'] })
    // the unplaced drive sits behind another target
    expect(
      places(
        assignChangerDrives(
          [{ path: `${T}/3`, driveSerials: [null] }],
          [{ path: `${U}/1`, serial: 'X' }]
        )
      )
    ).toEqual({})
    // two changers with gaps on one target
    expect(
      places(
        assignChangerDrives(
          [
            { path: `${T}/3`, driveSerials: [null] },
            { path: `${T}/4`, driveSerials: [null] }
          ],
          [
            { path: `${T}/1`, serial: 'X' },
            { path: `${T}/2`, serial: 'Y' }
          ]
        )
      )
    ).toEqual({})
  })

  it('never places one drive twice when two changers claim the same serial', () => {
    const result = assignChangerDrives(
      [
        { path: '/dev/sg0', driveSerials: ['S1'] },
        { path: '/dev/sg5', driveSerials: ['S1'] }
      ],
      [{ path: '/dev/sg1', serial: 'S1' }]
    )
    expect(places(result)).toEqual({ '/dev/sg1': ['/dev/sg0', 0, 'serial'] })
  })
})

describe('parsePortal', () => {
  it('reads host, port and IPv6 hosts in brackets; 3260 by default', () => {
    expect(parsePortal('127.0.0.1:3261')).toEqual({ host: '127.0.0.1', port: 3261 })
    expect(parsePortal(' tape-server.example ')).toEqual({
      host: 'tape-server.example',
      port: 3260
    })
    expect(parsePortal('[fd00::1]:3262')).toEqual({ host: 'fd00::1', port: 3262 })
  })

  it('names what is wrong', () => {
    expect(() => parsePortal('iscsi://host/iqn')).toThrow(
      /is not an iSCSI portal; expected HOST\[:PORT\]/
    )
    expect(() => parsePortal('fd00::1')).toThrow(/is not an iSCSI portal/)
    expect(() => parsePortal('host:0')).toThrow('iSCSI port 0 is out of range')
    expect(() => parsePortal('host:70000')).toThrow('iSCSI port 70000 is out of range')
    expect(() => parsePortal('')).toThrow(/is not an iSCSI portal/)
  })
})

describe('scanIscsiPortal', () => {
  it('names an unreachable portal once, with why', async () => {
    const port = await freePort()
    const error = await scanIscsiPortal({ host: '127.0.0.1', port }).catch((err: Error) => err)
    expect(error).toMatchObject({
      name: 'DiscoveryError',
      reason: 'not-found',
      message: `iSCSI discovery at portal 127.0.0.1:${port} failed: cannot connect: ECONNREFUSED`
    })
    expect((error as Error).message.split(`127.0.0.1:${port}`)).toHaveLength(2)
  })

  it('writes an IPv6 portal in brackets, at both levels', async () => {
    const port = await freePort()
    const portal = await scanIscsiPortal({ host: '::1', port }).catch((err: Error) => err)
    expect((portal as Error).message).toBe(
      `iSCSI discovery at portal [::1]:${port} failed: cannot connect: ECONNREFUSED`
    )
    const session = await sendTargets({ host: '::1', port }).catch((err: Error) => err)
    expect((session as Error).message).toBe(`iscsi://[::1]:${port}: cannot connect: ECONNREFUSED`)
  })
})
