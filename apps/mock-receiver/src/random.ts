/**
 * A small seeded PRNG (mulberry32) so `flaky:<p>` is reproducible with `--seed`.
 * Each path gets its own stream, derived from the seed and the path, so the outcomes on one
 * path do not depend on how requests to other paths interleave with it.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over the seed and the path: the seed of one path's stream. */
export function pathSeed(seed: number, path: string): number {
  let hash = 0x811c9dc5;
  for (const char of `${seed}:${path}`) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}
