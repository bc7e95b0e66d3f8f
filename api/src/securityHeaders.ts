import type { ServerResponse } from 'node:http'

/** A year: browsers remember to use https for this long after one https response. */
const HSTS = 'max-age=31536000'

/** What the browser app's pages may load and connect to, besides their own origin. */
export interface PagePolicySources {
  /** The collab WebSocket origin (`wss://collab.example.com`). */
  collab: string | null
  /** The storage origin presigned uploads go to (S3, MinIO, s3rver). */
  storage: string | null
}

/**
 * The Content-Security-Policy of the client pages. Scripts only from our own files (the Vite build emits no inline
 * script); connections to the api itself, the collab server and storage; media from /media and the `blob:` URLs
 * hls.js gives the player through MediaSource (its ESM build transmuxes on the main thread: no worker). Images
 * (sprite sheets) come from /media only. Inline styles stay allowed: Tiptap injects its stylesheet and
 * Solid and ProseMirror set style attributes; CSS cannot run code, so this gives an injection far less than a
 * script would. No plugins, no framing by other sites, no <base> or form posts elsewhere.
 */
export function pageContentSecurityPolicy(sources: PagePolicySources): string {
  const connect = ["'self'", sources.collab, sources.storage].filter((s): s is string => Boolean(s))
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self'",
    "media-src 'self' blob:",
    "font-src 'self'",
    `connect-src ${[...new Set(connect)].join(' ')}`,
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ')
}

/** For responses that are data, never a page: nothing may load, nothing may frame them. */
const DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"

function common(res: ServerResponse, https: boolean): void {
  res.setHeader('x-content-type-options', 'nosniff')
  res.setHeader('referrer-policy', 'strict-origin-when-cross-origin')
  // only over https: on plain http the header means nothing, and a proxy in front may not speak https at all
  if (https) res.setHeader('strict-transport-security', HSTS)
}

/** Headers of a client page (and its assets). */
export function setPageHeaders(res: ServerResponse, https: boolean, policy: string): void {
  common(res, https)
  res.setHeader('content-security-policy', policy)
  res.setHeader('x-frame-options', 'DENY')
}

/** Headers of an API answer (/trpc, /healthz): never cached, never rendered as a page. */
export function setApiHeaders(res: ServerResponse, https: boolean): void {
  common(res, https)
  res.setHeader('cache-control', 'no-store')
  res.setHeader('content-security-policy', DATA_POLICY)
}

/** Headers of media (/media): `cache-control` is the route's own (private, short). */
export function setMediaHeaders(res: ServerResponse, https: boolean): void {
  common(res, https)
}
