import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startEmbeddedNats } from '../embedded/embeddedNats'

export interface TestNats {
  url: string
  /** SIGKILLs the server (for fault tests); `restart()` brings it back with the same data. */
  stop(): Promise<void>
}

/** A JetStream server of its own for one suite (its own streams), on a free loopback port. */
export async function startTestNats(): Promise<TestNats> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cutroom-nats-'))
  const nats = await startEmbeddedNats(dir, 0)
  return {
    url: nats.url,
    async stop() {
      await nats.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
