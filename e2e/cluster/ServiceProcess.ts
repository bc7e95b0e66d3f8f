import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, type WriteStream } from 'node:fs'
import path from 'node:path'

const ROOT = path.resolve(import.meta.dirname, '../..')

export interface ServiceSpec {
  /** e.g. `api-0`; names the log file. */
  name: string
  /** Entry point relative to the repository, e.g. `api/src/main.ts`. */
  entry: string
  env: NodeJS.ProcessEnv
  /** HTTP health URL, answered 200 once the service is ready. */
  healthUrl: string
}

/**
 * One service process (its real entry point) that can be SIGKILLed and started again with the same settings. Its
 * output goes to `<logDir>/<name>.log`.
 */
export class ServiceProcess {
  private child: ChildProcess | null = null
  private readonly log: WriteStream
  private stopping = false

  constructor(
    readonly spec: ServiceSpec,
    logDir: string,
  ) {
    this.log = createWriteStream(path.join(logDir, `${spec.name}.log`), { flags: 'a' })
  }

  get name(): string {
    return this.spec.name
  }

  get pid(): number | undefined {
    return this.child?.pid
  }

  async start(timeoutMs = 90_000): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, this.spec.entry)], {
      cwd: ROOT,
      env: this.spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.child = child
    child.stdout!.on('data', (d) => this.log.write(d))
    child.stderr!.on('data', (d) => this.log.write(d))
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`${this.name} exited (${child.exitCode ?? child.signalCode}) before it was healthy; see its log`)
      const ok = await fetch(this.spec.healthUrl).then(
        (r) => r.ok,
        () => false,
      )
      if (ok) return
      if (this.stopping) throw new Error(`${this.name} is stopping`)
      if (Date.now() > deadline) throw new Error(`${this.name} was not healthy within ${timeoutMs / 1000} s`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  /** SIGKILL: no shutdown hook runs, as when a machine or container dies. */
  async kill(): Promise<void> {
    const child = this.child
    this.child = null
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const gone = new Promise((r) => child.once('exit', r))
    child.kill('SIGKILL')
    await gone
  }

  /** SIGTERM (a clean shutdown), SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true
    const child = this.child
    this.child = null
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      await gone
      clearTimeout(timer)
    }
    await new Promise((r) => this.log.end(r))
  }
}
