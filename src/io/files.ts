// A folder as a map of file name -> bytes: what a page gets from fetch, a dropped folder or an
// <input type="file" multiple>, and what the bytes-form loaders and savers take and return.
//
//   const files = new Map([['config.json', bytes1], ['model.safetensors', bytes2]]);
//   const model = loadModelFromFiles(files);

/** File name -> contents. Keys may carry a folder ('my-model/config.json'): only the last part counts. */
export type FileMap = ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>;

/** The files by their base name (the part after the last '/' or '\'), checking that none repeats. */
export function filesByName(files: FileMap, what = 'files'): Map<string, Uint8Array> {
  const entries = files instanceof Map ? [...files.entries()] : Object.entries(files as Record<string, Uint8Array>);
  const out = new Map<string, Uint8Array>();
  for (const [path, bytes] of entries) {
    if (!(bytes instanceof Uint8Array)) throw new Error(`${what}: '${path}' is not a Uint8Array (got ${bytes === null ? 'null' : typeof bytes})`);
    const name = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
    if (!name) throw new Error(`${what}: '${path}' has no file name`);
    if (out.has(name)) throw new Error(`${what}: two files are named '${name}'; give one folder at a time`);
    out.set(name, bytes);
  }
  return out;
}

/** A file's bytes as UTF-8 text (a BOM is dropped), with the file's name in the error. */
export function utf8(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new Error(`${what} is not valid UTF-8 text`);
  }
}

/** The first bytes as ASCII (for magic numbers: 'GGUF'). */
export function magic(bytes: Uint8Array, n = 4): string {
  return String.fromCharCode(...bytes.subarray(0, n));
}
