/**
 * Speech benchmark, one run: real-time factor and word error rate of each available ASR engine on the librivox
 * test utterances (Debian's pocketsphinx-testdata, joined with pauses of 1.003 s) and on a 60 s file (the utterances
 * twice); VAD time per minute of audio; alignment real-time factor and word-start error against pocketsphinx_batch's
 * own segmentation; peak RSS of 1- and 10-minute transcriptions, each in a process of its own. Writes the `speech`
 * section of docs/benchmarks.md. The rows come from ./speechRows, so a TTS row can be added to the same run.
 *
 *   npm run bench speech
 */
import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import {
  batchSegmentation,
  createAsrEngine,
  durationOf,
  joinWithSilence,
  LIBRIVOX_DIR,
  librivoxUtterances,
} from '@cutroom/media-workers'
import { AsrEnv } from '@cutroom/schema'
import { writeBenchSection } from './report'
import { measureTtsRealTimeFactors, TTS_BENCH_TEXT, ttsTable } from './speechTts'
import {
  type AlignmentRow,
  measureAlignment,
  measureTranscription,
  measureVad,
  type TranscriptionRow,
  type VadRow,
} from './speechRows'

const run = promisify(execFile)
const dir = mkdtempSync(path.join(tmpdir(), 'cutroom-speech-bench-'))
const log = (s: string) => process.stdout.write(`${s}\n`)
// not a whole number of 10 ms frames, so the utterances do not start on the decoder's frame grid
const GAP = 1.003
const loadBefore = loadavg()[0]!

const utts = await librivoxUtterances(LIBRIVOX_DIR)
/** The utterances joined with pauses; reference words and, per utterance, its offset and reference word starts. */
async function joined(name: string, times: number) {
  const list = Array.from({ length: times }, () => utts).flat()
  const file = path.join(dir, `${name}.wav`)
  await joinWithSilence(
    list.map((u) => u.file),
    GAP,
    file,
  )
  let offset = GAP
  const utterances = []
  for (const u of list) {
    const duration = await durationOf(u.file)
    const starts = (await batchSegmentation(u.file, u.words)).map((r) => r.start)
    utterances.push({ words: u.words, offset, duration, starts })
    offset += duration + GAP
  }
  return { file, reference: list.flatMap((u) => u.words), utterances }
}

const librivox = await joined('librivox', 1)
const minute = await joined('sixty', 2)
log(
  `inputs: librivox ${(await durationOf(librivox.file)).toFixed(1)} s, 60 s file ${(await durationOf(minute.file)).toFixed(1)} s`,
)

// each available engine: the built-in one always, the others when configured as the worker would be
const env = AsrEnv.parse(process.env)
const engines = [
  'pocketsphinx',
  ...(env.ASR_WHISPER_MODEL ? ['whisper'] : []),
  ...(env.ASR_OPENAI_URL ? ['openai'] : []),
]
const transcriptions: TranscriptionRow[] = []
for (const name of engines) {
  const engine = await createAsrEngine(AsrEnv.parse({ ...process.env, ASR_ENGINE: name }))
  for (const [input, f] of [
    ['librivox', librivox],
    ['60 s file', minute],
  ] as const) {
    const row = await measureTranscription(engine, input, f.file, f.reference)
    transcriptions.push(row)
    log(`${name} ${input}: RTF ${row.rtf.toFixed(3)}, WER ${(row.wer * 100).toFixed(1)}%`)
  }
  await engine.close()
}

const vad: VadRow = await measureVad('60 s file', minute.file)
log(`VAD: ${vad.secondsPerMinute.toFixed(2)} s per minute (RTF ${vad.rtf.toFixed(4)})`)

// alignment at 44.1 kHz, as a delivered file would be
const alignments: AlignmentRow[] = []
for (const [input, f] of [
  ['librivox', librivox],
  ['60 s file', minute],
] as const) {
  const flac = f.file.replace(/\.wav$/, '.flac')
  await run('ffmpeg', ['-loglevel', 'error', '-y', '-i', f.file, '-ar', '44100', flac])
  const row = await measureAlignment(input, flac, f.utterances)
  alignments.push(row)
  log(`align ${input}: RTF ${row.rtf.toFixed(4)}, mean start error ${row.meanStartErrorMs.toFixed(1)} ms`)
}

// peak memory: 1 and 10 minutes (the 60 s file looped), each in its own process
async function rss(minutes: number) {
  const file = path.join(dir, `rss-${minutes}.wav`)
  await run('ffmpeg', [
    '-loglevel',
    'error',
    '-y',
    '-stream_loop',
    String(minutes - 1),
    '-i',
    minute.file,
    '-c',
    'copy',
    file,
  ])
  const refFile = path.join(dir, `rss-${minutes}.txt`)
  writeFileSync(refFile, Array.from({ length: minutes }, () => minute.reference.join(' ')).join(' '))
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(import.meta.dirname, 'speechRss.ts'), file, refFile],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    let text = ''
    child.stdout.on('data', (d) => {
      text += d
    })
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`speechRss exited ${code}`))))
  })
  const r = JSON.parse(out.trim().split('\n').pop()!) as { rtf: number; wer: number; peakRssMiB: number }
  log(
    `${minutes} min: peak RSS ${r.peakRssMiB.toFixed(0)} MiB, RTF ${r.rtf.toFixed(3)}, WER ${(r.wer * 100).toFixed(1)}%`,
  )
  return { minutes, ...r }
}
const memory = [await rss(1), await rss(10)]
const tts = await measureTtsRealTimeFactors({ runs: 3 })
const loadAfter = loadavg()[0]!

const pct = (x: number) => `${(x * 100).toFixed(1)}%`
const md = `## Speech (\`npm run bench speech\`)

One run of the real job code (the \`transcribe\` and \`align\` handlers: ffmpeg, Silero VAD on ONNX Runtime, pocketsphinx)
on local files; NATS and S3 are left out. Inputs: the five librivox utterances of Debian's pocketsphinx-testdata
joined with pauses of 1.003 s (${librivox.reference.length} words), and a 60 s file (the same twice). RTF = processing time /
audio duration, including model loading.

**The machine was shared with other work during this run** (1-minute load average ${loadBefore.toFixed(1)} at the start,
${loadAfter.toFixed(1)} at the end, on 2 cores), so times are higher than on an idle machine.

### Transcription (target on 2 cores: RTF <= 0.25, WER <= 30% with the built-in engine)

| engine | input | audio (s) | time (s) | RTF | WER |
| --- | --- | ---: | ---: | ---: | ---: |
${transcriptions.map((r) => `| ${r.engine} | ${r.input} | ${r.audioSeconds.toFixed(1)} | ${r.seconds.toFixed(2)} | ${r.rtf.toFixed(3)} | ${pct(r.wer)} |`).join('\n')}

Engines not in the table were not configured for this run (\`whisper\` needs \`ASR_WHISPER_MODEL\`, \`openai\` needs
\`ASR_OPENAI_URL\`).

### Voice activity detection (target: RTF <= 0.005)

| input | audio (s) | time (s) | per minute of audio (s) | RTF | segments |
| --- | ---: | ---: | ---: | ---: | ---: |
| ${vad.input} | ${vad.audioSeconds.toFixed(1)} | ${vad.seconds.toFixed(2)} | ${vad.secondsPerMinute.toFixed(2)} | ${vad.rtf.toFixed(4)} | ${vad.segments} |

VAD time includes ffmpeg decoding to 16 kHz.

### Forced alignment (target: RTF <= 0.05, mean word-start error <= 40 ms)

Cues a little early and late (to the nearest 100 ms), audio at 44.1 kHz; error against pocketsphinx_batch's own
segmentation of each original utterance file.

| input | audio (s) | time (s) | RTF | words aligned | mean start error (ms) | worst (ms) |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${alignments.map((r) => `| ${r.input} | ${r.audioSeconds.toFixed(1)} | ${r.seconds.toFixed(2)} | ${r.rtf.toFixed(4)} | ${r.aligned} / ${r.words} | ${r.meanStartErrorMs.toFixed(1)} | ${r.maxStartErrorMs.toFixed(0)} |`).join('\n')}

### Memory of a transcription (audio streamed; each in a process of its own)

| audio | peak RSS (MiB) | RTF | WER |
| --- | ---: | ---: | ---: |
${memory.map((m) => `| ${m.minutes} min | ${m.peakRssMiB.toFixed(0)} | ${m.rtf.toFixed(3)} | ${pct(m.wer)} |`).join('\n')}

### Speech synthesis (the tts job's steps: engine, resampling to 48 kHz, EBU R128 loudness)

One narration block of ${TTS_BENCH_TEXT.split(/\s+/).length} words, median of 3 runs per voice; RTF = wall time / length of the speech.

${ttsTable(tts)}
`
writeBenchSection('speech', md)
log('wrote the speech section of docs/benchmarks.md')
rmSync(dir, { recursive: true, force: true })
process.exit(0)
