import { describe, expect, it } from 'vitest';
import { parseQuantity } from './quantity.ts';

describe('Kubernetes quantities', () => {
  it('reads the forms nodes report allocatable resources in', () => {
    expect(parseQuantity('3500m')).toBe(3.5);
    expect(parseQuantity('4')).toBe(4);
    expect(parseQuantity('16Gi')).toBe(16 * 2 ** 30);
    expect(parseQuantity('16417196Ki')).toBe(16417196 * 1024);
    expect(parseQuantity('1e9')).toBe(1e9);
    expect(parseQuantity('100G')).toBe(1e11);
    expect(parseQuantity('0.5')).toBe(0.5);
  });
  it('refuses what is not a quantity', () => {
    for (const q of ['', 'Gi', '16 Gi', '16gi', '1.2.3', 'abc']) expect(parseQuantity(q), q).toBeUndefined();
  });
});
