import { type DocPatchReply, DocPatchReplySchema, type DocPatchRequest, ErrorCode, Subjects } from '@cutroom/schema'
import { apiError } from '../apiError'
import type { Context } from '../context'

const PATCH_TIMEOUT_MS = 15_000

/**
 * Sends a patch to the collab server that holds the live document (core NATS request/reply on
 * `patches.doc.<id>`); the collab instances answer in one queue group. A refusal becomes an api error with the
 * reply's code and message.
 */
export async function requestDocPatch(
  ctx: Pick<Context, 'services'>,
  documentId: string,
  request: DocPatchRequest,
): Promise<Extract<DocPatchReply, { ok: true }>> {
  const nc = ctx.services.media?.nc
  if (!nc) throw apiError(ErrorCode.UNAVAILABLE, 'Documents cannot be changed here: the api has no connection to NATS.')
  let reply: DocPatchReply
  try {
    const msg = await nc.request(Subjects.docPatch(documentId), JSON.stringify(request), { timeout: PATCH_TIMEOUT_MS })
    reply = DocPatchReplySchema.parse(msg.json())
  } catch (err) {
    ctx.services.log.error({ err, documentId, type: request.type }, 'document patch request failed')
    throw apiError(ErrorCode.UNAVAILABLE, 'The collaboration server did not answer; try again in a moment.')
  }
  if (!reply.ok) throw apiError(reply.code, reply.message)
  return reply
}
