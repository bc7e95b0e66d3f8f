import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { LookupFunction } from 'node:net'
import { resolveTarget } from './publicAddress'

export interface SendResult {
  statusCode: number | null
  durationMs: number
  error: string | null
}

/**
 * One POST to a webhook URL. The host is resolved and checked first and the connection goes to that checked
 * address; redirects are not followed (a 3xx is a failed attempt), so neither can lead to a private address.
 * The response body is read and dropped, at most 64 KiB.
 */
export async function sendWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  opts: { timeoutMs: number; allowPrivate: boolean },
): Promise<SendResult> {
  const started = performance.now()
  const elapsed = () => Math.round(performance.now() - started)
  let target: URL
  try {
    target = new URL(url)
    if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error('not http(s)')
  } catch {
    return { statusCode: null, durationMs: elapsed(), error: 'The URL is not a valid http(s) URL.' }
  }
  let resolved: { address: string; family: 4 | 6 }
  try {
    resolved = await resolveTarget(target.hostname, opts.allowPrivate)
  } catch (err) {
    return { statusCode: null, durationMs: elapsed(), error: (err as Error).message.slice(0, 300) }
  }
  const pinned: LookupFunction = (_host, options, callback) => {
    if ((options as { all?: boolean }).all)
      (callback as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [resolved])
    else callback(null, resolved.address, resolved.family)
  }
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise<SendResult>((resolve) => {
    let settled = false
    const finish = (r: Omit<SendResult, 'durationMs'>) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve({ ...r, durationMs: elapsed() })
    }
    const req = request(
      target,
      {
        method: 'POST',
        lookup: pinned,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body).toString(),
          'user-agent': 'Cutroom-Webhooks/1',
        },
      },
      (res) => {
        let read = 0
        res.on('data', (chunk: Buffer) => {
          read += chunk.length
          if (read > 64 * 1024) res.destroy()
        })
        const done = () => finish({ statusCode: res.statusCode ?? null, error: null })
        res.on('end', done)
        res.on('close', done)
        res.on('error', done)
      },
    )
    const timer = setTimeout(() => {
      req.destroy()
      finish({ statusCode: null, error: `No response within ${opts.timeoutMs} ms.` })
    }, opts.timeoutMs)
    req.on('error', (err) =>
      finish({
        statusCode: null,
        error: `Could not connect: ${(err as NodeJS.ErrnoException).code ?? err.message}`.slice(0, 300),
      }),
    )
    req.end(body)
  })
}
