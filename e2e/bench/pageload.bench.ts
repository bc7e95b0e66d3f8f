import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { timeline } from '@cutroom/schema'
import type { BrowserContext } from 'playwright-core'
import { startWorkspaceStack } from '../src/workspace-stack'
import { percentile, writeBenchSection } from './report'

/**
 * Page load in Chromium on the real stack (api serving the built client, collab server), each run in a new
 * browser context (empty cache): how much JavaScript each page downloads (gzip, from the chunks it requests)
 * and the time from navigation start until the page is interactive:
 * - sign-in: the form's submit button is enabled;
 * - timeline: the 200-clip timeline's canvas is drawn and the document is synced ("Saved").
 * Build the client first (`cd client && pnpm exec vite build`). With `PAGELOAD_BASELINE_DIST` naming another
 * build (for example main's, built into a temporary folder), the same runs are made against it in the same
 * benchmark run, side by side.
 */

const RUNS = 7
const CLIPS = 200
const DIST = process.env.CLIENT_DIST ?? path.resolve(import.meta.dirname, '../../client/dist')
const ASSETS = path.join(DIST, 'assets')
const LABEL = process.env.PAGELOAD_LABEL ?? 'this build'
const CHILD = process.env.PAGELOAD_CHILD === '1'

const stack = await startWorkspaceStack({ Ada: 'owner' })
const rows: string[] = []
try {
  const tl = await stack.createDocument('timeline', 'Bench page load')
  const seed = await stack.replica(tl)
  seed.doc.transact(() => {
    for (let i = 0; i < CLIPS; i++)
      timeline.insertClip(seed.doc, {
        at: { index: i },
        assetId: `asset-${i % 7}`,
        sourceIn: 0,
        sourceOut: 24 + ((i * 13) % 60),
        label: `Clip ${i + 1}`,
      })
  })
  await seed.settled()
  seed.destroy()

  const signIn = await measure(
    () => stack.browser.newContext({ viewport: { width: 1440, height: 900 } }),
    `${stack.api.url}/signin`,
    'button[type=submit]:not([disabled])',
  )
  rows.push(row('Sign-in', signIn))
  const timelinePage = await measure(
    () => stack.contextFor(stack.people.Ada!),
    `${stack.api.url}/projects/${stack.projectId}/docs/${tl}`,
    '[data-testid=timeline-canvas]',
    '[data-testid=save-state][data-state=saved]',
  )
  rows.push(row(`Timeline (${CLIPS} clips)`, timelinePage))
} finally {
  await stack.close()
}

interface Figures {
  interactive: number[]
  scripts: string[]
}

async function measure(newContext: () => Promise<BrowserContext>, url: string, ...ready: string[]): Promise<Figures> {
  const interactive: number[] = []
  let scripts: string[] = []
  for (let run = 0; run < RUNS; run++) {
    const context = await newContext()
    const page = await context.newPage()
    const requested = new Set<string>()
    page.on('request', (r) => {
      const m = /\/assets\/([^/?#]+\.js)$/.exec(r.url())
      if (m) requested.add(m[1]!)
    })
    await page.goto(url)
    // polled on every animation frame; the time is read in the page when the last selector first matches
    const at = (await (
      await page.waitForFunction(
        (sel: string[]) => (sel.every((s) => document.querySelector(s)) ? performance.now() : false),
        ready,
        { polling: 'raf', timeout: 60_000 },
      )
    ).jsonValue()) as number
    interactive.push(at)
    scripts = [...requested]
    await context.close()
  }
  return { interactive, scripts }
}

function gzipKb(chunks: string[]): number {
  return chunks.reduce((sum, c) => sum + gzipSync(readFileSync(path.join(ASSETS, c)), { level: 9 }).length, 0) / 1024
}

function row(name: string, f: Figures): string {
  return `| ${name} | ${LABEL} | ${f.scripts.length} | ${gzipKb(f.scripts).toFixed(1)} | ${percentile(f.interactive, 50).toFixed(0)} | ${percentile(f.interactive, 95).toFixed(0)} |`
}

if (CHILD) {
  process.stdout.write(`${JSON.stringify(rows)}\n`)
  process.exit(0)
}
const baseline = process.env.PAGELOAD_BASELINE_DIST
if (baseline) {
  const child = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename], {
    env: {
      ...process.env,
      CLIENT_DIST: baseline,
      PAGELOAD_CHILD: '1',
      PAGELOAD_LABEL: process.env.PAGELOAD_BASELINE_LABEL ?? 'baseline',
    },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const last = child.stdout.trim().split('\n').at(-1) ?? '[]'
  rows.push(...(JSON.parse(last) as string[]))
}
rows.sort()

const table = [
  '## Page load (Chromium)',
  '',
  `Each of ${RUNS} runs opens the page in a new browser context (empty cache) against the api on loopback;`,
  '"interactive" is navigation start to the page being usable (sign-in: the submit button enabled; timeline:',
  'canvas drawn and the document synced). JavaScript is what the page requested, gzip -9 of the built chunks.',
  'Target: sign-in under 150 kB. "before split" is the build before per-page and per-editor chunks, when one',
  "entry chunk carried the schema's tables, drizzle-orm, Yjs and tRPC's server core; both measured in one run.",
  '',
  '| page | build | JS chunks | JS kB (gzip) | interactive p50 (ms) | interactive p95 (ms) |',
  '| --- | --- | --- | --- | --- | --- |',
  ...rows,
].join('\n')
writeBenchSection('pageload', table)
process.stdout.write(`${table}\n`)
process.exit(0)
