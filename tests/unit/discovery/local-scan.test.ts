/**
 * Local discovery against fake sysfs and /dev trees laid out like a real kernel's: class links into
 * /sys/devices, `device` links to the SCSI device, raw VPD 80h pages, udev's relative by-id links.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { scanLocalDevices, serialFromVpd80 } from '../../../main/core/devices/discovery/local'
import { scanDevices } from '../../../main/core/devices/discovery/scan'
import { h } from '../scsi/hex'
import { tempDir } from '../../helpers/temp'

let dir: Awaited<ReturnType<typeof tempDir>>
let sys: string
let dev: string

beforeEach(async () => {
  dir = await tempDir('tapedeck-sysfs-')
  sys = join(dir.path, 'sys')
  dev = join(dir.path, 'dev')
  await mkdir(join(sys, 'class', 'scsi_generic'), { recursive: true })
  await mkdir(join(dev, 'tape', 'by-id'), { recursive: true })
})
afterEach(() => dir.remove())

interface FakeDevice {
  sg: number
  hctl: string
  /** Files of the SCSI device directory (type, vendor, model, rev, vpd_pg80 …). */
  attributes: Record<string, string | Uint8Array>
  /** Entries of device/scsi_tape/ (current kernels). */
  scsiTape?: string[]
  /** CONFIG_SYSFS_DEPRECATED: device/scsi_tape:nstN links instead. */
  deprecatedTape?: string
}

/** sysfs as the kernel builds it: /sys/class/scsi_generic/sgN → /sys/devices/…/H:C:T:L/scsi_generic/sgN. */
async function addDevice(d: FakeDevice): Promise<void> {
  const host = d.hctl.split(':')[0]
  const target = d.hctl.split(':').slice(0, 3).join(':')
  const deviceDir = join(sys, 'devices', 'pci0000:00', `host${host}`, `target${target}`, d.hctl)
  const sgDir = join(deviceDir, 'scsi_generic', `sg${d.sg}`)
  await mkdir(sgDir, { recursive: true })
  await writeFile(join(sgDir, 'dev'), `21:${d.sg}\n`)
  await symlink(`../../../${d.hctl}`, join(sgDir, 'device'))
  for (const [name, value] of Object.entries(d.attributes)) {
    await writeFile(join(deviceDir, name), value)
  }
  for (const name of d.scsiTape ?? []) {
    await mkdir(join(deviceDir, 'scsi_tape', name), { recursive: true })
  }
  if (d.deprecatedTape) {
    await mkdir(join(deviceDir, 'tape-class', d.deprecatedTape), { recursive: true })
    await symlink(
      `tape-class/${d.deprecatedTape}`,
      join(deviceDir, `scsi_tape:${d.deprecatedTape}`)
    )
  }
  const classLink = join(sys, 'class', 'scsi_generic', `sg${d.sg}`)
  await symlink(join('..', '..', sgDir.slice(sys.length + 1)), classLink)
}

/** udev's by-id links are relative: scsi-X-sg → ../../sg1. */
async function byId(name: string, node: string): Promise<void> {
  const link = join(dev, 'tape', 'by-id', name)
  await mkdir(dirname(link), { recursive: true })
  await symlink(`../../${node}`, link)
}

// Kernel attribute formats: vendor "%.8s\n", model "%.16s\n", rev "%.4s\n" (space padded).
const IBM_LTO8 = {
  type: '1\n',
  vendor: 'IBM     \n',
  model: 'ULT3580-TD8     \n',
  rev: 'Q390\n',
  // VPD 80h as an IBM LTO-8 drive returns it: page 80h, length 10, serial "10WT065325"
  vpd_pg80: h('00 80 00 0a 31 30 57 54 30 36 35 33 32 35')
}
const IBM_TS3100 = {
  type: '8\n',
  vendor: 'IBM     \n',
  model: '3573-TL         \n',
  rev: 'F.11\n',
  // changers often pad the serial: "CJ0JBE0059" followed by spaces and a NUL
  vpd_pg80: h('08 80 00 0e 43 4a 30 4a 42 45 30 30 35 39 20 20 20 00')
}

describe('scanLocalDevices', () => {
  it('finds a drive and a changer with their udev by-id paths, PBS names first', async () => {
    await addDevice({
      sg: 1,
      hctl: '2:0:1:0',
      attributes: IBM_LTO8,
      scsiTape: ['nst0', 'nst0a', 'nst0l', 'nst0m', 'st0', 'st0a', 'st0l', 'st0m']
    })
    await addDevice({ sg: 0, hctl: '2:0:0:1', attributes: IBM_TS3100 })
    await byId('scsi-10WT065325-sg', 'sg1')
    await byId('scsi-10WT065325-nst', 'nst0')
    await byId('scsi-35000e111c5a9a001-nst', 'nst0')
    await byId('scsi-1IBM_3573-TL_00X2U78L0159', 'sg0')
    await byId('scsi-CJ0JBE0059', 'sg0')

    expect(await scanLocalDevices({ sysfsRoot: sys, devRoot: dev })).toEqual([
      {
        kind: 'changer',
        path: '/dev/tape/by-id/scsi-CJ0JBE0059',
        vendor: 'IBM',
        model: '3573-TL',
        revision: 'F.11',
        serial: 'CJ0JBE0059',
        'sg-device': '/dev/sg0'
      },
      {
        kind: 'tape',
        path: '/dev/tape/by-id/scsi-10WT065325-sg',
        vendor: 'IBM',
        model: 'ULT3580-TD8',
        revision: 'Q390',
        serial: '10WT065325',
        'sg-device': '/dev/sg1',
        'tape-device': '/dev/nst0'
      }
    ])
  })

  it('falls back to another by-id link, then to /dev/sgN; never a link to the nst node', async () => {
    await addDevice({ sg: 2, hctl: '3:0:0:0', attributes: IBM_LTO8, scsiTape: ['nst1', 'st1'] })
    await addDevice({ sg: 3, hctl: '3:0:1:0', attributes: IBM_TS3100 })
    await byId('scsi-10WT065325-nst', 'nst1')
    await byId('scsi-1IBM_3573-TL_00X2U78L0159', 'sg3')

    const found = await scanLocalDevices({ sysfsRoot: sys, devRoot: dev })
    expect(found.map((d) => [d.kind, d.path])).toEqual([
      ['tape', '/dev/sg2'],
      ['changer', '/dev/tape/by-id/scsi-1IBM_3573-TL_00X2U78L0159']
    ])
  })

  it('skips other device types and broken entries, orders by sg number, tolerates odd attributes', async () => {
    await addDevice({
      sg: 0,
      hctl: '0:0:0:0',
      attributes: { type: '0\n', vendor: 'ATA     \n', model: 'Samsung SSD 870 \n' }
    })
    // no type attribute at all (device going away): skipped, not fatal
    await addDevice({ sg: 4, hctl: '4:0:0:0', attributes: { vendor: 'HP      \n' } })
    // a drive with no VPD 80h and no vendor/model files, on the deprecated sysfs layout
    await addDevice({
      sg: 10,
      hctl: '5:0:0:0',
      attributes: { type: '1\n', rev: 'H71S\n' },
      deprecatedTape: 'nst3'
    })
    // a changer whose VPD file is not page 80h, with a control character in the model
    await addDevice({
      sg: 9,
      hctl: '5:0:1:0',
      attributes: {
        type: '8',
        vendor: 'QUANTUM ',
        model: 'Scalar\ti3-i6\n',
        vpd_pg80: h('00 83 00 04 41 42 43 44')
      }
    })
    await writeFile(join(sys, 'class', 'scsi_generic', 'version'), 'not a device')
    // a regular file in by-id is not a udev link
    await writeFile(join(dev, 'tape', 'by-id', 'README'), 'x')

    expect(await scanLocalDevices({ sysfsRoot: sys, devRoot: dev })).toEqual([
      {
        kind: 'changer',
        path: '/dev/sg9',
        vendor: 'QUANTUM',
        model: 'Scalar i3-i6',
        revision: '',
        serial: '',
        'sg-device': '/dev/sg9'
      },
      {
        kind: 'tape',
        path: '/dev/sg10',
        vendor: '',
        model: '',
        revision: 'H71S',
        serial: '',
        'sg-device': '/dev/sg10',
        'tape-device': '/dev/nst3'
      }
    ])
  })

  it('finds nothing (and does not fail) without SCSI generic support or /dev/tape', async () => {
    expect(
      await scanLocalDevices({ sysfsRoot: join(dir.path, 'none'), devRoot: join(dir.path, 'x') })
    ).toEqual([])
  })
})

describe('serialFromVpd80', () => {
  it('reads the serial after the 4-byte header, trimmed', () => {
    expect(serialFromVpd80(IBM_LTO8.vpd_pg80)).toBe('10WT065325')
    expect(serialFromVpd80(h('00 80 00 0c 20 20 48 55 31 32 33 34 35 36 37 38'))).toBe('HU12345678')
  })

  it('copes with a length beyond the data, an empty page and other pages', () => {
    expect(serialFromVpd80(h('01 80 00 20 44 52 56 30 30 30 31'))).toBe('DRV0001')
    expect(serialFromVpd80(h('01 80 00 00'))).toBe('')
    expect(serialFromVpd80(h('01 80 00'))).toBe('')
    expect(serialFromVpd80(h('00 83 00 04 41 42 43 44'))).toBe('')
  })
})

describe('scanDevices (local)', () => {
  it('still lists a changer whose drive list cannot be read, and says why', async () => {
    await addDevice({ sg: 0, hctl: '2:0:0:1', attributes: IBM_TS3100 })
    await addDevice({ sg: 1, hctl: '2:0:1:0', attributes: IBM_LTO8, scsiTape: ['nst0'] })
    const scan = await scanDevices({ sysfsRoot: sys, devRoot: dev })
    expect(scan.changers.map((c) => [c.path, c.serial, c['drive-serials']])).toEqual([
      ['/dev/sg0', 'CJ0JBE0059', undefined]
    ])
    expect(scan.drives.map((d) => [d.path, d['changer-path']])).toEqual([['/dev/sg1', undefined]])
    expect(scan.warnings).toHaveLength(1)
    expect(scan.warnings[0]).toContain('cannot read the drive list of changer /dev/sg0')
  })
})
