import type { FrameRate } from './timecode'

/** What the timeline canvas draws: positions already resolved from the document (frames). */
export interface ViewItem {
  id: string
  /** 'clip' for media, 'gap' for explicit storyline gaps, 'text' for captions and narration. */
  kind: 'clip' | 'gap' | 'text'
  start: number
  duration: number
  label: string
  assetId?: string
  sourceIn?: number
  sourceOut?: number
  /** Storyline clip this item is anchored to (other tracks). */
  anchorId?: string
  /** Index in the storyline (storyline items only). */
  index?: number
  /** The crop box the vertical export uses (storyline clips that have one). */
  crop?: { x: number; y: number; w: number; h: number }
}

export interface ViewTrack {
  id: string
  kind: 'video' | 'audio' | 'caption' | 'narration'
  name: string
  muted: boolean
  locked: boolean
  storyline: boolean
  items: ViewItem[]
}

export interface ViewMarker {
  id: string
  frame: number
  label: string
  color?: string
}

export interface TimelineView {
  rate: FrameRate
  tracks: ViewTrack[]
  markers: ViewMarker[]
  duration: number
}

/** Height in CSS pixels of a track row. */
export function trackHeight(kind: ViewTrack['kind']): number {
  switch (kind) {
    case 'video':
      return 64
    case 'audio':
      return 44
    case 'caption':
    case 'narration':
      return 28
  }
}

/** Finds an item by id anywhere in the view. */
export function findViewItem(view: TimelineView, id: string): { track: ViewTrack; item: ViewItem } | null {
  for (const track of view.tracks) {
    for (const item of track.items) if (item.id === id) return { track, item }
  }
  return null
}
