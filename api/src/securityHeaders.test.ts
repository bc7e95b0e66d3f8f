import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startMediaTestApi } from './media/startMediaTestApi'
import { startTestApiServer, type TestApiServer } from './testing'

/** The headers browsers get from the api: the client pages' Content-Security-Policy and the rest, over HTTP. */

const dist = mkdtempSync(path.join(tmpdir(), 'cutroom-dist-'))
writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>Cutroom</title><div id="root"></div>')

let plain: TestApiServer
let proxied: TestApiServer

test.before(async () => {
  ;[plain, proxied] = await Promise.all([
    startTestApiServer({ CLIENT_DIST: dist, COLLAB_PUBLIC_URL: 'wss://collab.example.com/' }),
    startTestApiServer({ CLIENT_DIST: dist, API_TRUST_PROXY: 'true' }),
  ])
})
test.after(async () => {
  await Promise.all([plain?.close(), proxied?.close()])
  rmSync(dist, { recursive: true, force: true })
})

/** A raw request, so Host and the forwarding headers are exactly what a proxy or a browser would send. */
function get(base: string, pathname: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
    const req = request(`${base}${pathname}`, { headers }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }))
    })
    req.on('error', reject)
    req.end()
  })
}

function directives(csp: unknown): Map<string, string[]> {
  assert.type(csp, 'string')
  return new Map(
    (csp as string).split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/)
      return [name!, values] as const
    }),
  )
}

test('client pages carry a CSP with no inline script, framing refused, and the hardening headers', async () => {
  for (const pathname of ['/', '/projects/x/docs/y', '/index.html']) {
    const res = await get(plain.url, pathname)
    assert.is(res.status, 200, pathname)
    const csp = directives(res.headers['content-security-policy'])
    assert.equal(csp.get('script-src'), ["'self'"], 'scripts only from our files')
    assert.equal(csp.get('object-src'), ["'none'"])
    assert.equal(csp.get('frame-ancestors'), ["'none'"])
    assert.equal(csp.get('base-uri'), ["'self'"])
    assert.equal(csp.get('form-action'), ["'self'"])
    assert.equal(csp.get('default-src'), ["'self'"])
    assert.equal(csp.get('media-src'), ["'self'", 'blob:'], 'HLS through MediaSource plays from blob: URLs')
    assert.equal(csp.get('connect-src'), ["'self'", 'wss://collab.example.com'], 'the api and the collab server')
    assert.is(res.headers['x-frame-options'], 'DENY')
    assert.is(res.headers['x-content-type-options'], 'nosniff')
    assert.is(res.headers['referrer-policy'], 'strict-origin-when-cross-origin')
    assert.is(res.headers['strict-transport-security'], undefined, 'never HSTS over plain http')
  }
})

test('without COLLAB_PUBLIC_URL the page may connect where the client falls back to: ws://<page host>:4001', async () => {
  const res = await get(proxied.url, '/', { host: 'studio.local:8080' })
  assert.equal(directives(res.headers['content-security-policy']).get('connect-src'), [
    "'self'",
    'ws://studio.local:4001',
  ])
})

test('HSTS only when the request came over https: through a trusted proxy, never on a claim without one', async () => {
  const viaProxy = await get(proxied.url, '/', { 'x-forwarded-proto': 'https' })
  assert.is(viaProxy.headers['strict-transport-security'], 'max-age=31536000')
  // the proxy's own entry is the last one; a client's earlier claim does not count
  const downgraded = await get(proxied.url, '/', { 'x-forwarded-proto': 'https, http' })
  assert.is(downgraded.headers['strict-transport-security'], undefined)
  const plainHttp = await get(proxied.url, '/')
  assert.is(plainHttp.headers['strict-transport-security'], undefined)
  const untrusted = await get(plain.url, '/', { 'x-forwarded-proto': 'https' })
  assert.is(
    untrusted.headers['strict-transport-security'],
    undefined,
    'X-Forwarded-Proto is ignored without API_TRUST_PROXY',
  )
  const api = await get(proxied.url, '/trpc/system.ping', { 'x-forwarded-proto': 'https' })
  assert.is(api.headers['strict-transport-security'], 'max-age=31536000', 'on API answers too')
})

test('API answers are never cached nor sniffed, and render nothing if opened as a page', async () => {
  for (const pathname of ['/trpc/system.ping', '/trpc/auth.me', '/trpc/no.such', '/healthz']) {
    const res = await get(plain.url, pathname)
    assert.is(res.headers['cache-control'], 'no-store', pathname)
    assert.is(res.headers['x-content-type-options'], 'nosniff', pathname)
    assert.is(res.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'", pathname)
    assert.is(res.headers['x-frame-options'], undefined, pathname)
  }
})

test('with the media pipeline, pages may connect to the storage origin that presigned uploads go to', async () => {
  const media = await startMediaTestApi({ CLIENT_DIST: dist })
  try {
    const res = await get(media.url, '/')
    const connect = directives(res.headers['content-security-policy']).get('connect-src')!
    const storage = new URL(media.s3.env.S3_ENDPOINT!).origin
    const host = new URL(media.url).hostname
    assert.equal(connect, ["'self'", `ws://${host}:4001`, storage])
    const file = await get(media.url, '/media/00000000-0000-4000-8000-000000000000/master.m3u8')
    assert.is(file.status, 401)
    assert.is(file.headers['x-content-type-options'], 'nosniff')
  } finally {
    await media.close()
  }
})

test.run()
