/**
 * A self-signed X.509 certificate for 127.0.0.1/localhost, made with node:crypto alone (ECDSA
 * P-256, a few lines of DER), so TLS tests need no openssl binary.
 */
import { X509Certificate, generateKeyPairSync, randomBytes, sign } from 'node:crypto'

function der(tag: number, content: Buffer): Buffer {
  const n = content.length
  const length =
    n < 0x80
      ? Buffer.from([n])
      : n < 0x100
        ? Buffer.from([0x81, n])
        : Buffer.from([0x82, n >> 8, n & 0xff])
  return Buffer.concat([Buffer.from([tag]), length, content])
}

const seq = (...items: Buffer[]) => der(0x30, Buffer.concat(items))
const set = (...items: Buffer[]) => der(0x31, Buffer.concat(items))

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number)
  const bytes = [a! * 40 + b!]
  for (const n of rest) {
    const groups = [n & 0x7f]
    for (let v = n >> 7; v > 0; v >>= 7) groups.unshift((v & 0x7f) | 0x80)
    bytes.push(...groups)
  }
  return der(0x06, Buffer.from(bytes))
}

function utcTime(date: Date): Buffer {
  const text = date
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z')
    .slice(2)
  return der(0x17, Buffer.from(text, 'ascii'))
}

const name = (cn: string) => seq(set(seq(oid('2.5.4.3'), der(0x0c, Buffer.from(cn, 'utf8')))))

export function selfSignedCert(commonName = 'localhost'): { key: string; cert: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const ecdsaSha256 = seq(oid('1.2.840.10045.4.3.2'))
  const serial = randomBytes(8)
  serial[0] = serial[0]! & 0x7f
  const now = Date.now()
  const altNames = seq(
    der(0x87, Buffer.from([127, 0, 0, 1])), // iPAddress
    der(0x82, Buffer.from('localhost', 'ascii')) // dNSName
  )
  const extensions = der(
    0xa3,
    seq(seq(oid('2.5.29.17'), der(0x04, altNames))) // subjectAltName
  )
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([2]))), // version v3
    der(0x02, serial),
    ecdsaSha256,
    name(commonName),
    seq(utcTime(new Date(now - 3600_000)), utcTime(new Date(now + 86400_000))),
    name(commonName),
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions
  )
  const signature = sign('sha256', tbs, privateKey)
  const certDer = seq(tbs, ecdsaSha256, der(0x03, Buffer.concat([Buffer.from([0]), signature])))
  const cert =
    '-----BEGIN CERTIFICATE-----\n' +
    certDer
      .toString('base64')
      .match(/.{1,64}/g)!
      .join('\n') +
    '\n-----END CERTIFICATE-----\n'
  // Parse it once: a broken encoding fails here, not as an obscure TLS handshake error.
  new X509Certificate(cert)
  return { key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), cert }
}
