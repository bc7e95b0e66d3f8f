import { createSignal } from 'solid-js'

export { matchPath } from './matchPath'

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
