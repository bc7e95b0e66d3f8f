import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { ConnectionSlots } from './ConnectionSlots'

export interface RedisConnectionSlotsOptions {
  redis: Redis
  /** Key prefix; a principal's slots live in the sorted set `<prefix>:slots:<principal key>`. */
  prefix: string
  /** A slot not refreshed for this long is gone: how long a killed instance's connections keep counting. */
  ttlMs: number
  log?: Logger
}

// Both scripts read the clock of Redis, so instances with skewed clocks agree on what has expired.
// KEYS[1] the principal's set; ARGV: max, slot member, ttl ms. Drops expired members, then adds one if room.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1`
// KEYS[1] the principal's set; ARGV: ttl ms, members... Pushes the expiry of members still present.
const REFRESH = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1`
const COUNT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')`

/**
 * Connection slots shared by every instance on one Redis: a sorted set per principal whose members are slot ids
 * scored by their expiry. Each instance refreshes the expiry of the slots it holds every third of the TTL and
 * removes them on disconnect; the slots of an instance that died stop being refreshed and lapse after the TTL.
 */
export class RedisConnectionSlots implements ConnectionSlots {
  private readonly held = new Map<string, Set<string>>()
  private readonly timer: ReturnType<typeof setInterval>
  private readonly instance = crypto.randomUUID()

  constructor(private readonly options: RedisConnectionSlotsOptions) {
    this.timer = setInterval(() => void this.refresh(), Math.max(100, Math.floor(options.ttlMs / 3)))
    this.timer.unref()
  }

  private keyOf(principal: string): string {
    return `${this.options.prefix}:slots:${principal}`
  }

  async acquire(key: string, max: number): Promise<string | null> {
    const slot = `${this.instance}:${crypto.randomUUID()}`
    const ok = await this.options.redis.eval(ACQUIRE, 1, this.keyOf(key), max, slot, this.options.ttlMs)
    if (ok !== 1) return null
    const held = this.held.get(key) ?? new Set<string>()
    held.add(slot)
    this.held.set(key, held)
    return slot
  }

  async release(key: string, slot: string): Promise<void> {
    const held = this.held.get(key)
    if (!held?.delete(slot)) return
    if (held.size === 0) this.held.delete(key)
    try {
      await this.options.redis.zrem(this.keyOf(key), slot)
    } catch (err) {
      // The slot lapses after the TTL anyway, since it is no longer refreshed.
      this.options.log?.warn({ err }, 'could not release a connection slot in Redis')
    }
  }

  async count(key: string): Promise<number> {
    return Number(await this.options.redis.eval(COUNT, 1, this.keyOf(key)))
  }

  /** The heartbeat: pushes the expiry of every slot this instance holds. */
  private async refresh(): Promise<void> {
    if (this.held.size === 0) return
    const pipeline = this.options.redis.pipeline()
    for (const [key, slots] of this.held) pipeline.eval(REFRESH, 1, this.keyOf(key), this.options.ttlMs, ...slots)
    try {
      await pipeline.exec()
    } catch (err) {
      this.options.log?.warn({ err }, 'could not refresh connection slots in Redis')
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    const pipeline = this.options.redis.pipeline()
    for (const [key, slots] of this.held) pipeline.zrem(this.keyOf(key), ...slots)
    this.held.clear()
    try {
      await pipeline.exec()
    } catch (err) {
      this.options.log?.warn({ err }, 'could not release connection slots in Redis on shutdown')
    }
  }
}
