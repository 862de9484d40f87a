/**
 * PBS `media content`: catalog rows with each media set's name from its pool's template. Every
 * tape keeps its own set-label ctime (when it joined the set), but the name comes from the set's
 * start time, as PBS names it (`Inventory::generate_media_set_name`), so all tapes of a set agree.
 */
import type { ApiArgs, ApiResult } from '../api/contract'
import type { CoreServices } from '../tapedeck'
import { localTimeZone } from '../util/time'
import { CatalogStore } from './catalog-store'
import { mediaSetName } from './media-set-name'

export async function mediaContent(
  core: CoreServices,
  filter: ApiArgs<'media.content'>
): Promise<ApiResult<'media.content'>> {
  const catalog = new CatalogStore(core.db)
  const rows = await catalog.mediaContent(filter)
  const started = new Map((await catalog.mediaSets()).map((set) => [set.uuid, set.ctime]))
  const templates = new Map((await core.config.pools.list()).map((p) => [p.name, p.template]))
  const zone = localTimeZone()
  return rows.map((row) => ({
    ...row,
    'media-set-name':
      row['media-set-name'] ??
      mediaSetName(
        templates.get(row.pool),
        row['media-set-uuid'],
        started.get(row['media-set-uuid']) ?? row['media-set-ctime'],
        zone
      )
  }))
}
