import { spawn } from 'node:child_process'
import { access, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { JobCancelledError } from '../JobErrors'
import {
  ASR_SAMPLE_RATE,
  type AsrChunk,
  AsrConfigError,
  type AsrEngine,
  type AsrSession,
  type AsrSessionOptions,
  type AsrWord,
} from './AsrEngine'
import { PocketsphinxBatch } from './PocketsphinxBatch'

export interface PocketsphinxOptions {
  /** `pocketsphinx_continuous` */
  binary: string
  /** `pocketsphinx_batch`, for a job's session (one process decodes every segment). */
  batchBinary?: string
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

  /**
   * One `pocketsphinx_batch` process for the job: the models load once (they dominated the time when every
   * segment started its own process), each segment is decoded as soon as it is queued, and its words come back
   * from the `-hyp` line (how many words) and the `-ctm` lines that follow it (times and posteriors).
   */
  async session({ signal, workDir }: AsrSessionOptions): Promise<AsrSession> {
    const { modelDir } = this.options
    const pending: { uttid: string; samples: number; resolve: (w: AsrWord[]) => void }[] = []
    let collecting: {
      uttid: string
      samples: number
      want: number
      words: AsrWord[]
      resolve: (w: AsrWord[]) => void
    } | null = null
    const settle = () => {
      if (!collecting) return
      collecting.resolve(collecting.words.filter((w) => w.start < collecting!.samples))
      collecting = null
    }
    const onLine = (line: string) => {
      const hyp = /^(.*) \((\S+) -?\d+\)$/.exec(line)
      if (hyp) {
        settle()
        const head = pending.shift()
        if (!head) return
        const want = hyp[1]!.split(' ').filter(Boolean).length
        collecting = { ...head, want, words: [] }
        if (want === 0) settle()
        return
      }
      const ctm = /^(\S+) \d+ (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\S+) (\d+(?:\.\d+)?)$/.exec(line.trim())
      if (!ctm || !collecting || ctm[1] !== collecting.uttid) return
      const text = ctm[4]!.replace(/\(\d+\)$/, '')
      if (!NON_WORDS.test(text)) {
        const start = Math.round(Number(ctm[2]) * ASR_SAMPLE_RATE)
        const end = Math.max(start, Math.round((Number(ctm[2]) + Number(ctm[3])) * ASR_SAMPLE_RATE))
        collecting.words.push({ text, start, end, confidence: Math.min(1, Math.max(0, Number(ctm[5]))) })
      }
      if (--collecting.want <= 0) settle()
    }
    const batch = await PocketsphinxBatch.start(
      this.options.batchBinary ?? 'pocketsphinx_batch',
      [
        ...['-cepdir', workDir, '-cepext', '.wav', '-adcin', 'yes', '-adchdr', '44'],
        ...['-hmm', join(modelDir, 'en-us'), '-lm', join(modelDir, 'en-us.lm.bin')],
        ...['-dict', join(modelDir, 'cmudict-en-us.dict'), '-samprate', String(ASR_SAMPLE_RATE)],
        // the segments are speech already (Silero VAD); its own VAD would drop frames and shift the word times
        ...['-remove_silence', 'no'],
        // at most 3000 active HMMs per frame: a third less CPU than the default 30000 and the same WER on librivox
        ...['-maxhmmpf', '3000'],
        ...['-logfn', '/dev/null'],
      ],
      ['-hyp', '-ctm'],
      onLine,
      signal,
      workDir,
    )
    let n = 0
    return {
      transcribe: async (chunk) => {
        const uttid = `utt${n++}`
        const wav = join(workDir, `${uttid}.wav`)
        await rename(chunk.wavPath, wav)
        const words = new Promise<AsrWord[]>((resolve) => pending.push({ uttid, samples: chunk.samples, resolve }))
        batch.send(uttid)
        try {
          return await Promise.race([words, batch.failed()])
        } finally {
          await rm(wav, { force: true })
        }
      },
      close: async () => {
        try {
          await batch.end()
        } finally {
          batch.kill()
        }
      },
    }
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
