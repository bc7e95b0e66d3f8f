import { CloseCode } from '@cutroom/schema'
import type {
  connectedPayload,
  Extension,
  Hocuspocus,
  onConfigurePayload,
  onDisconnectPayload,
  WebSocketLike,
} from '@hocuspocus/server'
import type { CollabContext } from '../CollabContext'
import { GuardedSocket } from '../GuardedSocket'
import { isPongFrame, isWellFormedFrame } from '../isWellFormedFrame'

export interface ConnectionGuardConfiguration {
  /** Largest frame a client may send; larger ones close the socket with 4413. */
  maxMessageBytes: number
  /** Called when a socket is closed for a malformed or oversized frame. */
  onReject: (code: CloseCode, socket: GuardedSocket) => void
}

/**
 * Wraps every client WebSocket before Hocuspocus sees its frames: oversized frames close it with 4413, malformed
 * ones with 4400 (only that socket, never the server), and the socket is exposed in the connection context so
 * other extensions can close it with a precise code.
 */
export class ConnectionGuardExtension implements Extension {
  extensionName = 'ConnectionGuard'
  // Runs first: others rely on `context.socket`.
  priority = 2000
  configuration: ConnectionGuardConfiguration
  /** Open sockets and how to release each one's Hocuspocus state. */
  private readonly live = new Map<GuardedSocket, () => void>()

  constructor(configuration: Partial<ConnectionGuardConfiguration> = {}) {
    this.configuration = { maxMessageBytes: 2 * 1024 * 1024, onReject: () => {}, ...configuration }
  }

  async onConfigure({ instance }: onConfigurePayload): Promise<void> {
    this.wrap(instance)
  }

  async connected({ context }: connectedPayload<CollabContext>): Promise<void> {
    if (context.socket) context.socket.established += 1
  }

  async onDisconnect({ context }: onDisconnectPayload<CollabContext>): Promise<void> {
    if (context.socket) context.socket.established -= 1
  }

  /** Closes every socket still open (server shutdown), including ones that never opened a document. */
  async onDestroy(): Promise<void> {
    for (const [socket, release] of this.live) {
      socket.closeWith(1001, 'Server shutting down')
      release()
    }
    this.live.clear()
  }

  private wrap(instance: Hocuspocus): void {
    const { maxMessageBytes, onReject } = this.configuration
    const handleConnection = instance.handleConnection.bind(instance)
    instance.handleConnection = (incoming, request, defaultContext = {}) => {
      const socket = new GuardedSocket(incoming as WebSocketLike)
      const client = handleConnection(incoming, request, { ...defaultContext, socket } satisfies CollabContext)
      const handleMessage = client.handleMessage
      client.handleMessage = (data: Uint8Array) => {
        if (socket.closed) return
        if (data.byteLength > maxMessageBytes) {
          onReject(CloseCode.UPDATE_TOO_LARGE, socket)
          socket.close(CloseCode.UPDATE_TOO_LARGE)
          return
        }
        // Harmless, but Hocuspocus would fail to parse it, log the error and close the socket with 4401.
        if (isPongFrame(data)) return
        if (!isWellFormedFrame(data)) {
          onReject(CloseCode.MALFORMED_MESSAGE, socket)
          socket.close(CloseCode.MALFORMED_MESSAGE)
          return
        }
        handleMessage(data)
      }
      const handleClose = client.handleClose.bind(client)
      let released = false
      const release = (event?: Parameters<typeof handleClose>[0]) => {
        if (released) return
        released = true
        this.live.delete(socket)
        handleClose(event)
        socket.notifyClosed()
      }
      client.handleClose = release
      this.live.set(socket, () => release({ code: 1001, reason: 'Server shutting down' }))
      return client
    }
  }
}
