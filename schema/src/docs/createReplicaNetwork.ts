import * as Y from 'yjs'
import type { SeededRandom } from './seededRandom'

/**
 * Test support for convergence tests: replicas whose updates travel through per-receiver inboxes that the test
 * delivers in random order, sometimes twice, as a lossy-ordered network would.
 */
export interface ReplicaNetwork {
  readonly docs: Y.Doc[]
  /** Delivers up to `count` random pending messages (in random order, duplicates possible). */
  deliverSome(count: number): void
  /** Delivers everything pending, in random order, until nothing is left. */
  flush(): void
  destroy(): void
}

const REMOTE = Symbol('remote')

export function createReplicaNetwork(count: number, random: SeededRandom, init?: Uint8Array): ReplicaNetwork {
  const docs: Y.Doc[] = []
  const inboxes: Uint8Array[][] = []
  for (let i = 0; i < count; i++) {
    const doc = new Y.Doc()
    doc.clientID = i + 1
    if (init) Y.applyUpdate(doc, init, REMOTE)
    docs.push(doc)
    inboxes.push([])
  }
  docs.forEach((doc, i) => {
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === REMOTE) return
      for (let j = 0; j < count; j++) if (j !== i) inboxes[j]!.push(update)
    })
  })
  const deliverOne = (): boolean => {
    const receivers = inboxes.map((inbox, i) => (inbox.length ? i : -1)).filter((i) => i >= 0)
    if (receivers.length === 0) return false
    const r = random.pick(receivers)
    const inbox = inboxes[r]!
    const k = random.int(0, inbox.length - 1)
    const update = inbox[k]!
    // Sometimes the same message arrives again later.
    if (random.chance(0.1)) inbox.push(update)
    inbox.splice(k, 1)
    Y.applyUpdate(docs[r]!, update, REMOTE)
    return true
  }
  return {
    docs,
    deliverSome: (n) => {
      for (let i = 0; i < n && deliverOne(); i++);
    },
    flush: () => {
      while (deliverOne());
    },
    destroy: () => {
      for (const d of docs) d.destroy()
    },
  }
}
