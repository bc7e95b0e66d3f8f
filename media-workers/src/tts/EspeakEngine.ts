import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runProgram } from './runProgram'
import { TtsConfigError, type TtsEngine, type TtsRequest } from './TtsEngine'

/** Voice names of `espeak-ng --voices`: its Language column (what `-v` takes). */
export function parseEspeakVoices(listing: string): string[] {
  return listing
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/)[1] ?? '')
    .filter(Boolean)
}

/** Debian's espeak-ng: every language it ships, `en-us` by default. One process per block. */
export class EspeakEngine implements TtsEngine {
  readonly name = 'espeak-ng' as const
  readonly defaultVoice: string

  private constructor(
    private readonly binary: string,
    readonly voices: readonly string[],
  ) {
    this.defaultVoice = voices.includes('en-us') ? 'en-us' : voices[0]!
  }

  static async create(binary: string): Promise<EspeakEngine> {
    const listing = await runProgram(binary, ['--voices'], new AbortController().signal).catch((err: Error) => {
      throw new TtsConfigError(
        `TTS_ENGINE=espeak-ng could not run ${binary} (${err.message}); install Debian's espeak-ng.`,
      )
    })
    const voices = parseEspeakVoices(listing)
    if (voices.length === 0) throw new TtsConfigError(`TTS_ENGINE=espeak-ng found no voices in ${binary}.`)
    return new EspeakEngine(binary, voices)
  }

  async synthesize({ text, voice, wavPath, workDir, signal }: TtsRequest): Promise<void> {
    const textPath = join(workDir, 'espeak-input.txt')
    await writeFile(textPath, text)
    await runProgram(this.binary, ['-v', voice, '-f', textPath, '-w', wavPath], signal)
  }

  async close(): Promise<void> {}
}
