import { type AccessChangedEvent, AccessChangedEventSchema, accessChangedSubject } from '@cutroom/schema'
import type { ApiServices } from './services'

/**
 * Tells collab, after the database change has committed, whose open document connections to re-check (it closes
 * those that lost access). Best effort: the change is already in effect for every new connection, so a NATS
 * failure is logged and never fails the mutation.
 */
export function publishAccessChange(services: Pick<ApiServices, 'media' | 'log'>, event: AccessChangedEvent): void {
  const nc = services.media?.nc
  if (!nc) {
    services.log.debug({ event }, 'no NATS: open collab connections keep their access until they reconnect')
    return
  }
  try {
    const parsed = AccessChangedEventSchema.parse(event)
    nc.publish(accessChangedSubject(parsed), JSON.stringify(parsed))
  } catch (err) {
    services.log.warn({ err, event }, 'could not publish an access change; open collab connections keep it')
  }
}
