/** Tracing is free when off, and a collector that never answers does not slow the code being traced. */
import { createServer, type Socket } from 'node:net'
import { trace } from '@opentelemetry/api'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startTracing } from './startTracing'
import { withSpan } from './withSpan'

test('without an endpoint nothing starts: spans do not record', async () => {
  const tracing = startTracing({ serviceName: 'test', endpoint: undefined })
  assert.is(tracing.enabled, false)
  await withSpan('off', {}, async (span) => {
    assert.is(span.isRecording(), false)
    assert.is(trace.getActiveSpan(), undefined)
  })
  await tracing.shutdown()
})

test('an unreachable collector never slows traced work, and shutdown gives up in bounded time', async () => {
  // accepts connections and never answers: the worst collector there is
  const sockets: Socket[] = []
  const blackhole = createServer((s) => sockets.push(s))
  await new Promise<void>((r) => blackhole.listen(0, '127.0.0.1', r))
  const port = (blackhole.address() as { port: number }).port
  const tracing = startTracing({ serviceName: 'test', endpoint: `http://127.0.0.1:${port}` })
  try {
    assert.is(tracing.enabled, true)
    const started = performance.now()
    for (let i = 0; i < 2000; i++) {
      await withSpan('request', {}, async (span) => {
        assert.is(span.isRecording(), true)
        assert.is(trace.getActiveSpan(), span)
      })
      // let the batch processor's export timer fire while requests go on
      if (i % 200 === 0) await new Promise((r) => setTimeout(r, 50))
    }
    const perSpanMs = (performance.now() - started - 10 * 50) / 2000
    assert.ok(perSpanMs < 1, `${perSpanMs.toFixed(3)} ms per span`)
    const closing = performance.now()
    await tracing.shutdown()
    assert.ok(performance.now() - closing < 6000, 'shutdown is bounded by the export timeout')
  } finally {
    for (const s of sockets) s.destroy()
    blackhole.close()
  }
})

test.run()
