import type * as Y from 'yjs'

export type RootKinds = Record<string, 'map' | 'array' | 'xml'>

/**
 * The document's content as JSON with object keys sorted, so equal content gives equal strings. Roots are read
 * by their declared kinds: a replica only lists a root in `doc.toJSON()` once something asked for it.
 */
export function canonicalJson(doc: Y.Doc, roots: RootKinds): string {
  const content: Record<string, unknown> = {}
  for (const [name, kind] of Object.entries(roots))
    content[name] =
      kind === 'map'
        ? doc.getMap(name).toJSON()
        : kind === 'array'
          ? doc.getArray(name).toJSON()
          : doc.getXmlFragment(name).toString()
  return JSON.stringify(content, (_key, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(
          Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : value,
  )
}
