import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  type DocPatchRequest,
  type JobPayloadOf,
  JobPayloadSchema,
  type RetellResult,
  RetellResultSchema,
  retell as retellModel,
  WORKER_PATCH_ORIGIN,
} from '@cutroom/schema'
import pino from 'pino'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as Y from 'yjs'
import { FfmpegAdapter } from '../FfmpegAdapter'
import type { JobContext } from '../JobContext'
import { PermanentJobError } from '../JobErrors'
import type { ChatEndpoint } from '../retell/ChatEndpoint'
import { retell } from './retell'

/**
 * A transcript of three topics told one after another (harbour, bread, the night sky), six sentences each, evenly
 * paced so only the words tell the topics apart. The job's draft is applied to a real retell document the way the
 * collab server applies a `retell-draft` patch.
 */
const TOPICS = [
  [
    'The harbour wall was built of grey stone.',
    'Fishing boats leave the harbour before dawn.',
    'The harbour master counts every boat that returns.',
    'Storms push waves over the harbour wall in winter.',
    'Boats tie up at the stone pier of the harbour.',
    'The harbour smells of salt, tar and fishing nets.',
  ],
  [
    'Bread starts with flour, water, salt and yeast.',
    'The baker kneads the bread dough for ten minutes.',
    'Dough rises slowly in a warm corner of the bakery.',
    'The bakery oven bakes the bread until the crust cracks.',
    'Fresh bread cools on racks before the bakery opens.',
    'Flour dusts every shelf of the small bakery.',
  ],
  [
    'On clear nights the stars fill the dark sky.',
    'Astronomers point telescopes at distant stars and planets.',
    'The moon crosses the night sky in a few hours.',
    'Planets shine without twinkling, unlike the stars.',
    'A telescope shows the craters of the moon.',
    'Comets cross the night sky with long bright tails.',
  ],
]
const ASSET = '00000000-0000-4000-8000-0000000000aa'
const DOC = '00000000-0000-4000-8000-0000000000bb'
const DRAFT = '00000000-0000-4000-8000-0000000000cc'
const sentences = TOPICS.flat().map((text, i) => ({ startMs: i * 3500, endMs: i * 3500 + 3000, text }))
let dir: string

test.before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-retell-'))
})
test.after(() => rmSync(dir, { recursive: true, force: true }))

function payload(targetMinutes: number): JobPayloadOf<'retell'> {
  return JobPayloadSchema.parse({
    kind: 'retell',
    jobId: '00000000-0000-4000-8000-000000000001',
    orgId: '00000000-0000-4000-8000-000000000002',
    projectId: '00000000-0000-4000-8000-000000000003',
    input: {
      documentId: DOC,
      transcriptDocumentId: '00000000-0000-4000-8000-0000000000dd',
      draftId: DRAFT,
      targetMinutes,
      assetId: ASSET,
      fps: { num: 25, den: 1 },
      sentences,
    },
  }) as JobPayloadOf<'retell'>
}

/** Runs the job; its document patches go into `doc` through the retell model, as collab applies them. */
async function run(doc: Y.Doc, targetMinutes: number, llm: ChatEndpoint | null = null) {
  const patches: DocPatchRequest[] = []
  const ctx: JobContext<'retell'> = {
    payload: payload(targetMinutes),
    signal: new AbortController().signal,
    workDir: mkdtempSync(path.join(dir, 'job-')),
    ffmpeg: new FfmpegAdapter(),
    storage: null as never,
    capabilities: { onnxProviders: ['cpu'] } as never,
    log: pino({ level: 'silent' }),
    progress: () => {},
    source: async () => {
      throw new Error('retell reads no media')
    },
    mediaInfo: async () => {
      throw new Error('retell reads no media')
    },
    sourceAt: async () => '',
    mediaInfoAt: async () => {
      throw new Error('retell reads no media')
    },
    asr: null,
    llm,
    tts: null,
    aligner: { binary: 'pocketsphinx_batch', modelDir: '/usr/share/pocketsphinx/model/en-us' },
    patchDocument: async (documentId, request) => {
      assert.is(documentId, DOC)
      patches.push(request)
      if (request.type !== 'retell-draft') throw new Error(`unexpected ${request.type}`)
      const changed = retellModel.addDraft(doc, request.draftId, request.blocks, WORKER_PATCH_ORIGIN)
      return { ok: true, changed }
    },
  }
  const outcome = await retell(ctx)
  return { result: RetellResultSchema.parse(outcome.result) as RetellResult, patches }
}

/** A retell document with a note someone already wrote. */
function scriptWithNote(): Y.Doc {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, retellModel.genesis())
  doc.getXmlFragment('body').insert(0, [new Y.XmlElement('paragraph')])
  const p = doc.getXmlFragment('body').get(0) as Y.XmlElement
  p.insert(0, [new Y.XmlText('Our own intro, keep it.')])
  return doc
}

test('extractive: chapters follow the topics, cover the transcript in order, and shots point into them', async () => {
  const doc = scriptWithNote()
  const { result, patches } = await run(doc, 1)
  assert.is(result.engine, 'extractive')
  assert.is(patches.length, 1)
  // coverage in order: the first chapter starts at the first sentence, each starts where the last ended
  assert.is(result.chapters[0]!.startMs, sentences[0]!.startMs)
  assert.is(result.chapters.at(-1)!.endMs, sentences.at(-1)!.endMs)
  assert.is(
    result.chapters.reduce((n, c) => n + c.sentences, 0),
    sentences.length,
  )
  for (let i = 1; i < result.chapters.length; i++) assert.ok(result.chapters[i]!.startMs > result.chapters[i - 1]!.endMs)
  // the topics are found: boundaries at sentence 6 and 12
  assert.equal(
    result.chapters.map((c) => c.sentences),
    [6, 6, 6],
    JSON.stringify(result.chapters),
  )
  assert.match(result.chapters[0]!.title.toLowerCase(), /harbour/)
  assert.match(result.chapters[1]!.title.toLowerCase(), /bread|bakery/)
  assert.match(result.chapters[2]!.title.toLowerCase(), /sky|star|moon/)

  const blocks = retellModel.readBlocks(doc)
  assert.equal(blocks[0], { type: 'paragraph', text: 'Our own intro, keep it.' }, 'what people wrote stays first, untouched')
  assert.equal(
    blocks.filter((b) => b.type === 'chapter').map((b) => (b as { title: string }).title),
    result.outline,
  )
  assert.equal(retellModel.validate(doc), [])
  // every shot lies inside its chapter's source range (frames at 25 fps)
  let chapter: { sourceIn: number; sourceOut: number } | null = null
  let shots = 0
  for (const b of blocks.slice(1)) {
    if (b.type === 'chapter') chapter = b.sources[0]!
    if (b.type === 'shot') {
      shots++
      assert.ok(chapter && b.sourceIn >= chapter.sourceIn && b.sourceOut <= chapter.sourceOut, JSON.stringify([b, chapter]))
      assert.is(b.assetId, ASSET)
    }
  }
  assert.ok(shots >= 3)
  assert.equal(retellModel.draftIds(doc), [DRAFT])
  // a redelivered job adds nothing twice
  await run(doc, 1)
  assert.is(retellModel.readBlocks(doc).length, blocks.length)
  // "Discard draft" removes the draft's blocks and only those
  assert.is(retellModel.discardDraft(doc, DRAFT), blocks.length - 1)
  assert.equal(retellModel.readBlocks(doc), [{ type: 'paragraph', text: 'Our own intro, keep it.' }])
})

test('a shorter target gives less narration', async () => {
  const long = await run(scriptWithNote(), 2)
  const short = await run(scriptWithNote(), 0.25)
  assert.ok(short.result.narrationWords < long.result.narrationWords, `${short.result.narrationWords} < ${long.result.narrationWords}`)
})

test('with a chat endpoint (a local server of the OpenAI chat-completions shape) its titles and narration are used, and the prompt and answer are recorded', async () => {
  const seen: { url?: string; auth?: string; body?: { model: string; messages: { role: string; content: string }[] } } = {}
  const server = createServer(async (req: IncomingMessage, res) => {
    let raw = ''
    for await (const chunk of req) raw += chunk
    seen.url = req.url
    seen.auth = req.headers.authorization
    seen.body = JSON.parse(raw)
    const content = JSON.stringify({
      chapters: [
        { title: 'Life at the harbour', narration: 'Boats come and go from the old stone harbour.' },
        { title: 'Baking bread', narration: 'A baker turns flour and water into bread.' },
        { title: 'Watching the sky', narration: 'At night the sky fills with stars and planets.' },
      ],
    })
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const doc = scriptWithNote()
    const { result } = await run(doc, 1, { url, key: 'sk-test', model: 'small-model' })
    assert.is(result.engine, 'openai')
    assert.is(seen.url, '/v1/chat/completions')
    assert.is(seen.auth, 'Bearer sk-test')
    assert.is(seen.body?.model, 'small-model')
    assert.is(seen.body?.messages[1]?.content, result.prompt)
    assert.match(result.prompt ?? '', /Chapter 3 .*\n.*stars/)
    assert.match(result.output ?? '', /Watching the sky/)
    assert.equal(result.outline, ['Life at the harbour', 'Baking bread', 'Watching the sky'])
    const narration = retellModel.readBlocks(doc).filter((b) => b.type === 'narration')
    assert.equal(
      narration.map((b) => (b as { text: string }).text),
      [
        'Boats come and go from the old stone harbour.',
        'A baker turns flour and water into bread.',
        'At night the sky fills with stars and planets.',
      ],
    )
  } finally {
    server.close()
  }
})

test('an unreachable chat endpoint fails the job clearly and leaves the document untouched', async () => {
  // a port that was just free: nothing listens there
  const probe = createServer()
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
  const port = (probe.address() as AddressInfo).port
  await new Promise((r) => probe.close(r))
  const doc = scriptWithNote()
  const before = Y.encodeStateAsUpdate(doc)
  const failed = await run(doc, 1, { url: `http://127.0.0.1:${port}`, model: 'm' }).then(
    () => assert.unreachable('the job should fail'),
    (e: unknown) => e,
  )
  assert.instance(failed, PermanentJobError)
  assert.match((failed as Error).message, /could not be reached; the draft was not written/)
  assert.not.match((failed as Error).message, /127\.0\.0\.1/, 'no address in the message')
  assert.equal(Y.encodeStateAsUpdate(doc), before)
})

test.run()
