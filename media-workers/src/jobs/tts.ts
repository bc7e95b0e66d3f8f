import { open, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { ErrorCode, retell, TTS_SAMPLE_RATE, type TtsResult } from '@cutroom/schema'
import { artifactId } from '../artifactId'
import type { FfmpegSpec } from '../FfmpegAdapter'
import type { JobHandler } from '../JobContext'
import { PermanentJobError } from '../JobErrors'
import { measureLoudness } from '../tts/measureLoudness'
import { resolveVoice } from '../tts/TtsEngine'

/** `orgs/<org>/projects/<project>/narration/<document or "text">/artifacts/<artifact>` */
export function narrationPrefix(orgId: string, projectId: string, documentId: string | undefined, id: string): string {
  return `orgs/${orgId}/projects/${projectId}/narration/${documentId ?? 'text'}/artifacts/${id}`
}

/** The engine's WAV, whatever its rate, as the 48 kHz mono 16-bit WAV every narration is stored as. */
export function narrationResampleSpec(input: string, output: string): FfmpegSpec {
  return {
    inputs: [{ path: input }],
    outputs: [
      {
        target: output,
        options: [
          '-vn',
          '-ac',
          '1',
          '-ar',
          String(TTS_SAMPLE_RATE),
          '-c:a',
          'pcm_s16le',
          '-map_metadata',
          '-1',
          '-fflags',
          '+bitexact',
        ],
      },
    ],
  }
}

/** Samples of a mono 16-bit WAV file, from its `data` chunk (ffmpeg may write other chunks before it). */
export async function wavSamples(path: string): Promise<number> {
  const file = await open(path, 'r')
  try {
    const head = Buffer.alloc(64 * 1024)
    const { bytesRead } = await file.read(head, 0, head.length, 0)
    let at = 12
    while (at + 8 <= bytesRead) {
      const id = head.toString('latin1', at, at + 4)
      const size = head.readUInt32LE(at + 4)
      if (id === 'data') {
        // a streamed WAV may leave the size unset: the rest of the file is data
        const rest = (await stat(path)).size - (at + 8)
        return Math.floor((size === 0 || size === 0xffffffff ? rest : Math.min(size, rest)) / 2)
      }
      at += 8 + size + (size % 2)
    }
    throw new Error('The synthesized file has no audio data.')
  } finally {
    await file.close()
  }
}

/**
 * Text to speech for one narration block: the worker's engine (flite, espeak-ng or a Piper voice) writes the
 * speech, ffmpeg resamples it to 48 kHz mono, loudness is measured (EBU R128: integrated, true peak, range), and
 * the WAV goes to S3 as the job's `narration` artifact. The api patches it into the block once it is recorded.
 */
export const tts: JobHandler<'tts'> = async (ctx) => {
  const { payload } = ctx
  const engine = ctx.tts
  if (!engine) throw new Error('This worker has no speech synthesis engine.')
  const voice = resolveVoice(engine, payload.input.voice)
  if (!voice)
    throw new PermanentJobError(
      ErrorCode.BAD_INPUT,
      `The ${engine.name} engine has no voice "${payload.input.voice}"; it has: ${engine.voices.slice(0, 40).join(', ')}.`,
    )
  const text = retell.normalizeNarrationText(payload.input.text)
  if (!text) throw new PermanentJobError(ErrorCode.BAD_INPUT, 'There is no text to synthesize.')

  ctx.progress(0.05, 'synthesizing')
  const raw = join(ctx.workDir, 'speech.wav')
  await engine.synthesize({ text, voice, wavPath: raw, workDir: ctx.workDir, signal: ctx.signal })
  ctx.progress(0.6, 'resampling')
  const out = join(ctx.workDir, 'narration.wav')
  await ctx.ffmpeg.run(narrationResampleSpec(raw, out), { signal: ctx.signal })
  const samples = await wavSamples(out)
  if (samples === 0) throw new PermanentJobError(ErrorCode.BAD_INPUT, 'The engine made no sound for this text.')
  ctx.progress(0.8, 'measuring loudness')
  const loudness = await measureLoudness(ctx.ffmpeg.ffmpegPath, out, ctx.signal)

  const id = artifactId(payload.jobId, 'narration')
  const key = `${narrationPrefix(payload.orgId, payload.projectId, payload.input.documentId, id)}/narration.wav`
  const uploaded = await ctx.storage.uploadFile(key, out, 'audio/wav')
  const durationSeconds = samples / TTS_SAMPLE_RATE
  const result: TtsResult = {
    documentId: payload.input.documentId,
    blockId: payload.input.blockId,
    fingerprint: payload.input.fingerprint,
    engine: engine.name,
    voice,
    artifactId: id,
    sampleRate: TTS_SAMPLE_RATE,
    samples,
    durationSeconds,
    loudness,
  }
  ctx.progress(1, 'done')
  return {
    artifacts: [
      {
        id,
        slot: 'narration',
        key: uploaded.key,
        contentType: 'audio/wav',
        size: uploaded.size,
        metadata: { engine: engine.name, voice, sampleRate: TTS_SAMPLE_RATE, samples, loudness },
      },
    ],
    usage: [{ metric: 'media_seconds', quantity: durationSeconds }],
    result: JSON.parse(JSON.stringify(result)),
  }
}
