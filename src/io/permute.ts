// The two row orders of rotary (RoPE) query/key projections.
//
// "interleaved" (Meta's original Llama, llama2.c, and llama.cpp's GGUF for arch "llama"):
//   within each head, rotation pairs are rows (2i, 2i+1).
// "halves" (Hugging Face rotate_half): within each head, pairs are rows (i, i + headDim/2).
//
// HF's convert_llama_weights_to_hf: w.view(nHeads, headDim/2, 2, cols).transpose(1, 2)   = interleavedToHalves
// llama.cpp's LlamaModel.permute:    w.reshape(nHeads, 2, headDim/2, cols).swapaxes(1, 2) = halvesToInterleaved
// Works for weights (rows, cols) and biases (rows, cols = 1).

function permuteRows(src: Float32Array, rows: number, nHeads: number, toHalves: boolean, what: string, out: Float32Array = new Float32Array(src.length)): Float32Array {
  if (rows % nHeads !== 0 || (rows / nHeads) % 2 !== 0) throw new Error(`${what}: ${rows} rows do not split into ${nHeads} heads of even size`);
  if (src.length % rows !== 0) throw new Error(`${what}: ${src.length} values do not form ${rows} rows`);
  const cols = src.length / rows;
  const headDim = rows / nHeads;
  const half = headDim / 2;
  if (out.length !== src.length || out === src) throw new Error(`${what}: the output must be a separate array of ${src.length} values`);
  for (let h = 0; h < nHeads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const interleaved = h * headDim + 2 * i + j; // row in the interleaved layout
        const halves = h * headDim + j * half + i; // the same row in the halves layout
        const [from, to] = toHalves ? [interleaved, halves] : [halves, interleaved];
        out.set(src.subarray(from * cols, (from + 1) * cols), to * cols);
      }
    }
  }
  return out;
}

/** (rows, cols) in interleaved rotary order -> halves (HF) order. rows = nHeads * headDim. */
export function interleavedToHalves(src: Float32Array, rows: number, nHeads: number, what = 'permute', out?: Float32Array): Float32Array {
  return permuteRows(src, rows, nHeads, true, what, out);
}

/** (rows, cols) in halves (HF) order -> interleaved rotary order (llama.cpp, llama2.c). */
export function halvesToInterleaved(src: Float32Array, rows: number, nHeads: number, what = 'permute', out?: Float32Array): Float32Array {
  return permuteRows(src, rows, nHeads, false, what, out);
}
