import { describe, expect, it } from 'vitest'
import { escapeWorkerId, formatUpid, parseUpid } from '../../main/core/jobs/upid'

describe('UPID task ids', () => {
  const parts = {
    node: 'backup1',
    pid: 4242,
    pstart: 123456,
    taskNr: 7,
    starttime: 1_764_230_400,
    workerType: 'tape-backup-job',
    workerId: 'store1:daily:hh8:job1',
    user: 'root@pam'
  }

  it('has the PBS layout with upper-case hex fields and an escaped worker id', () => {
    expect(formatUpid(parts)).toBe(
      'UPID:backup1:00001092:0001E240:00000007:69280500:tape-backup-job:store1\\x3adaily\\x3ahh8\\x3ajob1:root@pam:'
    )
  })

  it('round-trips', () => {
    expect(parseUpid(formatUpid(parts))).toEqual(parts)
    const noId = { ...parts, workerId: undefined }
    expect(parseUpid(formatUpid(noId))).toEqual(noId)
  })

  it('escapes like systemd: / becomes -, - and other bytes become \\xNN', () => {
    expect(escapeWorkerId('ns/a-b:c ä')).toBe('ns-a\\x2db\\x3ac\\x20\\xc3\\xa4')
  })

  it('rejects strings that are not UPIDs', () => {
    expect(() => parseUpid('UPID:broken')).toThrow(/not a task id/)
  })
})
