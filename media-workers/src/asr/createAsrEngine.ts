import type { AsrEnv } from '@cutroom/schema'
import { type AsrEngine, AsrConfigError } from './AsrEngine'
import { OpenAiEngine } from './OpenAiEngine'
import { PocketsphinxEngine } from './PocketsphinxEngine'
import { WhisperEngine } from './WhisperEngine'

/** The engine `ASR_ENGINE` names, checked at boot: a missing program, model or URL stops the worker with a reason. */
export async function createAsrEngine(env: AsrEnv): Promise<AsrEngine> {
  switch (env.ASR_ENGINE) {
    case 'pocketsphinx':
      return PocketsphinxEngine.create({
        binary: env.POCKETSPHINX_PATH,
        batchBinary: env.POCKETSPHINX_BATCH_PATH,
        modelDir: env.POCKETSPHINX_MODEL_DIR,
      })
    case 'whisper':
      return WhisperEngine.create(env.ASR_WHISPER_MODEL)
    case 'openai':
      if (!env.ASR_OPENAI_URL) throw new AsrConfigError('ASR_ENGINE=openai needs ASR_OPENAI_URL.')
      return new OpenAiEngine({ url: env.ASR_OPENAI_URL, key: env.ASR_OPENAI_KEY, model: env.ASR_OPENAI_MODEL })
  }
}
