import { CloseCode } from '@cutroom/schema'
import type { Extension, onAuthenticatePayload, onDisconnectPayload } from '@hocuspocus/server'
import { type CollabContext, principalKey } from '../CollabContext'
import { CollabRejection } from '../CollabRejection'

export interface ConnectionLimitConfiguration {
  /** Document connections one principal (person or API key) may hold on this instance. */
  maxConnectionsPerPrincipal: number
  /** Called for every refused connection (metrics). */
  onReject: (code: CloseCode) => void
}

/** Refuses a principal's connection beyond the limit with 4429; slots are released on disconnect or socket close. */
export class ConnectionLimitExtension implements Extension {
  extensionName = 'ConnectionLimit'
  // After Auth, which identifies the principal.
  priority = 1400
  configuration: ConnectionLimitConfiguration
  private readonly slots = new Map<string, Set<string>>()

  constructor(configuration: Partial<ConnectionLimitConfiguration> = {}) {
    this.configuration = { maxConnectionsPerPrincipal: 50, onReject: () => {}, ...configuration }
  }

  /** Connections currently counted for a principal key. */
  count(key: string): number {
    return this.slots.get(key)?.size ?? 0
  }

  async onAuthenticate({ context }: onAuthenticatePayload<CollabContext>): Promise<void> {
    if (!context.principal) return
    const key = principalKey(context.principal)
    const held = this.slots.get(key) ?? new Set<string>()
    if (held.size >= this.configuration.maxConnectionsPerPrincipal) {
      this.configuration.onReject(CloseCode.TOO_MANY_CONNECTIONS)
      const socket = context.socket
      if (socket && socket.established === 0) setTimeout(() => socket.close(CloseCode.TOO_MANY_CONNECTIONS), 50)
      throw new CollabRejection(CloseCode.TOO_MANY_CONNECTIONS)
    }
    const slot = crypto.randomUUID()
    held.add(slot)
    this.slots.set(key, held)
    context.connectionSlot = slot
    // A connection that never gets established (document load failed) is released with its socket.
    context.socket?.onClosed(() => this.release(key, slot))
  }

  async onDisconnect({ context }: onDisconnectPayload<CollabContext>): Promise<void> {
    if (context.principal && context.connectionSlot)
      this.release(principalKey(context.principal), context.connectionSlot)
  }

  private release(key: string, slot: string): void {
    const held = this.slots.get(key)
    if (!held) return
    held.delete(slot)
    if (held.size === 0) this.slots.delete(key)
  }
}
