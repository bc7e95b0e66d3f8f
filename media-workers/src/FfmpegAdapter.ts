import { execFile } from 'node:child_process'
import { PassThrough, type Writable } from 'node:stream'
import ffmpeg, { type FfmpegCommand, type FfprobeData } from 'fluent-ffmpeg'
import { ffmpegReason } from './ffmpegReason'
import { JobCancelledError } from './JobErrors'
import type { ToolTimer } from './ToolTimer'

/** One ffmpeg invocation, described as data so the same arguments can be run bare (benchmarks) or inspected. */
export interface FfmpegSpec {
  inputs: { path: string; options?: string[] }[]
  complexFilter?: string
  outputs: { target: string | Writable; options: string[] }[]
}

export interface FfmpegRunOptions {
  /** Aborting kills ffmpeg (SIGKILL) and rejects with JobCancelledError. */
  signal?: AbortSignal
  /** Seconds of media the command processes; turns ffmpeg's `time=` into a fraction for onProgress. */
  durationSeconds?: number
  onProgress?: (fraction: number) => void
  /** Every stderr line, for filters that report there (loudnorm's measurement). */
  onStderr?: (line: string) => void
}

export interface RawFramesOptions {
  /** Aborting kills ffmpeg and makes the iteration throw JobCancelledError. */
  signal?: AbortSignal
  /** Frames ffmpeg may decode ahead of the reader (the pipe's buffer), so decoding overlaps the reader's work. */
  bufferFrames?: number
}

/** stderr lines kept for the error message; ffmpeg's reason is in its last lines. */
const STDERR_TAIL_LINES = 60

/**
 * The only place fluent-ffmpeg is used: runs ffmpeg and ffprobe, parses progress from ffmpeg's stderr, and
 * kills the process on cancel. Progress is parsed from `time=` ourselves rather than through fluent-ffmpeg's
 * 'progress' event, which starts an extra ffprobe of the input on every run.
 */
export class FfmpegAdapter {
  /** Told the wall time of every ffmpeg and ffprobe run (for /metrics). */
  timer: ToolTimer | null = null
  /** Told the pid of every ffmpeg process started (tests check a cancelled one is gone). */
  onSpawn: ((pid: number) => void) | null = null

  constructor(
    readonly ffmpegPath = 'ffmpeg',
    readonly ffprobePath = 'ffprobe',
  ) {}

  /** The exact argument list `run(spec)` passes to ffmpeg. */
  args(spec: FfmpegSpec): string[] {
    return (this.command(spec) as unknown as { _getArguments(): string[] })._getArguments()
  }

  run(spec: FfmpegSpec, options: FfmpegRunOptions = {}): Promise<void> {
    const { signal, durationSeconds, onProgress, onStderr } = options
    if (signal?.aborted) return Promise.reject(new JobCancelledError())
    const command = this.command(spec)
    const started = performance.now()
    const flags = [...spec.inputs.flatMap((i) => i.options ?? []), ...spec.outputs.flatMap((o) => o.options)].join(' ')
    const encoder = /nvenc|cuda/.test(flags) ? 'gpu' : 'cpu'
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => command.kill('SIGKILL')
      signal?.addEventListener('abort', onAbort, { once: true })
      const done = (err?: Error) => {
        signal?.removeEventListener('abort', onAbort)
        this.timer?.('ffmpeg', (performance.now() - started) / 1000, encoder)
        if (signal?.aborted) reject(new JobCancelledError())
        else if (err) reject(err)
        else resolve()
      }
      const tail: string[] = []
      command.on('stderr', (line: string) => {
        tail.push(line)
        if (tail.length > STDERR_TAIL_LINES) tail.shift()
        onStderr?.(line)
        if (!onProgress || !durationSeconds) return
        const seconds = parseProgressTime(line)
        if (seconds !== null) onProgress(Math.min(1, Math.max(0, seconds / durationSeconds)))
      })
      command.on('start', () => {
        const pid = (command as unknown as { ffmpegProc?: { pid?: number } }).ffmpegProc?.pid
        if (pid && this.onSpawn) this.onSpawn(pid)
      })
      command.on('end', () => done())
      command.on('error', (err: Error) => done(ffmpegFailure(err, tail, filesOf(spec))))
      command.run()
    })
  }

  /**
   * Runs ffmpeg with its one output on stdout (raw video, e.g. `-f rawvideo -pix_fmt gray`) and yields it as
   * frames of exactly `frameBytes`, streamed with backpressure: ffmpeg waits while the reader is busy, so memory
   * holds a few frames, never the clip. Leaving the loop early kills ffmpeg; an ffmpeg failure is thrown with
   * ffmpeg's own message; a trailing partial frame is dropped.
   */
  async *rawFrames(
    spec: Omit<FfmpegSpec, 'outputs'> & { outputOptions: string[] },
    frameBytes: number,
    options: RawFramesOptions = {},
  ): AsyncGenerator<Buffer> {
    if (!Number.isInteger(frameBytes) || frameBytes <= 0) throw new Error('frameBytes must be a positive integer.')
    const { signal } = options
    if (signal?.aborted) throw new JobCancelledError()
    const stop = new AbortController()
    const onAbort = () => stop.abort()
    signal?.addEventListener('abort', onAbort, { once: true })
    const pipe = new PassThrough({ highWaterMark: frameBytes * Math.max(1, options.bufferFrames ?? 4) })
    let ended = false
    const finished = this.run(
      {
        inputs: spec.inputs,
        complexFilter: spec.complexFilter,
        outputs: [{ target: pipe, options: spec.outputOptions }],
      },
      { signal: stop.signal },
    ).then(
      () => {
        ended = true
      },
      (err: Error) => {
        ended = true
        pipe.destroy(err)
        throw err
      },
    )
    finished.catch(() => {})
    try {
      let frame = Buffer.allocUnsafe(frameBytes)
      let filled = 0
      for await (const chunk of pipe as AsyncIterable<Buffer>) {
        let at = 0
        while (at < chunk.length) {
          const n = Math.min(frameBytes - filled, chunk.length - at)
          chunk.copy(frame, filled, at, at + n)
          filled += n
          at += n
          if (filled === frameBytes) {
            yield frame
            frame = Buffer.allocUnsafe(frameBytes)
            filled = 0
          }
        }
      }
      await finished
    } catch (err) {
      if (signal?.aborted) throw new JobCancelledError()
      throw err
    } finally {
      signal?.removeEventListener('abort', onAbort)
      if (!ended) {
        stop.abort()
        await finished.catch(() => {})
      }
    }
  }

  probe(path: string): Promise<FfprobeData> {
    const started = performance.now()
    return new Promise((resolve, reject) => {
      const command = ffmpeg(path).setFfprobePath(this.ffprobePath)
      command.ffprobe((err: Error | null, data: FfprobeData) => {
        this.timer?.('ffprobe', (performance.now() - started) / 1000, 'cpu')
        if (err) reject(ffprobeFailure(err, path))
        else resolve(data)
      })
    })
  }

  /** Names of the encoders this ffmpeg build has (`ffmpeg -encoders`). */
  encoders(): Promise<string[]> {
    return new Promise((resolve) => {
      execFile(this.ffmpegPath, ['-hide_banner', '-encoders'], { timeout: 10_000 }, (err, stdout) => {
        if (err) return resolve([])
        const names: string[] = []
        for (const line of stdout.split('\n')) {
          const m = /^\s[VAS][.A-Z]{5}\s+(\S+)/.exec(line)
          if (m) names.push(m[1]!)
        }
        resolve(names)
      })
    })
  }

  /** Whether a tiny encode with `encoder` succeeds (an encoder can be compiled in without a usable device). */
  canEncode(encoder: string): Promise<boolean> {
    const args = ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'color=c=black:s=256x256:d=0.2', '-c:v', encoder, '-f', 'null', '-']
    return new Promise((resolve) => {
      execFile(this.ffmpegPath, args, { timeout: 15_000 }, (err) => resolve(!err))
    })
  }

  private command(spec: FfmpegSpec): FfmpegCommand {
    const command = ffmpeg().setFfmpegPath(this.ffmpegPath).setFfprobePath(this.ffprobePath)
    for (const input of spec.inputs) {
      command.input(input.path)
      // spread: an array argument makes fluent-ffmpeg split items at a space, which breaks values like a stream map
      if (input.options?.length) command.inputOptions(...input.options)
    }
    if (spec.complexFilter) command.complexFilter(spec.complexFilter)
    for (const output of spec.outputs) {
      command.output(output.target)
      if (output.options.length) command.outputOptions(...output.options)
    }
    return command
  }
}

/** Seconds from an ffmpeg stats line (`... time=00:01:02.50 ...`), or null. */
export function parseProgressTime(line: string): number | null {
  const m = /time=\s*(-?)(\d+):(\d{2}):(\d{2}(?:\.\d+)?)/.exec(line)
  if (!m || m[1] === '-') return null
  return Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4])
}

/** Inputs and outputs of a spec that may appear in ffmpeg's messages (URLs, scratch paths). */
function filesOf(spec: FfmpegSpec): string[] {
  return [...spec.inputs.map((i) => i.path), ...spec.outputs.flatMap((o) => (typeof o.target === 'string' ? [o.target] : []))]
}

/**
 * ffmpeg's own reason, from the stderr lines we kept (fluent-ffmpeg's message keeps only the lines after the
 * last `[demuxer @ 0x...]` one, which drops reasons such as "moov atom not found"). Inputs and outputs are named
 * by file name, so a presigned source URL never reaches the message.
 */
function ffmpegFailure(err: Error, stderr: string[], files: string[]): Error {
  const exit = /^ffmpeg (exited with code \d+|was killed with signal \w+)/.exec(err.message)
  const reason = ffmpegReason(exit ? stderr : [err.message, ...stderr], files)
  return new Error(`ffmpeg ${exit ? exit[1] : 'failed'}${reason ? `: ${reason}` : ''}`)
}

/** fluent-ffmpeg's ffprobe error is "ffprobe exited with code 1" and the whole stderr. */
function ffprobeFailure(err: Error, input: string): Error {
  const [first = '', ...rest] = err.message.split('\n')
  return new Error(ffmpegReason(rest, [input]) || ffmpegReason([first], [input]) || 'ffprobe could not read the file')
}
