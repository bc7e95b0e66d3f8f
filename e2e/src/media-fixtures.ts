import { type ChildProcess, execFile, spawn } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import type { MediaTestApi } from '@cutroom/api/testing'
import { freePort } from '@cutroom/infra'

const ROOT = path.resolve(import.meta.dirname, '../..')
const run = promisify(execFile)

/** An H.264/AAC MP4 of lavfi's moving test pattern and a sine tone. */
export async function makeClip(file: string, opts: { seconds: number; width?: number; height?: number; audio?: boolean }): Promise<void> {
  const { seconds, width = 640, height = 360, audio = true } = opts
  const args = ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=25:duration=${seconds}`]
  if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`)
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p')
  if (audio) args.push('-c:a', 'aac', '-b:a', '96k')
  args.push('-t', String(seconds), '-movflags', '+faststart', file)
  await run('ffmpeg', args)
}

export interface WorkerProcess {
  process: ChildProcess
  healthUrl: string
  output(): string
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>
}

/** A media-workers process (its real entry point) against the test api's NATS and S3. */
export async function spawnWorker(api: MediaTestApi, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'media-workers/src/main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: api.databaseUrl,
      NATS_URL: api.nats.url,
      ...api.s3.env,
      WORKERS_HEALTH_PORT: String(port),
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  const healthUrl = `http://127.0.0.1:${port}/healthz`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the worker exited with ${child.exitCode}:\n${out}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`the worker was not healthy within 30 s:\n${out}`)
    }
    const ok = await fetch(healthUrl).then((r) => r.ok, () => false)
    if (ok) break
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    process: child,
    healthUrl,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

export async function until<T>(what: string, f: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await f()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
