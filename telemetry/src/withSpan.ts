import { type Attributes, type Context, context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'

const tracer = () => trace.getTracer('cutroom')

export interface SpanOptions {
  kind?: SpanKind
  attributes?: Attributes
  /** The parent, e.g. taken from a NATS message's headers; the active context when unset. */
  parent?: Context
}

/** Runs `fn` inside a new span that ends when it settles; a throw marks the span as an error and is rethrown. */
export async function withSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent ?? context.active()
  const span = tracer().startSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
    parent,
  )
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span))
  } catch (err) {
    span.recordException(err as Error)
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message })
    throw err
  } finally {
    span.end()
  }
}

export { SpanKind }
