import net from 'node:net'
import type { PGlite } from '@electric-sql/pglite'

const SSL_REQUEST = 80877103
const GSSENC_REQUEST = 80877104
const CANCEL_REQUEST = 80877102
const PROTOCOL_3 = 196608

/** One client's messages that must reach the database back to back. */
interface Unit {
  connection: number
  messages: Uint8Array[]
  /** The unit ended with Flush: the client waits for replies before it sends the rest of its extended query. */
  open: boolean
  write: (data: Uint8Array) => void
  done: () => void
}

/**
 * Serves one PGlite database to many Postgres clients over the wire protocol.
 *
 * PGlite is a single backend session, so clients take turns. A turn is a whole exchange: a simple Query, or an
 * extended query from its first message to Sync (Parse/Bind/Describe/Execute of one client must never be
 * interleaved with another's, or the unnamed statement and portal are overwritten). A client inside a
 * transaction keeps the backend until the transaction ends; if it disconnects first, the transaction is
 * rolled back. Session state is shared, so clients must not rely on named prepared statements
 * (postgres.js: `prepare: false`).
 */
export class PgliteWireServer {
  private readonly server: net.Server
  private readonly sockets = new Set<net.Socket>()
  private queue: Unit[] = []
  /** The connection that holds the backend (open transaction or an extended query paused at Flush). */
  private owner: number | null = null
  private running = false
  private nextConnection = 1

  constructor(private readonly db: PGlite) {
    this.server = net.createServer((socket) => this.accept(socket))
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, host, () => resolve())
    })
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private accept(socket: net.Socket): void {
    const id = this.nextConnection++
    this.sockets.add(socket)
    socket.setNoDelay(true)
    let buffer = Buffer.alloc(0)
    let started = false
    let pending: Uint8Array[] = []
    let inflight = Promise.resolve()
    const write = (data: Uint8Array) => {
      if (!socket.destroyed && data.length) socket.write(data)
    }
    const submit = (messages: Uint8Array[], open: boolean) => {
      inflight = inflight.then(
        () => new Promise<void>((done) => this.enqueue({ connection: id, messages, open, write, done })),
      )
    }

    socket.on('data', (chunk) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk
      for (;;) {
        if (!started) {
          if (buffer.length < 8) return
          const length = buffer.readInt32BE(0)
          if (buffer.length < length) return
          const code = buffer.readInt32BE(4)
          const message = buffer.subarray(0, length)
          buffer = buffer.subarray(length)
          if (code === SSL_REQUEST || code === GSSENC_REQUEST) socket.write('N')
          else if (code === CANCEL_REQUEST) socket.end()
          else if (code === PROTOCOL_3) {
            started = true
            submit([new Uint8Array(message)], false)
          } else socket.destroy()
          continue
        }
        if (buffer.length < 5) return
        const length = 1 + buffer.readInt32BE(1)
        if (buffer.length < length) return
        const type = String.fromCharCode(buffer[0]!)
        const message = new Uint8Array(buffer.subarray(0, length))
        buffer = buffer.subarray(length)
        if (type === 'X') {
          socket.end()
          return
        }
        pending.push(message)
        // Query and Sync end an exchange; Flush asks for replies in the middle of one.
        if (type === 'Q' || type === 'S' || type === 'H') {
          submit(pending, type === 'H')
          pending = []
        }
      }
    })
    const drop = () => {
      if (!this.sockets.delete(socket)) return
      this.queue = this.queue.filter((u) => {
        if (u.connection !== id) return true
        u.done()
        return false
      })
      if (this.owner === id) void this.release(id)
    }
    socket.on('close', drop)
    socket.on('error', drop)
  }

  private enqueue(unit: Unit): void {
    this.queue.push(unit)
    void this.run()
  }

  /** Ends what a vanished client left open, then lets the others in. */
  private async release(connection: number): Promise<void> {
    // No other client runs while `connection` owns the backend, so nothing else can be in this transaction.
    if (this.owner === connection && this.db.isInTransaction()) await this.db.exec('ROLLBACK').catch(() => {})
    if (this.owner === connection) this.owner = null
    void this.run()
  }

  private async run(): Promise<void> {
    if (this.running) return
    this.running = true
    try {
      for (;;) {
        const index = this.owner === null ? 0 : this.queue.findIndex((u) => u.connection === this.owner)
        if (index < 0 || index >= this.queue.length) return
        const [unit] = this.queue.splice(index, 1)
        if (!unit) return
        try {
          await this.db.runExclusive(async () => {
            for (const message of unit.messages)
              await this.db.execProtocolRawStream(message, { onRawData: (data) => unit.write(data) })
          })
        } catch {
          // PGlite reports SQL errors in the protocol stream; a throw here means the exchange itself broke.
        }
        this.owner = unit.open || this.db.isInTransaction() ? unit.connection : null
        unit.done()
      }
    } finally {
      this.running = false
    }
  }
}
