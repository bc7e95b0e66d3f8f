import {
  CutroomError,
  type DocPatchReply,
  type DocPatchRequest,
  DocPatchRequestSchema,
  type DocumentKind,
  documentName,
  ErrorCode,
  FramediffResultSchema,
  type JobEvent,
  qa,
  qaWorkflow,
  retell,
  timeline,
  transcript,
  WORKER_PATCH_ORIGIN,
} from '@cutroom/schema'
import type { DirectConnection, Extension, Hocuspocus, onConfigurePayload } from '@hocuspocus/server'
import type { Logger } from 'pino'
import type postgres from 'postgres'
import * as Y from 'yjs'
import type { CollabMetrics } from './CollabMetrics'
import { makeContentEqual, type RootKind } from './makeContentEqual'

export interface DocPatcherOptions {
  sql: postgres.Sql
  /** Resolves once every server-side change of the document so far is committed. */
  whenPersisted: (documentName: string) => Promise<void>
  log?: Logger
  metrics?: CollabMetrics
}

/** The origin context of server patches (DirectConnection transactions carry it as `origin.context`). */
export interface PatchContext {
  patch: true
  userId: string | null
}

/** Root kinds of each document model, for restores; roots not listed are inferred from their content. */
const ROOTS: Record<DocumentKind, Record<string, RootKind>> = {
  timeline: timeline.ROOTS,
  transcript: transcript.ROOTS,
  retell: retell.ROOTS,
  qa: qa.ROOTS,
  'qa-workflow': qaWorkflow.ROOTS,
}

/**
 * Applies server-side changes to documents through a DirectConnection, so they reach every connected client live
 * and are appended to the durable log like any other change. Clients receive them as remote updates, which no
 * user's undo manager tracks. Every patch replies only after its change is committed.
 */
export class DocPatcher implements Extension {
  extensionName = 'DocPatcher'
  private instance: Hocuspocus | null = null

  constructor(private readonly options: DocPatcherOptions) {}

  async onConfigure({ instance }: onConfigurePayload): Promise<void> {
    this.instance = instance
  }

  /** Validates and applies one patch request (the payload of `patches.doc.<docId>`). */
  async handle(documentId: string, raw: unknown): Promise<DocPatchReply> {
    const parsed = DocPatchRequestSchema.safeParse(raw)
    if (!parsed.success)
      return {
        ok: false,
        code: ErrorCode.BAD_INPUT,
        message: `Invalid patch: ${parsed.error.issues[0]?.message ?? 'bad input'}`,
      }
    try {
      return await this.apply(documentId, parsed.data)
    } catch (err) {
      if (err instanceof CutroomError) return { ok: false, code: err.code, message: err.message }
      this.options.log?.error({ err, documentId }, 'patch failed')
      return { ok: false, code: ErrorCode.INTERNAL, message: 'The patch could not be applied.' }
    }
  }

  private async apply(documentId: string, request: DocPatchRequest): Promise<DocPatchReply> {
    const { sql } = this.options
    const [doc] = await sql<
      { kind: DocumentKind; project_id: string }[]
    >`select kind, project_id from documents where id = ${documentId}`
    if (!doc) return { ok: false, code: ErrorCode.NOT_FOUND, message: 'No such document.' }
    const actor = request.actorUserId ?? null
    switch (request.type) {
      case 'yjs-update': {
        const update = new Uint8Array(Buffer.from(request.update, 'base64'))
        try {
          Y.decodeUpdate(update)
        } catch {
          return { ok: false, code: ErrorCode.BAD_INPUT, message: 'The update is not a valid Yjs update.' }
        }
        const changed = await this.transact(documentId, actor, (d) => Y.applyUpdate(d, update))
        return { ok: true, changed }
      }
      case 'create-version': {
        const versionId = await this.withDocument(documentId, actor, async (d) =>
          this.insertVersion(documentId, request.name, Y.encodeStateAsUpdate(d), actor),
        )
        return { ok: true, changed: false, versionId }
      }
      case 'restore-version': {
        const [version] = await sql<{ name: string; state: Uint8Array }[]>`
          select name, state from doc_versions where id = ${request.versionId} and doc_id = ${documentId}`
        if (!version) return { ok: false, code: ErrorCode.NOT_FOUND, message: 'No such version of this document.' }
        const source = new Y.Doc()
        Y.applyUpdate(source, version.state)
        try {
          let undoVersionId: string | undefined
          const changed = await this.transact(
            documentId,
            actor,
            (d) => makeContentEqual(d, source, ROOTS[doc.kind]),
            async (d) => {
              undoVersionId = await this.insertVersion(
                documentId,
                `Before restoring "${version.name}"`.slice(0, 200),
                Y.encodeStateAsUpdate(d),
                actor,
              )
            },
          )
          return { ok: true, changed, undoVersionId }
        } finally {
          source.destroy()
        }
      }
      case 'qa-workflow-op':
        if (doc.kind !== 'qa-workflow')
          return {
            ok: false,
            code: ErrorCode.BAD_INPUT,
            message: 'Workflow changes apply to qa-workflow documents only.',
          }
        return this.applyWorkflowOp(documentId, doc.project_id, request)
      case 'transcript-segment': {
        if (doc.kind !== 'transcript')
          return {
            ok: false,
            code: ErrorCode.BAD_INPUT,
            message: 'Transcript segments apply to transcript documents only.',
          }
        const changed = await this.transact(documentId, actor, (d) => {
          transcript.addSegment(d, request.meta, request.segment, WORKER_PATCH_ORIGIN)
        })
        return { ok: true, changed }
      }
      case 'retell-draft':
      case 'retell-discard-draft': {
        if (doc.kind !== 'retell')
          return { ok: false, code: ErrorCode.BAD_INPUT, message: 'Drafts apply to retell documents only.' }
        let removed = 0
        const changed = await this.transact(documentId, actor, (d) => {
          if (request.type === 'retell-draft') retell.addDraft(d, request.draftId, request.blocks, WORKER_PATCH_ORIGIN)
          else removed = retell.discardDraft(d, request.draftId, WORKER_PATCH_ORIGIN)
        })
        return request.type === 'retell-draft' ? { ok: true, changed } : { ok: true, changed, removed }
      }
      case 'narration-audio':
        if (doc.kind !== 'retell')
          return {
            ok: false,
            code: ErrorCode.BAD_INPUT,
            message: 'Narration audio applies to retell documents only.',
          }
        return this.applyNarrationAudio(documentId, doc.project_id, request)
      case 'transcript-word-times': {
        if (doc.kind !== 'transcript')
          return {
            ok: false,
            code: ErrorCode.BAD_INPUT,
            message: 'Word times apply to transcript documents only.',
          }
        const changed = await this.transact(documentId, actor, (d) => {
          transcript.setWordTimes(d, request.paragraphStart, request.words, WORKER_PATCH_ORIGIN)
        })
        return { ok: true, changed }
      }
    }
  }

  /**
   * Sets a narration block's synthesized audio (duration in the script's sample rate), then lays the script's
   * synthesized blocks onto the narration track of its linked timeline, when that timeline is in the same project.
   */
  private async applyNarrationAudio(
    documentId: string,
    projectId: string,
    request: Extract<DocPatchRequest, { type: 'narration-audio' }>,
  ): Promise<DocPatchReply> {
    const actor = request.actorUserId ?? null
    let timelineId: string | null = null
    let pieces: timeline.NarrationPiece[] = []
    let sampleRate = 48_000
    const changed = await this.transact(documentId, actor, (d) => {
      sampleRate = retell.metaOf(d).get('sampleRate') as number
      const duration = Math.round((request.samples * sampleRate) / request.sampleRate)
      retell.setNarrationAudio(
        d,
        request.blockId,
        { artifactId: request.artifactId, duration, fingerprint: request.fingerprint },
        WORKER_PATCH_ORIGIN,
      )
      timelineId = retell.linkedTimelineId(d)
      pieces = retell
        .readBlocks(d)
        .flatMap((b) =>
          b.type === 'narration' && b.audioArtifactId && b.duration
            ? [{ id: b.id, text: b.text, artifactId: b.audioArtifactId, samples: b.duration, sampleRate }]
            : [],
        )
    })
    if (timelineId) {
      const [linked] = await this.options.sql<{ id: string }[]>`
        select id from documents where id = ${timelineId} and project_id = ${projectId} and kind = 'timeline'`
      if (linked)
        await this.transact(linked.id, actor, (d) => {
          timeline.syncNarration(d, documentId, pieces, WORKER_PATCH_ORIGIN)
        })
    }
    return { ok: true, changed }
  }

  /**
   * One qa-workflow change against the live document: the finding must exist in the review's qa document, the
   * assignee condition and the transition rule are checked in the same state the change is applied to, so
   * concurrent changes of one finding serialize here. A refused change writes nothing.
   */
  private async applyWorkflowOp(
    documentId: string,
    projectId: string,
    request: Extract<DocPatchRequest, { type: 'qa-workflow-op' }>,
  ): Promise<DocPatchReply> {
    const { sql } = this.options
    const noFinding: DocPatchReply = {
      ok: false,
      code: ErrorCode.NOT_FOUND,
      message: 'No such finding in this review.',
    }
    const [qaDoc] = await sql<{ id: string }[]>`
      select id from documents where id = ${request.qaDocumentId} and kind = 'qa' and project_id = ${projectId}`
    if (!qaDoc) return noFinding
    const finding = await this.withDocument(request.qaDocumentId, null, async (d) =>
      qa.getFinding(d, request.findingId),
    )
    if (!finding) return noFinding
    let refusal: DocPatchReply | null = null
    let after: ReturnType<typeof qaWorkflow.getWorkflow> | null = null
    let eventCount = 0
    const change = { eventId: request.eventId, findingId: request.findingId, actor: request.actor }
    const changed = await this.transact(documentId, request.actorUserId ?? null, (d) => {
      const current = qaWorkflow.getWorkflow(d, request.findingId)
      if (request.onlyIfAssignee && current.assignee !== request.onlyIfAssignee) {
        refusal = {
          ok: false,
          code: ErrorCode.FORBIDDEN_ROLE,
          message: 'Only the person assigned to this finding (or an owner, admin or editor) can do this.',
        }
        return
      }
      try {
        const { op } = request
        if (op.kind === 'transition') qaWorkflow.applyAction(d, { ...change, action: op.action })
        else if (op.kind === 'assign') qaWorkflow.assign(d, { ...change, assignee: op.assignee })
        else qaWorkflow.setDue(d, { ...change, due: op.due })
      } catch (err) {
        if (!(err instanceof CutroomError)) throw err
        refusal = { ok: false, code: err.code, message: err.message }
        return
      }
      after = qaWorkflow.getWorkflow(d, request.findingId)
      eventCount = qaWorkflow.eventsOf(d).length
    })
    if (refusal) return refusal
    const state = after as ReturnType<typeof qaWorkflow.getWorkflow> | null
    if (!state) throw new Error('the workflow change left no state')
    return {
      ok: true,
      changed,
      workflow: {
        status: state.status,
        assignee: state.assignee,
        due: state.due,
        eventCount,
        finding: { title: finding.title, severity: finding.severity, frame: finding.frame, frameEnd: finding.frameEnd },
      },
    }
  }

  private async insertVersion(
    documentId: string,
    name: string,
    state: Uint8Array,
    actor: string | null,
  ): Promise<string> {
    const [row] = await this.options.sql<{ id: string }[]>`
      insert into doc_versions (doc_id, name, state, created_by)
      values (${documentId}, ${name}, ${Buffer.from(state)}, ${actor})
      returning id`
    return row!.id
  }

  /**
   * Sets the references of a succeeded job's artifacts into every timeline of the project that uses the asset.
   * Setting a reference that is already there changes nothing, so a redelivered event writes nothing.
   * Returns how many documents changed.
   */
  async applyJobArtifacts(event: JobEvent): Promise<number> {
    if (event.status === 'succeeded' && event.kind === 'framediff') return (await this.applyFramediff(event)) ? 1 : 0
    if (event.status === 'succeeded' && event.kind === 'probe') return this.applyProbe(event)
    if (event.status !== 'succeeded' || !event.assetId || event.artifacts.length === 0) return 0
    const assetId = event.assetId
    const docs = await this.options.sql<{ id: string }[]>`
      select id from documents where project_id = ${event.projectId} and kind = 'timeline'`
    let changedDocs = 0
    for (const { id } of docs) {
      const changed = await this.transact(id, null, (d) => {
        if (!timeline.assetIdsUsed(d).includes(assetId)) return
        for (const a of event.artifacts)
          timeline.setArtifact(
            d,
            { artifactId: a.id, slot: a.slot, assetId, key: a.key, contentType: a.contentType, metadata: a.metadata },
            WORKER_PATCH_ORIGIN,
          )
      })
      if (changed) changedDocs++
    }
    return changedDocs
  }

  /**
   * A probe gives the asset's real length: clips inserted into the project's timelines before it landed, with a
   * provisional length, take it (`timeline.settleClipLengths`). A redelivered event finds no pending clip.
   */
  async applyProbe(event: JobEvent): Promise<number> {
    const metadata = (event.result as { metadata?: { durationSeconds?: unknown } } | null)?.metadata
    const seconds = metadata?.durationSeconds
    if (!event.assetId || typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) return 0
    const assetId = event.assetId
    const docs = await this.options.sql<{ id: string }[]>`
      select id from documents where project_id = ${event.projectId} and kind = 'timeline'`
    let changedDocs = 0
    for (const { id } of docs) {
      const changed = await this.transact(id, null, (d) => {
        timeline.settleClipLengths(d, assetId, seconds, WORKER_PATCH_ORIGIN)
      })
      if (changed) changedDocs++
    }
    return changedDocs
  }

  /**
   * Writes a succeeded framediff into its review's qa document: the overlay of the version pair (the heatmap as
   * the reference, every artifact and the score summary in its metadata) and one suggested finding per proposed
   * frame range, for a person to accept or dismiss. Only a qa document of the job's own project is patched.
   * Suggestions have stable ids and the overlay is compared before it is set, so the same event twice is a no-op.
   */
  async applyFramediff(event: JobEvent): Promise<boolean> {
    const parsed = FramediffResultSchema.safeParse(event.result)
    if (!parsed.success) {
      this.options.log?.warn(
        { jobId: event.jobId, issue: parsed.error.issues[0] },
        'ignoring a framediff result that does not match the contract',
      )
      return false
    }
    const result = parsed.data
    if (!result.documentId) return false
    const [doc] = await this.options.sql<{ kind: DocumentKind }[]>`
      select kind from documents where id = ${result.documentId} and project_id = ${event.projectId}`
    if (doc?.kind !== 'qa') {
      this.options.log?.warn(
        { jobId: event.jobId, documentId: result.documentId },
        'framediff names no qa document of its project',
      )
      return false
    }
    const bySlot = new Map(event.artifacts.map((a) => [a.slot, a]))
    const heatmap = bySlot.get('framediff-heatmap')
    if (!heatmap) return false
    const ref = (slot: string) => {
      const a = bySlot.get(slot)
      return a ? { id: a.id, key: a.key, contentType: a.contentType } : null
    }
    const versionA = result.versionA.assetId
    const versionB = result.versionB.assetId
    return this.transact(result.documentId, null, (d) => {
      qa.setOverlay(
        d,
        {
          versionA,
          versionB,
          artifactId: heatmap.id,
          key: heatmap.key,
          contentType: heatmap.contentType,
          metadata: {
            jobId: event.jobId,
            heatmap: { ...ref('framediff-heatmap'), layout: heatmap.metadata },
            scores: ref('framediff-scores'),
            regions: ref('framediff-regions'),
            compared: result.compared,
            summary: result.summary,
            notes: result.notes,
            resampled: result.resampled,
            rescaled: result.rescaled,
            lengthsDiffer: result.lengthsDiffer,
          },
        },
        WORKER_PATCH_ORIGIN,
      )
      for (const s of result.suggestions)
        qa.addSuggestedFinding(
          d,
          {
            id: s.id,
            title: `Frames ${s.frame}-${s.frameEnd} differ from version A (SSIM ${s.worstSsim.toFixed(3)} at frame ${s.worstFrame})`,
            severity: s.worstSsim < 0.8 ? 'high' : s.worstSsim < 0.9 ? 'medium' : 'low',
            versionA,
            versionB,
            frame: s.frame,
            frameEnd: s.frameEnd,
            region: s.region,
            jobId: event.jobId,
            score: s.worstSsim,
            createdAt: event.at,
          },
          WORKER_PATCH_ORIGIN,
        )
    })
  }

  /** Runs `change` in one server transaction; true when it changed the document. Resolves once durable. */
  private async transact(
    documentId: string,
    userId: string | null,
    change: (doc: Y.Doc) => void,
    before?: (doc: Y.Doc) => Promise<void>,
  ): Promise<boolean> {
    return this.withDocument(documentId, userId, async (doc, connection) => {
      if (before) await before(doc)
      let changed = false
      const mark = () => {
        changed = true
      }
      // DirectConnection.transact runs the transaction synchronously; its update event fires before it returns.
      doc.on('update', mark)
      const done = connection.transact((d) => change(d))
      doc.off('update', mark)
      await done
      if (changed && this.options.metrics) this.options.metrics.patchesApplied += 1
      return changed
    })
  }

  private async withDocument<T>(
    documentId: string,
    userId: string | null,
    use: (doc: Y.Doc, connection: DirectConnection) => Promise<T>,
  ): Promise<T> {
    if (!this.instance) throw new Error('the patcher is not attached to a Hocuspocus instance')
    const name = documentName(documentId)
    const context: PatchContext = { patch: true, userId }
    const connection = await this.instance.openDirectConnection(name, context)
    try {
      const doc = this.instance.documents.get(name)
      if (!doc) throw new Error(`document ${name} is not loaded`)
      const result = await use(doc, connection)
      await this.options.whenPersisted(name)
      return result
    } finally {
      // The change is already durable (whenPersisted); keep the document warm instead of storing and unloading
      // synchronously, which with Redis would also wait out the extension's disconnect delay on every patch.
      await connection.disconnect({ unloadImmediately: false })
    }
  }
}
