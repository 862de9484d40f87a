import { describe, expect, it } from 'vitest'
import { TAPE_ALERT_ADVICE, tapeAlertAdvice } from '../../../main/core/devices/tape-alert-advice'
import { CRITICAL_TAPE_ALERT_FLAGS, TAPE_ALERT_FLAGS } from '../../../main/core/devices/tape-alert'

describe('TapeAlert advice', () => {
  it('has plain-language advice for every known flag, in flag order', () => {
    expect(TAPE_ALERT_ADVICE.map((a) => a.name)).toEqual(
      Object.entries(TAPE_ALERT_FLAGS)
        .sort((a, b) => a[1] - b[1])
        .map(([name]) => name)
    )
    for (const a of TAPE_ALERT_ADVICE) {
      expect(a.flag, a.name).toBe(TAPE_ALERT_FLAGS[a.name])
      expect(a.title.length, a.name).toBeGreaterThan(3)
      expect(a.meaning, a.name).toMatch(/^[A-Z].{15,}\.$/)
      expect(a.action, a.name).toMatch(/^[A-Z].{10,}\.$/)
    }
  })

  it('marks every flag PBS treats as critical as critical', () => {
    for (const name of CRITICAL_TAPE_ALERT_FLAGS) {
      expect(tapeAlertAdvice(name)?.severity, name).toBe('critical')
    }
  })

  it('tells the user to clean for cleaning requests and to retire worn tapes', () => {
    expect(tapeAlertAdvice('CLEAN_NOW')).toMatchObject({ severity: 'critical', remedy: 'clean' })
    expect(tapeAlertAdvice('CLEAN_PERIODIC')).toMatchObject({
      severity: 'warning',
      remedy: 'clean'
    })
    expect(tapeAlertAdvice('MEDIA_LIFE')).toMatchObject({ remedy: 'retire-tape' })
    expect(tapeAlertAdvice('NEARING_MEDIA_LIFE')).toMatchObject({
      severity: 'information',
      remedy: 'retire-tape'
    })
    expect(tapeAlertAdvice('EXPIRED_CLEANING_MEDIA')?.remedy).toBe('replace-cleaning-tape')
    expect(tapeAlertAdvice('PREDICTIVE_FAILURE')?.remedy).toBe('service')
    expect(tapeAlertAdvice('NO_SUCH_FLAG')).toBeUndefined()
  })
})
