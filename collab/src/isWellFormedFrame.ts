import * as decoding from 'lib0/decoding'
import * as Y from 'yjs'

// Hocuspocus message types a client may send (see @hocuspocus/server MessageType).
const SYNC = 0
const AWARENESS = 1
const AUTH = 2
const QUERY_AWARENESS = 3
const SYNC_REPLY = 4
const STATELESS = 5
const CLOSE = 7
const PONG = 10

const MAX_DOCUMENT_NAME = 256

/**
 * A connection-level pong (a single byte, no document name). Hocuspocus 4 keeps sockets alive with WebSocket
 * pings and cannot parse this frame (it reads a document name first), so the guard drops it.
 */
export function isPongFrame(data: Uint8Array): boolean {
  return data.length === 1 && data[0] === PONG
}

/**
 * Whether a client frame parses as a Hocuspocus message, down to the Yjs update it carries. Checked before
 * Hocuspocus sees the frame: a malformed update must never reach the durable log, where it would break every
 * later load of the document.
 */
export function isWellFormedFrame(data: Uint8Array): boolean {
  if (isPongFrame(data)) return true
  try {
    const decoder = decoding.createDecoder(data)
    const name = decoding.readVarString(decoder)
    if (name.length === 0 || name.length > MAX_DOCUMENT_NAME + 64) return false
    const type = decoding.readVarUint(decoder)
    switch (type) {
      case SYNC:
      case SYNC_REPLY: {
        const step = decoding.readVarUint(decoder)
        const payload = decoding.readVarUint8Array(decoder)
        if (step === 0) Y.decodeStateVector(payload)
        else if (step === 1 || step === 2) Y.decodeUpdate(payload)
        else return false
        return !decoding.hasContent(decoder)
      }
      case AWARENESS: {
        const update = decoding.readVarUint8Array(decoder)
        const inner = decoding.createDecoder(update)
        const count = decoding.readVarUint(inner)
        for (let i = 0; i < count; i++) {
          decoding.readVarUint(inner)
          decoding.readVarUint(inner)
          JSON.parse(decoding.readVarString(inner))
        }
        return !decoding.hasContent(inner)
      }
      case AUTH: {
        decoding.readVarUint(decoder)
        decoding.readVarString(decoder)
        if (decoding.hasContent(decoder)) decoding.readVarString(decoder)
        return true
      }
      case QUERY_AWARENESS:
      case CLOSE:
        return true
      case STATELESS:
        decoding.readVarString(decoder)
        return true
      default:
        return false
    }
  } catch {
    return false
  }
}
