import { ErrorCode, type RetellResult } from '@cutroom/schema'
import type { JobHandler } from '../JobContext'
import { PermanentJobError } from '../JobErrors'
import { ChatEndpointError, chatComplete } from '../retell/ChatEndpoint'
import { draftBlocks, draftRetell } from '../retell/draftRetell'

const SYSTEM_PROMPT =
  'You write narration for a video retelling. For each chapter of a transcript you get, answer a short title ' +
  '(at most 8 words) and a narration that retells it in the third person in about the number of words asked. ' +
  'Answer only JSON: {"chapters":[{"title":"...","narration":"..."}]} with one entry per chapter, in order.'

/** Chat answers carry a JSON object, sometimes inside a code fence. */
function parseChapters(text: string, count: number): { title: string; narration: string }[] | null {
  const json = text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1)
  try {
    const parsed = JSON.parse(json) as { chapters?: { title?: unknown; narration?: unknown }[] }
    const chapters = parsed.chapters
    if (!Array.isArray(chapters) || chapters.length !== count) return null
    if (!chapters.every((c) => typeof c.title === 'string' && typeof c.narration === 'string' && c.title.trim())) return null
    return chapters.map((c) => ({ title: String(c.title).trim().slice(0, 200), narration: String(c.narration).trim().slice(0, 20_000) }))
  } catch {
    return null
  }
}

/**
 * A retell draft from a transcript: topic segmentation into chapters (contiguous, in order, covering it all), an
 * outline, and per chapter a narration block and shot references to the source ranges it draws on. Extractive by
 * default (the most central sentences); with a chat endpoint the chapters' titles and narration are written by
 * it, with the prompt and its answer kept in the result. The draft is patched into the retell document only once
 * it is complete, as new blocks carrying the draft's id, so a failure leaves the document as it was.
 */
export const retell: JobHandler<'retell'> = async (ctx) => {
  const { input } = ctx.payload
  ctx.progress(0.1, 'segmenting')
  const chapters = draftRetell(input)
  let prompt: string | undefined
  let output: string | undefined
  if (ctx.llm) {
    const words = Math.max(20, Math.round(input.targetMinutes * 150))
    const total = input.sentences.length
    prompt = chapters
      .map((c, i) => {
        const share = Math.max(10, Math.round((words * (c.last - c.first + 1)) / total))
        const text = input.sentences
          .slice(c.first, c.last + 1)
          .map((s) => s.text)
          .join(' ')
        return `Chapter ${i + 1} (about ${share} words of narration):\n${text}`
      })
      .join('\n\n')
    ctx.progress(0.3, 'writing')
    try {
      output = await chatComplete(
        ctx.llm,
        [
          { role: 'system', content: SYSTEM_PROMPT },
          { role: 'user', content: prompt },
        ],
        { signal: ctx.signal },
      )
    } catch (err) {
      if (err instanceof ChatEndpointError) throw new PermanentJobError(ErrorCode.UNAVAILABLE, err.message)
      throw err
    }
    const written = parseChapters(output, chapters.length)
    if (!written)
      throw new PermanentJobError(
        ErrorCode.UNAVAILABLE,
        `The chat endpoint's answer was not a draft of ${chapters.length} chapters in the asked JSON; the draft was not written.`,
      )
    written.forEach((w, i) => {
      chapters[i]!.title = w.title
      chapters[i]!.narration = w.narration
    })
  }
  const blocks = draftBlocks(chapters, input)
  ctx.progress(0.8, 'writing the draft')
  const reply = await ctx.patchDocument(input.documentId, {
    type: 'retell-draft',
    draftId: input.draftId,
    blocks,
    actorUserId: null,
  })
  if (!reply.ok) {
    if (reply.code === ErrorCode.NOT_FOUND || reply.code === ErrorCode.BAD_INPUT)
      throw new PermanentJobError(reply.code, `The draft could not be written: ${reply.message}`)
    throw new Error(`The draft could not be written (${reply.code}): ${reply.message}`)
  }
  const result: RetellResult = {
    documentId: input.documentId,
    draftId: input.draftId,
    engine: ctx.llm ? 'openai' : 'extractive',
    chapters: chapters.map((c) => ({
      title: c.title,
      startMs: c.startMs,
      endMs: c.endMs,
      sentences: c.last - c.first + 1,
    })),
    outline: chapters.map((c) => c.title),
    narrationWords: chapters.reduce((n, c) => n + c.narration.split(/\s+/).filter(Boolean).length, 0),
    blocks: blocks.length,
    prompt,
    output,
  }
  ctx.progress(1, 'done')
  return { artifacts: [], usage: [], result: JSON.parse(JSON.stringify(result)) }
}
