import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'

/** One span as an OTLP collector receives it. */
export interface ReceivedSpan {
  service: string
  name: string
  traceId: string
  spanId: string
  /** Empty for a root span. */
  parentSpanId: string
  attributes: Record<string, string>
}

/**
 * A small OTLP/HTTP trace receiver of the documented shape: POST /v1/traces with an
 * `ExportTraceServiceRequest` in protobuf (opentelemetry-proto, trace/v1/trace.proto), answered 200 with an
 * empty response message. It decodes just the fields the tests read.
 */
export async function startOtlpReceiver() {
  const spans: ReceivedSpan[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') return res.writeHead(404).end()
      let body = Buffer.concat(chunks)
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body)
      try {
        spans.push(...decodeExportRequest(body))
      } catch {
        return res.writeHead(400).end()
      }
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}

type Field = { no: number; wire: number; value: bigint | Buffer }

/** Splits one protobuf message into its fields (wire types 0, 1, 2 and 5). */
function fields(buf: Buffer): Field[] {
  const out: Field[] = []
  let at = 0
  const varint = (): bigint => {
    let result = 0n
    let shift = 0n
    for (;;) {
      const b = buf[at++]
      if (b === undefined) throw new Error('truncated varint')
      result |= BigInt(b & 0x7f) << shift
      if (!(b & 0x80)) return result
      shift += 7n
    }
  }
  while (at < buf.length) {
    const key = Number(varint())
    const no = key >>> 3
    const wire = key & 7
    if (wire === 0) out.push({ no, wire, value: varint() })
    else if (wire === 1) {
      out.push({ no, wire, value: buf.subarray(at, at + 8) })
      at += 8
    } else if (wire === 2) {
      const len = Number(varint())
      out.push({ no, wire, value: buf.subarray(at, at + len) })
      at += len
    } else if (wire === 5) {
      out.push({ no, wire, value: buf.subarray(at, at + 4) })
      at += 4
    } else throw new Error(`unsupported wire type ${wire}`)
  }
  return out
}

const bytesOf = (fs: Field[], no: number): Buffer[] =>
  fs.filter((f) => f.no === no && f.wire === 2).map((f) => f.value as Buffer)

/** KeyValue { string key = 1; AnyValue value = 2 } with AnyValue { string string_value = 1; ... int_value = 3 }. */
function attributesOf(list: Buffer[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const kv of list) {
    const f = fields(kv)
    const key = bytesOf(f, 1)[0]?.toString('utf8') ?? ''
    const any = bytesOf(f, 2)[0]
    if (!any) continue
    const v = fields(any)
    const str = bytesOf(v, 1)[0]
    const int = v.find((x) => x.no === 3 && x.wire === 0)
    out[key] = str ? str.toString('utf8') : int ? String(int.value) : ''
  }
  return out
}

function decodeExportRequest(body: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = []
  // ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1 }
  for (const rs of bytesOf(fields(body), 1)) {
    const rsf = fields(rs)
    // ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2 }; Resource { attributes = 1 }
    const resource = bytesOf(rsf, 1)[0]
    const service = resource ? (attributesOf(bytesOf(fields(resource), 1))['service.name'] ?? '') : ''
    for (const ss of bytesOf(rsf, 2)) {
      // ScopeSpans { scope = 1; repeated Span spans = 2 }
      for (const s of bytesOf(fields(ss), 2)) {
        // Span { trace_id = 1; span_id = 2; parent_span_id = 4; name = 5; attributes = 9 }
        const f = fields(s)
        spans.push({
          service,
          traceId: bytesOf(f, 1)[0]?.toString('hex') ?? '',
          spanId: bytesOf(f, 2)[0]?.toString('hex') ?? '',
          parentSpanId: bytesOf(f, 4)[0]?.toString('hex') ?? '',
          name: bytesOf(f, 5)[0]?.toString('utf8') ?? '',
          attributes: attributesOf(bytesOf(f, 9)),
        })
      }
    }
  }
  return spans
}
