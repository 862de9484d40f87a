/**
 * The media inventory (PBS inventory.json, here in SQLite): every tape Tapedeck has seen, by media
 * UUID, with its labels, stored status, location and bytes used. Label texts are unique.
 */
import type { Db } from '../db/connection'
import type { MediaLabel } from '../format/media-label'
import { isUnassignedMediaSet, type MediaSetLabel } from '../format/media-set-label'

export interface MediaId {
  label: MediaLabel
  mediaSet?: MediaSetLabel
}

export interface InventoryEntry {
  'label-text': string
  uuid: string
  ctime: number
  pool?: string
  'media-set-uuid'?: string
  'seq-nr'?: number
  'media-set-ctime'?: number
  'encryption-key-fingerprint'?: string
  status?: 'full' | 'damaged' | 'retired'
  location?: string
  'bytes-used'?: number
}

interface MediaRow {
  uuid: string
  label_text: string
  ctime: number
  pool: string | null
  media_set_uuid: string | null
  media_set_seq: number | null
  media_set_ctime: number | null
  media_set_pool: string | null
  encryption_fingerprint: string | null
  status: InventoryEntry['status'] | null
  location: string | null
  bytes_used: number | null
}

function toEntry(row: MediaRow): InventoryEntry {
  const entry: InventoryEntry = { 'label-text': row.label_text, uuid: row.uuid, ctime: row.ctime }
  const pool = row.media_set_pool ?? row.pool
  if (pool !== null) entry.pool = pool
  if (row.media_set_uuid !== null) {
    entry['media-set-uuid'] = row.media_set_uuid
    entry['seq-nr'] = row.media_set_seq ?? 0
    entry['media-set-ctime'] = row.media_set_ctime ?? 0
  }
  if (row.encryption_fingerprint) entry['encryption-key-fingerprint'] = row.encryption_fingerprint
  if (row.status) entry.status = row.status
  if (row.location) entry.location = row.location
  if (row.bytes_used !== null) entry['bytes-used'] = row.bytes_used
  return entry
}

export class Inventory {
  constructor(private readonly db: Db) {}

  async list(): Promise<InventoryEntry[]> {
    const rows: MediaRow[] = await this.db('media').orderBy('label_text')
    return rows.map(toEntry)
  }

  async findByLabelText(labelText: string): Promise<InventoryEntry | undefined> {
    const row: MediaRow | undefined = await this.db('media')
      .where({ label_text: labelText })
      .first()
    return row && toEntry(row)
  }

  async findByUuid(uuid: string): Promise<InventoryEntry | undefined> {
    const row: MediaRow | undefined = await this.db('media').where({ uuid }).first()
    return row && toEntry(row)
  }

  /**
   * Record what the labels of a tape say. Location, status and bytes used are kept, except that
   * the status is cleared when the tape moves to another media set (as PBS does).
   */
  async store(id: MediaId, location?: string): Promise<void> {
    const set = id.mediaSet && !isUnassignedMediaSet(id.mediaSet) ? id.mediaSet : undefined
    await this.db.transaction(async (trx) => {
      const clash: MediaRow | undefined = await trx('media')
        .where({ label_text: id.label.labelText })
        .whereNot({ uuid: id.label.uuid })
        .first()
      if (clash) {
        throw new Error(
          `label text '${id.label.labelText}' is already used by tape ${clash.uuid}; destroy that inventory entry first`
        )
      }
      const old: MediaRow | undefined = await trx('media').where({ uuid: id.label.uuid }).first()
      const row: MediaRow = {
        uuid: id.label.uuid,
        label_text: id.label.labelText,
        ctime: id.label.ctime,
        pool: id.label.pool ?? null,
        media_set_uuid: set?.uuid ?? null,
        media_set_seq: set?.seqNr ?? null,
        media_set_ctime: set?.ctime ?? null,
        // PBS `MediaId::pool()`: a set label names the pool even when it only reserves the
        // tape (all-zero set uuid, as older PBS versions wrote on labelling).
        media_set_pool: id.mediaSet?.pool ?? null,
        encryption_fingerprint: set?.encryptionKeyFingerprint ?? null,
        status: old && old.media_set_uuid === (set?.uuid ?? null) ? old.status : null,
        location: location ?? old?.location ?? null,
        bytes_used: old?.bytes_used ?? null
      }
      if (old) await trx('media').where({ uuid: row.uuid }).update(row)
      else await trx('media').insert(row)
    })
  }

  /** Stores full / damaged / retired, or clears the stored status (`undefined`). */
  async setStatus(uuid: string, status: InventoryEntry['status'] | undefined): Promise<void> {
    await this.db('media')
      .where({ uuid })
      .update({ status: status ?? null })
  }

  async setBytesUsed(uuid: string, bytes: number): Promise<void> {
    await this.db('media').where({ uuid }).update({ bytes_used: bytes })
  }

  async setLocation(uuid: string, location: string): Promise<void> {
    await this.db('media').where({ uuid }).update({ location })
  }

  /** Changer inventory refresh: tapes seen are online there; tapes online there before but gone now are offline. */
  async updateOnline(changer: string, labelTexts: string[]): Promise<void> {
    const online = `online-${changer}`
    await this.db.transaction(async (trx) => {
      await trx('media')
        .where({ location: online })
        .whereNotIn('label_text', labelTexts)
        .update({ location: 'offline' })
      if (labelTexts.length > 0)
        await trx('media').whereIn('label_text', labelTexts).update({ location: online })
    })
  }

  async remove(uuid: string): Promise<void> {
    await this.db('media').where({ uuid }).delete()
  }
}
