/**
 * A minimal ONNX writer for tests and benchmarks: just enough protobuf to build
 * graphs with known weights (onnxruntime-node runs graphs but cannot build them).
 * Field numbers follow onnx/onnx.proto3.
 */

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

/** Growable byte buffer with protobuf primitives. */
class Writer {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  varint(v: number | bigint): this {
    // Negative int64 values are written as 10-byte two's complement, as protobuf does.
    let x = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (x >= 0x80n) {
      this.buf[this.len++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.len++] = Number(x);
    return this;
  }

  tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, WIRE_LEN).varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  int(field: number, v: number | bigint): this {
    return this.tag(field, WIRE_VARINT).varint(v);
  }

  float(field: number, v: number): this {
    this.tag(field, WIRE_I32);
    this.ensure(4);
    new DataView(this.buf.buffer).setFloat32(this.len, v, true);
    this.len += 4;
    return this;
  }

  message(field: number, w: Writer): this {
    return this.bytes(field, w.finish());
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10 } as const;

export type Dim = number | string;

export interface TensorInit {
  name: string;
  dataType: number;
  dims: readonly number[];
  /** Little-endian raw bytes of the elements. */
  raw: Uint8Array;
}

export function floatTensor(name: string, dims: readonly number[], data: Float32Array | readonly number[]): TensorInit {
  const f = data instanceof Float32Array ? data : Float32Array.from(data);
  return { name, dataType: DataType.FLOAT, dims, raw: new Uint8Array(f.buffer, f.byteOffset, f.byteLength) };
}

export function int64Tensor(name: string, dims: readonly number[], data: readonly number[]): TensorInit {
  const b = BigInt64Array.from(data.map((x) => BigInt(x)));
  return { name, dataType: DataType.INT64, dims, raw: new Uint8Array(b.buffer) };
}

export function int8Tensor(name: string, dims: readonly number[], data: Int8Array | readonly number[]): TensorInit {
  const b = data instanceof Int8Array ? data : Int8Array.from(data);
  return { name, dataType: DataType.INT8, dims, raw: new Uint8Array(b.buffer, b.byteOffset, b.byteLength) };
}

export type AttrValue =
  | { kind: "int"; v: number }
  | { kind: "float"; v: number }
  | { kind: "ints"; v: readonly number[] }
  | { kind: "tensor"; v: TensorInit };

export interface NodeInit {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs?: Record<string, AttrValue>;
  domain?: string;
}

export interface ValueInfo {
  name: string;
  elemType: number;
  shape: readonly Dim[];
}

export interface GraphInit {
  name?: string;
  nodes: readonly NodeInit[];
  initializers: readonly TensorInit[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
  opset?: number;
  irVersion?: number;
}

function tensorProto(t: TensorInit): Writer {
  const w = new Writer();
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType);
  w.string(8, t.name);
  w.bytes(9, t.raw);
  return w;
}

function valueInfoProto(v: ValueInfo): Writer {
  const shape = new Writer();
  for (const d of v.shape) {
    const dim = new Writer();
    if (typeof d === "number") dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new Writer().int(1, v.elemType).message(2, shape);
  const type = new Writer().message(1, tensorType);
  return new Writer().string(1, v.name).message(2, type);
}

function attributeProto(name: string, a: AttrValue): Writer {
  const w = new Writer().string(1, name);
  switch (a.kind) {
    case "float":
      return w.float(2, a.v).int(20, 1);
    case "int":
      return w.int(3, a.v).int(20, 2);
    case "tensor":
      return w.message(5, tensorProto(a.v)).int(20, 4);
    case "ints":
      for (const x of a.v) w.int(8, x);
      return w.int(20, 7);
  }
}

/** Serialises a ModelProto. */
export function encodeModel(g: GraphInit): Uint8Array {
  const graph = new Writer();
  g.nodes.forEach((n, i) => {
    const node = new Writer();
    for (const x of n.inputs) node.string(1, x);
    for (const x of n.outputs) node.string(2, x);
    node.string(3, `${n.op}_${i}`);
    node.string(4, n.op);
    for (const [k, v] of Object.entries(n.attrs ?? {})) node.message(5, attributeProto(k, v));
    if (n.domain) node.string(7, n.domain);
    graph.message(1, node);
  });
  graph.string(2, g.name ?? "test-graph");
  for (const t of g.initializers) graph.message(5, tensorProto(t));
  for (const v of g.inputs) graph.message(11, valueInfoProto(v));
  for (const v of g.outputs) graph.message(12, valueInfoProto(v));

  const model = new Writer();
  model.int(1, g.irVersion ?? 8);
  model.string(2, "leann-test");
  model.message(7, graph);
  model.message(8, new Writer().string(1, "").int(2, g.opset ?? 17));
  return model.finish();
}

/** A small builder that names intermediate values and collects nodes and initializers. */
export class GraphBuilder {
  readonly nodes: NodeInit[] = [];
  readonly initializers: TensorInit[] = [];
  private n = 0;

  fresh(prefix = "t"): string {
    return `${prefix}_${this.n++}`;
  }

  init(t: TensorInit): string {
    this.initializers.push(t);
    return t.name;
  }

  const(name: string, dims: readonly number[], data: Float32Array | readonly number[]): string {
    return this.init(floatTensor(this.fresh(name), dims, data));
  }

  constI64(name: string, data: readonly number[]): string {
    return this.init(int64Tensor(this.fresh(name), [data.length], data));
  }

  op(op: string, inputs: readonly string[], attrs?: Record<string, AttrValue>, output?: string): string {
    const out = output ?? this.fresh(op.toLowerCase());
    this.nodes.push({ op, inputs, outputs: [out], ...(attrs ? { attrs } : {}) });
    return out;
  }
}
