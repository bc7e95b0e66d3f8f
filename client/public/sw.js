// Lets a document tab be reloaded without a network: the app shell and the few queries a document page needs are
// answered from a cache when the network fails. Network first, so online behaviour is unchanged; the document
// itself comes from IndexedDB (y-indexeddb), not from here.
const SHELL = 'cutroom-shell-v1'
const API = 'cutroom-api-v1'
// Queries the app shell and a document page make on load; every one in a batch must be in this list.
const OFFLINE_QUERIES = new Set([
  'auth.me',
  'orgs.list',
  'system.config',
  'documents.get',
  'documents.list',
  'projects.get',
  'assets.list',
  'assets.get',
  // the transcript's Transcribe bar looks for a running job of its asset
  'jobs.list',
])

self.addEventListener('install', () => self.skipWaiting())
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()))

function cacheFor(request) {
  if (request.method !== 'GET') return null
  const url = new URL(request.url)
  if (url.origin !== self.location.origin) return null
  if (request.mode === 'navigate' || url.pathname.startsWith('/assets/')) return SHELL
  if (url.pathname.startsWith('/trpc/')) {
    const names = decodeURIComponent(url.pathname.slice('/trpc/'.length)).split(',')
    if (names.length > 0 && names.every((n) => OFFLINE_QUERIES.has(n))) return API
  }
  return null
}

/**
 * tRPC batches whatever queries start together, so the same page load can group them differently each time. Each
 * query's answer is kept on its own (procedure + its input) and an offline batch is put together from them.
 */
function batchItems(url) {
  const names = decodeURIComponent(url.pathname.slice('/trpc/'.length)).split(',')
  const batched = url.searchParams.get('batch') === '1'
  let inputs = {}
  try {
    inputs = JSON.parse(url.searchParams.get('input') ?? '{}') ?? {}
  } catch {
    inputs = {}
  }
  return names.map((name, i) => {
    const input = batched ? inputs[i] : inputs
    return { key: `/trpc-item/${name}?input=${encodeURIComponent(JSON.stringify(input ?? null))}`, batched }
  })
}

async function apiAnswer(request) {
  const cache = await caches.open(API)
  const url = new URL(request.url)
  const items = batchItems(url)
  try {
    const response = await fetch(request)
    // Answers that are errors (a missing asset) are kept too: offline they are replayed as they were.
    if (response.headers.get('content-type')?.includes('application/json')) {
      const body = await response.clone().json()
      const parts = items[0]?.batched ? body : [body]
      await Promise.all(
        items.map((item, i) =>
          parts[i]
            ? cache.put(
                item.key,
                new Response(JSON.stringify(parts[i]), { headers: { 'content-type': 'application/json' } }),
              )
            : null,
        ),
      )
    }
    return response
  } catch (err) {
    const parts = []
    for (const item of items) {
      const hit = await cache.match(item.key)
      if (!hit) throw err
      parts.push(await hit.json())
    }
    const body = items[0]?.batched ? parts : parts[0]
    const failed = parts.some((p) => p && p.error)
    const status = failed ? (items[0]?.batched ? 207 : 500) : 200
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
  }
}

self.addEventListener('fetch', (event) => {
  const name = cacheFor(event.request)
  if (!name) return
  if (name === API) {
    event.respondWith(apiAnswer(event.request))
    return
  }
  event.respondWith(
    (async () => {
      const cache = await caches.open(name)
      // Every page of the single-page app is index.html: one entry serves any path offline.
      const key = event.request.mode === 'navigate' ? '/index.html' : event.request
      try {
        const response = await fetch(event.request)
        if (response.ok) await cache.put(key, response.clone())
        return response
      } catch (err) {
        const cached = await cache.match(key)
        if (cached) return cached
        throw err
      }
    })(),
  )
})

// The page asks to forget cached answers when its person signs out.
self.addEventListener('message', (event) => {
  if (event.data?.type === 'signed-out') event.waitUntil(caches.delete(API))
})
