import { describe, expect, it } from 'vitest';
import { nearestRank } from './endpoint-stats.service';

describe('nearestRank', () => {
  it.each([
    [50, 1, 0],
    [99, 1, 0],
    [50, 2, 0],
    [95, 2, 1],
    [50, 100, 49],
    [95, 100, 94],
    [99, 100, 98],
    [50, 101, 50],
    [99, 1000, 989],
  ])('p%i of %i values is index %i', (p, n, index) => {
    expect(nearestRank(p, n)).toBe(index);
  });
});
