import { createSignal } from 'solid-js'

/**
 * A small history router: the current path as a signal, `navigate()`, and same-origin link clicks handled
 * without a page load. Enough for a handful of routes; no nesting, no loaders.
 */
const [pathname, setPathname] = createSignal(window.location.pathname)
const [search, setSearch] = createSignal(window.location.search)
export { pathname, search }

export function navigate(to: string, options: { replace?: boolean } = {}) {
  const url = new URL(to, window.location.origin)
  if (options.replace) window.history.replaceState(null, '', url)
  else window.history.pushState(null, '', url)
  setPathname(url.pathname)
  setSearch(url.search)
  window.scrollTo(0, 0)
}

/** Params of `pattern` (`/projects/:projectId`) in `path`, or null when it does not match. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean)
  const have = path.split('/').filter(Boolean)
  if (want.length !== have.length) return null
  const params: Record<string, string> = {}
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!
    const h = decodeURIComponent(have[i]!)
    if (w.startsWith(':')) params[w.slice(1)] = h
    else if (w !== h) return null
  }
  return params
}

/** Starts listening to back/forward and to clicks on same-origin links; returns the stop function. */
export function startRouter(): () => void {
  const onPop = () => {
    setPathname(window.location.pathname)
    setSearch(window.location.search)
  }
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
    const a = (e.target as Element | null)?.closest?.('a')
    if (!a || a.target || a.hasAttribute('download') || !a.href) return
    const url = new URL(a.href)
    if (url.origin !== window.location.origin || url.pathname.startsWith('/trpc')) return
    e.preventDefault()
    if (url.pathname + url.search !== window.location.pathname + window.location.search)
      navigate(url.pathname + url.search)
  }
  window.addEventListener('popstate', onPop)
  document.addEventListener('click', onClick)
  return () => {
    window.removeEventListener('popstate', onPop)
    document.removeEventListener('click', onClick)
  }
}
