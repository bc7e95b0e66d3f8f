import { qa, qaWorkflow, SERVER_ORIGIN } from '@cutroom/schema'
import * as Y from 'yjs'

/** Seq 1 of a new review's qa document: the model's genesis (the collab server appends after it). */
export function qaFirstUpdate(): Uint8Array {
  return qa.genesis()
}

/** Seq 1 of a new review's qa-workflow document: the genesis with `meta.qaDocumentId` naming its qa document. */
export function workflowFirstUpdate(qaDocumentId: string): Uint8Array {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, qaWorkflow.genesis())
  doc.transact(() => qaWorkflow.metaOf(doc).set('qaDocumentId', qaDocumentId), SERVER_ORIGIN)
  const update = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  return update
}
