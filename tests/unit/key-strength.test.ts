import { describe, expect, it } from 'vitest'
import { passwordStrength, shortFingerprint } from '../../renderer/src/components/keys/key-format'

describe('password strength estimate (Keys view)', () => {
  it('refuses fewer than 5 bytes, counting UTF-8 bytes as PBS does', () => {
    expect(passwordStrength('abcd').level).toBe('too-short')
    expect(passwordStrength('abcde').level).toBe('weak')
    // two 3-byte characters are 6 bytes
    expect(passwordStrength('€€').bytes).toBe(6)
    expect(passwordStrength('€€').level).toBe('weak')
  })

  it('calls anything under 12 characters weak, whatever its classes', () => {
    const s = passwordStrength('aB3$eF7&iJ')
    expect(s.level).toBe('weak')
    expect(s.advice).toMatch(/Shorter than 12/)
  })

  it('grows with length and character classes', () => {
    expect(passwordStrength('abcdefghijkl').level).toBe('fair')
    expect(passwordStrength('correct horse battery staple').level).toBe('strong')
    expect(passwordStrength('correct horse battery staple').advice).toBeNull()
  })

  it('does not reward repeating one character', () => {
    expect(passwordStrength('aaaaaaaaaaaaaaaaaaaaaaaa').level).toBe('weak')
  })

  it('shortens fingerprints to the first four and last two bytes', () => {
    const fp = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0')).join(':')
    expect(shortFingerprint(fp)).toBe('00:01:02:03…1e:1f')
    expect(shortFingerprint('ab:cd')).toBe('ab:cd')
  })
})
