/**
 * `tapedeck changer scan` / `drive scan --iscsi-portal` against a real tgtd library
 * (scripts/tgt-vtl.sh: changer STK L700 LIB0001 on LUN 3, drives IBM ULT3580-TD8 DRV0001/DRV0002 on
 * LUNs 1 and 2), each command a fresh process of the built CLI: what the scan finds, a library
 * created from its JSON that then works, and the errors for a bad, unreachable or empty portal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tapedeck } from '../helpers/cli'
import { tempDir } from '../helpers/temp'
import { freePort, startTgtRig, type TgtRig } from '../helpers/tgt'

let rig: TgtRig
let home: Awaited<ReturnType<typeof tempDir>>
let portal: string
const lun = (n: number) => `iscsi://127.0.0.1:${rig.port}/${rig.target}/${n}`

function run(...args: string[]) {
  const result = tapedeck(home.path, args, {}, 60_000)
  expect(result.code, `tapedeck ${args.join(' ')}\n${result.stdout}${result.stderr}`).toBe(0)
  return result.stdout
}
const json = <T>(...args: string[]) => JSON.parse(run('--output-format', 'json', ...args)) as T

interface Scanned {
  kind: string
  path: string
  vendor: string
  model: string
  revision: string
  serial: string
  'changer-path'?: string
  'changer-drivenum'?: number
  'changer-match'?: string
}
type ScannedChanger = Scanned & { 'drive-serials': (string | null)[]; drives: Scanned[] }

beforeAll(async () => {
  rig = await startTgtRig()
  home = await tempDir('tapedeck-scan-home-')
  portal = `${rig.host}:${rig.port}`
}, 60_000)

afterAll(async () => {
  await rig?.stop()
  await home?.remove()
})

describe('device scan over iSCSI (tgt)', () => {
  it('changer scan finds the changer and both drives in it, as tgt reports them', () => {
    const changers = json<ScannedChanger[]>('changer', 'scan', '--iscsi-portal', portal)
    expect(changers).toHaveLength(1)
    const [changer] = changers
    expect(changer).toMatchObject({
      kind: 'changer',
      path: lun(3),
      vendor: 'STK',
      model: 'L700',
      serial: 'LIB0001',
      // tgt cuts the last 8 bytes off READ ELEMENT STATUS: the second drive's DVCID is unreadable
      'drive-serials': ['DRV0001', null]
    })
    expect(
      changer!.drives.map((d) => [
        d.path,
        d.vendor,
        d.model,
        d.revision,
        d.serial,
        d['changer-drivenum'],
        d['changer-match']
      ])
    ).toEqual([
      [lun(1), 'IBM', 'ULT3580-TD8', '0001', 'DRV0001', 0, 'serial'],
      [lun(2), 'IBM', 'ULT3580-TD8', '0001', 'DRV0002', 1, 'order']
    ])

    const text = run('changer', 'scan', '--iscsi-portal', portal)
    expect(text).toMatch(/│ path +│ vendor │ model │ serial +│/)
    expect(text).toContain(`│ ${lun(3)} │ STK    │ L700  │ LIB0001 │`)
    expect(text).toContain(`Drives in ${lun(3)}:`)
    expect(text).toMatch(
      new RegExp(`│ 1 +│ ${lun(2).replace(/\./g, '\\.')} │ IBM +│ ULT3580-TD8 │ DRV0002 │ order`)
    )
  })

  it('drive scan lists the drives with their changer', () => {
    const drives = json<Scanned[]>('drive', 'scan', '--iscsi-portal', portal)
    expect(
      drives.map((d) => [d.kind, d.path, d.serial, d['changer-path'], d['changer-drivenum']])
    ).toEqual([
      ['tape', lun(1), 'DRV0001', lun(3), 0],
      ['tape', lun(2), 'DRV0002', lun(3), 1]
    ])
    expect(run('drive', 'scan', '--iscsi-portal', portal)).toMatch(
      /│ path +│ vendor │ model +│ serial +│ changer +│ changer-drivenum │/
    )
  })

  it('a library created from the scan output works', () => {
    const [changer] = json<ScannedChanger[]>('changer', 'scan', '--iscsi-portal', portal)
    run('changer', 'create', 'tgtlib', '--path', changer!.path)
    for (const drive of changer!.drives) {
      run(
        'drive',
        'create',
        `tgtlib-${drive['changer-drivenum']}`,
        '--path',
        drive.path,
        '--changer',
        'tgtlib',
        '--changer-drivenum',
        String(drive['changer-drivenum'])
      )
    }
    expect(json<{ name: string; changer: string }[]>('drive', 'list')).toEqual([
      { name: 'tgtlib-0', type: 'lto', path: lun(1), changer: 'tgtlib' },
      { name: 'tgtlib-1', type: 'lto', path: lun(2), changer: 'tgtlib', 'changer-drivenum': 1 }
    ])
    const status = json<{ 'entry-kind': string; 'entry-id': number; 'label-text'?: string }[]>(
      'changer',
      'status',
      'tgtlib'
    )
    expect(status.filter((e) => e['entry-kind'] === 'drive')).toHaveLength(2)
    expect(status.find((e) => e['entry-kind'] === 'slot' && e['entry-id'] === 1)).toMatchObject({
      'label-text': 'TEST01L8'
    })
  })

  it('names a bad or unreachable portal', async () => {
    const bad = tapedeck(home.path, ['drive', 'scan', '--iscsi-portal', 'iscsi://x/y'])
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toContain("'iscsi://x/y' is not an iSCSI portal; expected HOST[:PORT]")

    const port = await freePort()
    const down = tapedeck(home.path, ['changer', 'scan', '--iscsi-portal', `127.0.0.1:${port}`])
    expect(down.code).not.toBe(0)
    expect(down.stderr).toContain(`iSCSI discovery at portal 127.0.0.1:${port} failed`)
    expect(down.stderr).toContain('ECONNREFUSED')
    // the portal once: not again by the session's address or the socket error
    expect(down.stderr.split(`127.0.0.1:${port}`)).toHaveLength(2)
    expect(down.stdout).toBe('')
  })

  it('says so when the portal lists no targets for us', async () => {
    await rig.tgtadm([
      '--lld',
      'iscsi',
      '--op',
      'unbind',
      '--mode',
      'target',
      '--tid',
      '1',
      '-I',
      'ALL'
    ])
    const result = tapedeck(home.path, ['changer', 'scan', '--iscsi-portal', portal])
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain(`iSCSI portal ${portal} lists no targets`)
  })
})
