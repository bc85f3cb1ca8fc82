/**
 * A BERT encoder with random weights, written as ONNX with the test helper's
 * protobuf writer. Same shapes and operators as all-MiniLM-L6-v2 (6 layers,
 * hidden 384, 12 heads, FFN 1536, 512 positions) so session.run costs what a real
 * small sentence encoder costs; the vectors themselves mean nothing.
 */
import { DataType, encodeModel, floatTensor, GraphBuilder, int64Tensor } from "../test/helpers/onnx-proto.js";
import { rng } from "../test/helpers/fixtures.js";

export interface EncoderShape {
  vocab: number;
  hidden: number;
  layers: number;
  heads: number;
  ffn: number;
  maxPos: number;
}

export const MINILM_L6: Omit<EncoderShape, "vocab"> = { hidden: 384, layers: 6, heads: 12, ffn: 1536, maxPos: 512 };

export function syntheticEncoder(shape: EncoderShape, seed = 1): Uint8Array {
  const { vocab, hidden: H, layers, heads, ffn, maxPos } = shape;
  const hd = H / heads;
  const r = rng(seed);
  const rand = (n: number, scale = 0.02) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * scale * 1.7;
    return a;
  };
  const g = new GraphBuilder();
  const w = (name: string, dims: number[], scale = 0.02) => g.init(floatTensor(g.fresh(name), dims, rand(dims.reduce((a, b) => a * b, 1), scale)));
  const ones = (name: string) => g.init(floatTensor(g.fresh(name), [H], new Float32Array(H).fill(1)));
  const zeros = (name: string, n = H) => g.init(floatTensor(g.fresh(name), [n], new Float32Array(n)));
  const scalar = (name: string, v: number) => g.init(floatTensor(g.fresh(name), [], [v]));
  const ln = (x: string) => g.op("LayerNormalization", [x, ones("ln_g"), zeros("ln_b")], { axis: { kind: "int", v: -1 }, epsilon: { kind: "float", v: 1e-12 } });
  const linear = (x: string, din: number, dout: number) => g.op("Add", [g.op("MatMul", [x, w("W", [din, dout])]), zeros("b", dout)]);

  // Embeddings: word + position + token type, then LayerNorm.
  const seq = g.op("Gather", [g.op("Shape", ["input_ids"]), g.init(int64Tensor("idx1", [], [1]))]);
  const positions = g.op("Range", [g.init(int64Tensor("zero", [], [0])), seq, g.init(int64Tensor("one", [], [1]))]);
  let x = g.op("Add", [
    g.op("Add", [g.op("Gather", [w("word", [vocab, H]), "input_ids"]), g.op("Gather", [w("pos", [maxPos, H]), positions])]),
    g.op("Gather", [w("type", [2, H]), "token_type_ids"]),
  ]);
  x = ln(x);

  // Additive mask: 0 where attention_mask is 1, -10000 on padding; [b, 1, 1, s].
  const maskF = g.op("Cast", ["attention_mask"], { to: { kind: "int", v: DataType.FLOAT } });
  const bias = g.op("Unsqueeze", [g.op("Mul", [g.op("Sub", [scalar("one_f", 1), maskF]), scalar("neg", -10000)]), g.constI64("axes", [1, 2])]);
  const split = g.constI64("split_shape", [0, 0, heads, hd]);
  const merge = g.constI64("merge_shape", [0, 0, H]);

  for (let l = 0; l < layers; l++) {
    const heads4 = (t: string, perm: number[]) => g.op("Transpose", [g.op("Reshape", [t, split])], { perm: { kind: "ints", v: perm } });
    const q = heads4(linear(x, H, H), [0, 2, 1, 3]);
    const k = heads4(linear(x, H, H), [0, 2, 3, 1]);
    const v = heads4(linear(x, H, H), [0, 2, 1, 3]);
    const scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [q, k]), scalar("scale", 1 / Math.sqrt(hd))]), bias]);
    const probs = g.op("Softmax", [scores], { axis: { kind: "int", v: -1 } });
    const ctx = g.op("Reshape", [g.op("Transpose", [g.op("MatMul", [probs, v])], { perm: { kind: "ints", v: [0, 2, 1, 3] } }), merge]);
    x = ln(g.op("Add", [x, linear(ctx, H, H)]));
    const h = linear(x, H, ffn);
    const gelu = g.op("Mul", [g.op("Mul", [h, scalar("half", 0.5)]), g.op("Add", [scalar("one_g", 1), g.op("Erf", [g.op("Div", [h, scalar("sqrt2", Math.SQRT2)])])])]);
    x = ln(g.op("Add", [x, linear(gelu, ffn, H)]));
  }
  g.op("Identity", [x], undefined, "last_hidden_state");

  return encodeModel({
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: ["input_ids", "attention_mask", "token_type_ids"].map((name) => ({ name, elemType: DataType.INT64, shape: ["batch", "sequence"] })),
    outputs: [{ name: "last_hidden_state", elemType: DataType.FLOAT, shape: ["batch", "sequence", H] }],
  });
}

/**
 * Model2Vec on onnxruntime, for comparison with the typed-array path: Gather rows,
 * zero special tokens through the mask, sum, L2-normalise.
 */
export function staticLookupGraph(table: Float32Array, rows: number, dims: number): Uint8Array {
  const g = new GraphBuilder();
  const t = g.init(floatTensor("embeddings", [rows, dims], table));
  const gathered = g.op("Gather", [t, "input_ids"]);
  const mask = g.op("Unsqueeze", [g.op("Cast", ["attention_mask"], { to: { kind: "int", v: DataType.FLOAT } }), g.constI64("axes", [2])]);
  const summed = g.op("ReduceSum", [g.op("Mul", [gathered, mask]), g.constI64("axis1", [1])], { keepdims: { kind: "int", v: 0 } });
  const norm = g.op("ReduceL2", [summed], { axes: { kind: "ints", v: [-1] }, keepdims: { kind: "int", v: 1 } });
  g.op("Div", [summed, norm], undefined, "sentence_embedding");
  return encodeModel({
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: ["input_ids", "attention_mask"].map((name) => ({ name, elemType: DataType.INT64, shape: ["batch", "sequence"] })),
    outputs: [{ name: "sentence_embedding", elemType: DataType.FLOAT, shape: ["batch", dims] }],
  });
}
