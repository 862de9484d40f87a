import type { Knex } from 'knex'

/**
 * Media sets and the media catalogs (PBS `<media-uuid>.log`, pbs-tape.md §4.9) in SQLite.
 *
 * Sized for a media set of 5 million chunks and 100 000 snapshots: tapes, files and datastore names
 * are referred to by INTEGER ids, chunk digests are 32-byte BLOBs. Chunks are clustered by
 * (file, position) so that recording a chunk archive appends to the end of one B-tree and reading
 * a set, a tape or an archive is a range scan. Lookups by digest go through `catalog_chunk_keys`
 * (8-byte digest prefix → file, position), which is filled lazily per media set
 * (`catalog_files.indexed`), in sorted bulk inserts, instead of at every commit point: a random
 * B-tree index over millions of digests would dirty one page per recorded chunk.
 *
 * Triggers keep `media_sets` in step with the `media` inventory rows and drop a tape's catalog
 * when the inventory moves the tape to another media set (PBS destroys such catalogs too).
 */
const UP = [
  `CREATE TABLE media_sets (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    pool TEXT,
    -- start time: the set-label ctime of the seq 0 tape (the earliest one known)
    ctime INTEGER,
    encryption_fingerprint TEXT,
    -- media-set name cache (pool template applied by the caller)
    name TEXT
  )`,
  `CREATE TABLE catalog_stores (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
  )`,
  // One row per tape that has a catalog: its L(0)/L(1) records.
  `CREATE TABLE catalog_tapes (
    id INTEGER PRIMARY KEY,
    media_uuid TEXT NOT NULL UNIQUE REFERENCES media(uuid) ON DELETE CASCADE,
    media_set_id INTEGER REFERENCES media_sets(id),
    seq_nr INTEGER,
    CHECK ((media_set_id IS NULL) = (seq_nr IS NULL))
  )`,
  `CREATE INDEX catalog_tapes_set ON catalog_tapes(media_set_id)`,
  // One row per tape file. AUTOINCREMENT: ids are never reused, so a stale chunk key can never
  // point at another archive's chunk.
  `CREATE TABLE catalog_files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tape_id INTEGER NOT NULL REFERENCES catalog_tapes(id) ON DELETE CASCADE,
    file_number INTEGER NOT NULL CHECK (file_number >= 2),
    -- 1 chunk archive, 2 snapshot archive, 3 catalog archive
    kind INTEGER NOT NULL CHECK (kind IN (1, 2, 3)),
    content_uuid BLOB NOT NULL CHECK (length(content_uuid) = 16),
    store_id INTEGER REFERENCES catalog_stores(id),
    -- snapshot archives: [ns/a/[ns/b/]]type/id/YYYY-MM-DDTHH:MM:SSZ
    snapshot TEXT,
    -- chunk archives: number of chunks, and whether catalog_chunk_keys holds them
    chunk_count INTEGER,
    indexed INTEGER,
    -- catalog archives: whose catalog (media uuid, seq nr in the set)
    catalog_media_uuid TEXT,
    catalog_seq_nr INTEGER,
    UNIQUE (tape_id, file_number),
    CHECK ((kind = 2) = (snapshot IS NOT NULL)),
    CHECK ((kind = 3) OR (store_id IS NOT NULL)),
    CHECK ((kind = 1) = (chunk_count IS NOT NULL AND indexed IS NOT NULL))
  )`,
  `CREATE INDEX catalog_files_snapshot ON catalog_files(snapshot, store_id) WHERE kind = 2`,
  `CREATE INDEX catalog_files_unindexed ON catalog_files(tape_id) WHERE kind = 1 AND indexed = 0`,
  `CREATE TABLE catalog_chunks (
    file_id INTEGER NOT NULL REFERENCES catalog_files(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    digest BLOB NOT NULL,
    PRIMARY KEY (file_id, seq)
  ) WITHOUT ROWID`,
  // Digest lookup per media set; rows are only ever trusted after joining back to catalog_chunks.
  `CREATE TABLE catalog_chunk_keys (
    media_set_id INTEGER NOT NULL,
    key BLOB NOT NULL,
    file_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (media_set_id, key, file_id, seq)
  ) WITHOUT ROWID`,
  // A tape leaving a set's catalog: the set's lookup keys go; its remaining archives get indexed
  // again when a lookup needs them.
  `CREATE TRIGGER catalog_tapes_deleted AFTER DELETE ON catalog_tapes
    WHEN OLD.media_set_id IS NOT NULL
  BEGIN
    DELETE FROM catalog_chunk_keys WHERE media_set_id = OLD.media_set_id;
    UPDATE catalog_files SET indexed = 0
      WHERE kind = 1 AND indexed = 1
        AND tape_id IN (SELECT id FROM catalog_tapes WHERE media_set_id = OLD.media_set_id);
  END`,
  `CREATE TRIGGER media_set_on_insert AFTER INSERT ON media
    WHEN NEW.media_set_uuid IS NOT NULL
  BEGIN
    INSERT INTO media_sets (uuid, pool, ctime, encryption_fingerprint)
      VALUES (NEW.media_set_uuid, NEW.media_set_pool, NEW.media_set_ctime, NEW.encryption_fingerprint)
      ON CONFLICT (uuid) DO UPDATE SET
        pool = coalesce(pool, excluded.pool),
        ctime = coalesce(min(ctime, excluded.ctime), ctime, excluded.ctime),
        encryption_fingerprint = coalesce(encryption_fingerprint, excluded.encryption_fingerprint);
  END`,
  `CREATE TRIGGER media_set_on_update AFTER UPDATE OF media_set_uuid, media_set_ctime, media_set_pool, encryption_fingerprint ON media
  BEGIN
    INSERT INTO media_sets (uuid, pool, ctime, encryption_fingerprint)
      SELECT NEW.media_set_uuid, NEW.media_set_pool, NEW.media_set_ctime, NEW.encryption_fingerprint
      WHERE NEW.media_set_uuid IS NOT NULL
      ON CONFLICT (uuid) DO UPDATE SET
        pool = coalesce(pool, excluded.pool),
        ctime = coalesce(min(ctime, excluded.ctime), ctime, excluded.ctime),
        encryption_fingerprint = coalesce(encryption_fingerprint, excluded.encryption_fingerprint);
    DELETE FROM catalog_tapes
      WHERE media_uuid = NEW.uuid
        AND media_set_id IS NOT (SELECT id FROM media_sets WHERE uuid = NEW.media_set_uuid);
  END`,
  // Sets the inventory already knows.
  `INSERT INTO media_sets (uuid, pool, ctime, encryption_fingerprint)
    SELECT media_set_uuid, max(media_set_pool), min(media_set_ctime), max(encryption_fingerprint)
    FROM media WHERE media_set_uuid IS NOT NULL GROUP BY media_set_uuid`
]

const DOWN = [
  'DROP TRIGGER media_set_on_update',
  'DROP TRIGGER media_set_on_insert',
  'DROP TRIGGER catalog_tapes_deleted',
  'DROP TABLE catalog_chunk_keys',
  'DROP TABLE catalog_chunks',
  'DROP TABLE catalog_files',
  'DROP TABLE catalog_tapes',
  'DROP TABLE catalog_stores',
  'DROP TABLE media_sets'
]

export async function up(db: Knex): Promise<void> {
  for (const sql of UP) await db.raw(sql)
}

export async function down(db: Knex): Promise<void> {
  for (const sql of DOWN) await db.raw(sql)
}
