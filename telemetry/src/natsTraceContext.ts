import { type Context, context, propagation, ROOT_CONTEXT } from '@opentelemetry/api'

/** What NATS message headers offer: `MsgHdrs` from @nats-io/nats-core satisfies it. */
export interface HeaderCarrier {
  get(key: string): string
  set(key: string, value: string): void
}

/** Writes the active trace context (`traceparent`, `tracestate`) into outgoing message headers. */
export function injectTraceContext(headers: HeaderCarrier, from: Context = context.active()): void {
  propagation.inject(from, headers, { set: (h, k, v) => h.set(k, v) })
}

/** The trace context a message carries, to parent the span that handles it; the root when it has none. */
export function extractTraceContext(headers: HeaderCarrier | undefined): Context {
  if (!headers) return ROOT_CONTEXT
  return propagation.extract(ROOT_CONTEXT, headers, {
    get: (h, k) => h.get(k) || undefined,
    keys: () => ['traceparent', 'tracestate'],
  })
}
