import { type Accessor, createSignal, onCleanup } from 'solid-js'
import type * as Y from 'yjs'

/**
 * A signal that re-reads `read()` whenever the shared type (or anything below it) changes.
 * Subscribes with observeDeep and unsubscribes when the owning scope is disposed.
 */
export function createYSignal<T, E>(type: Y.AbstractType<E>, read: () => T): Accessor<T> {
  const [value, setValue] = createSignal<T>(read(), { equals: false })
  const onChange = () => setValue(() => read())
  type.observeDeep(onChange)
  onCleanup(() => type.unobserveDeep(onChange))
  return value
}
