import { retell, type SeededRandom, seededRandom, transcript } from '@cutroom/schema'
import type { Page } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startWorkspaceStack, waitFor, type WorkspaceStack } from './workspace-stack'

/**
 * Typing at human pace lands exactly where it was typed, in each Tiptap editor: a few hundred lines with Enters,
 * deletions and block insertions, then the document the server stored is compared character for character with
 * what was typed.
 *
 * Pace: 10-60 ms between keys; after an Enter or a toolbar click the next key sometimes follows at once, as a fast
 * typist's rolled-over keys do. That is when the first letter of a new line used to land behind the caret (and
 * travel to the end of the document), and when the first key after "+ Narration" used to go to the button.
 * `STRESS_SEED` replays a run; `STRESS_LINES` sets the lines per editor, `STRESS_SECONDS` the time budget of each.
 */

const SEED = Number(process.env.STRESS_SEED ?? Date.now() % 1_000_000_000)
const LINES = Number(process.env.STRESS_LINES ?? 100)
/** A slow machine types fewer lines (never under 40 per editor) rather than running past the runner's limit. */
const BUDGET_MS = Number(process.env.STRESS_SECONDS ?? 110) * 1000
const keepTyping = (i: number, started: number) => i < LINES && (i < 40 || Date.now() - started < BUDGET_MS)
const WORDS = [
  'Line',
  'take',
  'Quiet',
  'on',
  'set',
  'roll',
  'camera',
  'Xenon',
  'zoom',
  'wide',
  'jump',
  'cut',
  'fade',
  'Vox',
  'kern',
  'hum',
  'yes',
  '42',
  'b-roll',
  'Intro',
]

let stack: WorkspaceStack

test.before(async () => {
  process.stdout.write(`typing stress: seed ${SEED}, ${LINES} lines per editor\n`)
  stack = await startWorkspaceStack({ Ada: 'owner' })
})

test.after(async () => {
  await stack?.close()
})

/** Types like a person: one key at a time, a pause after each, and sometimes a key right after the last one. */
class Typist {
  keys = 0
  private rollover = false
  constructor(
    private readonly page: Page,
    private readonly random: SeededRandom,
  ) {}

  private async pause(): Promise<void> {
    if (this.rollover) {
      this.rollover = false
      return
    }
    await new Promise((r) => setTimeout(r, this.random.int(10, 60)))
  }

  /** The next key follows this one at once, with a 30% chance. */
  private maybeRollover(): void {
    this.rollover = this.random.chance(0.3)
  }

  async type(text: string): Promise<void> {
    for (const ch of text) {
      await this.page.keyboard.type(ch)
      this.keys++
      await this.pause()
    }
  }

  async press(key: 'Enter' | 'Backspace'): Promise<void> {
    await this.page.keyboard.press(key)
    this.keys++
    if (key === 'Enter') this.maybeRollover()
    await this.pause()
  }

  async click(selector: string): Promise<void> {
    await this.page.click(selector)
    this.maybeRollover()
    await this.pause()
  }

  /** A line of one to four words, with a slip corrected by Backspace now and then. Returns what it left. */
  async line(): Promise<string> {
    const words = Array.from({ length: this.random.int(1, 4) }, () => this.random.pick(WORDS))
    let text = ''
    for (const [i, word] of words.entries()) {
      const piece = i === 0 ? word : ` ${word}`
      await this.type(piece)
      text += piece
      if (this.random.chance(0.2)) {
        const n = this.random.int(1, Math.min(3, text.length))
        for (let k = 0; k < n; k++) await this.press('Backspace')
        text = text.slice(0, -n)
        const retyped = piece.slice(Math.max(0, piece.length - n))
        await this.type(retyped)
        text += retyped
      }
    }
    return text
  }
}

async function waitSaved(page: Page): Promise<void> {
  await page.waitForSelector('[data-testid=save-state][data-state=saved]', { timeout: 30_000 })
}

function firstDifference(got: readonly string[], want: readonly string[]): string {
  for (let i = 0; i < Math.max(got.length, want.length); i++)
    if (got[i] !== want[i]) return `line ${i}: stored ${JSON.stringify(got[i])}, typed ${JSON.stringify(want[i])}`
  return 'none'
}

test('transcript editor: lines typed after Enter are stored exactly as typed', async () => {
  const docId = await stack.createDocument('transcript', 'Typing stress')
  const context = await stack.contextFor(stack.people.Ada!)
  const page = await stack.openDocument(context, docId)
  await page.waitForSelector('[data-testid=transcript-editor]', { timeout: 15_000 })
  await waitSaved(page)
  await page.click('[data-testid=transcript-editor]')
  const typist = new Typist(page, seededRandom(SEED))
  const typed: string[] = []
  const started = Date.now()
  for (let i = 0; keepTyping(i, started); i++) {
    if (i > 0) await typist.press('Enter')
    typed.push(await typist.line())
  }
  await waitSaved(page)

  const observer = await stack.replica(docId)
  const stored = transcript.readParagraphs(observer.doc).map((p) => p.text)
  process.stdout.write(`transcript: ${typist.keys} keys, ${typed.length} lines\n`)
  assert.equal(stored, typed, `seed ${SEED}, first difference at ${firstDifference(stored, typed)}`)
  observer.destroy()
  await context.close()
})

test('retell editor: chapters, narration and paragraphs from the toolbar and Enter are stored exactly as typed', async () => {
  const docId = await stack.createDocument('retell', 'Typing stress')
  const context = await stack.contextFor(stack.people.Ada!)
  const page = await stack.openDocument(context, docId)
  await page.waitForSelector('[data-testid=retell-editor]', { timeout: 15_000 })
  await waitSaved(page)
  const random = seededRandom(SEED + 1)
  const typist = new Typist(page, random)
  const typed: { type: string; text: string }[] = []
  const started = Date.now()
  for (let i = 0; keepTyping(i, started); i++) {
    // A chapter first, then narration from the toolbar most of the time, a new chapter or a plain paragraph
    // (Enter at the end of a block) otherwise.
    const roll = random.next()
    const type = i === 0 || roll < 0.1 ? 'chapter' : roll < 0.75 ? 'narration' : 'paragraph'
    if (type === 'paragraph') await typist.press('Enter')
    else await typist.click(`button:has-text("${type === 'chapter' ? '+ Chapter' : '+ Narration'}")`)
    typed.push({ type, text: await typist.line() })
  }
  await waitSaved(page)

  const observer = await stack.replica(docId)
  const blocks = retell.readBlocks(observer.doc)
  const stored = blocks
    .map((b) => ({ type: b.type, text: b.type === 'chapter' ? b.title : b.type === 'shot' ? b.label : b.text }))
    .filter((b) => b.type !== 'paragraph' || b.text !== '')
  process.stdout.write(`retell: ${typist.keys} keys, ${typed.length} blocks\n`)
  const show = (list: { type: string; text: string }[]) => list.map((b) => `${b.type}: ${b.text}`)
  assert.equal(
    show(stored),
    show(typed),
    `seed ${SEED}, first difference at ${firstDifference(show(stored), show(typed))}`,
  )
  assert.equal(retell.validate(observer.doc), [], 'every narration block has an id of its own')
  observer.destroy()
  await context.close()
})

test.run()
