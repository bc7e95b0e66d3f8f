import net from 'node:net'

/** `preferred` when nothing listens on it (on `host`), else a free port chosen by the system. */
export async function freePort(preferred = 0, host = '127.0.0.1'): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number | null>((resolve) => {
      const server = net.createServer()
      server.once('error', () => resolve(null))
      server.listen(port, host, () => {
        const { port: bound } = server.address() as net.AddressInfo
        server.close(() => resolve(bound))
      })
    })
  if (preferred) {
    const got = await tryPort(preferred)
    if (got) return got
  }
  const got = await tryPort(0)
  if (!got) throw new Error(`no free port on ${host}`)
  return got
}
