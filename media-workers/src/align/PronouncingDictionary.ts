import { readFile } from 'node:fs/promises'
import { letterToSound } from './letterToSound'

/** A word as the Sphinx dictionary spells it: lower case, letters, digits and inner apostrophes; '' if none. */
export function dictionaryWord(text: string): string {
  return text
    .toLowerCase()
    .replace(/[’‘]/g, "'")
    .replace(/[^a-z0-9']+/g, '')
    .replace(/^'+|'+$/g, '')
}

const cache = new Map<string, Promise<PronouncingDictionary>>()

/**
 * The CMU pronouncing dictionary that ships with the acoustic model (Debian's pocketsphinx-en-us,
 * `cmudict-en-us.dict`), read once per worker; `word(2)` lines are alternative pronunciations. Words it lacks get a
 * letter-to-sound guess.
 */
export class PronouncingDictionary {
  private constructor(private readonly entries: Map<string, string[]>) {}

  static load(path: string): Promise<PronouncingDictionary> {
    let loading = cache.get(path)
    if (!loading) {
      loading = readFile(path, 'utf8').then((text) => {
        const entries = new Map<string, string[]>()
        for (const line of text.split('\n')) {
          const space = line.indexOf(' ')
          if (space <= 0) continue
          const word = line.slice(0, space).replace(/\(\d+\)$/, '')
          const phones = line.slice(space + 1).trim()
          const list = entries.get(word)
          if (list) list.push(phones)
          else entries.set(word, [phones])
        }
        return new PronouncingDictionary(entries)
      })
      loading.catch(() => cache.delete(path))
      cache.set(path, loading)
    }
    return loading
  }

  /** Pronunciations of a dictionary word, and whether they were guessed. */
  pronounce(word: string): { phones: string[]; guessed: boolean } {
    const known = this.entries.get(word)
    if (known) return { phones: known, guessed: false }
    const guess = letterToSound(word)
    return { phones: guess.length ? [guess.join(' ')] : [], guessed: true }
  }

  /** The lines of a per-job dictionary for these words (each once), and which of them were guessed. */
  forWords(words: Iterable<string>): { text: string; guessed: Set<string> } {
    const lines: string[] = []
    const guessed = new Set<string>()
    for (const word of new Set(words)) {
      const { phones, guessed: g } = this.pronounce(word)
      if (phones.length === 0) continue
      if (g) guessed.add(word)
      for (const [i, p] of phones.entries()) lines.push(`${i === 0 ? word : `${word}(${i + 1})`} ${p}`)
    }
    return { text: `${lines.join('\n')}\n`, guessed }
  }
}
