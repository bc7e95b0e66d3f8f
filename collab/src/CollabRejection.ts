import { type CloseCode, CloseReason, scrubMessage } from '@cutroom/schema'

/**
 * Thrown by a hook to refuse a connection or a message. Hocuspocus sends `reason` to the provider
 * (authenticationFailed) and, for messages, closes the document connection with `code`.
 */
export class CollabRejection extends Error {
  override readonly name = 'CollabRejection'
  readonly reason: string
  constructor(
    readonly code: CloseCode,
    /** Why, for our logs only: never sent to the client, so a refusal reveals nothing. */
    readonly detail: string = CloseReason[code],
    /** What the client is told, when the code's standard reason would not say what to do. */
    reason: string = CloseReason[code],
  ) {
    // Empty message on purpose: Hocuspocus prints every hook error that has one, and refusals are routine.
    super('')
    // Hocuspocus sends `reason` as the permission-denied message: a fixed text, scrubbed all the same
    this.reason = scrubMessage(reason, { maxLength: 160 })
  }
}
