// Engine state: the default backend, gradient recording on/off, and memory scopes.
//
// Memory rule: every tensor created inside `tidy(fn)` is disposed when fn returns, except the
// tensors fn returns and those passed to `keep`. Tensors created outside any scope live until
// `dispose()` is called on them (model parameters, optimizer state).

import type { Backend } from '../backend/backend.js';
import { createCpuBackend } from '../backend/cpu/index.js';

interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
}

let defaultBackend: Backend = createCpuBackend();
let gradEnabled = true;
const scopes: Set<Disposable>[] = [];
const kept = new WeakSet<Disposable>();

export function getBackend(): Backend {
  return defaultBackend;
}

/** Sets the backend that new tensors are created on; returns the previous one. */
export function setBackend(backend: Backend): Backend {
  const previous = defaultBackend;
  defaultBackend = backend;
  return previous;
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording gradients (inference). */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/** Called by the Tensor constructor. */
export function track(t: Disposable): void {
  if (scopes.length > 0) scopes[scopes.length - 1].add(t);
}

/** Keeps t alive past the enclosing tidy scopes. */
export function keep<T extends Disposable>(t: T): T {
  kept.add(t);
  for (const scope of scopes) scope.delete(t);
  return t;
}

/** Collects the disposables in a result (a tensor, an array, or a plain object of them). */
function collect(result: unknown, out: Set<Disposable>): void {
  if (result === null || typeof result !== 'object') return;
  if ('dispose' in result && 'isDisposed' in result) {
    out.add(result as Disposable);
    return;
  }
  if (Array.isArray(result)) for (const r of result) collect(r, out);
  else if (result instanceof Map) for (const r of result.values()) collect(r, out);
  else if (Object.getPrototypeOf(result) === Object.prototype) for (const r of Object.values(result)) collect(r, out);
}

/**
 * Runs fn, then disposes every tensor it created that it does not return. When fn throws, every
 * tensor it created is disposed before the error goes on (a server that answers a failed request
 * must not keep its memory).
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    scopes.pop();
    for (const t of scope) if (!kept.has(t) && !t.isDisposed) t.dispose();
    throw err;
  }
  scopes.pop();
  const survivors = new Set<Disposable>();
  collect(result, survivors);
  for (const t of scope) {
    if (survivors.has(t) || kept.has(t)) continue;
    t.dispose();
  }
  // returned tensors belong to the enclosing scope now
  const parent = scopes[scopes.length - 1];
  if (parent) for (const t of survivors) if (scope.has(t)) parent.add(t);
  return result;
}
