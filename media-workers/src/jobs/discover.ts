import { randomUUID } from 'node:crypto'
import type { DiscoverResult } from '@cutroom/schema'
import { type AudioSignals, analyzeAudio } from '../discover/analyzeAudio'
import { detectSceneCuts } from '../discover/detectSceneCuts'
import { rankWindows } from '../discover/rankWindows'
import type { JobHandler } from '../JobContext'

/**
 * Clip discovery: scene cuts (`scdet`) and the audio (loudness and its peaks, speech by the Silero VAD) are read in
 * two ffmpeg runs side by side, the transcript sent with the job adds sentences, hooks, keywords and fillers, and
 * the best non-overlapping windows come back ranked with their sub-scores. The api stores them as suggestions.
 */
export const discover: JobHandler<'discover'> = async (ctx) => {
  const { input } = ctx.payload
  const source = await ctx.source()
  const info = await ctx.mediaInfo()
  const duration = info.durationSeconds
  const missing: string[] = []
  let videoDone = 0
  let audioDone = 0
  const report = () => {
    const parts = (info.video ? 1 : 0) + (info.audio ? 1 : 0)
    ctx.progress(Math.min(0.99, (videoDone + audioDone) / Math.max(1, parts)), 'analysing')
  }
  const [cutFrames, audio] = await Promise.all([
    info.video
      ? detectSceneCuts(ctx.ffmpeg, source, {
          signal: ctx.signal,
          workDir: ctx.workDir,
          durationSeconds: duration,
          onProgress: (f) => {
            videoDone = f
            report()
          },
        })
      : Promise.resolve(null),
    info.audio
      ? analyzeAudio(ctx.ffmpeg, source, {
          signal: ctx.signal,
          onnxProviders: ctx.capabilities.onnxProviders,
          onDecoded: (s) => {
            audioDone = Math.min(1, s / Math.max(1, duration))
            report()
          },
        })
      : Promise.resolve(null as AudioSignals | null),
  ])
  const fps = info.video?.fps ?? null
  if (!info.video) missing.push('No video stream: scene cuts were not used.')
  if (!audio) missing.push('No audio stream: loudness and speech were not used.')
  else if (audio.speech.length === 0) missing.push('No speech was found in the audio.')
  const sentences = input.transcript?.sentences.map((x) => ({ start: x.startMs / 1000, end: x.endMs / 1000, text: x.text })) ?? null
  if (!sentences?.length)
    missing.push(
      input.keywords.length
        ? 'No transcript of this asset: sentences, hooks, fillers and the keywords were not used. Transcribe it first.'
        : 'No transcript of this asset: sentences, hooks and fillers were not used.',
    )
  const cuts = cutFrames && fps ? cutFrames.map((f) => (f * fps.den) / fps.num) : null
  const { windows, scored } = rankWindows(
    { durationSeconds: duration, cuts, audio, sentences: sentences?.length ? sentences : null, keywords: input.keywords },
    { minSeconds: input.minSeconds, maxSeconds: input.maxSeconds, count: input.count },
  )
  const result: DiscoverResult = {
    durationSeconds: duration,
    signals: {
      scenes: cuts !== null,
      audio: audio !== null,
      speech: (audio?.speech.length ?? 0) > 0,
      transcript: (sentences?.length ?? 0) > 0,
    },
    missing,
    sceneCuts: (cutFrames ?? []).slice(0, 2000),
    fps,
    windowsScored: scored,
    suggestions: windows.map((w, i) => ({
      id: randomUUID(),
      rank: i + 1,
      startMs: Math.round(w.start * 1000),
      endMs: Math.round(w.end * 1000),
      score: w.score,
      subScores: w.subScores,
      reasons: w.reasons,
      text: w.text,
    })),
    note:
      windows.length === 0
        ? `The recording (${duration.toFixed(1)} s) is shorter than the shortest clip asked for (${input.minSeconds} s).`
        : undefined,
  }
  ctx.progress(1, 'done')
  return {
    artifacts: [],
    usage: [{ metric: 'media_seconds', quantity: duration }],
    result: JSON.parse(JSON.stringify(result)),
  }
}
