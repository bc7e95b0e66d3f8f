import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'

/** Raw Hocuspocus frames for tests that speak the protocol without a provider. */

export function encodeAuth(documentName: string, token: string): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarString(e, documentName)
  encoding.writeVarUint(e, 2) // Auth
  encoding.writeVarUint(e, 0) // Token
  encoding.writeVarString(e, token)
  return encoding.toUint8Array(e)
}

/** A sync "update" frame (y-protocols messageYjsUpdate) carrying `update` as is. */
export function encodeUpdate(documentName: string, update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarString(e, documentName)
  encoding.writeVarUint(e, 0) // Sync
  encoding.writeVarUint(e, 2) // Update
  encoding.writeVarUint8Array(e, update)
  return encoding.toUint8Array(e)
}

export function decodeAuthReply(
  frame: Uint8Array,
): { kind: 'authenticated'; scope: string } | { kind: 'denied'; reason: string } | { kind: 'other' } {
  const d = decoding.createDecoder(frame)
  decoding.readVarString(d)
  if (decoding.readVarUint(d) !== 2) return { kind: 'other' }
  const type = decoding.readVarUint(d)
  if (type === 2) return { kind: 'authenticated', scope: decoding.readVarString(d) }
  if (type === 1) return { kind: 'denied', reason: decoding.readVarString(d) }
  return { kind: 'other' }
}
