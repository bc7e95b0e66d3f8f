import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { freePort, waitForPort } from '@cutroom/infra'
import { Streams } from '@cutroom/schema'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'

export interface NatsNode {
  name: string
  clientPort: number
  url: string
  process: ChildProcess | null
}

/**
 * A NATS JetStream cluster of `size` nats-server processes on loopback, each with its own store, joined by routes.
 * Ports are chosen once, so a node restarted after SIGKILL comes back on the same addresses with its data.
 */
export class NatsCluster {
  readonly nodes: NatsNode[] = []
  private readonly monitorPorts: number[] = []
  private stopping = false

  private constructor(private readonly dir: string) {}

  /** Every node's client URL, comma separated (NATS_URL of the services). */
  get url(): string {
    return this.nodes.map((n) => n.url).join(',')
  }

  static async start(dir: string, size = 3): Promise<NatsCluster> {
    const cluster = new NatsCluster(dir)
    const routePorts: number[] = []
    for (let i = 0; i < size; i++) {
      const clientPort = await freePort()
      cluster.nodes.push({ name: `n${i}`, clientPort, url: `nats://127.0.0.1:${clientPort}`, process: null })
      cluster.monitorPorts.push(await freePort())
      routePorts.push(await freePort())
    }
    const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`).join(', ')
    cluster.nodes.forEach((node, i) => {
      const store = path.join(dir, node.name)
      mkdirSync(store, { recursive: true })
      // one node is plain single-server JetStream (R1 streams), as `npm start` runs it
      const routing =
        size === 1
          ? ''
          : `cluster {
  name: cutroom-loopback
  listen: 127.0.0.1:${routePorts[i]}
  routes: [ ${routes} ]
}
`
      writeFileSync(
        path.join(dir, `${node.name}.conf`),
        `server_name: ${node.name}
listen: 127.0.0.1:${node.clientPort}
http: 127.0.0.1:${cluster.monitorPorts[i]}
jetstream {
  store_dir: "${store}"
  max_memory_store: 64MB
  max_file_store: 2GB
}
${routing}`,
      )
    })
    try {
      await Promise.all(cluster.nodes.map((n) => cluster.spawn(n)))
      await cluster.waitHealthy()
    } catch (err) {
      await cluster.stop()
      throw err
    }
    return cluster
  }

  private async spawn(node: NatsNode): Promise<void> {
    const child = spawn('nats-server', ['-c', path.join(this.dir, `${node.name}.conf`)], {
      stdio: ['ignore', 'ignore', 'ignore'],
    })
    node.process = child
    await waitForPort(node.clientPort, '127.0.0.1', 30_000)
  }

  /** SIGKILLs one node and waits for it to be gone. */
  async kill(node: NatsNode): Promise<void> {
    const child = node.process
    node.process = null
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const gone = new Promise((r) => child.once('exit', r))
    child.kill('SIGKILL')
    await gone
  }

  /** Starts a killed node again and waits until the whole cluster reports JetStream current. */
  async restart(node: NatsNode): Promise<void> {
    await this.spawn(node)
    await this.waitHealthy()
  }

  /**
   * Every node's /healthz is ok (JetStream enabled and caught up) and, once the streams exist, each of them has a
   * leader and every replica current.
   */
  async waitHealthy(timeoutMs = 120_000, streams: string[] = []): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const healthy = await Promise.all(
        this.monitorPorts.map((p) =>
          fetch(`http://127.0.0.1:${p}/healthz`).then(
            (r) => r.ok,
            () => false,
          ),
        ),
      )
      if (healthy.every(Boolean) && (await this.streamsCurrent(streams))) return
      if (this.stopping) throw new Error('the cluster is stopping')
      if (Date.now() > deadline) throw new Error(`the NATS cluster was not healthy within ${timeoutMs / 1000} s`)
      await new Promise((r) => setTimeout(r, 250))
    }
  }

  private async streamsCurrent(streams: string[]): Promise<boolean> {
    if (streams.length === 0) return true
    const nc = await connect({ servers: this.nodes.map((n) => n.url), timeout: 2000 }).catch(() => null)
    if (!nc) return false
    try {
      const jsm = await jetstreamManager(nc, { timeout: 3000 })
      for (const name of streams) {
        const info = await jsm.streams.info(name)
        const replicas = info.cluster?.replicas ?? []
        if (!info.cluster?.leader || replicas.length < this.nodes.length - 1 || replicas.some((r) => !r.current || r.offline))
          return false
      }
      return true
    } catch {
      return false
    } finally {
      await nc.close()
    }
  }

  /** The node that leads stream `name` (where its writes are decided). */
  async leaderOf(name: string = Streams.JOBS): Promise<NatsNode> {
    const nc = await connect({ servers: this.nodes.map((n) => n.url) })
    try {
      const jsm = await jetstreamManager(nc)
      const info = await jsm.streams.info(name)
      const node = this.nodes.find((n) => n.name === info.cluster?.leader)
      if (!node) throw new Error(`stream ${name} has no leader`)
      return node
    } finally {
      await nc.close()
    }
  }

  async stop(): Promise<void> {
    this.stopping = true
    await Promise.all(
      this.nodes.map(async (node) => {
        const child = node.process
        if (!child || child.exitCode !== null || child.signalCode !== null) return
        const gone = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
        await gone
        clearTimeout(timer)
      }),
    )
  }
}
