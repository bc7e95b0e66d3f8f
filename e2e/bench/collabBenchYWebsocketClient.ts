import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import WebSocket from 'ws'
import * as syncProtocol from 'y-protocols/sync'
import type * as Y from 'yjs'

const MESSAGE_SYNC = 0

/**
 * A y-websocket protocol client (the sync part of y-websocket's WebsocketProvider, without awareness, as the
 * Hocuspocus providers of the benchmark run without awareness too): sync step 1 on open, replies to the
 * server's sync messages, sends local updates. `synced` resolves on the server's sync step 2.
 */
export class CollabBenchYWebsocketClient {
  readonly synced: Promise<void>
  private readonly ws: WebSocket
  private readonly onUpdate: (update: Uint8Array, origin: unknown) => void

  constructor(
    url: string,
    name: string,
    readonly doc: Y.Doc,
  ) {
    this.ws = new WebSocket(`${url}/${name}`)
    this.ws.binaryType = 'arraybuffer'
    let markSynced: () => void = () => {}
    this.synced = new Promise((resolve) => {
      markSynced = resolve
    })
    this.ws.on('open', () => {
      const encoder = encoding.createEncoder()
      encoding.writeVarUint(encoder, MESSAGE_SYNC)
      syncProtocol.writeSyncStep1(encoder, doc)
      this.ws.send(encoding.toUint8Array(encoder))
    })
    this.ws.on('message', (data: ArrayBuffer) => {
      const decoder = decoding.createDecoder(new Uint8Array(data))
      if (decoding.readVarUint(decoder) !== MESSAGE_SYNC) return
      const encoder = encoding.createEncoder()
      encoding.writeVarUint(encoder, MESSAGE_SYNC)
      const type = syncProtocol.readSyncMessage(decoder, encoder, doc, this)
      if (type === syncProtocol.messageYjsSyncStep2) markSynced()
      if (encoding.length(encoder) > 1) this.ws.send(encoding.toUint8Array(encoder))
    })
    this.onUpdate = (update, origin) => {
      if (origin === this || this.ws.readyState !== WebSocket.OPEN) return
      const encoder = encoding.createEncoder()
      encoding.writeVarUint(encoder, MESSAGE_SYNC)
      syncProtocol.writeUpdate(encoder, update)
      this.ws.send(encoding.toUint8Array(encoder))
    }
    doc.on('update', this.onUpdate)
  }

  destroy(): void {
    this.doc.off('update', this.onUpdate)
    this.ws.close()
  }
}
