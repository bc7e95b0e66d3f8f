import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Real recorded read speech with reference transcripts (Debian's pocketsphinx-testdata). */
export const LIBRIVOX_DIR = '/usr/share/pocketsphinx/test/data/librivox'

/** Speech synthesized by flite (recognised by the Sphinx models; espeak-ng speech is not) as 16 kHz mono WAV. */
export async function fliteSpeech(text: string, file: string, voice = 'kal16'): Promise<void> {
  await run('flite', ['-voice', voice, '-t', text, '-o', file])
}

/** Joins WAV files with `gapSeconds` of silence before, between and after them (16 kHz mono s16). */
export async function joinWithSilence(files: readonly string[], gapSeconds: number, out: string): Promise<void> {
  const inputs: string[] = []
  const labels: string[] = []
  let n = 0
  const silence = () => {
    inputs.push('-f', 'lavfi', '-t', String(gapSeconds), '-i', 'anullsrc=r=16000:cl=mono')
    labels.push(`[${n++}:a]`)
  }
  silence()
  for (const f of files) {
    inputs.push('-i', f)
    labels.push(`[${n++}:a]`)
    silence()
  }
  const filter = `${labels.map((l) => `${l}aresample=16000,aformat=sample_fmts=s16:channel_layouts=mono${l.replace('[', '[r').replace(':a', '')}`).join(';')};${labels.map((l) => l.replace('[', '[r').replace(':a', '')).join('')}concat=n=${labels.length}:v=0:a=1[out]`
  await run('ffmpeg', [
    '-loglevel',
    'error',
    '-y',
    ...inputs,
    '-filter_complex',
    filter,
    '-map',
    '[out]',
    '-c:a',
    'pcm_s16le',
    out,
  ])
}

/** Duration in seconds (ffprobe). */
export async function durationOf(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file])
  return Number(stdout.trim())
}
