// A small seeded PRNG (mulberry32) with Gaussian samples, so runs are reproducible everywhere.

export class Rng {
  private state: number;
  private spare: number | null = null;

  constructor(seed = 1337) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal (Box-Muller, caching the second sample). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** The internal state, to save in a checkpoint and restore with setState. */
  getState(): number[] {
    return [this.state, this.spare ?? NaN];
  }

  setState(state: number[]): void {
    this.state = state[0] >>> 0;
    this.spare = Number.isNaN(state[1]) ? null : state[1];
  }
}
