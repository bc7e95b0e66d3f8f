/** Params of `pattern` (`/projects/:projectId`) in `path`, or null when it does not match. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean)
  const have = path.split('/').filter(Boolean)
  if (want.length !== have.length) return null
  const params: Record<string, string> = {}
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!
    let h: string
    try {
      h = decodeURIComponent(have[i]!)
    } catch {
      return null
    }
    if (w.startsWith(':')) params[w.slice(1)] = h
    else if (w !== h) return null
  }
  return params
}
