import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

/**
 * Checks the built client (client/dist, built by `npm test`'s bootstrap when the sources change):
 * - no chunk carries a server-only module (Node built-ins, database, queue, storage or media code, the
 *   schema's tables, migrations and server configuration);
 * - the sign-in page (index.html's entry and what it preloads) stays under 150 kB of gzipped JavaScript;
 * - the editors are chunks of their own, loaded only by the pages that use them.
 */

const DIST = path.resolve(import.meta.dirname, '../dist')
const ASSETS = path.join(DIST, 'assets')
const SIGN_IN_BUDGET = 150 * 1024

/** Module paths (as a source map names them) that must never reach a browser. */
const SERVER_ONLY: readonly [RegExp, string][] = [
  [
    /^node:|\/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?(?:fs|path|url|os|crypto|child_process)\//,
    'a Node built-in',
  ],
  [/\/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?drizzle-orm\//, 'drizzle-orm'],
  [/\/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?(?:postgres|pg|@electric-sql\/pglite)\//, 'a Postgres driver'],
  [/\/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?@aws-sdk\//, 'the S3 client'],
  [/\/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?(?:@nats-io|nats)\//, 'the NATS client'],
  [/\/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?(?:ioredis|redis)\//, 'the Redis client'],
  [/\/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?(?:onnxruntime-node|fluent-ffmpeg)\//, 'media worker code'],
  [/\/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?@hocuspocus\/server\//, 'the collab server'],
  [/\/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?@oslojs\/crypto\//, 'server-side hashing'],
  [/(?:^|\/)schema\/src\/(?:db\/|migrations|config\/loadConfig|tokens)/, "the schema's server-only modules"],
  [/(?:^|\/)(?:api|collab|media-workers|infra)\/src\//, 'a server package'],
]

function built(): { chunks: string[]; html: string } {
  if (!existsSync(path.join(DIST, 'index.html')))
    throw new Error('client/dist is missing: build the client (cd client && pnpm exec vite build)')
  return {
    chunks: readdirSync(ASSETS).filter((f) => f.endsWith('.js')),
    html: readFileSync(path.join(DIST, 'index.html'), 'utf8'),
  }
}

function sourcesOf(chunk: string): string[] {
  const map = path.join(ASSETS, `${chunk}.map`)
  if (!existsSync(map)) return []
  return (JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] }).sources
}

function gzipBytes(chunk: string): number {
  return gzipSync(readFileSync(path.join(ASSETS, chunk)), { level: 9 }).length
}

test('no client chunk carries a server-only module', () => {
  const { chunks } = built()
  assert.ok(chunks.length > 0)
  const found: string[] = []
  for (const chunk of chunks) {
    const sources = sourcesOf(chunk)
    // bundler helpers of a few hundred bytes come without a map; everything else must have one to be checked
    const size = readFileSync(path.join(ASSETS, chunk)).length
    assert.ok(sources.length > 0 || size < 4096, `${chunk} has no source map to check`)
    for (const source of sources)
      for (const [pattern, what] of SERVER_ONLY) if (pattern.test(source)) found.push(`${chunk}: ${what} (${source})`)
    const code = readFileSync(path.join(ASSETS, chunk), 'utf8')
    if (/\bfrom\s*["']node:|import\(\s*["']node:|require\(\s*["']node:/.test(code))
      found.push(`${chunk}: imports node:*`)
  }
  assert.equal(found, [], `server-only code in the client:\n${found.join('\n')}`)
})

test('the sign-in page loads under 150 kB of gzipped JavaScript', () => {
  const { html } = built()
  const initial = [...html.matchAll(/(?:src|href)="\/assets\/([^"]+\.js)"/g)].map((m) => m[1]!)
  assert.ok(initial.length > 0, 'index.html names no script')
  const total = initial.reduce((sum, chunk) => sum + gzipBytes(chunk), 0)
  assert.ok(total < SIGN_IN_BUDGET, `sign-in loads ${(total / 1024).toFixed(1)} kB gzip (${initial.join(', ')})`)
})

test('editors, media playback and Yjs are not in the first load', () => {
  const { html, chunks } = built()
  const initial = new Set([...html.matchAll(/(?:src|href)="\/assets\/([^"]+\.js)"/g)].map((m) => m[1]!))
  const heavy = ['@tiptap/core', 'prosemirror-view', 'hls.js', 'yjs', '@hocuspocus/provider']
  for (const chunk of initial) {
    const sources = sourcesOf(chunk)
    for (const name of heavy)
      assert.not.ok(
        sources.some((s) => s.includes(`/node_modules/${name}/`) || s.includes(`/${name}@`)),
        `${name} is in the first load (${chunk})`,
      )
  }
  // each editor is its own chunk
  for (const editor of ['TimelineEditor', 'TranscriptEditor', 'RetellEditor'])
    assert.ok(
      chunks.some((c) => sourcesOf(c).some((s) => s.endsWith(`workspace/${editor}.tsx`)) && !initial.has(c)),
      `${editor} is not split out`,
    )
})

test.run()
