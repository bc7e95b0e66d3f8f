import * as Y from 'yjs'

export type RootKind = 'map' | 'array' | 'text' | 'xml'

/**
 * Edits `target` until its content equals `source`'s, touching only what differs: map keys are set or deleted
 * one by one, arrays, texts and XML children keep their common prefix and suffix and replace the middle (element
 * by element when the lengths match, recursing into nested types of the same kind). Used to restore a version:
 * the result is an ordinary change on top of history, so it syncs live and can be undone.
 * Call it inside a transaction. Root kinds come from the document model when known, else from the content.
 */
export function makeContentEqual(target: Y.Doc, source: Y.Doc, roots: Record<string, RootKind> = {}): void {
  const names = new Set([...source.share.keys(), ...target.share.keys(), ...Object.keys(roots)])
  for (const name of names) {
    const kind = roots[name] ?? inferKind(source.share.get(name)) ?? inferKind(target.share.get(name))
    if (!kind) continue
    switch (kind) {
      case 'map':
        syncMap(target.getMap(name), source.getMap(name))
        break
      case 'array':
        syncArray(target.getArray(name), source.getArray(name))
        break
      case 'text':
        syncText(target.getText(name), source.getText(name))
        break
      case 'xml':
        syncXmlChildren(target.getXmlFragment(name), source.getXmlFragment(name))
        break
    }
  }
}

function inferKind(type: AnyType | undefined): RootKind | null {
  if (!type) return null
  if (type instanceof Y.XmlFragment) return 'xml'
  if (type instanceof Y.Text) return 'text'
  if (type instanceof Y.Map) return 'map'
  if (type instanceof Y.Array) return 'array'
  // A root nobody has asked for by type yet: judge by what it holds.
  if (type._map.size > 0) return 'map'
  for (let item = type._start; item; item = item.right) {
    if (item.deleted) continue
    const content = item.content
    if (content instanceof Y.ContentType)
      return content.type instanceof Y.XmlElement || content.type instanceof Y.XmlText ? 'xml' : 'array'
    if (content instanceof Y.ContentString || content instanceof Y.ContentFormat || content instanceof Y.ContentEmbed)
      return 'text'
    return 'array'
  }
  return null
}

type Value = unknown
// biome-ignore lint/suspicious/noExplicitAny: Yjs types are generic over their event type
type AnyType = Y.AbstractType<any>

function isType(v: Value): v is AnyType {
  return v instanceof Y.AbstractType
}

function sameKind(a: Value, b: Value): boolean {
  if (a instanceof Y.XmlElement && b instanceof Y.XmlElement) return a.nodeName === b.nodeName
  if (a instanceof Y.XmlText || b instanceof Y.XmlText) return a instanceof Y.XmlText && b instanceof Y.XmlText
  if (a instanceof Y.XmlElement || b instanceof Y.XmlElement) return false
  return (
    (a instanceof Y.Map && b instanceof Y.Map) ||
    (a instanceof Y.Array && b instanceof Y.Array) ||
    (a instanceof Y.Text && b instanceof Y.Text)
  )
}

function canonical(v: Value): string {
  if (v instanceof Y.XmlElement || v instanceof Y.XmlText || v instanceof Y.XmlFragment) return `xml:${v.toString()}`
  if (v instanceof Y.Text) return `text:${JSON.stringify(v.toDelta())}`
  if (isType(v)) return `${v.constructor.name}:${stable(v.toJSON())}`
  return `json:${stable(v)}`
}

function stable(v: unknown): string {
  if (v instanceof Uint8Array) return `bin:${Buffer.from(v).toString('base64')}`
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
      .join(',')}}`
  return JSON.stringify(v) ?? 'undefined'
}

function equal(a: Value, b: Value): boolean {
  if (isType(a) !== isType(b)) return false
  if (isType(a) && !sameKind(a, b)) return false
  return canonical(a) === canonical(b)
}

/** A detached copy of a value for inserting into `target`. */
function copy(v: Value): Value {
  return isType(v) ? (v as unknown as { clone(): Value }).clone() : v
}

function sync(t: AnyType, s: AnyType): void {
  if (t instanceof Y.XmlText && s instanceof Y.XmlText) syncText(t, s)
  else if (t instanceof Y.XmlElement && s instanceof Y.XmlElement) syncXmlElement(t, s)
  else if (t instanceof Y.Text && s instanceof Y.Text) syncText(t, s)
  else if (t instanceof Y.Map && s instanceof Y.Map) syncMap(t, s)
  else if (t instanceof Y.Array && s instanceof Y.Array) syncArray(t, s)
}

function syncMap(t: Y.Map<Value>, s: Y.Map<Value>): void {
  for (const key of [...t.keys()]) if (!s.has(key)) t.delete(key)
  for (const [key, sv] of s.entries()) {
    const tv = t.get(key)
    if (t.has(key) && equal(tv, sv)) continue
    if (isType(sv) && isType(tv) && sameKind(tv, sv)) sync(tv, sv)
    else t.set(key, copy(sv))
  }
}

/** Shared prefix and suffix lengths of two lists under `equal`. */
function commonEnds(a: Value[], b: Value[]): [number, number] {
  const max = Math.min(a.length, b.length)
  let p = 0
  while (p < max && equal(a[p], b[p])) p++
  let q = 0
  while (q < max - p && equal(a[a.length - 1 - q], b[b.length - 1 - q])) q++
  return [p, q]
}

/** Replaces the differing middle of a list-like type, recursing element-wise when the middles line up. */
function syncList(
  current: Value[],
  wanted: Value[],
  remove: (index: number, length: number) => void,
  insert: (index: number, values: Value[]) => void,
): void {
  const [p, q] = commonEnds(current, wanted)
  const currentMiddle = current.slice(p, current.length - q)
  const wantedMiddle = wanted.slice(p, wanted.length - q)
  if (currentMiddle.length === wantedMiddle.length) {
    for (let i = 0; i < wantedMiddle.length; i++) {
      const tv = currentMiddle[i]
      const sv = wantedMiddle[i]
      if (equal(tv, sv)) continue
      if (isType(tv) && isType(sv) && sameKind(tv, sv)) sync(tv, sv)
      else {
        remove(p + i, 1)
        insert(p + i, [copy(sv)])
      }
    }
    return
  }
  if (currentMiddle.length) remove(p, currentMiddle.length)
  if (wantedMiddle.length) insert(p, wantedMiddle.map(copy))
}

function syncArray(t: Y.Array<Value>, s: Y.Array<Value>): void {
  syncList(
    t.toArray(),
    s.toArray(),
    (i, n) => t.delete(i, n),
    (i, values) => t.insert(i, values),
  )
}

function syncText(t: Y.Text, s: Y.Text): void {
  const td = t.toDelta() as { insert: unknown; attributes?: object }[]
  const sd = s.toDelta() as { insert: unknown; attributes?: object }[]
  if (stable(td) === stable(sd)) return
  const plain = (d: { insert: unknown; attributes?: object }[]) =>
    d.every((op) => typeof op.insert === 'string' && !op.attributes)
  if (plain(td) && plain(sd)) {
    const a = t.toString()
    const b = s.toString()
    let p = 0
    while (p < Math.min(a.length, b.length) && a[p] === b[p]) p++
    let q = 0
    while (q < Math.min(a.length, b.length) - p && a[a.length - 1 - q] === b[b.length - 1 - q]) q++
    if (a.length - p - q > 0) t.delete(p, a.length - p - q)
    if (b.length - p - q > 0) t.insert(p, b.slice(p, b.length - q))
    return
  }
  // Formatted text: replace it whole, keeping marks exact.
  t.delete(0, t.length)
  t.applyDelta(sd)
}

function syncXmlElement(t: Y.XmlElement, s: Y.XmlElement): void {
  const ta = t.getAttributes()
  const sa = s.getAttributes()
  for (const key of Object.keys(ta)) if (!(key in sa)) t.removeAttribute(key)
  for (const [key, value] of Object.entries(sa))
    if (stable(ta[key]) !== stable(value)) t.setAttribute(key, value as string)
  syncXmlChildren(t, s)
}

function syncXmlChildren(t: Y.XmlFragment, s: Y.XmlFragment): void {
  syncList(
    t.toArray(),
    s.toArray(),
    (i, n) => t.delete(i, n),
    (i, values) => t.insert(i, values as (Y.XmlElement | Y.XmlText)[]),
  )
}
