import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { ConfigError } from '@cutroom/schema'
import { launch } from './launch'
import { runTests } from './testRunner'

const [command = 'start', ...args] = process.argv.slice(2)

// Settings from ./.env (see .env.example) apply to `npm start`; variables already set win.
const envFile = path.resolve(import.meta.dirname, '../../.env')
if (command === 'start' && existsSync(envFile)) process.loadEnvFile(envFile)

async function bench(): Promise<number> {
  const entry = path.resolve(import.meta.dirname, '../../e2e/bench/run.ts')
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { stdio: 'inherit' })
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)))
}

/** `npm run cluster`: the multi-node fault run on loopback (e2e/cluster/run.ts). */
async function cluster(): Promise<number> {
  const entry = path.resolve(import.meta.dirname, '../../e2e/cluster/run.ts')
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { stdio: 'inherit' })
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)))
}

try {
  switch (command) {
    case 'start':
      await launch()
      break
    case 'test':
      process.exitCode = await runTests(args)
      break
    case 'bench':
      process.exitCode = await bench()
      break
    case 'cluster':
      process.exitCode = await cluster()
      break
    default:
      process.stderr.write(`unknown command '${command}': use start, test, bench or cluster\n`)
      process.exitCode = 2
  }
} catch (err) {
  if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`)
  else process.stderr.write(`${(err as Error).stack ?? err}\n`)
  process.exitCode = 1
}
