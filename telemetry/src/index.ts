export { extractTraceContext, type HeaderCarrier, injectTraceContext } from './natsTraceContext'
export { startTracing, type Tracing, type TracingOptions } from './startTracing'
export { traceLogMixin } from './traceLogMixin'
export { type SpanOptions, SpanKind, withSpan } from './withSpan'
