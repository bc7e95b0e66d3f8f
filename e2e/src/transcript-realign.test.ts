import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { timeline, transcript } from '@cutroom/schema'
import type { Page } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnWorker, until, type WorkerProcess } from './media-fixtures'
import { jobsSettled, recordTimedParagraphs, speechClip } from './speech-fixtures'
import { startWorkspaceStack, type WorkspaceStack } from './workspace-stack'

/**
 * The whole stack with a media-workers process (pocketsphinx for the transcribe and align jobs): Ada uploads a
 * clip of flite speech and transcribes it; the transcript fills in live in her page and in Ben's. Ben corrects a
 * word and presses Realign: the align job re-times it and Ada's page shows its new timing while every other word
 * keeps its own. Then Ben deletes a word and applies the deletion to the timeline as a cut; the re-timed word is
 * not taken for a deleted one.
 */
let stack: WorkspaceStack
let worker: WorkerProcess
let dir: string

/** The timed words a page shows: text and the word mark's attributes. */
const wordsIn = (page: Page) =>
  page.$$eval('[data-testid=transcript-editor] span[data-word]', (spans) =>
    spans.map((s) => ({
      text: s.textContent ?? '',
      start: s.getAttribute('data-start'),
      end: s.getAttribute('data-end'),
      confidence: s.getAttribute('data-confidence'),
    })),
  )

/** Selects word `index` of the transcript in `page` with the keyboard (Home, then arrows). */
async function selectWord(page: Page, word: transcript.TimedWord): Promise<void> {
  await page
    .locator('[data-testid=transcript-editor] p')
    .nth(word.paragraph)
    .click({ position: { x: 2, y: 8 } })
  await page.keyboard.press('Home')
  for (let i = 0; i < word.offset; i++) await page.keyboard.press('ArrowRight')
  for (let i = 0; i < word.text.length; i++) await page.keyboard.press('Shift+ArrowRight')
}

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-realign-'))
  stack = await startWorkspaceStack({ Ada: 'owner', Ben: 'editor' }, { media: true })
  worker = await spawnWorker(stack.media!)
})

test.after(async () => {
  await worker?.stop()
  await stack?.close()
  rmSync(dir, { recursive: true, force: true })
})

test('a word corrected in one browser is realigned and its new timing reaches the other; deletions become cuts', async () => {
  const clip = path.join(dir, 'harbor.m4a')
  await speechClip(dir, clip)
  const ada = stack.people.Ada!
  const ben = stack.people.Ben!
  const adaProject = await (await stack.contextFor(ada)).newPage()
  await adaProject.goto(`${stack.api.url}/projects/${stack.projectId}`)
  await adaProject.setInputFiles('[data-testid=upload-input]', clip)
  const asset = await until(
    'the asset to exist',
    async () => (await ada.client.assets.list.query({ projectId: stack.projectId }))[0],
  )
  await until(
    'the upload to complete',
    async () => (await ada.client.assets.get.query({ id: asset.id })).status !== 'uploading',
    30_000,
  )
  // the worker stops once the upload's jobs are done, so the transcribe job waits until both pages watch
  await jobsSettled(ada.client, stack.projectId)
  await worker.stop()

  // a timeline holding the whole clip, for the cut at the end
  const timelineId = await stack.createDocument('timeline', 'Cut 1')
  const seed = await stack.replica(timelineId)
  const fps = timeline.getMeta(seed.doc).fps
  const clipFrames = Math.floor((11 * fps.num) / fps.den)
  timeline.insertClip(seed.doc, {
    at: { index: 0 },
    assetId: asset.id,
    sourceIn: 0,
    sourceOut: clipFrames,
    label: 'Harbor',
  })
  await seed.settled()

  const { documentId, jobId } = await ada.client.transcripts.create.mutate({
    projectId: stack.projectId,
    assetId: asset.id,
  })
  const adaPage = await stack.openDocument(await stack.contextFor(ada), documentId)
  const benPage = await stack.openDocument(await stack.contextFor(ben), documentId)
  await adaPage.waitForSelector('[data-testid=transcript-editor]', { timeout: 20_000 })
  await benPage.waitForSelector('[data-testid=transcript-editor]', { timeout: 20_000 })

  // live: both pages fill in, paragraph by paragraph
  const [adaSteps, benSteps] = [await recordTimedParagraphs(adaPage), await recordTimedParagraphs(benPage)]
  worker = await spawnWorker(stack.media!)
  await until(
    'three timed paragraphs in both pages',
    async () => {
      const [a, b] = [await adaSteps.counts(), await benSteps.counts()]
      return a.at(-1) === 3 && b.at(-1) === 3
    },
    180_000,
  )
  assert.equal(await adaSteps.counts(), [0, 1, 2, 3], "Ada's page filled in paragraph by paragraph")
  await until(
    'the transcribe job to succeed',
    async () => (await ada.client.jobs.get.query({ id: jobId })).status === 'succeeded',
    60_000,
  )

  const observer = await stack.replica(documentId)
  const before = transcript.readWords(observer.doc)
  const harbor = before.findIndex((w) => w.text.toLowerCase() === 'harbor')
  assert.ok(harbor >= 0, `"harbor" was recognised: ${before.map((w) => w.text).join(' ')}`)

  // Ben corrects the spelling and realigns
  await selectWord(benPage, before[harbor]!)
  await benPage.keyboard.type('harbour')
  await until(
    'the correction in the replica',
    async () => transcript.readWords(observer.doc)[harbor]?.text === 'harbour',
    15_000,
  )
  assert.equal(
    transcript.alignSpansForCorrected(observer.doc)[0]?.words.map((w) => w[0]),
    ['harbour'],
  )
  await benPage.click('[data-testid=realign]')
  await until(
    'nothing left to realign',
    async () => transcript.alignSpansForCorrected(observer.doc).length === 0,
    120_000,
  )
  const after = transcript.readWords(observer.doc)
  const fixed = after[harbor]!
  assert.is(fixed.text, 'harbour')
  assert.is(fixed.confidence, 1, 'the word was aligned to the audio')
  after.forEach((w, i) => {
    if (i !== harbor)
      assert.equal(
        [w.text, w.start, w.end, w.confidence],
        [before[i]!.text, before[i]!.start, before[i]!.end, before[i]!.confidence],
        `word ${i} untouched`,
      )
  })
  // Ada sees the word's new timing mark
  await until(
    "the new timing in Ada's page",
    async () => {
      const w = (await wordsIn(adaPage)).find((x) => x.text === 'harbour')
      return w && Number(w.start) === fixed.start && Number(w.end) === fixed.end && w.confidence === '1'
    },
    15_000,
  )

  // Ada exports the corrected transcript from the Subtitles menu: SRT cues with the correction at its new time
  await adaPage.click('button:has-text("Subtitles")')
  const [download] = await Promise.all([
    adaPage.waitForEvent('download', { timeout: 30_000 }),
    adaPage.click('button[role=menuitem]:has-text("SubRip")'),
  ])
  const srt = readFileSync((await download.path())!, 'utf8')
  assert.match(srt, /^1\r?\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\r?\n/)
  const cue = srt.split(/\r?\n\r?\n/).find((c) => /\bharbour\b/.test(c))
  assert.ok(cue, 'a cue carries the corrected word')
  const [, from, to] = /(\d\d:\d\d:\d\d,\d{3}) --> (\d\d:\d\d:\d\d,\d{3})/.exec(cue!)!
  const ms = (t: string) => {
    const [h, m, rest] = t.split(':')
    const [sec, milli] = rest!.split(',')
    return ((Number(h) * 60 + Number(m)) * 60 + Number(sec)) * 1000 + Number(milli)
  }
  const wordMs = (samples: number) => (samples * 1000) / transcript.getMeta(observer.doc).sampleRate
  assert.ok(ms(from!) <= wordMs(fixed.start) + 1 && ms(to!) >= wordMs(fixed.end) - 1, `${from} --> ${to} holds harbour`)
  assert.is(download.suggestedFilename().endsWith('.srt'), true)

  // Ben deletes "quiet" and applies the deletion to the timeline: one word, one cut
  const quiet = after.findIndex((w) => w.text === 'quiet')
  assert.ok(quiet >= 0, 'quiet was recognised')
  // a double click selects exactly the word (arrow keys counted from the paragraph start can land short when a
  // remote change re-renders the paragraph mid-way)
  await benPage
    .locator('[data-testid=transcript-editor] span[data-word]', { hasText: /^quiet$/ })
    .first()
    .dblclick()
  await benPage.keyboard.press('Backspace')
  await benPage.selectOption('[data-testid=linked-timeline]', timelineId)
  let pending = ''
  await until(
    'the pending deletion',
    async () => {
      pending = (await benPage.textContent('[data-testid=pending-deletions]')) ?? ''
      return /^1 deleted word → 1 cut$/.test(pending)
    },
    15_000,
  ).catch((err: Error) => {
    throw new Error(
      `${err.message} (the panel says "${pending}"; the transcript reads "${transcript
        .readWords(observer.doc)
        .map((w) => w.text)
        .join(' ')}")`,
    )
  })
  await benPage.click('[data-testid=apply-deletions]')
  const rate = transcript.getMeta(observer.doc).sampleRate
  const cutFrames = (samples: number) => (samples * fps.num) / (rate * fps.den)
  await until(
    'the cut on the timeline',
    async () => timeline.storylineLayout(seed.doc).filter((p) => p.kind === 'clip').length === 2,
    15_000,
  )
  const pieces = timeline.storylineLayout(seed.doc).filter((p) => p.kind === 'clip')
  const total = pieces.reduce((n, p) => n + p.duration, 0)
  const removed = clipFrames - total
  const expected = cutFrames(after[quiet + 1]!.start - after[quiet]!.start)
  assert.ok(
    Math.abs(removed - expected) <= 2,
    `removed ${removed} frames, the word and its pause are ${expected.toFixed(1)}`,
  )
  observer.destroy()
  seed.destroy()
})

test.run()
