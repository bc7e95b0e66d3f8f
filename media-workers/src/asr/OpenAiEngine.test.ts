import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { AsrEnv, WorkersEnv } from '@cutroom/schema'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createAsrEngine } from './createAsrEngine'
import { writeWav } from './writeWav'

/**
 * A small server of the documented shape of OpenAI's `POST /v1/audio/transcriptions` (multipart form: file, model,
 * response_format, timestamp_granularities[], language; `verbose_json` answer with `words` and `segments`).
 */
let server: Server
let url: string
let dir: string
const seen: { auth?: string; fields: Record<string, string[]>; fileBytes: number; contentType?: string }[] = []
let answer: { status: number; body: unknown } = { status: 200, body: {} }

async function readForm(req: IncomingMessage) {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  const form = await new Request('http://x', {
    method: 'POST',
    headers: { 'content-type': req.headers['content-type']! },
    body: Buffer.concat(chunks),
  }).formData()
  const fields: Record<string, string[]> = {}
  let fileBytes = 0
  let contentType: string | undefined
  for (const [k, v] of form.entries()) {
    if (typeof v === 'string') fields[k] = [...(fields[k] ?? []), v]
    else {
      fileBytes = v.size
      contentType = v.type
    }
  }
  return { fields, fileBytes, contentType }
}

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-openai-'))
  server = createServer(async (req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/audio/transcriptions') return res.writeHead(404).end()
    seen.push({ auth: req.headers.authorization, ...(await readForm(req)) })
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
test.after(async () => {
  await new Promise((r) => server.close(r))
  rmSync(dir, { recursive: true, force: true })
})

async function chunk() {
  const wavPath = path.join(dir, 'chunk.wav')
  await writeWav(wavPath, new Int16Array(16000 * 2), 16000)
  return { wavPath, samples: 32000 }
}
const signal = () => new AbortController().signal

test('the openai engine posts the chunk as verbose_json with word timestamps and reads the words back', async () => {
  answer = {
    status: 200,
    body: {
      task: 'transcribe',
      language: 'english',
      duration: 2,
      text: 'Hello there, world.',
      words: [
        { word: 'Hello', start: 0.1, end: 0.42 },
        { word: 'there,', start: 0.5, end: 0.8 },
        { word: 'world.', start: 1.0, end: 1.5 },
      ],
      segments: [{ id: 0, start: 0, end: 2, text: 'Hello there, world.', avg_logprob: -0.2 }],
    },
  }
  const engine = await createAsrEngine(
    AsrEnv.parse({ ASR_ENGINE: 'openai', ASR_OPENAI_URL: url, ASR_OPENAI_KEY: 'sk-test-123' }),
  )
  assert.is(engine.languages, null)
  const words = await engine.transcribe(await chunk(), { language: 'en', signal: signal() })
  assert.equal(
    words.map((w) => [w.text, w.start, w.end]),
    [
      ['Hello', 1600, 6720],
      ['there,', 8000, 12800],
      ['world.', 16000, 24000],
    ],
  )
  assert.ok(Math.abs(words[0]!.confidence - Math.exp(-0.2)) < 1e-9)
  const req = seen.at(-1)!
  assert.is(req.auth, 'Bearer sk-test-123')
  assert.equal(req.fields.response_format, ['verbose_json'])
  assert.ok(req.fields['timestamp_granularities[]']!.includes('word'))
  assert.equal(req.fields.model, ['whisper-1'])
  assert.equal(req.fields.language, ['en'])
  assert.is(req.fileBytes, 44 + 64000, 'the whole WAV chunk is uploaded')
})

test('a refused key or a broken answer fails with a message that carries neither the URL nor the key', async () => {
  const engine = await createAsrEngine(
    AsrEnv.parse({ ASR_ENGINE: 'openai', ASR_OPENAI_URL: `${url}/v1`, ASR_OPENAI_KEY: 'sk-secret-456' }),
  )
  for (const [a, pattern] of [
    [{ status: 401, body: { error: { message: 'Incorrect API key provided: sk-secret-456' } } }, /refused the key/],
    [{ status: 500, body: { error: 'boom' } }, /HTTP 500/],
    [{ status: 200, body: { words: 'nope' } }, /verbose_json/],
  ] as const) {
    answer = a
    try {
      await engine.transcribe(await chunk(), { language: 'en', signal: signal() })
      assert.unreachable('it should fail')
    } catch (err) {
      const message = (err as Error).message
      assert.match(message, pattern)
      assert.not.ok(message.includes('127.0.0.1') || message.includes('sk-secret'), message)
    }
  }
})

test('the workers refuse at boot: openai without ASR_OPENAI_URL, whisper without ASR_WHISPER_MODEL, an unknown engine', () => {
  const base = {
    NATS_URL: 'nats://127.0.0.1:4222',
    DATABASE_URL: 'postgres://x@127.0.0.1/x',
    S3_ENDPOINT: 'http://127.0.0.1:9000',
  }
  const issue = (env: Record<string, string>) => {
    const r = WorkersEnv.safeParse({ ...base, ...env })
    return r.success ? null : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
  }
  assert.match(issue({ ASR_ENGINE: 'openai' }) ?? '', /ASR_OPENAI_URL: is required/)
  assert.match(issue({ ASR_ENGINE: 'whisper' }) ?? '', /ASR_WHISPER_MODEL: is required/)
  assert.match(issue({ ASR_ENGINE: 'vosk' }) ?? '', /ASR_ENGINE/)
  assert.is(issue({ ASR_ENGINE: 'openai', ASR_OPENAI_URL: url }), null)
  assert.is(issue({}), null, 'pocketsphinx is the default and needs nothing')
})

test.run()
