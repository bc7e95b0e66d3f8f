import { DocPatchReplySchema, type DocPatchRequest, ErrorCode, type JobEvent, Subjects, TtsResultSchema } from '@cutroom/schema'
import type { NatsConnection } from '@nats-io/nats-core'
import type { Logger } from 'pino'

const PATCH_TIMEOUT_MS = 15_000

/**
 * After a tts job is recorded (its artifact row exists, so the audio can be served), patches the audio into its
 * narration block through the collab server, live for every open page; the linked timeline's narration track
 * follows there. A block or script deleted meanwhile is nothing to patch. Any other failure throws, so the event
 * is redelivered and the patch (idempotent) tried again.
 */
export async function applyNarrationAudio(nc: NatsConnection, log: Logger, event: JobEvent): Promise<void> {
  if (event.kind !== 'tts' || event.status !== 'succeeded') return
  const parsed = TtsResultSchema.safeParse(event.result)
  if (!parsed.success) {
    log.warn({ jobId: event.jobId, issue: parsed.error.issues[0] }, 'ignoring a tts result that does not match the contract')
    return
  }
  const result = parsed.data
  if (!result.documentId || !result.blockId) return
  const request: DocPatchRequest = {
    type: 'narration-audio',
    blockId: result.blockId,
    artifactId: result.artifactId,
    samples: result.samples,
    sampleRate: result.sampleRate,
    fingerprint: result.fingerprint ?? '',
    actorUserId: null,
  }
  const msg = await nc.request(Subjects.docPatch(result.documentId), JSON.stringify(request), { timeout: PATCH_TIMEOUT_MS })
  const reply = DocPatchReplySchema.parse(msg.json())
  if (reply.ok) return
  if (reply.code === ErrorCode.NOT_FOUND) {
    log.info({ jobId: event.jobId, documentId: result.documentId }, 'the narration block is gone; its audio is not attached')
    return
  }
  throw new Error(`The narration audio could not be attached (${reply.code}): ${reply.message}`)
}
