/** PBS `media content`: catalog rows with each media set's name from its pool's template. */
import type { ApiArgs, ApiResult } from '../api/contract'
import type { CoreServices } from '../tapedeck'
import { localTimeZone } from '../util/time'
import { CatalogStore } from './catalog-store'
import { mediaSetName } from './media-set-name'

export async function mediaContent(
  core: CoreServices,
  filter: ApiArgs<'media.content'>
): Promise<ApiResult<'media.content'>> {
  const rows = await new CatalogStore(core.db).mediaContent(filter)
  const templates = new Map((await core.config.pools.list()).map((p) => [p.name, p.template]))
  const zone = localTimeZone()
  return rows.map((row) => ({
    ...row,
    'media-set-name':
      row['media-set-name'] ??
      mediaSetName(templates.get(row.pool), row['media-set-uuid'], row['media-set-ctime'], zone)
  }))
}
