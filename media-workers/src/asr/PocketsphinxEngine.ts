import { spawn } from 'node:child_process'
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { JobCancelledError } from '../JobErrors'
import { ASR_SAMPLE_RATE, type AsrChunk, AsrConfigError, type AsrEngine, type AsrWord } from './AsrEngine'

export interface PocketsphinxOptions {
  /** `pocketsphinx_continuous` */
  binary: string
  /** Debian's pocketsphinx-en-us: `en-us/` (acoustic model), `en-us.lm.bin`, `cmudict-en-us.dict`. */
  modelDir: string
}

/** Lines of `-time yes` output that are not words. */
const NON_WORDS = /^(<s>|<\/s>|<sil>|\[[A-Z_]+\]|\+\+.*\+\+)$/

/**
 * Parses `pocketsphinx_continuous -time yes` output: per word `text start end posterior` (seconds, posterior
 * 0..1); `word(2)` names an alternative pronunciation of the same word. Fillers and silences are dropped.
 */
export function parsePocketsphinxTimes(stdout: string): AsrWord[] {
  const words: AsrWord[] = []
  for (const line of stdout.split('\n')) {
    const m = /^(\S+) (\d+\.\d+) (\d+\.\d+) (\d+(?:\.\d+)?)$/.exec(line.trim())
    if (!m) continue
    const text = m[1]!.replace(/\(\d+\)$/, '')
    if (NON_WORDS.test(text)) continue
    const start = Math.round(Number(m[2]) * ASR_SAMPLE_RATE)
    // an end time names the last 10 ms frame of the word: the word lasts through it
    const end = Math.max(start, Math.round((Number(m[3]) + 0.01) * ASR_SAMPLE_RATE))
    words.push({ text, start, end, confidence: Math.min(1, Math.max(0, Number(m[4]))) })
  }
  return words
}

/** The built-in engine: Debian's pocketsphinx 5prealpha with the US English model, one process per chunk. */
export class PocketsphinxEngine implements AsrEngine {
  readonly name = 'pocketsphinx' as const
  readonly languages = ['en'] as const

  private constructor(private readonly options: PocketsphinxOptions) {}

  /** Checks the program and the model files are there, so a worker without them refuses to start. */
  static async create(options: PocketsphinxOptions): Promise<PocketsphinxEngine> {
    const engine = new PocketsphinxEngine(options)
    for (const file of [
      join(options.modelDir, 'en-us', 'mdef'),
      join(options.modelDir, 'en-us.lm.bin'),
      join(options.modelDir, 'cmudict-en-us.dict'),
    ])
      await access(file).catch(() => {
        throw new AsrConfigError(
          `ASR_ENGINE=pocketsphinx needs the US English model in POCKETSPHINX_MODEL_DIR (${options.modelDir}); install Debian's pocketsphinx-en-us.`,
        )
      })
    await engine.exec(['-h', 'no'], new AbortController().signal).catch((err: Error) => {
      throw new AsrConfigError(
        `ASR_ENGINE=pocketsphinx could not run ${options.binary} (${err.message}); install Debian's pocketsphinx.`,
      )
    })
    return engine
  }

  async transcribe(chunk: AsrChunk, { signal }: { language: string; signal: AbortSignal }): Promise<AsrWord[]> {
    const { modelDir } = this.options
    const stdout = await this.exec(
      [
        '-infile',
        chunk.wavPath,
        '-time',
        'yes',
        '-hmm',
        join(modelDir, 'en-us'),
        '-lm',
        join(modelDir, 'en-us.lm.bin'),
        '-dict',
        join(modelDir, 'cmudict-en-us.dict'),
        '-samprate',
        String(ASR_SAMPLE_RATE),
        '-logfn',
        '/dev/null',
      ],
      signal,
    )
    return parsePocketsphinxTimes(stdout).filter((w) => w.start < chunk.samples)
  }

  async close(): Promise<void> {}

  private exec(args: string[], signal: AbortSignal): Promise<string> {
    if (signal.aborted) return Promise.reject(new JobCancelledError())
    return new Promise((resolve, reject) => {
      const child = spawn(this.options.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
      const out: Buffer[] = []
      let err = ''
      const onAbort = () => child.kill('SIGKILL')
      signal.addEventListener('abort', onAbort, { once: true })
      child.stdout.on('data', (d: Buffer) => out.push(d))
      child.stderr.on('data', (d: Buffer) => {
        err = (err + d.toString()).slice(-2000)
      })
      child.on('error', (e) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      })
      child.on('close', (code) => {
        signal.removeEventListener('abort', onAbort)
        if (signal.aborted) reject(new JobCancelledError())
        else if (code !== 0 && !args.includes('-h'))
          reject(new Error(`pocketsphinx failed (exit ${code}): ${err.trim().split('\n').pop() ?? ''}`))
        else resolve(Buffer.concat(out).toString())
      })
    })
  }
}
