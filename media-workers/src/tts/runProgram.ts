import { spawn } from 'node:child_process'
import { JobCancelledError } from '../JobErrors'

/**
 * Runs a program to completion and returns its stdout (or its stderr, with `capture: 'stderr'`, for programs that
 * report there); killed on abort (rejects with JobCancelledError). A non-zero
 * exit rejects with the last line of its stderr, which is where these programs say what was wrong.
 */
export function runProgram(
  binary: string,
  args: string[],
  signal: AbortSignal,
  options: { capture?: 'stdout' | 'stderr' } = {},
): Promise<string> {
  if (signal.aborted) return Promise.reject(new JobCancelledError())
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const errAll: Buffer[] = []
    let err = ''
    const onAbort = () => child.kill('SIGKILL')
    signal.addEventListener('abort', onAbort, { once: true })
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => {
      if (options.capture === 'stderr') errAll.push(b)
      err = (err + b.toString()).slice(-4000)
    })
    child.on('error', (e) => {
      signal.removeEventListener('abort', onAbort)
      reject(e)
    })
    child.on('close', (code) => {
      signal.removeEventListener('abort', onAbort)
      if (signal.aborted) return reject(new JobCancelledError())
      if (code === 0) return resolve(Buffer.concat(options.capture === 'stderr' ? errAll : out).toString())
      const reason = err.trim().split('\n').pop() || `exit code ${code}`
      reject(new Error(`${binary} failed: ${reason}`))
    })
  })
}
