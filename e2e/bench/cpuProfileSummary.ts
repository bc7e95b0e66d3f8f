/**
 * Where a V8 CPU profile (`.cpuprofile`, e.g. from `COLLAB_BENCH_CPU_PROF=<dir> npm run bench collab`) spends its
 * time: self time grouped by package (yjs, lib0, @hocuspocus/server, ws, postgres, Cutroom's own code, node
 * internals, GC, idle) and the top functions by self time.
 *
 *   node --import tsx e2e/bench/cpuProfileSummary.ts <file.cpuprofile> [more files]
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

function group(url: string, name: string): string {
  if (name === '(idle)') return 'idle'
  if (name === '(garbage collector)') return 'GC'
  if (name === '(program)') return 'V8/native (program)'
  const m = url.match(/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/)
  if (m) return m[1]!
  if (url.includes('/collab/src/')) return 'Cutroom collab'
  if (url.includes('/schema/src/')) return 'Cutroom schema'
  if (url.startsWith('node:') || url === '') return 'node internals'
  return path.basename(url)
}

export function summarize(file: string): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++)
    self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + (profile.timeDeltas[i] ?? 0))
  const total = profile.endTime - profile.startTime
  const groups = new Map<string, number>()
  const fns = new Map<string, number>()
  for (const [id, us] of self) {
    const n = byId.get(id)!
    const g = group(n.callFrame.url, n.callFrame.functionName)
    groups.set(g, (groups.get(g) ?? 0) + us)
    if (g === 'idle') continue
    const key = `${n.callFrame.functionName || '(anonymous)'} (${g}${n.callFrame.url ? `, ${path.basename(n.callFrame.url)}:${n.callFrame.lineNumber + 1}` : ''})`
    fns.set(key, (fns.get(key) ?? 0) + us)
  }
  const busy = total - (groups.get('idle') ?? 0)
  const pct = (us: number) => `${((100 * us) / total).toFixed(1)}%`
  const lines = [
    `${path.basename(file)}: ${(total / 1e6).toFixed(2)} s profiled, busy ${pct(busy)} (${(busy / 1e6).toFixed(2)} s)`,
    ...[...groups]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([g, us]) => `  ${g}: ${pct(us)}`),
    '  top functions (self time):',
    ...[...fns]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([f, us]) => `    ${pct(us)} ${f}`),
  ]
  return lines.join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) for (const f of process.argv.slice(2)) console.log(summarize(f))
