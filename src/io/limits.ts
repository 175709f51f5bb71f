// Checks the readers share: what a file claims is checked against what it holds before anything
// is trusted or allocated in proportion to it, and every weight read must be a finite number
// (a NaN or an infinity would make every logit NaN and generation emit garbage without a word).

/**
 * Throws unless every value of data is finite, naming the tensor and the first bad index.
 * One pass, no allocation: cheap beside reading the bytes.
 */
export function checkFinite(data: Float32Array | Float64Array, tensor: string, what: string): void {
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (x - x !== 0) { // NaN and ±Infinity are the only values for which x - x is not 0
      throw new Error(`${what}: tensor ${tensor} holds ${Number.isNaN(x) ? 'NaN' : x > 0 ? 'infinity' : '-infinity'} at index ${i}: weights must be finite (a corrupt or badly converted file?)`);
    }
  }
}
