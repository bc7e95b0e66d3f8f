import { qa } from '@cutroom/schema'
import { type Accessor, createSignal, onCleanup } from 'solid-js'
import type * as Y from 'yjs'

/** The framediff overlay reference of a version pair in the qa document, once the collab server has written it. */
export function createOverlay(doc: Y.Doc, versionA: string, versionB: string): Accessor<qa.OverlayRef | null> {
  const overlays = qa.overlaysOf(doc)
  const [overlay, setOverlay] = createSignal(qa.getOverlay(doc, versionA, versionB), {
    equals: (a, b) => JSON.stringify(a) === JSON.stringify(b),
  })
  const refresh = () => setOverlay(qa.getOverlay(doc, versionA, versionB))
  overlays.observe(refresh)
  onCleanup(() => overlays.unobserve(refresh))
  return overlay
}
