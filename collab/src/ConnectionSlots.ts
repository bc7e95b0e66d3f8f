/**
 * Where a principal's connection slots are counted. In memory for one instance; in Redis
 * (`RedisConnectionSlots`) when several instances serve the same people, so the limit holds across them.
 */
export interface ConnectionSlots {
  /** Takes one of `max` slots for `key`; resolves with the slot id, or null when all are taken. */
  acquire(key: string, max: number): Promise<string | null>
  /** Gives a slot back; releasing an unknown or already released slot does nothing. */
  release(key: string, slot: string): Promise<void>
  /** Slots currently counted for `key` (across instances for Redis). */
  count(key: string): Promise<number>
  /** Stops background work and gives back what this instance holds. */
  close(): Promise<void>
}

/** Slots of one instance, in memory. */
export class MemoryConnectionSlots implements ConnectionSlots {
  private readonly slots = new Map<string, Set<string>>()

  async acquire(key: string, max: number): Promise<string | null> {
    const held = this.slots.get(key) ?? new Set<string>()
    if (held.size >= max) return null
    const slot = crypto.randomUUID()
    held.add(slot)
    this.slots.set(key, held)
    return slot
  }

  async release(key: string, slot: string): Promise<void> {
    const held = this.slots.get(key)
    if (!held) return
    held.delete(slot)
    if (held.size === 0) this.slots.delete(key)
  }

  async count(key: string): Promise<number> {
    return this.slots.get(key)?.size ?? 0
  }

  async close(): Promise<void> {
    this.slots.clear()
  }
}
