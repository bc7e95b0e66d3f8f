/** The start of a script's text as messages quote it: whitespace collapsed, at most 40 characters, in quotes. */
export function excerpt(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim()
  return `"${t.length > 40 ? `${t.slice(0, 40)}…` : t}"`
}
