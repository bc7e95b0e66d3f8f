import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import type { ApiClient } from '@cutroom/api'
import { TERMINAL_JOB_STATUSES } from '@cutroom/schema'
import type { Page } from 'playwright-core'
import { until } from './media-fixtures'

const run = promisify(execFile)

/** Three sentences of read speech the Sphinx models recognise well when flite speaks them. */
export const SENTENCES = [
  'The harbor was quiet before the storm.',
  'Nobody on the pier said a word.',
  'She opened the door and walked outside.',
]

/** An AAC clip of the sentences in flite's kal16 voice, each after a second of silence, ending in one. */
export async function speechClip(dir: string, file: string): Promise<void> {
  const inputs = ['-f', 'lavfi', '-t', '1', '-i', 'anullsrc=r=16000:cl=mono']
  const labels = ['[0:a]']
  for (const [i, s] of SENTENCES.entries()) {
    const part = path.join(dir, `s${i}.wav`)
    await run('flite', ['-voice', 'kal16', '-t', s, '-o', part])
    inputs.push('-i', part, '-f', 'lavfi', '-t', '1', '-i', 'anullsrc=r=16000:cl=mono')
    labels.push(`[${2 * i + 1}:a]`, `[${2 * i + 2}:a]`)
  }
  await run('ffmpeg', [
    ...['-loglevel', 'error', '-y', ...inputs],
    ...['-filter_complex', `${labels.join('')}concat=n=${labels.length}:v=0:a=1[out]`, '-map', '[out]'],
    ...['-ar', '48000', '-c:a', 'aac', file],
  ])
}

/** Resolves once every job of the project has ended, so a worker can be stopped with nothing in its hands. */
export async function jobsSettled(client: ApiClient, projectId: string, timeoutMs = 60_000): Promise<void> {
  await until(
    'the project to have no job left running',
    async () => {
      const jobs = await client.jobs.list.query({ projectId })
      return jobs.length > 0 && jobs.every((j) => TERMINAL_JOB_STATUSES.includes(j.status))
    },
    timeoutMs,
  )
}

/**
 * Starts recording, in the page, how many timed paragraphs (a start time and at least one timed word) the
 * transcript editor shows after every change to its DOM; `counts()` returns the distinct counts in the order
 * they were first seen. Watching mutations rather than polling sees every step however fast they come.
 */
export async function recordTimedParagraphs(page: Page): Promise<{ counts: () => Promise<number[]> }> {
  await page.waitForSelector('[data-testid=transcript-editor]', { timeout: 20_000 })
  // a string, so the bundler's helpers (it names arrow functions) are not referenced inside the page
  await page.evaluate(`(() => {
    const host = document.querySelector('[data-testid=transcript-editor]')
    const seen = []
    const note = () => {
      const n = Array.from(host.querySelectorAll('p')).filter(
        (p) => p.getAttribute('data-start') !== null && p.querySelector('span[data-word]'),
      ).length
      if (!seen.includes(n)) seen.push(n)
    }
    note()
    new MutationObserver(note).observe(host, { subtree: true, childList: true, attributes: true, characterData: true })
    window.__timedParagraphs = seen
  })()`)
  return {
    counts: () => page.evaluate(() => [...(window as unknown as { __timedParagraphs: number[] }).__timedParagraphs]),
  }
}
