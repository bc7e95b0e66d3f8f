import type { IncomingHttpHeaders } from 'node:http'
import type { WebOriginEnv } from '@cutroom/schema'

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v[0] : v
}

/** A host name or IP literal with an optional port; anything else in Host is not an origin of ours. */
const HOST = /^(?:[a-z0-9.-]{1,253}|\[[0-9a-f:.]{2,45}\])(?::\d{1,5})?$/i

/**
 * The api's own origin for this request: the Host it was sent to, over http or https. A browser page served by
 * this api (or through a proxy that keeps the Host, like the Vite dev server) sends exactly this as its Origin.
 */
export function requestOrigin(headers: IncomingHttpHeaders, https: boolean): string | null {
  const host = header(headers, 'host')
  if (!host || !HOST.test(host)) return null
  try {
    return new URL(`${https ? 'https' : 'http'}://${host}`).origin
  } catch {
    return null
  }
}

/**
 * Where a state-changing browser request came from when that is not one of `allowed` (cross-site request
 * forgery), or null when it may proceed. The rule follows Go's net/http CrossOriginProtection: an `Origin` must be
 * allowed; without Origin, `Sec-Fetch-Site` must be `same-origin` or `none` (typed in the address bar); a request
 * with neither header did not come from a current browser, which is what CSRF needs, and proceeds.
 */
export function crossSiteSource(headers: IncomingHttpHeaders, allowed: readonly string[]): string | null {
  const origin = header(headers, 'origin')
  // named by its host alone: what reaches a person never carries a URL
  if (origin !== undefined) return allowed.includes(origin) ? null : `a page of ${hostOf(origin)}`
  const site = header(headers, 'sec-fetch-site')
  if (site === undefined || site === 'same-origin' || site === 'none') return null
  return `a ${site.slice(0, 20)} page`
}

function hostOf(origin: string): string {
  try {
    return new URL(origin).host.slice(0, 200) || 'another site'
  } catch {
    return 'another site'
  }
}

/** The origins the app is configured to be served from: PUBLIC_URL's and ALLOWED_ORIGINS. */
export function configuredOrigins(config: Pick<WebOriginEnv, 'PUBLIC_URL' | 'ALLOWED_ORIGINS'>): string[] {
  return [...(config.PUBLIC_URL ? [new URL(config.PUBLIC_URL).origin] : []), ...config.ALLOWED_ORIGINS]
}
