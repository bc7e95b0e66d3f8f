/**
 * One transcription in a process of its own, so its peak resident memory is its own: `speechRss.ts <file>`
 * prints `{ rtf, wer, peakRssMiB }` as JSON. Used by the speech benchmark for the 1- and 10-minute rows.
 */
import { AsrEnv } from '@cutroom/schema'
import { createAsrEngine } from '@cutroom/media-workers'
import { measureTranscription } from './speechRows'

const [file, referenceFile] = process.argv.slice(2)
if (!file) throw new Error('usage: speechRss.ts <file> [reference words file]')
const { readFileSync } = await import('node:fs')
const reference = referenceFile ? readFileSync(referenceFile, 'utf8').split(/\s+/).filter(Boolean) : []
const engine = await createAsrEngine(AsrEnv.parse({}))
const row = await measureTranscription(engine, 'rss', file, reference)
await engine.close()
process.stdout.write(
  `${JSON.stringify({ rtf: row.rtf, wer: row.wer, seconds: row.seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`,
)
