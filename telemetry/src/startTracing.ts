import { context, propagation, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'

export interface Tracing {
  /** True when spans are recorded and exported. */
  enabled: boolean
  /** Exports what is buffered and stops; spans after it are dropped. */
  shutdown(): Promise<void>
}

export interface TracingOptions {
  serviceName: string
  /** OTEL_EXPORTER_OTLP_ENDPOINT; tracing stays off (no SDK, no cost) without it. */
  endpoint?: string | undefined
}

/**
 * Starts the OpenTelemetry SDK for one process: spans go in batches over OTLP http/protobuf to
 * `<endpoint>/v1/traces`. Without an endpoint nothing is registered, so the API's no-op tracer stays in place and
 * `withSpan` costs a function call.
 */
export function startTracing(options: TracingOptions): Tracing {
  if (!options.endpoint) return { enabled: false, shutdown: async () => {} }
  const exporter = new OTLPTraceExporter({
    url: `${options.endpoint.replace(/\/$/, '')}/v1/traces`,
    // an unreachable collector must never slow requests: export is batched off the request path and bounded
    timeoutMillis: 2_000,
  })
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [
      new BatchSpanProcessor({ exporter, scheduledDelayMillis: 200, maxQueueSize: 4096, exportTimeoutMillis: 2_000 }),
    ],
  })
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  trace.setGlobalTracerProvider(provider)
  return {
    enabled: true,
    async shutdown() {
      await provider.shutdown().catch(() => {})
      trace.disable()
      propagation.disable()
      context.disable()
    },
  }
}
