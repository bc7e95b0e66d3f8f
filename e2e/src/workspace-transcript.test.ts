import { transcript } from '@cutroom/schema'
import type { Page } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startWorkspaceStack, waitFor, type WorkspaceStack } from './workspace-stack'

/**
 * Two editors co-edit a transcript: each sees the other's caret with their name, edits converge, and a corrected
 * word keeps its timing while every other word keeps its own. A viewer's transcript is not editable.
 */

const RATE = 48_000
let stack: WorkspaceStack
let docId: string

const SEGMENTS = [
  { speaker: 'Host', text: 'the quick brown fox jumps over the lazy dog' },
  { speaker: 'Guest', text: 'pack my box with five dozen liquor jugs' },
]

async function openTranscript(name: string): Promise<Page> {
  const context = await stack.contextFor(stack.people[name]!)
  const page = await stack.openDocument(context, docId)
  await page.waitForSelector('[data-testid=transcript-editor] [data-word]', { timeout: 15_000 })
  await page.waitForSelector('[data-testid=save-state][data-state=saved]', { timeout: 15_000 })
  return page
}

/** The transcript's text as paragraphs, without other people's caret labels. */
const bodyText = (page: Page) =>
  page.$$eval('[data-testid=transcript-editor] p', (ps) =>
    ps
      .map((p) => {
        const copy = p.cloneNode(true) as HTMLElement
        copy.querySelectorAll('.collaboration-carets__caret').forEach((caret) => {
          caret.remove()
        })
        return copy.textContent
      })
      .join('\n'),
  )

test.before(async () => {
  stack = await startWorkspaceStack({ Ada: 'owner', Ben: 'editor', Vera: 'viewer' })
  docId = await stack.createDocument('transcript', 'Interview')
  const seed = await stack.replica(docId)
  let t = 0
  transcript.buildTranscript(seed.doc, {
    assetId: 'asset-interview',
    language: 'en',
    source: 'manual',
    sampleRate: RATE,
    segments: SEGMENTS.map((s) => ({
      speaker: s.speaker,
      words: s.text.split(' ').map((text) => {
        const start = t
        t += RATE / 2
        return { text, start, end: start + RATE / 2 - 1000, confidence: 0.95 }
      }),
    })),
  })
  await seed.settled()
  seed.destroy()
})

test.after(async () => {
  await stack?.close()
})

test('co-editing a transcript shows carets, converges and keeps word timings', async () => {
  const [ada, ben] = await Promise.all([openTranscript('Ada'), openTranscript('Ben')])
  const original = transcript.readWords((await stack.replica(docId)).doc)

  // Speaker labels are shown for each segment.
  const speakers = await ada.$$eval('[data-testid=transcript-editor] p', (ps) => ps.map((p) => p.getAttribute('data-speaker')))
  assert.equal(speakers, ['Host', 'Guest'])

  // Ada selects "quick" and types a correction; Ben adds a word at the end of the second segment.
  const first = ada.locator('[data-testid=transcript-editor] p').first()
  await first.click({ position: { x: 2, y: 8 } })
  await ada.keyboard.press('Home')
  for (let i = 0; i < 4; i++) await ada.keyboard.press('ArrowRight')
  for (let i = 0; i < 5; i++) await ada.keyboard.press('Shift+ArrowRight')
  await ada.keyboard.type('quack')

  await ben.locator('[data-testid=transcript-editor] p').nth(1).click()
  await ben.keyboard.press('End')
  await ben.keyboard.type(' today')

  let lastSeen: string[] = []
  await waitFor(
    async () => {
      const [a, b] = [await bodyText(ada), await bodyText(ben)]
      lastSeen = [a, b]
      return a === b && a.includes('quack') && a.includes('today')
    },
    10_000,
    'both editors to show both edits',
  ).catch((error) => {
    throw new Error(`${error.message}: ${JSON.stringify(lastSeen)}`)
  })

  // Each sees the other's caret, labelled with their name.
  await ben.waitForSelector('.collaboration-carets__label:has-text("Ada")', { timeout: 10_000 })
  await ada.waitForSelector('.collaboration-carets__label:has-text("Ben")', { timeout: 10_000 })

  // The corrected word kept the timing of "quick"; every other original word kept its own.
  await waitFor(async () => (await ada.locator('[data-testid=save-state]').getAttribute('data-state')) === 'saved', 10_000, 'saved')
  await waitFor(async () => (await ben.locator('[data-testid=save-state]').getAttribute('data-state')) === 'saved', 10_000, 'saved')
  const observer = await stack.replica(docId)
  const words = transcript.readWords(observer.doc)
  const quick = original.find((w) => w.text === 'quick')!
  const quack = words.find((w) => w.text === 'quack')
  assert.ok(quack, `the corrected word is a timed word: ${JSON.stringify(transcript.readParagraphs(observer.doc)[0])}`)
  assert.equal([quack!.start, quack!.end], [quick.start, quick.end])
  for (const w of original.filter((w) => w.text !== 'quick')) {
    const now = words.find((x) => x.text === w.text && x.start === w.start)
    assert.ok(now, `"${w.text}" kept its timing`)
    assert.is(now!.end, w.end)
  }

  // Undo is per person: Ada's undo takes back her correction, not Ben's word.
  await ada.keyboard.press('Control+z')
  await waitFor(
    async () => {
      const [a, b] = [await bodyText(ada), await bodyText(ben)]
      return a === b && a.includes('quick') && !a.includes('quack') && a.includes('today')
    },
    10_000,
    "Ada's undo to revert only her edit",
  )
  observer.destroy()
  await ada.context().close()
  await ben.context().close()
})

test('a viewer reads the transcript live but cannot type into it', async () => {
  const vera = await openTranscript('Vera')
  assert.is(await vera.getAttribute('[data-testid=transcript-editor]', 'contenteditable'), 'false')
  assert.match((await vera.textContent('[data-testid=read-only-banner]')) ?? '', /viewer/i)
  // Clicking a word seeks to it: the word is highlighted as the one under the playhead.
  await vera.locator('[data-testid=transcript-editor] [data-word]', { hasText: 'lazy' }).click()
  await waitFor(async () => (await vera.locator('.word-active').count()) === 1, 5000, 'the clicked word to be highlighted')
  assert.is(await vera.locator('.word-active').innerText(), 'lazy')

  const before = await bodyText(vera)
  await vera.locator('[data-testid=transcript-editor] p').first().click()
  await vera.keyboard.type('nope')
  await vera.waitForTimeout(200)
  assert.is(await bodyText(vera), before)
  await vera.context().close()
})

test.run()
