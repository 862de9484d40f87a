/**
 * Opening local device nodes for SG_IO, with the real koffi binding: which nodes are refused and
 * how. Commands on a real /dev/sg node run in the QEMU guest (scripts/qemu-scsi, tests/vm).
 */
import { execFileSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openScsiTransport } from '../../../main/core/devices/scsi/open-transport'
import { openSgIoTransport } from '../../../main/core/devices/scsi/sg-io/sg-transport'
import { tempDir } from '../../helpers/temp'

let dir: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => {
  dir = await tempDir('tapedeck-sgio-')
})
afterAll(async () => {
  await dir?.remove()
})

describe('opening a local device for SG_IO', () => {
  it('refuses a character device that is not SCSI generic, and closes it again', async () => {
    await expect(openSgIoTransport('/dev/null')).rejects.toThrow(
      '/dev/null is not a SCSI generic device (it does not support SG_IO)'
    )
    // routed there from a /dev address
    await expect(openScsiTransport({ transport: 'sgio', path: '/dev/zero' })).rejects.toThrow(
      /^\/dev\/zero is not a SCSI generic device/
    )
  })

  it('says what is wrong with a missing node or a regular file', async () => {
    await expect(openSgIoTransport(join(dir.path, 'sg9'))).rejects.toThrow(/sg9 does not exist$/)
    const file = join(dir.path, 'file')
    await writeFile(file, 'x')
    await expect(openSgIoTransport(file)).rejects.toThrow(`${file} is not a character device`)
  })

  it('refuses st tape nodes (major 9) before opening them, pointing to the sg node', async (ctx) => {
    const nst = join(dir.path, 'nst0')
    try {
      execFileSync('mknod', [nst, 'c', '9', '128'], { stdio: 'ignore' })
    } catch {
      ctx.skip('mknod needs root') // the guest test (tests/vm) covers it against a real st node
    }
    await expect(openSgIoTransport(nst)).rejects.toThrow(
      `${nst} is an st tape node; Tapedeck talks to drives through their SCSI generic node`
    )
  })
})
