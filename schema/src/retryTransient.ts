/**
 * Whether a NATS or JetStream error is one that goes away by itself: the server is reconnecting, a stream is
 * electing a new leader after a node died ("no responders", 503), or a request timed out. Publishing again with the
 * same message id is then safe (the stream stores one copy within its duplicate window).
 */
export function isTransientNatsError(err: unknown): boolean {
  const e = err as { name?: string; message?: string; code?: unknown } | null
  const text = `${e?.name ?? ''} ${e?.message ?? ''} ${e?.code ?? ''}`
  return /no responders|503|timeout|timed out|disconnect|connection closed|reconnect|JetStreamNotEnabled|not enabled|no suitable peers|leader/i.test(
    text,
  )
}

export interface RetryTransientOptions {
  /** Give up (rethrow the last error) once this long has passed since the first attempt. */
  budgetMs: number
  /** Which errors are worth another attempt; others are rethrown at once. */
  retryable?: (err: unknown) => boolean
  /** First delay; doubles up to `maxDelayMs`. */
  delayMs?: number
  maxDelayMs?: number
  /** Stops retrying (rethrows) once aborted. */
  signal?: AbortSignal
  /** Told about each failed attempt that will be retried. */
  onRetry?: (err: unknown, attempt: number) => void
}

/** Runs `attempt` until it succeeds, fails with an error that is not retryable, or the budget is spent. */
export async function retryTransient<T>(attempt: () => Promise<T>, options: RetryTransientOptions): Promise<T> {
  const { budgetMs, retryable = isTransientNatsError, delayMs = 100, maxDelayMs = 2000, signal, onRetry } = options
  const deadline = Date.now() + budgetMs
  let delay = delayMs
  for (let n = 1; ; n++) {
    try {
      return await attempt()
    } catch (err) {
      if (!retryable(err) || signal?.aborted || Date.now() + delay > deadline) throw err
      onRetry?.(err, n)
      await new Promise((r) => setTimeout(r, delay))
      delay = Math.min(maxDelayMs, delay * 2)
    }
  }
}
