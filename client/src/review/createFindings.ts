import { qa } from '@cutroom/schema'
import { type Accessor, createSignal, onCleanup } from 'solid-js'
import type * as Y from 'yjs'

/** The qa document's findings (ordered by frame), refreshed on every change under `findings`. */
export function createFindings(doc: Y.Doc): Accessor<qa.Finding[]> {
  const findings = qa.findingsOf(doc)
  const [list, setList] = createSignal(qa.listFindings(doc), { equals: false })
  const refresh = () => setList(qa.listFindings(doc))
  findings.observeDeep(refresh)
  onCleanup(() => findings.unobserveDeep(refresh))
  return list
}
