import type { TtsEnv } from '@cutroom/schema'
import { EspeakEngine } from './EspeakEngine'
import { FliteEngine } from './FliteEngine'
import { PiperEngine } from './PiperEngine'
import type { TtsEngine } from './TtsEngine'

/**
 * The engine `TTS_ENGINE` names (flite when unset, piper when only `TTS_PIPER_VOICE` is set), checked at boot: a
 * missing program or an unreadable voice file stops the worker with its reason.
 */
export async function createTtsEngine(
  env: TtsEnv,
  options: { onnxProviders?: readonly string[] } = {},
): Promise<TtsEngine> {
  const name = env.TTS_ENGINE ?? (env.TTS_PIPER_VOICE ? 'piper' : 'flite')
  switch (name) {
    case 'flite':
      return FliteEngine.create(env.FLITE_PATH)
    case 'espeak-ng':
      return EspeakEngine.create(env.ESPEAK_NG_PATH)
    case 'piper':
      return PiperEngine.create({
        voicePath: env.TTS_PIPER_VOICE ?? '',
        espeakPath: env.ESPEAK_NG_PATH,
        onnxProviders: options.onnxProviders,
      })
  }
}
