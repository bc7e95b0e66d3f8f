import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { transcript } from '@cutroom/schema'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnWorker, until, type WorkerProcess } from './media-fixtures'
import { startWorkspaceStack, type WorkspaceStack } from './workspace-stack'

/**
 * A transcript that opened empty: Ben chooses an asset of the project and presses Transcribe; the progress shows
 * while the job runs; Cancel stops the job (its row says cancelled; the worker lets go before the end of the audio).
 */
const run = promisify(execFile)
let stack: WorkspaceStack
let worker: WorkerProcess
let dir: string

/** About a minute of read speech (flite), so the job is still running when Cancel is pressed. */
async function longSpeech(file: string): Promise<void> {
  const line =
    'The harbor was quiet before the storm. Nobody on the pier said a word. She opened the door and walked outside.'
  const wav = path.join(dir, 'line.wav')
  await run('flite', ['-voice', 'kal16', '-t', line, '-o', wav])
  await run('ffmpeg', ['-loglevel', 'error', '-y', '-stream_loop', '9', '-i', wav, '-ar', '48000', '-c:a', 'aac', file])
}

test.before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-transcript-transcribe-'))
  stack = await startWorkspaceStack({ Ada: 'owner', Ben: 'editor' }, { media: true })
  worker = await spawnWorker(stack.media!, { WORKER_KINDS: 'transcribe' })
})

test.after(async () => {
  await worker?.stop()
  await stack?.close()
  rmSync(dir, { recursive: true, force: true })
})

test('Transcribe in an empty transcript: choose an asset, progress while it runs, Cancel stops it', async () => {
  const clip = path.join(dir, 'long.m4a')
  await longSpeech(clip)
  const ada = stack.people.Ada!
  const upload = await (await stack.contextFor(ada)).newPage()
  await upload.goto(`${stack.api.url}/projects/${stack.projectId}`)
  await upload.setInputFiles('[data-testid=upload-input]', clip)
  const asset = await until(
    'the asset to exist',
    async () => (await ada.client.assets.list.query({ projectId: stack.projectId }))[0],
  )
  await until(
    'the upload to complete',
    async () => (await ada.client.assets.get.query({ id: asset.id })).status !== 'uploading',
    20_000,
  )

  const documentId = await stack.createDocument('transcript', 'Interview')
  const ben = await stack.openDocument(await stack.contextFor(stack.people.Ben!), documentId)
  await ben.waitForSelector('[data-testid=transcript-editor]', { timeout: 15_000 })
  const select = ben.locator('[data-testid=transcribe-asset]')
  await until(
    'the asset among the choices',
    async () => (await select.locator(`option[value="${asset.id}"]`).count()) === 1,
    15_000,
  )
  await select.selectOption(asset.id)
  await ben.click('[data-testid=transcribe-bar] button:has-text("Transcribe")')

  const progress = ben.locator('[data-testid=transcribe-progress]')
  await until(
    'progress above zero',
    async () => Number((await progress.getAttribute('value').catch(() => null)) ?? 0) > 0,
    60_000,
  )
  const replica = await stack.replica(documentId)
  assert.is(transcript.getMeta(replica.doc).assetId, asset.id, 'the transcript is linked to the chosen asset')
  await ben.click('[data-testid=transcribe-bar] button:has-text("Cancel")')
  await ben.locator('[data-testid=transcribe-cancelled]').waitFor({ timeout: 15_000 })
  const [job] = (await ada.client.jobs.list.query({ projectId: stack.projectId, assetId: asset.id })).filter(
    (j) => j.kind === 'transcribe',
  )
  assert.is(job?.status, 'cancelled')
  // the worker stopped before the end of the audio
  await until(
    'the worker to let go of the job',
    async () => {
      const health = (await (await fetch(worker.healthUrl)).json()) as { running: number }
      return health.running === 0
    },
    30_000,
  )
  const settled = transcript.readWords(replica.doc).length
  const total = 10 * 21
  assert.ok(settled < total, `the cancel stopped the job before the end (${settled} of about ${total} words)`)
  replica.destroy()
})

test.run()
