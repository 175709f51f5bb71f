// A .wasm file imported through esbuild's `file` loader (./esbuild.ts): its path in the build output.
declare module '*.wasm' {
  const path: string;
  export default path;
}
