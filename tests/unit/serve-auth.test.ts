import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import {
  allowedHosts,
  hostAllowed,
  isLoopback,
  originAllowed,
  tokenFromProtocols,
  tokenMatches
} from '../../main/serve/auth'
import { exposureWarning } from '../../main/serve/server'

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage

describe('serve mode access rules', () => {
  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].every(isLoopback)).toBe(true)
    expect(['0.0.0.0', '192.168.1.10', '::'].some(isLoopback)).toBe(false)
  })

  it('accepts only this server as Host, stopping DNS rebinding', () => {
    const hosts = allowedHosts('127.0.0.1', 8273)
    expect(hostAllowed(req({ host: '127.0.0.1:8273' }), hosts)).toBe(true)
    expect(hostAllowed(req({ host: 'localhost:8273' }), hosts)).toBe(true)
    expect(hostAllowed(req({ host: 'attacker.example:8273' }), hosts)).toBe(false)
    expect(hostAllowed(req({ host: '127.0.0.1:9999' }), hosts)).toBe(false)
    expect(hostAllowed(req({}), hosts)).toBe(false)
    expect(allowedHosts('192.168.1.10', 8273).has('192.168.1.10:8273')).toBe(true)
  })

  it('accepts a WebSocket only from a page of the same origin', () => {
    expect(originAllowed(req({ host: '127.0.0.1:8273', origin: 'http://127.0.0.1:8273' }))).toBe(
      true
    )
    expect(originAllowed(req({ host: '127.0.0.1:8273', origin: 'http://evil.example' }))).toBe(
      false
    )
    expect(originAllowed(req({ host: '127.0.0.1:8273', origin: 'null' }))).toBe(false)
    expect(originAllowed(req({ host: '127.0.0.1:8273' }))).toBe(false)
  })

  it('takes the token from the subprotocol and compares it exactly', () => {
    expect(tokenFromProtocols('chat, tapedeck.abc123')).toBe('abc123')
    expect(tokenFromProtocols(undefined)).toBeUndefined()
    expect(tokenMatches('abc123', 'abc123')).toBe(true)
    expect(tokenMatches('abc124', 'abc123')).toBe(false)
    expect(tokenMatches('abc', 'abc123')).toBe(false)
    expect(tokenMatches(undefined, 'abc123')).toBe(false)
  })

  it('warns loudly about non-loopback addresses', () => {
    const text = exposureWarning('0.0.0.0', 8273).join('\n')
    expect(text).toContain('WARNING')
    expect(text).toContain('0.0.0.0:8273')
    expect(text).toContain('NOT encrypted')
  })
})
