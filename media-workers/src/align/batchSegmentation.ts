import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { parseHypseg } from './ForcedAligner'
import { dictionaryWord, PronouncingDictionary } from './PronouncingDictionary'

const run = promisify(execFile)

/**
 * pocketsphinx_batch's own segmentation of a whole 16 kHz utterance file against its transcript (a linear grammar
 * of the words, run directly on the file): the reference the align job's word starts are measured against.
 * Returns each word's start in seconds from the start of the file.
 */
export async function batchSegmentation(
  wavFile: string,
  words: readonly string[],
  modelDir = '/usr/share/pocketsphinx/model/en-us',
): Promise<{ word: string; start: number }[]> {
  const dir = await mkdtemp(join(tmpdir(), 'cutroom-batchseg-'))
  try {
    const dictionary = await PronouncingDictionary.load(join(modelDir, 'cmudict-en-us.dict'))
    const tokens = words.map(dictionaryWord).filter(Boolean)
    await writeFile(join(dir, 'ref.dict'), dictionary.forWords(tokens).text)
    const fsg = [`FSG_BEGIN ref`, `NUM_STATES ${tokens.length + 1}`, 'START_STATE 0', `FINAL_STATE ${tokens.length}`]
    for (const [i, w] of tokens.entries()) fsg.push(`TRANSITION ${i} ${i + 1} 1.0 ${w}`)
    fsg.push('FSG_END', '')
    await writeFile(join(dir, 'ref.fsg'), fsg.join('\n'))
    const uttid = basename(wavFile, '.wav')
    await writeFile(join(dir, 'ctl'), `${uttid}\n`)
    await run('pocketsphinx_batch', [
      ...['-ctl', join(dir, 'ctl'), '-cepdir', dirname(wavFile), '-cepext', '.wav', '-adcin', 'yes', '-adchdr', '44'],
      ...['-fsg', join(dir, 'ref.fsg'), '-hmm', join(modelDir, 'en-us'), '-dict', join(dir, 'ref.dict')],
      ...['-samprate', '16000', '-remove_silence', 'no', '-hypseg', join(dir, 'seg'), '-logfn', '/dev/null'],
    ])
    const seg = parseHypseg((await readFile(join(dir, 'seg'), 'utf8')).trim())
    return seg.words
      .map((w) => ({ word: w.word.replace(/\(\d+\)$/, ''), start: w.frame / 100 }))
      .filter((w) => !/^(<s>|<\/s>|<sil>|\[.*\]|\+\+.*\+\+)$/.test(w.word))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** The librivox test utterances and their reference transcripts (Debian's pocketsphinx-testdata). */
export async function librivoxUtterances(dir: string): Promise<{ id: string; file: string; words: string[] }[]> {
  const text = await readFile(join(dir, 'transcription'), 'utf8')
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const m = /^<s> (.*) <\/s> \((.*)\)$/.exec(line.trim())
      if (!m) throw new Error(`unexpected transcription line: ${line}`)
      return { id: m[2]!, file: join(dir, `${m[2]}.wav`), words: m[1]!.split(' ') }
    })
}
