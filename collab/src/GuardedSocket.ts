import { type CloseCode, CloseReason, scrubMessage } from '@cutroom/schema'
import type { WebSocketLike } from '@hocuspocus/server'

/** One client WebSocket as the collab extensions see it; a socket may carry several documents. */
export class GuardedSocket {
  readonly id = crypto.randomUUID()
  /** Document connections established on this socket. */
  established = 0
  closed = false
  private readonly closeListeners = new Set<() => void>()

  constructor(private readonly ws: WebSocketLike) {}

  /** Closes the whole socket with one of our close codes; later frames are ignored. */
  close(code: CloseCode, reason: string = CloseReason[code]): void {
    this.closeWith(code, reason)
  }

  /** Closes the socket with any WebSocket close code (e.g. 1001 when the server shuts down). */
  closeWith(code: number, reason: string): void {
    if (this.closed) return
    this.closed = true
    try {
      // the one way a close reason leaves: scrubbed and within the 123 bytes a close frame allows
      this.ws.close(code, scrubMessage(reason, { maxLength: 120 }))
    } catch {
      // already closing
    }
  }

  onClosed(listener: () => void): () => void {
    this.closeListeners.add(listener)
    return () => this.closeListeners.delete(listener)
  }

  /** Called once when the transport reports the socket closed. */
  notifyClosed(): void {
    this.closed = true
    for (const listener of this.closeListeners) listener()
    this.closeListeners.clear()
  }
}
