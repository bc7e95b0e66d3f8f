import { type Accessor, createSignal, onCleanup } from 'solid-js'
import type * as Y from 'yjs'

/** `read(doc)` as a signal, recomputed after every transaction that changed the document (local or remote). */
export function createDocSignal<T>(doc: Y.Doc, read: (doc: Y.Doc) => T): Accessor<T> {
  const [value, setValue] = createSignal<T>(read(doc), { equals: false })
  const onUpdate = () => setValue(() => read(doc))
  doc.on('update', onUpdate)
  onCleanup(() => doc.off('update', onUpdate))
  return value
}
