import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { type FileHandle, open } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { JobCancelledError } from '../JobErrors'

/**
 * One `pocketsphinx_batch` process for a whole job: the control file is a named pipe, so each utterance is decoded as
 * soon as its line is written (the models load once instead of once per segment), and the outputs arrive line by line on another pipe, flushed after each utterance. Killed on abort; `end()` closes the
 * control file and waits for the process to finish what it was given.
 */
export class PocketsphinxBatch {
  private readonly exited: Promise<void>
  private stderr = ''
  private ctl: FileHandle | null = null
  private writes: Promise<unknown> = Promise.resolve()

  /**
   * `outputs` are the output options (`-hypseg`, `-hyp`, `-ctm`) whose lines `onLine` receives; `dir` is the job's
   * scratch folder, where the pipes are made.
   */
  static async start(
    binary: string,
    args: readonly string[],
    outputs: readonly string[],
    onLine: (line: string) => void,
    signal: AbortSignal,
    dir: string,
  ): Promise<PocketsphinxBatch> {
    if (signal.aborted) throw new JobCancelledError()
    // named pipes, not stdin/stdout: Node's stdio pipes are sockets, which the program cannot open as files
    const id = process.hrtime.bigint()
    const ctlPipe = join(dir, `ctl-${id}`)
    const outPipe = join(dir, `out-${id}`)
    await promisify(execFile)('mkfifo', [ctlPipe, outPipe])
    const child = spawn(binary, ['-ctl', ctlPipe, ...outputs.flatMap((o) => [o, outPipe]), ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    const batch = new PocketsphinxBatch(child, signal)
    // opening a pipe waits for the other end; the program opens them in its own order, so both at once
    const opening = Promise.all([open(outPipe, 'r'), open(ctlPipe, 'w')])
    const [out, ctl] = await Promise.race([opening, batch.failed()]).catch(async (err: unknown) => {
      // the program died before opening its ends: open them here, so our pending opens return and free their threads
      const ends = await Promise.all([open(outPipe, 'w'), open(ctlPipe, 'r')])
      for (const h of [...ends, ...(await opening)]) await h.close()
      throw err
    })
    createInterface({ input: out.createReadStream() }).on('line', onLine)
    batch.ctl = ctl
    return batch
  }

  private constructor(
    private readonly child: ChildProcess,
    signal: AbortSignal,
  ) {
    const onAbort = () => this.child.kill('SIGKILL')
    signal.addEventListener('abort', onAbort, { once: true })
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-2000)
    })
    this.exited = new Promise((resolve, reject) => {
      this.child.on('error', reject)
      this.child.on('close', (code) => {
        signal.removeEventListener('abort', onAbort)
        if (signal.aborted) reject(new JobCancelledError())
        else if (code !== 0)
          reject(new Error(`pocketsphinx failed (exit ${code}): ${this.stderr.trim().split('\n').pop() ?? ''}`))
        else resolve()
      })
    })
    this.exited.catch(() => {})
  }

  /** Queues one utterance (a control-file line: a file name under `-cepdir`, without `-cepext`). */
  send(ctlLine: string): void {
    const ctl = this.ctl
    // a write after the process died is reported by `exited`
    this.writes = this.writes.then(() => ctl?.write(`${ctlLine}\n`)).catch(() => {})
  }

  /** Resolves once every queued utterance is decoded and the process has exited; rejects if it failed. */
  async end(): Promise<void> {
    await this.writes
    await this.ctl?.close()
    this.ctl = null
    await this.exited
  }

  /** Rejects as soon as the process fails (for racing against a pending result). */
  failed(): Promise<never> {
    return this.exited.then(() => {
      throw new Error('pocketsphinx stopped before it answered')
    })
  }

  kill(): void {
    this.child.kill('SIGKILL')
    void this.writes.then(() => this.ctl?.close()).catch(() => {})
  }
}
