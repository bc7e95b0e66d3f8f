/**
 * A minimal protobuf writer for the few ONNX messages a small graph needs (ModelProto, GraphProto, NodeProto,
 * AttributeProto, TensorProto, ValueInfoProto), with field numbers from onnx/onnx.proto (IR version 7).
 * Written here instead of pulling in protobufjs plus a schema: the fields are fixed by the ONNX IR, the encoder
 * is a page long, and a graph built at run time needs no code generation, no .proto file and no download.
 */

export const TensorType = { FLOAT: 1, INT64: 7 } as const
export type TensorTypeCode = (typeof TensorType)[keyof typeof TensorType]

export interface OnnxTensor {
  name: string
  type: TensorTypeCode
  dims: number[]
  /** float32 values for FLOAT, integers for INT64; stored as raw little-endian bytes. */
  values: Float32Array | number[]
}

export type OnnxAttribute =
  | { name: string; type: 'int'; value: number }
  | { name: string; type: 'ints'; value: number[] }
  | { name: string; type: 'float'; value: number }

export interface OnnxNode {
  op: string
  inputs: string[]
  outputs: string[]
  attributes?: OnnxAttribute[]
}

/** A dimension is fixed (a number) or symbolic (a name, e.g. `N`). */
export interface OnnxValueInfo {
  name: string
  type: TensorTypeCode
  shape: (number | string)[]
}

export interface OnnxModel {
  irVersion: number
  opset: number
  producer: string
  graphName: string
  nodes: OnnxNode[]
  initializers: OnnxTensor[]
  inputs: OnnxValueInfo[]
  outputs: OnnxValueInfo[]
}

const utf8 = new TextEncoder()
const WIRE_VARINT = 0
const WIRE_FIXED32 = 5
const WIRE_BYTES = 2

/** Appends protobuf fields to a growing list of byte chunks. */
class ProtoWriter {
  private chunks: Uint8Array[] = []
  private length = 0

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes)
    this.length += bytes.length
  }

  private varint(value: number | bigint): void {
    // int64 fields: negative values are written as their 64-bit two's complement (10 bytes)
    let v = BigInt.asUintN(64, BigInt(value))
    const out: number[] = []
    do {
      let byte = Number(v & 0x7fn)
      v >>= 7n
      if (v !== 0n) byte |= 0x80
      out.push(byte)
    } while (v !== 0n)
    this.push(Uint8Array.from(out))
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire)
  }

  int(field: number, value: number): this {
    this.tag(field, WIRE_VARINT)
    this.varint(value)
    return this
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32)
    const b = new Uint8Array(4)
    new DataView(b.buffer).setFloat32(0, value, true)
    this.push(b)
    return this
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_BYTES)
    this.varint(value.length)
    this.push(value)
    return this
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value))
  }

  message(field: number, write: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter()
    write(inner)
    return this.bytes(field, inner.finish())
  }

  /** A packed repeated int64 field. */
  packedInts(field: number, values: number[]): this {
    const inner = new ProtoWriter()
    for (const v of values) inner.varint(v)
    return this.bytes(field, inner.finish())
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length)
    let at = 0
    for (const c of this.chunks) {
      out.set(c, at)
      at += c.length
    }
    return out
  }
}

function rawData(t: OnnxTensor): Uint8Array {
  if (t.type === TensorType.FLOAT) {
    const f = t.values instanceof Float32Array ? t.values : Float32Array.from(t.values)
    const b = new Uint8Array(f.length * 4)
    const view = new DataView(b.buffer)
    for (let i = 0; i < f.length; i++) view.setFloat32(i * 4, f[i]!, true)
    return b
  }
  const b = new Uint8Array(t.values.length * 8)
  const view = new DataView(b.buffer)
  for (let i = 0; i < t.values.length; i++) view.setBigInt64(i * 8, BigInt(t.values[i]!), true)
  return b
}

function writeTensor(w: ProtoWriter, t: OnnxTensor): void {
  const expected = t.dims.reduce((a, b) => a * b, 1)
  if (expected !== t.values.length)
    throw new Error(`Tensor ${t.name} has ${t.values.length} values for dims [${t.dims.join(', ')}].`)
  // TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9
  w.packedInts(1, t.dims).int(2, t.type).string(8, t.name).bytes(9, rawData(t))
}

function writeAttribute(w: ProtoWriter, a: OnnxAttribute): void {
  // AttributeProto: name = 1, f = 2, i = 3, ints = 8, type = 20 (FLOAT 1, INT 2, INTS 7)
  w.string(1, a.name)
  switch (a.type) {
    case 'float':
      w.float(2, a.value).int(20, 1)
      break
    case 'int':
      w.int(3, a.value).int(20, 2)
      break
    case 'ints':
      w.packedInts(8, a.value).int(20, 7)
      break
  }
}

function writeValueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  // ValueInfoProto: name = 1, type = 2 -> TypeProto.tensor_type = 1 -> {elem_type = 1, shape = 2 -> dim = 1}
  w.string(1, v.name).message(2, (type) =>
    type.message(1, (tensor) =>
      tensor.int(1, v.type).message(2, (shape) => {
        for (const d of v.shape) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)))
      }),
    ),
  )
}

/** Serializes a model to the bytes `InferenceSession.create` accepts. */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const w = new ProtoWriter()
  // ModelProto: ir_version = 1, producer_name = 2, graph = 7, opset_import = 8 (domain = 1, version = 2)
  w.int(1, model.irVersion).string(2, model.producer)
  w.message(7, (g) => {
    // GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12
    for (const [i, n] of model.nodes.entries()) {
      g.message(1, (node) => {
        // NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5
        for (const input of n.inputs) node.string(1, input)
        for (const output of n.outputs) node.string(2, output)
        node.string(3, `${n.op.toLowerCase()}_${i}`).string(4, n.op)
        for (const a of n.attributes ?? []) node.message(5, (attr) => writeAttribute(attr, a))
      })
    }
    g.string(2, model.graphName)
    for (const t of model.initializers) g.message(5, (tensor) => writeTensor(tensor, t))
    for (const v of model.inputs) g.message(11, (vi) => writeValueInfo(vi, v))
    for (const v of model.outputs) g.message(12, (vi) => writeValueInfo(vi, v))
  })
  w.message(8, (op) => op.string(1, '').int(2, model.opset))
  return w.finish()
}
