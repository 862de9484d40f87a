import type { InjectionKey } from 'vue'
import type { Place } from './model'

/** MIME type of a dragged cartridge; the data is `{changer, place}` as JSON. */
export const TAPE_MIME = 'application/x-tapedeck-tape'

export type Verdict = 'valid' | 'invalid' | null

/**
 * What a changer picture offers its cells: drag and drop with the mouse, and the same by "pick
 * up, then put down" with click or keyboard.
 */
export interface MoveController {
  /** the changer this picture shows */
  changer: string
  /** true while a tape is dragged or picked up */
  active(): boolean
  isSource(place: Place): boolean
  isHover(place: Place): boolean
  /** whether the tape being moved may go to `place` (null when nothing is moving) */
  verdict(place: Place): Verdict
  /** why it may not (for the cell's title while hovering) */
  reason(place: Place): string | undefined
  dragStart(place: Place, ev: DragEvent): void
  dragEnd(): void
  dragOver(place: Place, ev: DragEvent): void
  dragLeave(place: Place): void
  drop(place: Place, ev: DragEvent): void
  /** click, Enter or Space on a cell */
  activate(place: Place): void
  cancel(): void
}

export const MOVE_CONTROLLER: InjectionKey<MoveController> = Symbol('move-controller')
