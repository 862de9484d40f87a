/**
 * Who may talk to serve mode: a browser tab on this machine that was given the per-start token.
 * The Host and Origin checks stop other web sites (and DNS-rebinding tricks) from reaching the
 * API through the admin's browser; the token stops other local users and processes.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

export const TOKEN_PROTOCOL_PREFIX = 'tapedeck.'

export const newToken = (): string => randomBytes(24).toString('hex')

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || /^127\./.test(host)
}

export function allowedHosts(bindHost: string, port: number): Set<string> {
  const hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`])
  if (!isLoopback(bindHost) && bindHost !== '0.0.0.0' && bindHost !== '::') {
    hosts.add(`${bindHost.includes(':') ? `[${bindHost}]` : bindHost}:${port}`)
  }
  return hosts
}

/** Host header check; `null` allowed set means any host (bound to all interfaces). */
export function hostAllowed(req: IncomingMessage, allowed: Set<string> | null): boolean {
  const host = req.headers.host?.toLowerCase()
  if (!host) return false
  return allowed === null || allowed.has(host)
}

/** The WebSocket handshake must come from a page of this server. */
export function originAllowed(req: IncomingMessage): boolean {
  const origin = req.headers.origin
  if (!origin) return false
  try {
    const url = new URL(origin)
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      url.host === req.headers.host?.toLowerCase()
    )
  } catch {
    return false
  }
}

export function tokenFromProtocols(header: string | undefined): string | undefined {
  if (!header) return undefined
  return header
    .split(',')
    .map((p) => p.trim())
    .find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX))
    ?.slice(TOKEN_PROTOCOL_PREFIX.length)
}

export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}
