import { CloseCode } from '@cutroom/schema'
import type { Extension, onAuthenticatePayload, onDisconnectPayload } from '@hocuspocus/server'
import type { Logger } from 'pino'
import { type CollabContext, principalKey } from '../CollabContext'
import { CollabRejection } from '../CollabRejection'
import { type ConnectionSlots, MemoryConnectionSlots } from '../ConnectionSlots'

export interface ConnectionLimitConfiguration {
  /** Document connections one principal (person or API key) may hold, on every instance sharing `slots`. */
  maxConnectionsPerPrincipal: number
  /** Where slots are counted: in memory (this instance) by default, `RedisConnectionSlots` across instances. */
  slots: ConnectionSlots
  /** Called for every refused connection (metrics). */
  onReject: (code: CloseCode) => void
  log?: Logger
}

/** Refuses a principal's connection beyond the limit with 4429; slots are released on disconnect or socket close. */
export class ConnectionLimitExtension implements Extension {
  extensionName = 'ConnectionLimit'
  // After Auth, which identifies the principal.
  priority = 1400
  configuration: ConnectionLimitConfiguration

  constructor(configuration: Partial<ConnectionLimitConfiguration> = {}) {
    this.configuration = {
      maxConnectionsPerPrincipal: 50,
      slots: new MemoryConnectionSlots(),
      onReject: () => {},
      ...configuration,
    }
  }

  /** Connections currently counted for a principal key. */
  count(key: string): Promise<number> {
    return this.configuration.slots.count(key)
  }

  async onAuthenticate({ context }: onAuthenticatePayload<CollabContext>): Promise<void> {
    if (!context.principal) return
    const key = principalKey(context.principal)
    const { slots } = this.configuration
    let slot: string | null
    try {
      slot = await slots.acquire(key, this.configuration.maxConnectionsPerPrincipal)
    } catch (err) {
      // A limit store that cannot be reached must not take editing down with it: admit, uncounted.
      this.configuration.log?.warn({ err }, 'connection limit not checked: the slot store is unreachable')
      return
    }
    if (slot === null) {
      this.configuration.onReject(CloseCode.TOO_MANY_CONNECTIONS)
      const socket = context.socket
      if (socket && socket.established === 0) setTimeout(() => socket.close(CloseCode.TOO_MANY_CONNECTIONS), 50)
      throw new CollabRejection(CloseCode.TOO_MANY_CONNECTIONS)
    }
    context.connectionSlot = slot
    const socket = context.socket
    // A connection that never gets established (document load failed) is released with its socket.
    if (socket?.closed) void slots.release(key, slot)
    else socket?.onClosed(() => void slots.release(key, slot))
  }

  async onDisconnect({ context }: onDisconnectPayload<CollabContext>): Promise<void> {
    if (context.principal && context.connectionSlot)
      await this.configuration.slots.release(principalKey(context.principal), context.connectionSlot)
  }

  async onDestroy(): Promise<void> {
    await this.configuration.slots.close()
  }
}
