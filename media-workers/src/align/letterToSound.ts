/**
 * A small rule-based English letter-to-sound guess in the CMU phone set, for words the pronouncing dictionary
 * lacks (names, coinages, misspellings). Rough on purpose: forced alignment only needs a plausible phone sequence
 * of about the right length, since the words are known and the grammar allows nothing else.
 */
const RULES: [RegExp, string][] = [
  [/^tion/, 'SH AH N'],
  [/^sion/, 'ZH AH N'],
  [/^ough/, 'AO'],
  [/^augh/, 'AO'],
  [/^igh/, 'AY'],
  [/^tch/, 'CH'],
  [/^sch/, 'S K'],
  [/^eau/, 'OW'],
  [/^th/, 'TH'],
  [/^sh/, 'SH'],
  [/^ch/, 'CH'],
  [/^ph/, 'F'],
  [/^wh/, 'W'],
  [/^ck/, 'K'],
  [/^ng/, 'NG'],
  [/^qu/, 'K W'],
  [/^kn/, 'N'],
  [/^wr/, 'R'],
  [/^gh/, 'G'],
  [/^ee/, 'IY'],
  [/^ea/, 'IY'],
  [/^ie/, 'IY'],
  [/^ei/, 'EY'],
  [/^oo/, 'UW'],
  [/^ou/, 'AW'],
  [/^ow/, 'OW'],
  [/^oi/, 'OY'],
  [/^oy/, 'OY'],
  [/^ai/, 'EY'],
  [/^ay/, 'EY'],
  [/^au/, 'AO'],
  [/^aw/, 'AO'],
  [/^ew/, 'UW'],
  [/^ue/, 'UW'],
  [/^oa/, 'OW'],
  [/^er/, 'ER'],
  [/^ir/, 'ER'],
  [/^ur/, 'ER'],
  [/^ar/, 'AA R'],
  [/^or/, 'AO R'],
  [/^a/, 'AE'],
  [/^b/, 'B'],
  [/^c(?=[eiy])/, 'S'],
  [/^c/, 'K'],
  [/^d/, 'D'],
  [/^e$/, ''],
  [/^e/, 'EH'],
  [/^f/, 'F'],
  [/^g(?=[eiy])/, 'JH'],
  [/^g/, 'G'],
  [/^h/, 'HH'],
  [/^i/, 'IH'],
  [/^j/, 'JH'],
  [/^k/, 'K'],
  [/^l/, 'L'],
  [/^m/, 'M'],
  [/^n/, 'N'],
  [/^o/, 'AA'],
  [/^p/, 'P'],
  [/^q/, 'K'],
  [/^r/, 'R'],
  [/^s/, 'S'],
  [/^t/, 'T'],
  [/^u/, 'AH'],
  [/^v/, 'V'],
  [/^w/, 'W'],
  [/^x/, 'K S'],
  [/^y$/, 'IY'],
  [/^y/, 'Y'],
  [/^z/, 'Z'],
]

const DIGITS = [
  'Z IH R OW',
  'W AH N',
  'T UW',
  'TH R IY',
  'F AO R',
  'F AY V',
  'S IH K S',
  'S EH V AH N',
  'EY T',
  'N AY N',
]

/** Phones for a lower-case word of letters, digits and apostrophes; never empty for a word with a letter or digit. */
export function letterToSound(word: string): string[] {
  const phones: string[] = []
  let rest = word.toLowerCase().replace(/[^a-z0-9]/g, '')
  while (rest.length > 0) {
    const digit = /^[0-9]/.exec(rest)
    if (digit) {
      phones.push(...DIGITS[Number(digit[0])]!.split(' '))
      rest = rest.slice(1)
      continue
    }
    const rule = RULES.find(([re]) => re.test(rest))
    if (!rule) {
      rest = rest.slice(1)
      continue
    }
    const [re, out] = rule
    const m = re.exec(rest)!
    if (out) phones.push(...out.split(' '))
    rest = rest.slice(Math.max(1, m[0].length))
  }
  // a doubled letter is one sound
  return phones.filter((p, i) => i === 0 || p !== phones[i - 1])
}
