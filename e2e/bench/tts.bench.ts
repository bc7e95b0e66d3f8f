/**
 * Speech synthesis benchmark: real-time factor of each tts engine on this machine, through the tts job's steps
 * (synthesis, resampling to 48 kHz, EBU R128 measurement). Writes the `tts` section of docs/benchmarks.md; the
 * speech benchmark can include the same figures through `measureTtsRealTimeFactors`.
 *
 *   npm run bench tts
 */
import { loadavg } from 'node:os'
import { writeBenchSection } from './report'
import { measureTtsRealTimeFactors, TTS_BENCH_TEXT, ttsTable } from './speechTts'

const runs = Number(process.env.TTS_BENCH_RUNS ?? 5)
const load = loadavg()[0]!
const result = await measureTtsRealTimeFactors({ runs })
const table = ttsTable(result)
process.stdout.write(`${table}\n`)
writeBenchSection(
  'tts',
  `## Speech synthesis (\`npm run bench tts\`)

Real-time factor of each engine (wall time / length of the speech) for one narration block of ${TTS_BENCH_TEXT.split(/\s+/).length} words,
through the tts job's own steps: the engine, ffmpeg resampling to 48 kHz, and the loudness pass (ffmpeg ebur128
with true peak, EBU R128). S3 upload and NATS are left out. Median of ${runs} runs per voice.

${table}

Load average when the run started: ${load.toFixed(2)}${load > 1.5 ? ' (the machine was loaded: other builds and tests were running, so wall times are pessimistic)' : ''}.`,
)
