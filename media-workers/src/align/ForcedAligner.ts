import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ASR_SAMPLE_RATE } from '../asr/AsrEngine'
import { PocketsphinxBatch } from '../asr/PocketsphinxBatch'
import { writeWav } from '../asr/writeWav'
import { dictionaryWord, type PronouncingDictionary } from './PronouncingDictionary'

/** Samples per 10 ms feature frame at 16 kHz. */
const FRAME = ASR_SAMPLE_RATE / 100
/** Shorter chunks are not decoded (a word takes a few frames per phone). */
const MIN_SAMPLES = FRAME * 10
const NON_WORDS = /^(<s>|<\/s>|<sil>|\[[A-Za-z_]+\]|\+\+.*\+\+)$/

export interface AlignerOptions {
  /** `pocketsphinx_batch` */
  binary: string
  /** Debian's pocketsphinx-en-us: `en-us/` (acoustic model) and `cmudict-en-us.dict`. */
  modelDir: string
  workDir: string
  signal: AbortSignal
}

/** A word's place in the chunk's audio, samples at 16 kHz from the chunk's start, or null if it was not aligned. */
export type AlignedTime = { start: number; end: number } | null

/** One line of `-hypseg` output: per token its start frame; the line ends with the utterance's last frame. */
export function parseHypseg(line: string): { uttid: string; words: { word: string; frame: number }[]; end: number } {
  const parts = line.trim().split(/\s+/)
  const uttid = parts[0] ?? ''
  const at = parts.indexOf('L')
  const tokens = at >= 0 ? parts.slice(at + 2) : []
  const words: { word: string; frame: number }[] = []
  let i = 0
  for (; i + 3 < tokens.length; i += 4) words.push({ frame: Number(tokens[i]), word: tokens[i + 3]! })
  const end = Number(tokens[i] ?? words[words.length - 1]?.frame ?? 0)
  return { uttid, words, end }
}

/**
 * Forced alignment with pocketsphinx: each chunk's known words become a linear finite-state grammar (the words in
 * order, silences and fillers allowed between them), and one `pocketsphinx_batch` process decodes every chunk
 * against its own grammar (`-fsgctl`) with a dictionary of just these words. A chunk whose audio does not fit its
 * words comes back with no (or a different) word sequence: its words are not aligned.
 */
export class ForcedAligner {
  private readonly pending: ((line: string) => void)[] = []
  private batch: PocketsphinxBatch | null = null
  /** Per chunk, the grammar word of each input word (null for a word with nothing to pronounce). */
  private tokens: (string | null)[][] = []
  private decodable: boolean[] = []
  guessed = new Set<string>()

  constructor(
    private readonly options: AlignerOptions,
    private readonly dictionary: PronouncingDictionary,
  ) {}

  /** Writes the dictionary and the grammars of every chunk (its words and length in samples) and starts the decoder. */
  async start(chunks: readonly { words: readonly string[]; samples: number }[]): Promise<void> {
    const { workDir, modelDir } = this.options
    this.tokens = chunks.map(({ words }) =>
      words.map((w) => {
        const d = dictionaryWord(w)
        return d && this.dictionary.pronounce(d).phones.length ? d : null
      }),
    )
    // the grammar file list is read in step with the utterances: only chunks that will be decoded are in it
    this.decodable = chunks.map((c, i) => c.samples >= MIN_SAMPLES && this.tokens[i]!.some((t) => t !== null))
    const dict = this.dictionary.forWords(this.tokens.flat().filter((t): t is string => t !== null))
    this.guessed = dict.guessed
    await writeFile(join(workDir, 'align.dict'), dict.text)
    const ctl: string[] = []
    for (const [i, tokens] of this.tokens.entries()) {
      if (!this.decodable[i]) continue
      const words = tokens.filter((t): t is string => t !== null)
      const lines = [
        `FSG_BEGIN chunk${i}`,
        `NUM_STATES ${words.length + 1}`,
        'START_STATE 0',
        `FINAL_STATE ${words.length}`,
      ]
      for (const [j, w] of words.entries()) lines.push(`TRANSITION ${j} ${j + 1} 1.0 ${w}`)
      lines.push('FSG_END', '')
      await writeFile(join(workDir, `chunk${i}.fsg`), lines.join('\n'))
      ctl.push(`chunk${i}`)
    }
    await writeFile(join(workDir, 'align.fsgctl'), `${ctl.join('\n')}\n`)
    this.batch = await PocketsphinxBatch.start(
      this.options.binary,
      [
        '-cepdir',
        workDir,
        '-cepext',
        '.wav',
        '-adcin',
        'yes',
        '-adchdr',
        '44',
        '-fsgctl',
        join(workDir, 'align.fsgctl'),
        '-fsgdir',
        workDir,
        '-fsgext',
        '.fsg',
        '-hmm',
        join(modelDir, 'en-us'),
        '-dict',
        join(workDir, 'align.dict'),
        '-samprate',
        String(ASR_SAMPLE_RATE),
        // its own voice activity detection drops silent frames, and word times with them
        '-remove_silence',
        'no',
        '-logfn',
        '/dev/null',
      ],
      ['-hypseg'],
      (line) => this.pending.shift()?.(line),
      this.options.signal,
      workDir,
    )
  }

  /**
   * Aligns chunk `index` (chunks must be given in order, each once) on its 16 kHz audio: per input word its time
   * in the chunk, or null for every word if the audio and the words do not fit.
   */
  async align(index: number, pcm: Int16Array): Promise<AlignedTime[]> {
    const batch = this.batch
    if (!batch) throw new Error('the aligner has not started')
    const tokens = this.tokens[index]!
    if (!this.decodable[index]) return tokens.map(() => null)
    const grammar = tokens.filter((t): t is string => t !== null)
    // a tail cut short by the end of the audio still gets a decodable file
    const audio = pcm.length >= MIN_SAMPLES ? pcm : Int16Array.from({ length: MIN_SAMPLES }, (_, i) => pcm[i] ?? 0)
    await writeWav(join(this.options.workDir, `chunk${index}.wav`), audio, ASR_SAMPLE_RATE)
    const answered = new Promise<string>((resolve) => this.pending.push(resolve))
    batch.send(`chunk${index}`)
    const line = await Promise.race([answered, batch.failed()])
    await rm(join(this.options.workDir, `chunk${index}.wav`), { force: true })
    const seg = parseHypseg(line)
    const hyp = seg.words
      .map((w, i) => ({ ...w, word: w.word.replace(/\(\d+\)$/, ''), next: seg.words[i + 1]?.frame ?? seg.end }))
      .filter((w) => !NON_WORDS.test(w.word))
    if (hyp.length !== grammar.length || hyp.some((w, i) => w.word !== grammar[i])) return tokens.map(() => null)
    let k = 0
    return tokens.map((t) => {
      if (t === null) return null
      const w = hyp[k++]!
      const start = Math.min(audio.length, w.frame * FRAME)
      return { start, end: Math.max(start, Math.min(audio.length, w.next * FRAME)) }
    })
  }

  async close(): Promise<void> {
    if (!this.batch) return
    const batch = this.batch
    this.batch = null
    await batch.end()
  }

  kill(): void {
    this.batch?.kill()
  }
}
