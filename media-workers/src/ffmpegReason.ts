import path from 'node:path'

const REASON_LINES = 3

/** stderr lines that describe the run rather than what went wrong. */
const NOISE = [
  /^(?:ffmpeg|ffprobe) version /,
  /^(?:Input|Output) #\d/,
  /^Stream mapping:/,
  /^Press \[q\]/,
  /^(?:frame|size)=/,
  /^video:\d+\S* audio:/,
  /^Conversion failed!?$/,
  /^Last message repeated/,
  /^(?:ffmpeg|ffprobe) exited with code \d+:?$/,
]
const TROUBLE =
  /error|invalid|not found|fail|unable|cannot|could not|no such|denied|refused|unsupported|corrupt|truncat|partial file|returned \d{3}|empty|unknown|not supported|does not contain/i

/**
 * Why ffmpeg or ffprobe failed, from its stderr: the last few meaningful lines, with the `[demuxer @ 0x...]`
 * prefixes taken off and each of `files` (inputs and outputs, e.g. a presigned source URL or a scratch path)
 * named by its file name only, so the reason ("x.mp4: Invalid data found when processing input") survives
 * and no URL, signature or local path does.
 */
export function ffmpegReason(stderr: string | string[], files: readonly string[] = []): string {
  const raw = Array.isArray(stderr) ? stderr : stderr.split(/\r?\n/)
  // longest first, so a file never loses only part of its name to a shorter one that it contains
  const named = [...new Set(files.filter((f) => f.length > 0))].sort((a, b) => b.length - a.length)
  const meaningful: string[] = []
  for (const line of raw) {
    // indented lines are ffmpeg's descriptions of streams and build options
    if (!line.trim() || /^\s/.test(line)) continue
    let text = line
    for (const file of named) text = text.split(file).join(fileLabel(file))
    text = text.replace(/^(?:\[[^\]]*@ ?0x[0-9a-f]+\]\s*)+/i, '').trim()
    if (!text || NOISE.some((n) => n.test(text))) continue
    meaningful.push(text)
  }
  const troubled = meaningful.filter((l) => TROUBLE.test(l))
  const chosen = lastDistinct(troubled.length ? troubled : meaningful, REASON_LINES)
  return chosen.join('; ')
}

/** The name a person knows a file by: the last path segment of a URL or a local path. */
export function fileLabel(file: string): string {
  let p = file
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file)) {
    try {
      p = decodeURIComponent(new URL(file).pathname)
    } catch {
      p = file.split(/[?#]/)[0] ?? ''
    }
  }
  return path.posix.basename(p) || 'the file'
}

function lastDistinct(lines: string[], n: number): string[] {
  const out: string[] = []
  for (let i = lines.length - 1; i >= 0 && out.length < n; i--) {
    if (!out.includes(lines[i]!)) out.unshift(lines[i]!)
  }
  return out
}
