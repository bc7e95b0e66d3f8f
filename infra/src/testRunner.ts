import { spawn } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'

const ROOT = path.resolve(import.meta.dirname, '../..')
const PACKAGES = ['schema', 'infra', 'telemetry', 'api', 'collab', 'media-workers', 'client']
const FILE_TIMEOUT_MS = 5 * 60_000
/** How long a test file may take to exit after uvu printed its summary. */
const EXIT_GRACE_MS = 10_000

interface Outcome {
  name: string
  passed: number
  failed: number
  skipped: number
  ms: number
  output: string
}

function findTests(dir: string, out: string[] = []): string[] {
  let entries: string[]
  try {
    entries = readdirSync(dir)
  } catch {
    return out
  }
  for (const entry of entries) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue
    const full = path.join(dir, entry)
    if (statSync(full).isDirectory()) findTests(full, out)
    else if (entry.endsWith('.test.ts')) out.push(full)
  }
  return out.sort()
}

function run(cmd: string, args: string[], cwd = ROOT): Promise<{ code: number; output: string; ms: number; lingered?: boolean }> {
  const started = Date.now()
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, FORCE_COLOR: '0', NODE_ENV: 'test' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    let graceTimer: NodeJS.Timeout | undefined
    child.stdout.on('data', (d) => {
      output += d
      // uvu prints "Duration:" last; a process that lingers after it left a handle open
      if (!graceTimer && /^\s*Duration:/m.test(output))
        graceTimer = setTimeout(() => {
          output += `\n(warning: still running ${EXIT_GRACE_MS / 1000} s after its tests finished; something was not closed)\n`
          lingered = true
          child.kill('SIGKILL')
        }, EXIT_GRACE_MS)
    })
    child.stderr.on('data', (d) => {
      output += d
    })
    const timer = setTimeout(() => {
      output += `\n(killed after ${FILE_TIMEOUT_MS / 1000} s)\n`
      child.kill('SIGKILL')
    }, FILE_TIMEOUT_MS)
    let lingered = false
    child.on('close', (code) => {
      clearTimeout(timer)
      clearTimeout(graceTimer)
      resolve({ code: lingered ? 0 : (code ?? 1), output, ms: Date.now() - started, lingered })
    })
  })
}

/** Runs one uvu test file in its own process and reads uvu's summary. */
async function runTestFile(file: string): Promise<Outcome> {
  const { code, output, ms, lingered } = await run(process.execPath, ['--import', 'tsx', file], path.dirname(file))
  if (lingered) process.stdout.write(`! ${path.relative(ROOT, file)} did not exit after its tests finished\n`)
  const sum = (label: string) =>
    [...output.matchAll(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0)
  const total = sum('Total')
  let passed = sum('Passed')
  const skipped = sum('Skipped')
  let failed = total - passed - skipped
  if (code !== 0 && failed === 0) failed = 1 // crashed outside a test, or no summary at all
  if (total === 0 && code === 0) passed = 0
  return { name: path.relative(ROOT, file), passed, failed, skipped, ms, output }
}

async function pool<T, R>(items: T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) {
        const i = next++
        results[i] = await fn(items[i]!)
      }
    }),
  )
  return results
}

function report(o: Outcome): void {
  const mark = o.failed ? '\u2717' : '\u2713'
  const skipped = o.skipped ? `, ${o.skipped} skipped` : ''
  process.stdout.write(`${mark} ${o.name}  ${o.passed} passed, ${o.failed} failed${skipped}  (${(o.ms / 1000).toFixed(1)} s)\n`)
  if (o.failed) process.stdout.write(`${o.output.trim().split('\n').map((l) => `    ${l}`).join('\n')}\n`)
}

/**
 * `npm test [filter...]`: typecheck, lint, then every `*.test.ts` (unit and integration next to the code,
 * end-to-end under e2e/). Each file runs in its own process. Ends with `N passed, N failed`.
 */
export async function runTests(filters: string[]): Promise<number> {
  const outcomes: Outcome[] = []
  const match = (f: string) => filters.length === 0 || filters.some((x) => path.relative(ROOT, f).includes(x))
  if (filters.length === 0) {
    const checks: [string, string, string[]][] = [
      ['typecheck (tsc -b)', process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-b']],
      ['lint (biome)', path.join(ROOT, 'node_modules/.bin/biome'), ['lint', '--diagnostic-level=error', '.']],
    ]
    for (const [name, cmd, args] of checks) {
      const { code, output, ms } = await run(cmd, args)
      const o = { name, passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, skipped: 0, ms, output }
      report(o)
      outcomes.push(o)
    }
  }
  const unit = PACKAGES.flatMap((p) => findTests(path.join(ROOT, p, 'src'))).filter(match)
  const e2e = findTests(path.join(ROOT, 'e2e/src')).filter(match)
  for (const o of await pool(unit, 2, async (f) => {
    const r = await runTestFile(f)
    report(r)
    return r
  }))
    outcomes.push(o)
  for (const f of e2e) {
    const r = await runTestFile(f)
    report(r)
    outcomes.push(r)
  }
  const passed = outcomes.reduce((n, o) => n + o.passed, 0)
  const failed = outcomes.reduce((n, o) => n + o.failed, 0)
  const skipped = outcomes.reduce((n, o) => n + o.skipped, 0)
  const failing = outcomes.filter((o) => o.failed).map((o) => o.name)
  if (failing.length) process.stdout.write(`\nFailing: ${failing.join(', ')}\n`)
  process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`)
  return failed === 0 && passed > 0 ? 0 : 1
}
