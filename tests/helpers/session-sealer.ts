import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { KeySealer } from '../../main/core/crypto/key-sealer'

/**
 * A desktop session's secret store as the app sees it (Electron safeStorage, which needs the
 * Electron binary and a keyring): a secret only this process holds. Each instance is one session.
 */
export function sessionSealer(): KeySealer {
  const secret = randomBytes(32)
  return {
    description: 'test session store',
    seal(plain) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', secret, iv)
      const body = Buffer.concat([cipher.update(plain), cipher.final()])
      return Buffer.concat([iv, cipher.getAuthTag(), body])
    },
    open(sealed) {
      const decipher = createDecipheriv('aes-256-gcm', secret, sealed.subarray(0, 12))
      decipher.setAuthTag(sealed.subarray(12, 28))
      return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()])
    }
  }
}
