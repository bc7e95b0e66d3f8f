/** EDL comments are one line of plain ASCII: accents folded, other characters and line breaks become spaces. */
export function edlText(s: string, max: number): string {
  return (
    s
      .normalize('NFKD')
      .replace(/[^\x20-\x7e]+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, max) || '-'
  )
}

/** CMX3600 numbers events 001..999. */
export const MAX_EDL_EVENTS = 999

/** The two header lines of a CMX3600 list and the blank line after them: `TITLE:` and the frame count mode. */
export function edlHeader(title: string, dropFrame: boolean): string[] {
  return [`TITLE: ${edlText(title, 70)}`, `FCM: ${dropFrame ? 'DROP FRAME' : 'NON-DROP FRAME'}`, '']
}
