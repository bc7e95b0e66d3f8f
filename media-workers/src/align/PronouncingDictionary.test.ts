import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseHypseg } from './ForcedAligner'
import { letterToSound } from './letterToSound'
import { dictionaryWord, PronouncingDictionary } from './PronouncingDictionary'

const CMUDICT = '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict'
/** The phones of the US English acoustic model (CMU set without stress). */
const PHONES = new Set(
  'AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V W Y Z ZH'.split(' '),
)

test('subtitle words become dictionary words: lower case, no punctuation, inner apostrophes kept', () => {
  assert.equal(['Harbor,', '“Quiet”', 'don’t', "'twas", '—', 'Mr.', '1999'].map(dictionaryWord), [
    'harbor',
    'quiet',
    "don't",
    'twas',
    '',
    'mr',
    '1999',
  ])
})

test('cmudict words keep every pronunciation; words it lacks get a guess in the model phone set', async () => {
  const dict = await PronouncingDictionary.load(CMUDICT)
  const read = dict.pronounce('read')
  assert.is(read.guessed, false)
  assert.ok(read.phones.length >= 2, 'read has two pronunciations')
  for (const word of ['zorblaxian', 'cutroom', 'qwghlm', 'r2d2']) {
    const guess = dict.pronounce(word)
    assert.is(guess.guessed, true)
    assert.is(guess.phones.length, 1)
    const phones = guess.phones[0]!.split(' ')
    assert.ok(phones.length >= 2, `${word}: ${guess.phones[0]}`)
    for (const p of phones) assert.ok(PHONES.has(p), `${word}: ${p} is a phone of the model`)
  }
  assert.equal(letterToSound('ship'), ['SH', 'IH', 'P'])
  const job = dict.forWords(['harbor', 'zorblaxian', 'harbor'])
  assert.equal([...job.guessed], ['zorblaxian'])
  assert.is(job.text.split('\n').filter((l) => l.startsWith('harbor ')).length, 1, 'each word once')
})

test('a -hypseg line gives each token its start frame and the utterance its last frame', () => {
  const seg = parseHypseg(
    'chunk3 S 0 T -4038 A -3027 L -1011 0 -289 -337 <sil> 21 -129 0 he 33 -185 0 was(2) 56 -469 0 not 106',
  )
  assert.is(seg.uttid, 'chunk3')
  assert.equal(seg.words, [
    { frame: 0, word: '<sil>' },
    { frame: 21, word: 'he' },
    { frame: 33, word: 'was(2)' },
    { frame: 56, word: 'not' },
  ])
  assert.is(seg.end, 106)
  assert.equal(parseHypseg('chunk4 S 0 T 0 A 0 L 0 0').words, [])
})

test.run()
