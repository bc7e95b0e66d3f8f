/**
 * `npm run cluster`: the multi-node fault run (see faultRun.ts) at a larger load than the test's, printing the
 * figures and writing them to the `cluster` section of docs/benchmarks.md.
 *
 *   npm run cluster                       # 24 editors over 6 documents, 16 uploads
 *   npm run cluster -- --editors 40 --documents 10 --uploads 30 --keep
 */
import os from 'node:os'
import { parseArgs } from 'node:util'
import { writeBenchSection } from '../bench/report'
import { type ClusterFigures, runFaultRun } from './faultRun'

const { values } = parseArgs({
  options: {
    editors: { type: 'string', default: '24' },
    documents: { type: 'string', default: '6' },
    uploads: { type: 'string', default: '16' },
    typing: { type: 'string', default: '60' },
    keep: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
  },
})

export function figuresTable(f: ClusterFigures): string {
  const rows: [string, string][] = [
    ['topology', f.topology],
    ['load', `${f.edits.editors} editors typing over ${f.edits.documents} documents, ${f.uploads.completed} uploads, api reads every 100 ms`],
    ['edits written / acknowledged / lost', `${f.edits.written} / ${f.edits.acknowledged} / **${f.edits.lost}**`],
    ['jobs dispatched / succeeded / failed / unfinished / duplicated', `${f.jobs.dispatched} / ${f.jobs.succeeded} / ${f.jobs.failed} / **${f.jobs.unfinished}** / **${f.jobs.duplicated}**`],
    ['uploads completed / assets ready', `${f.uploads.completed} / ${f.uploads.ready}`],
    ['artifacts in S3 / rows / orphaned / missing', `${f.artifacts.objects} / ${f.artifacts.rows} / **${f.artifacts.orphaned}** / **${f.artifacts.missing}**`],
    ['api requests / failed attempts (retried) / p99', `${f.api.requests} / ${f.api.errors} / ${f.api.p99Ms} ms`],
    ...f.faults.map(
      (x): [string, string] => [
        `SIGKILL ${x.target}`,
        `healthy again after ${(x.recoveredMs / 1000).toFixed(1)} s${
          x.reconnectMs ? `; ${x.reconnectMs.editors} editors reconnected to the other instance, p50 ${(x.reconnectMs.p50 / 1000).toFixed(2)} s, max ${(x.reconnectMs.max / 1000).toFixed(2)} s` : ''
        }`,
      ],
    ),
    ['run time', `${f.durationS} s`],
  ]
  return ['| figure | value |', '| --- | --- |', ...rows.map(([a, b]) => `| ${a} | ${b} |`)].join('\n')
}

const loadBefore = os.loadavg()[0]!
const figures = await runFaultRun({
  editors: Number(values.editors),
  documents: Number(values.documents),
  uploads: Number(values.uploads),
  typingIntervalMs: Number(values.typing),
  gapMs: 3000,
  downMs: 3000,
  keepDir: values.keep,
  log: (line) => process.stdout.write(`[cluster] ${line}\n`),
})
const table = figuresTable(figures)
process.stdout.write(`\n${table}\n\n`)
if (figures.problems.length) process.stdout.write(`PROBLEMS:\n${figures.problems.map((p) => `  - ${p}`).join('\n')}\n`)
else process.stdout.write('no lost edits, no lost or duplicated jobs, no orphaned artifacts\n')
if (values.keep) process.stdout.write(`logs and NATS stores kept in ${figures.dir}\n`)
if (!values['no-write'])
  writeBenchSection(
    'cluster',
    `## Multi-node fault run (\`npm run cluster\`)

Every process on one loopback machine; one NATS node (the JOBS stream leader), one collab, one api and one worker are
SIGKILLed and restarted in turn while the load runs. Lost, unfinished, duplicated, orphaned and missing must be 0.
The machine is shared with other work (load average ${loadBefore.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end, on
${os.cpus().length} cores), so the times are upper bounds.

${table}`,
  )
process.exit(figures.problems.length ? 1 : 0)
