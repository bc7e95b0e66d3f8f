/** The longest message `scrubMessage` returns unless told otherwise. */
export const SCRUBBED_MESSAGE_MAX_LENGTH = 600

export interface ScrubOptions {
  /** Longest result, in characters; longer text is cut and ends with "…". */
  maxLength?: number
  /** Exact strings to remove wherever they appear (configured secrets, bucket names); shorter than 3 are ignored. */
  redact?: readonly (string | undefined)[]
}

const REDACTED = '[redacted]'

/** `    at fn (/work/x.ts:1:2)`, `    at async Promise.all (index 0)`, `    at node:internal/...`. */
const STACK_FRAME =
  /^\s*at\s.*(?:\(.*:\d+(?::\d+)?\)|:\d+:\d+|\((?:native|index \d+|<anonymous>)\)|<anonymous>|node:[\w/]+(?::\d+)*\)?)\s*$/
const STACK_ELLIPSIS = /^\s*\.\.\.\s*\d+\s+(?:more|lines matching)/
/** scheme://anything up to white space or a quote; trailing punctuation is given back afterwards. */
const URL = /\b[a-z][a-z0-9+.-]{1,15}:\/\/[^\s'"<>`]+/gi
const FILE_NAME = /^[^/\\?#]{1,120}\.[A-Za-z0-9]{1,8}$/
/** Query parameters that carry signatures or credentials, with or without the URL around them. */
const SIGNED_PARAM =
  /[?&]?\b(?:X-Amz-[A-Za-z-]+|X-Goog-[A-Za-z-]+|AWSAccessKeyId|Signature|Expires|Policy|Key-Pair-Id|sig|se|sp|sv|st|sr|access_token|api_key|apikey|token)=[^\s&'"]*/g
const API_KEY = /\bcrk_[A-Za-z0-9]+(?:_[A-Za-z0-9]+)?/g
const WEBHOOK_SECRET = /\bwhsec_[A-Za-z0-9+/=_-]+/g
const STRIPE_KEY = /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]+/g
const AUTH_HEADER = /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{6,}/gi
/** AWS access key ids by their documented prefixes, and s3rver's well-known default. */
const AWS_KEY_ID = /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA|ABIA|ACCA)[A-Z0-9]{12,}\b|\bS3RVER\b/g
/** `secret: xyz`, `password=xyz`, `"sessionToken":"xyz"`. */
const NAMED_SECRET =
  /\b((?:secret(?:AccessKey)?|secret_access_key|password|passwd|session[_-]?token|sessionToken|access[_-]?key(?:[_-]?id)?|accessKeyId|api[_-]?key|credentials?|authorization|cookie)["']?\s*[:=]\s*)(?!(?:Bearer|Basic|Token)\s)("[^"]*"|'[^']*'|[^\s,;)}]+)/gi
/** An absolute path of two or more segments, after a boundary (start, space, quote, bracket, = or :). */
const ABSOLUTE_PATH = /(^|[\s'"(=:[,])((?:\/[\w.@+%~-]+){2,}\/?)/g
const NODE_MODULES_PATH = /\S*node_modules\/\S*/g
/** Storage keys: `orgs/<org>/projects/...`. */
const STORAGE_KEY = /\borgs\/[\w-]+(?:\/[\w.@%+-]+)+/g
const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b/g
const LOCALHOST = /\blocalhost:\d{1,5}\b/gi
const TOKEN_CANDIDATE = /[A-Za-z0-9+/=_-]{24,}/g
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi

/**
 * Makes an error message safe to show to a person or an API client: removes URLs (keeping the file name they
 * point at), presigned query strings, keys and tokens, internal file paths, addresses and stack traces, and
 * bounds the length, while keeping the reason ("moov atom not found"). Server logs keep the original.
 */
export function scrubMessage(text: unknown, options: ScrubOptions = {}): string {
  const max = options.maxLength ?? SCRUBBED_MESSAGE_MAX_LENGTH
  let s = typeof text === 'string' ? text : text instanceof Error ? text.message : String(text ?? '')
  // bound the work before any regular expression runs
  s = s.slice(0, Math.max(max * 8, 8000))

  s = s
    .split(/\r?\n/)
    .filter((line) => !STACK_FRAME.test(line) && !STACK_ELLIPSIS.test(line))
    .join('\n')

  s = s.replace(URL, (match) => {
    const { url, tail } = splitTrailingPunctuation(match)
    return fileNameOfUrl(url) + tail
  })
  // after URLs, which go whole (a bucket name in a URL is gone with it)
  for (const secret of options.redact ?? []) {
    if (secret && secret.length >= 3) s = s.split(secret).join(REDACTED)
  }

  s = s
    .replace(SIGNED_PARAM, '')
    .replace(API_KEY, '[api key]')
    .replace(WEBHOOK_SECRET, REDACTED)
    .replace(STRIPE_KEY, REDACTED)
    .replace(AWS_KEY_ID, REDACTED)
    .replace(NAMED_SECRET, (_m, name: string) => `${name}${REDACTED}`)
    .replace(AUTH_HEADER, (_m, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(NODE_MODULES_PATH, '[path]')
    .replace(STORAGE_KEY, (key) => baseNameOr(key, '[file]'))
    .replace(ABSOLUTE_PATH, (_m, before: string, p: string) => before + baseNameOr(p, '[path]'))
    .replace(IPV4, '[address]')
    .replace(LOCALHOST, '[address]')
    .replace(TOKEN_CANDIDATE, (run) => scrubTokens(run))

  const lines: string[] = []
  for (const raw of s.split('\n')) {
    const line = raw.replace(/[ \t]+/g, ' ').trim()
    if (line && lines.at(-1) !== line) lines.push(line)
  }
  s = lines.join('\n')
  return s.length > max ? `${s.slice(0, Math.max(0, max - 1)).trimEnd()}…` : s
}

function splitTrailingPunctuation(match: string): { url: string; tail: string } {
  const m = /[.,;:!?)\]}]+$/.exec(match)
  return m ? { url: match.slice(0, m.index), tail: m[0] } : { url: match, tail: '' }
}

/** The file a URL names (`.../source/x.mp4?sig` -> `x.mp4`), or a neutral stand-in. */
function fileNameOfUrl(url: string): string {
  const path = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').split(/[?#]/)[0] ?? ''
  const last = path.split('/').filter(Boolean).at(-1) ?? ''
  let name = last
  try {
    name = decodeURIComponent(last)
  } catch {
    // keep the raw segment
  }
  return FILE_NAME.test(name) && !looksLikeToken(name) ? name : '[url]'
}

function baseNameOr(p: string, fallback: string): string {
  const last = p.split('/').filter(Boolean).at(-1) ?? ''
  return FILE_NAME.test(last) && !looksLikeToken(last) ? last : fallback
}

/** Replaces the secret-looking parts of a run of token characters; UUIDs (ids, not secrets) are kept. */
function scrubTokens(run: string): string {
  const parts: string[] = []
  let last = 0
  for (const m of run.matchAll(UUID)) {
    parts.push(scrubTokenPart(run.slice(last, m.index)), m[0])
    last = m.index + m[0].length
  }
  parts.push(scrubTokenPart(run.slice(last)))
  return parts.join('')
}

function scrubTokenPart(part: string): string {
  return part.length >= 20 && looksLikeToken(part) ? REDACTED : part
}

/** Random-looking: hex, base32 or base64 of 20+ characters mixing letters and digits. */
function looksLikeToken(s: string): boolean {
  const core = s.replace(/\.[A-Za-z0-9]{1,8}$/, '')
  if (/^[0-9a-f]{24,}$/i.test(core)) return true
  if (!/[0-9]/.test(core) || !/[A-Za-z]/.test(core)) return false
  // one unbroken chunk of 20+ letters and digits (base32 session tokens, base64 without separators)
  if (core.split(/[_\-./+=]/).some((chunk) => chunk.length >= 20 && /[0-9]/.test(chunk) && /[A-Za-z]/.test(chunk)))
    return true
  // base64 with separators: upper, lower and digits mixed over 32+ characters
  return core.length >= 32 && /[A-Z]/.test(core) && /[a-z]/.test(core) && !/[_-]{2}/.test(core) && /[+/]/.test(core)
}
