/** The inventory as the pool logic sees it (plain records). */
import type { InventoryEntry } from '../../media/inventory'
import type { MediaRecord } from '../../media/media-state'

export function toMediaRecord(entry: InventoryEntry): MediaRecord {
  const record: MediaRecord = {
    uuid: entry.uuid,
    labelText: entry['label-text'],
    ctime: entry.ctime,
    location: entry.location ?? 'offline'
  }
  if (entry.status) record.storedStatus = entry.status
  if (entry['media-set-uuid'] !== undefined && entry.pool !== undefined) {
    record.pool = entry.pool
    record.mediaSet = {
      uuid: entry['media-set-uuid'],
      pool: entry.pool,
      seqNr: entry['seq-nr'] ?? 0,
      ctime: entry['media-set-ctime'] ?? 0,
      ...(entry['encryption-key-fingerprint']
        ? { encryptionKeyFingerprint: entry['encryption-key-fingerprint'] }
        : {})
    }
  } else if (entry.pool !== undefined) {
    record.pool = entry.pool
  }
  return record
}
