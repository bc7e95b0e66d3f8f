import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runProgram } from './runProgram'
import { TtsConfigError, type TtsEngine, type TtsRequest } from './TtsEngine'

/** Voices of Debian's flite that read text (awb_time only says the time); slt first, the default. */
const READING_VOICES = ['slt', 'kal16', 'kal', 'awb', 'rms']

/** The built-in engine: Debian's flite, one process per block, text from a file (a block may be long). */
export class FliteEngine implements TtsEngine {
  readonly name = 'flite' as const
  readonly defaultVoice: string

  private constructor(
    private readonly binary: string,
    readonly voices: readonly string[],
  ) {
    this.defaultVoice = voices[0]!
  }

  /** Asks flite for its voices, so a worker without flite (or without its voices) refuses to start. */
  static async create(binary: string): Promise<FliteEngine> {
    const listed = await runProgram(binary, ['-lv'], new AbortController().signal).catch((err: Error) => {
      throw new TtsConfigError(`TTS_ENGINE=flite could not run ${binary} (${err.message}); install Debian's flite.`)
    })
    const available = new Set(listed.replace(/^.*?:/s, '').trim().split(/\s+/))
    const voices = READING_VOICES.filter((v) => available.has(v))
    if (voices.length === 0)
      throw new TtsConfigError(`TTS_ENGINE=flite found none of the voices ${READING_VOICES.join(', ')} in ${binary}.`)
    return new FliteEngine(binary, voices)
  }

  async synthesize({ text, voice, wavPath, workDir, signal }: TtsRequest): Promise<void> {
    const textPath = join(workDir, 'flite-input.txt')
    await writeFile(textPath, text)
    await runProgram(this.binary, ['-voice', voice, '-f', textPath, '-o', wavPath], signal)
  }

  async close(): Promise<void> {}
}
