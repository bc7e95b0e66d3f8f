import { tables } from '@cutroom/schema'
import { and, asc, eq, gt } from 'drizzle-orm'
import * as Y from 'yjs'
import type { Db } from '../db'

/**
 * A document's durable state as collab would load it: the snapshot plus every update after it, read in one
 * REPEATABLE READ transaction so a compaction running meanwhile cannot hide rows. Every acknowledged edit is in
 * it (collab acknowledges only what is committed). The caller destroys the returned doc.
 */
export async function readDocumentState(db: Db, documentId: string): Promise<Y.Doc> {
  const doc = new Y.Doc()
  await db.transaction(
    async (tx) => {
      const [snapshot] = await tx
        .select({ state: tables.docSnapshots.state, upToSeq: tables.docSnapshots.upToSeq })
        .from(tables.docSnapshots)
        .where(eq(tables.docSnapshots.docId, documentId))
      const rows = await tx
        .select({ update: tables.docUpdates.update })
        .from(tables.docUpdates)
        .where(
          snapshot
            ? and(eq(tables.docUpdates.docId, documentId), gt(tables.docUpdates.seq, snapshot.upToSeq))
            : eq(tables.docUpdates.docId, documentId),
        )
        .orderBy(asc(tables.docUpdates.seq))
      const updates = snapshot ? [snapshot.state, ...rows.map((r) => r.update)] : rows.map((r) => r.update)
      if (updates.length > 0) Y.applyUpdate(doc, Y.mergeUpdates(updates))
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  )
  return doc
}
