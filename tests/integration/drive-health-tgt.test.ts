/**
 * Volume statistics and cartridge memory of an LTO drive on tgt (scripts/tgt-vtl.sh) through the
 * built CLI: tgt implements neither LOG SENSE nor READ ATTRIBUTE (scsi.md §0), so both commands
 * fail with a message naming the command and tgt's answer, while `status` keeps working.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tapedeck } from '../helpers/cli'
import { tempDir } from '../helpers/temp'
import { startTgtRig, type TgtRig } from '../helpers/tgt'

let rig: TgtRig
let work: Awaited<ReturnType<typeof tempDir>>

const cli = (...args: string[]) => tapedeck(join(work.path, 'home'), args, {}, 120_000)
function run(...args: string[]): string {
  const r = cli(...args)
  expect(r.code, `tapedeck ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0)
  return r.stdout
}

beforeAll(async () => {
  work = await tempDir('tapedeck-health-tgt-')
  rig = await startTgtRig({ tapeMiB: 4 })
  const url = (lun: number) => `iscsi://${rig.host}:${rig.port}/${rig.target}/${lun}`
  run('changer', 'create', 'tgt', '--path', url(rig.changerLun))
  run(
    'drive',
    'create',
    'lto0',
    '--path',
    url(rig.driveLuns[0]),
    '--changer',
    'tgt',
    '--changer-drivenum',
    '0'
  )
}, 120_000)

afterAll(async () => {
  await rig?.stop()
  await work?.remove()
}, 120_000)

describe('drive health on tgt', () => {
  it('says plainly that tgt supports neither volume statistics nor cartridge memory', () => {
    run('load-media-from-slot', '1', '--drive', 'lto0')
    const status = JSON.parse(run('--output-format', 'json', 'status', '--drive', 'lto0'))
    expect(status).toMatchObject({ loaded: true, 'volume-tag': 'TEST01L8', 'alert-flags': [] })

    const address = `iscsi://${rig.host}:${rig.port}/${rig.target}/${rig.driveLuns[0]}`
    const volume = cli('volume-statistics', '--drive', 'lto0')
    expect(volume.code).toBe(1)
    expect(volume.stdout).toBe('')
    expect(volume.stderr).toBe(
      'Error: drive lto0: volume statistics (LOG SENSE page 17h) are not supported by this ' +
        `drive (${address} answered LOG SENSE with ILLEGAL REQUEST: ` +
        'Invalid command operation code (5/20/00))\n'
    )
    const memory = cli('--output-format', 'json', 'cartridge-memory', '--drive', 'lto0')
    expect(memory.code).toBe(1)
    expect(memory.stderr).toBe(
      'Error: drive lto0: cartridge memory (READ ATTRIBUTE) is not supported by this drive ' +
        `(${address} answered READ ATTRIBUTE with ILLEGAL REQUEST: ` +
        'Invalid command operation code (5/20/00))\n'
    )
  })
})
