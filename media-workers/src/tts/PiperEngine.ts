import { readFile, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { writeWav } from '../asr/writeWav'
import { type OnnxSession, OnnxRuntimeAdapter } from '../OnnxRuntimeAdapter'
import { runProgram } from './runProgram'
import { TtsConfigError, type TtsEngine, type TtsRequest } from './TtsEngine'

/** The parts of a Piper voice's `<voice>.onnx.json` the engine uses. */
interface PiperVoiceConfig {
  audio: { sample_rate: number }
  espeak?: { voice?: string }
  inference?: { noise_scale?: number; length_scale?: number; noise_w?: number }
  phoneme_id_map: Record<string, number[]>
  num_speakers?: number
}

/**
 * Phoneme ids the way Piper builds them: `^` (start), each phoneme's ids followed by the pad `_`, `$` (end).
 * Phonemes the voice does not know are skipped.
 */
export function piperPhonemeIds(phonemes: string, map: Record<string, number[]>): number[] {
  const pad = map._ ?? [0]
  const ids = [...(map['^'] ?? []), ...pad]
  for (const ph of Array.from(phonemes.normalize('NFD'))) {
    const known = map[ph]
    if (known) ids.push(...known, ...pad)
  }
  ids.push(...(map.$ ?? []))
  return ids
}

/**
 * A Piper (VITS) voice on ONNX Runtime: espeak-ng turns the text into IPA phonemes (as Piper itself does), the
 * voice's phoneme map turns them into ids, the model returns the waveform. The voice file and its JSON come from
 * the operator (`TTS_PIPER_VOICE`); nothing is downloaded.
 */
export class PiperEngine implements TtsEngine {
  readonly name = 'piper' as const
  readonly voices: readonly string[]
  readonly defaultVoice: string

  private constructor(
    private readonly session: OnnxSession,
    private readonly config: PiperVoiceConfig,
    private readonly espeak: string,
    voiceName: string,
  ) {
    this.voices = [voiceName]
    this.defaultVoice = voiceName
  }

  static async create(options: {
    voicePath: string
    espeakPath: string
    onnxProviders?: readonly string[]
  }): Promise<PiperEngine> {
    const { voicePath } = options
    const name = basename(voicePath).replace(/\.onnx$/, '')
    let model: Uint8Array
    let config: PiperVoiceConfig
    try {
      model = await readFile(voicePath)
    } catch (err) {
      throw new TtsConfigError(
        `TTS_PIPER_VOICE names a voice file that cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}: ${name}.onnx); put the Piper voice there or unset TTS_PIPER_VOICE.`,
      )
    }
    try {
      config = JSON.parse(await readFile(`${voicePath}.json`, 'utf8')) as PiperVoiceConfig
      if (!Number.isInteger(config.audio?.sample_rate) || typeof config.phoneme_id_map !== 'object')
        throw new Error('no audio.sample_rate or phoneme_id_map')
    } catch (err) {
      throw new TtsConfigError(
        `The Piper voice ${name} needs its config ${name}.onnx.json beside it (${(err as Error).message}).`,
      )
    }
    let session: OnnxSession
    try {
      session = await new OnnxRuntimeAdapter(options.onnxProviders ?? ['cpu']).session(model)
    } catch (err) {
      throw new TtsConfigError(
        `The Piper voice ${name} is not a model ONNX Runtime can load (${(err as Error).message}).`,
      )
    }
    await runProgram(options.espeakPath, ['--version'], new AbortController().signal).catch((err: Error) => {
      void session.release().catch(() => {})
      throw new TtsConfigError(`Piper voices need espeak-ng for phonemes (${err.message}); install Debian's espeak-ng.`)
    })
    return new PiperEngine(session, config, options.espeakPath, name)
  }

  async synthesize({ text, wavPath, workDir, signal }: TtsRequest): Promise<void> {
    const voice = this.config.espeak?.voice ?? 'en-us'
    const textPath = join(workDir, 'piper-input.txt')
    await writeFile(textPath, text)
    const phonemes = (await runProgram(this.espeak, ['-q', '--ipa', '-v', voice, '-f', textPath], signal)).replace(
      /\s*\n\s*/g,
      ' ',
    )
    const ids = piperPhonemeIds(phonemes.trim(), this.config.phoneme_id_map)
    const inference = this.config.inference ?? {}
    const feeds: Parameters<OnnxSession['run']>[0] = {
      input: { data: BigInt64Array.from(ids, (n) => BigInt(n)), dims: [1, ids.length] },
      input_lengths: { data: BigInt64Array.from([BigInt(ids.length)]), dims: [1] },
      scales: {
        data: Float32Array.from([
          inference.noise_scale ?? 0.667,
          inference.length_scale ?? 1,
          inference.noise_w ?? 0.8,
        ]),
        dims: [3],
      },
    }
    if ((this.config.num_speakers ?? 1) > 1) feeds.sid = { data: BigInt64Array.from([0n]), dims: [1] }
    const out = await this.session.run(feeds)
    const audio = (out.output ?? Object.values(out)[0])?.data
    if (!audio) throw new Error('The Piper voice returned no audio.')
    let peak = 0
    for (const v of audio) peak = Math.max(peak, Math.abs(v))
    const gain = peak > 1 ? 1 / peak : 1
    const pcm = Int16Array.from(audio, (v) => Math.round(Math.max(-1, Math.min(1, v * gain)) * 32767))
    await writeWav(wavPath, pcm, this.config.audio.sample_rate)
  }

  close(): Promise<void> {
    return this.session.release()
  }
}
