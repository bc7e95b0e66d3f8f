import { CloseCode, type DocumentKind, isUuid, type Problem, qa } from '@cutroom/schema'
import type { beforeSyncPayload, Extension } from '@hocuspocus/server'
import type { Logger } from 'pino'
import type postgres from 'postgres'
import * as Y from 'yjs'
import type { CollabContext } from '../CollabContext'
import { CollabRejection } from '../CollabRejection'

export interface DocumentValidationConfiguration {
  sql: postgres.Sql
  log?: Logger
  /** Updates larger than this are left to the persistence extension, which refuses them with 4413. */
  maxUpdateBytes: number
  /** Called when a client change is refused. */
  onReject: (code: CloseCode) => void
}

const SYNC_STEP_1 = 0

/** Why a change was refused: `reason` is what the client is told (a close reason, at most 120 characters). */
interface Refusal {
  detail: string
  reason: string
}

/**
 * Refuses client changes to `qa` documents that the model's validator would flag (shapes outside 0..1, too many
 * shapes or points, oversize comments, a malformed finding) and comments that @mention someone who is not a member
 * of the document's organization. The candidate update is applied to a copy of the document first, so a refused
 * change is never persisted (this hook runs before the persistence extension's `beforeSync`), never applied and
 * never broadcast; the socket is closed with 4422 and a reason the client can show. Only problems the change
 * introduces count: a document already damaged elsewhere does not block every later edit.
 */
export class DocumentValidationExtension implements Extension {
  extensionName = 'DocumentValidation'
  // After auth and connection limits, before persistence (900).
  priority = 1000
  configuration: DocumentValidationConfiguration

  constructor(configuration: Partial<DocumentValidationConfiguration> & Pick<DocumentValidationConfiguration, 'sql'>) {
    this.configuration = { maxUpdateBytes: 2 * 1024 * 1024, onReject: () => {}, ...configuration }
  }

  async beforeSync({ type, payload, connection, context, document }: beforeSyncPayload<CollabContext>): Promise<void> {
    if (type === SYNC_STEP_1 || connection.readOnly) return
    if (!VALIDATED_KINDS.includes(context.kind as DocumentKind)) return
    if (payload.byteLength > this.configuration.maxUpdateBytes) return
    const refusal = await this.check(document, payload, context)
    if (!refusal) return
    this.configuration.log?.info(
      { documentId: context.documentId, userId: context.user?.id, detail: refusal.detail },
      'refused an invalid document change',
    )
    this.configuration.onReject(CloseCode.INVALID_UPDATE)
    context.socket?.close(CloseCode.INVALID_UPDATE, refusal.reason)
    throw new CollabRejection(CloseCode.INVALID_UPDATE, refusal.detail, refusal.reason)
  }

  private async check(document: Y.Doc, payload: Uint8Array, context: CollabContext): Promise<Refusal | null> {
    const candidate = new Y.Doc()
    try {
      Y.applyUpdate(candidate, Y.encodeStateAsUpdate(document))
      try {
        Y.applyUpdate(candidate, payload)
      } catch {
        return { detail: 'the update cannot be applied', reason: 'Refused: the change cannot be read' }
      }
      const known = new Set(qa.validate(document).map(problemKey))
      const introduced = qa.validate(candidate).filter((p) => !known.has(problemKey(p)))
      if (introduced.length) {
        const first = introduced[0]!
        return {
          detail: introduced.map((p) => `${p.path}: ${p.message}`).join('; '),
          reason: `Refused: ${first.message}`,
        }
      }
      return await this.checkMentions(document, candidate, context)
    } finally {
      candidate.destroy()
    }
  }

  /** Every comment the change adds may mention only members of the document's organization. */
  private async checkMentions(before: Y.Doc, after: Y.Doc, context: CollabContext): Promise<Refusal | null> {
    const existing = new Set(qa.listComments(before).map((c) => `${c.findingId}/${c.comment.id}`))
    const mentioned = new Set<string>()
    for (const { findingId, comment } of qa.listComments(after))
      if (!existing.has(`${findingId}/${comment.id}`)) for (const id of comment.mentions ?? []) mentioned.add(id)
    if (mentioned.size === 0) return null
    const ids = [...mentioned]
    const orgId = context.orgId
    const members =
      orgId && ids.every(isUuid)
        ? await this.configuration.sql<{ user_id: string }[]>`
            select user_id from memberships where org_id = ${orgId} and user_id in ${this.configuration.sql(ids)}`
        : []
    const found = new Set(members.map((m) => m.user_id))
    const strangers = ids.filter((id) => !found.has(id))
    if (strangers.length === 0) return null
    return {
      detail: `mentions of non-members: ${strangers.join(', ')}`,
      reason:
        strangers.length === 1
          ? 'Refused: the comment mentions someone who is not a member of this organization'
          : `Refused: the comment mentions ${strangers.length} people who are not members of this organization`,
    }
  }
}

const VALIDATED_KINDS: readonly DocumentKind[] = ['qa']

function problemKey(p: Problem): string {
  return `${p.code}|${p.path}|${p.message}`
}
