import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import path from 'node:path'

/** `npm run bench [name...]`: runs every e2e/bench/<name>.bench.ts (or the named ones) one after another. */
const dir = import.meta.dirname
const wanted = process.argv.slice(2)
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort()
const chosen = wanted.length ? all.filter((f) => wanted.some((w) => f.startsWith(w))) : all
if (chosen.length === 0) {
  process.stderr.write(`no benchmark matches ${wanted.join(', ')}; there are: ${all.join(', ')}\n`)
  process.exit(2)
}
let failed = 0
for (const file of chosen) {
  process.stdout.write(`\n== ${file} ==\n`)
  const code = await new Promise<number>((resolve) =>
    spawn(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(dir, file)], { stdio: 'inherit' }).on('exit', (c) =>
      resolve(c ?? 1),
    ),
  )
  if (code !== 0) failed++
}
process.exit(failed ? 1 : 0)
