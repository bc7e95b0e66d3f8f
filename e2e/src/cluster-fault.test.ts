/**
 * The multi-node fault run (e2e/cluster/faultRun.ts) at test size: 3 nats-server processes clustered on loopback
 * with R3 streams, 2 api, 2 collab (Redis), 2 media workers, one Postgres database and one s3rver, under editors
 * typing, uploads and api reads, while one NATS node, one collab, one api and one worker are SIGKILLed and
 * restarted in turn. `npm run cluster` runs it at a larger load and prints the figures.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runFaultRun } from '../cluster/faultRun'

test('a NATS node, a collab, an api and a worker killed in turn: no acknowledged edit, job or artifact goes astray', async () => {
  const f = await runFaultRun({
    editors: 6,
    documents: 3,
    typingIntervalMs: 80,
    uploads: 12,
    gapMs: 2000,
    downMs: 2000,
    log: (line) => console.log(`  ${line}`),
  })
  console.log(
    `  edits ${f.edits.written} written, ${f.edits.acknowledged} acknowledged, ${f.edits.lost} lost; ` +
      `jobs ${f.jobs.dispatched} dispatched, ${f.jobs.succeeded} succeeded, ${f.jobs.unfinished} unfinished, ${f.jobs.duplicated} duplicated; ` +
      `artifacts ${f.artifacts.objects} in S3, ${f.artifacts.orphaned} orphaned, ${f.artifacts.missing} missing; run ${f.durationS} s`,
  )
  assert.equal(f.problems, [], 'the run found problems')
  assert.is(f.faults.length, 4, 'each of the four processes was killed and came back')
  // the load was real: keystrokes were acknowledged, uploads went through the whole pipeline
  assert.ok(f.edits.acknowledged > 100)
  assert.is(f.edits.lost, 0)
  assert.ok(f.uploads.completed >= 4, `${f.uploads.completed} uploads`)
  assert.is(f.jobs.dispatched, f.uploads.completed * 5, 'probe, preview rendition, ladder, thumbnails and waveform for each upload')
  assert.is(f.jobs.succeeded, f.jobs.dispatched)
  assert.is(f.jobs.duplicated, 0)
  assert.is(f.artifacts.orphaned, 0)
  // hls twice (the preview rendition, then the ladder), thumbnails, waveform
  assert.is(f.artifacts.rows, f.uploads.completed * 4)
  const collab = f.faults.find((x) => x.target.startsWith('collab'))!
  assert.ok(collab.reconnectMs && collab.reconnectMs.editors > 0, 'editors were connected to the killed collab and reconnected')
})

test.run()
