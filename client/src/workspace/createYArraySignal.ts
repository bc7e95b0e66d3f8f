import { type Accessor, createSignal, onCleanup } from 'solid-js'
import type * as Y from 'yjs'

/** The items of a Y.Array as a signal, refreshed on every change below it. */
export function createYArraySignal<T>(array: Y.Array<T>): Accessor<T[]> {
  const [items, setItems] = createSignal<T[]>(array.toArray(), { equals: false })
  const onChange = () => setItems(array.toArray())
  array.observeDeep(onChange)
  onCleanup(() => array.unobserveDeep(onChange))
  return items
}
