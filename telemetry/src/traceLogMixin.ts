import { trace } from '@opentelemetry/api'

/** A pino `mixin`: every log line written inside a span carries `traceId` and `spanId`. */
export function traceLogMixin(): Record<string, string> {
  const span = trace.getActiveSpan()
  if (!span) return {}
  const { traceId, spanId } = span.spanContext()
  return { traceId, spanId }
}
