import net from 'node:net'

/**
 * A TCP balancer on loopback in front of replicas (what a Kubernetes Service or a load balancer does): each new
 * connection goes to the next backend that accepts it, so when a replica dies its clients reconnect to the others.
 * Connections are not moved: a socket to a killed replica simply closes.
 */
export class LoopbackBalancer {
  private readonly server: net.Server
  private readonly sockets = new Set<net.Socket>()
  private next = 0
  port = 0

  constructor(readonly backends: number[]) {
    this.server = net.createServer((client) => this.route(client))
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as net.AddressInfo).port
  }

  private route(client: net.Socket, tried = 0): void {
    this.sockets.add(client)
    client.once('close', () => this.sockets.delete(client))
    client.pause()
    const port = this.backends[this.next++ % this.backends.length]!
    const upstream = net.connect(port, '127.0.0.1')
    this.sockets.add(upstream)
    upstream.once('close', () => this.sockets.delete(upstream))
    let connected = false
    upstream.once('connect', () => {
      connected = true
      client.pipe(upstream)
      upstream.pipe(client)
      client.resume()
      const end = () => {
        client.destroy()
        upstream.destroy()
      }
      client.once('error', end)
      upstream.once('error', end)
      client.once('close', end)
      upstream.once('close', end)
    })
    upstream.once('error', () => {
      if (!connected) {
        // refused: that replica is down, try the next one
        upstream.destroy()
        this.sockets.delete(client)
        if (tried + 1 < this.backends.length && !client.destroyed) this.route(client, tried + 1)
        else client.destroy()
      }
    })
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise((r) => this.server.close(r))
  }
}
