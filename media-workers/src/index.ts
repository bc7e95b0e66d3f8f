export { artifactId, artifactPrefix } from './artifactId'
export { detectCapabilities, type WorkerCapabilities } from './detectCapabilities'
export { ensureJobConsumer, ensureStreams } from './ensureJetStream'
export { FfmpegAdapter, type FfmpegSpec } from './FfmpegAdapter'
export type { JobContext, JobHandler, JobOutcome } from './JobContext'
export { JobCancelledError, PermanentJobError } from './JobErrors'
export { type MediaInfo, mediaInfoFrom } from './jobs/mediaInfo'
export { type Peaks, PeakBuilder } from './jobs/PeakBuilder'
export { ladderFor, transcodeSpec } from './jobs/transcode'
export { type SpriteIndex, spriteLayout, thumbnailsSpec } from './jobs/thumbnails'
export { waveformSpec } from './jobs/waveform'
export { type MediaWorkers, startMediaWorkers } from './MediaWorkers'
export { S3Storage } from './S3Storage'
export { generateTestClip, type TestClipOptions } from './generateTestClip'
export { type FramediffPlan, framediffPlan, framediffSpec } from './jobs/framediffPlan'
export { FramediffSlot } from './jobs/framediff'
export { OnnxRuntimeAdapter } from './OnnxRuntimeAdapter'
export { SsimSession } from './onnx/SsimSession'
export { composeFixture, cutFrames, type FixtureShot, type FixtureSound, type FixtureSpec } from './discover/composeFixture'
export { analyzeAudio, type AudioSignals } from './discover/analyzeAudio'
export { detectSceneCuts } from './discover/detectSceneCuts'
export { DEFAULT_WEIGHTS, type MediaSignals, type RankedWindow, rankWindows } from './discover/rankWindows'
export { createTtsEngine } from './tts/createTtsEngine'
export { TTS_ENGINES, type TtsEngine, type TtsEngineName, TtsConfigError } from './tts/TtsEngine'
export { measureLoudness } from './tts/measureLoudness'
export { narrationResampleSpec, wavSamples } from './jobs/tts'
export { createExportJob, type ExportTuning } from './jobs/export'
export { captionEvents, captionLook, DEFAULT_FONTS_DIR, segmentAss } from './jobs/exportCaptions'
export {
  concatList,
  encoderArgs,
  loudnessFilter,
  loudnessMeasureSpec,
  muxSpec,
  parseLoudness,
  type ResolvedSource,
  segmentAudioSpec,
  segmentVideoSpec,
} from './jobs/exportGraph'
export { compileRenderPlan, type RenderPlan } from './jobs/exportPlan'
export { type AsrEngine, openAsrSession } from './asr/AsrEngine'
export { createAsrEngine } from './asr/createAsrEngine'
export { durationOf, fliteSpeech, joinWithSilence, LIBRIVOX_DIR } from './asr/speechFixtures'
export { normalizeWords, wordErrorRate } from './asr/wordErrorRate'
export { batchSegmentation, librivoxUtterances } from './align/batchSegmentation'
export { align } from './jobs/align'
export { transcribe } from './jobs/transcribe'
export { streamSpeech } from './vad/streamSpeech'
