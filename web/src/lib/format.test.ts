import { describe, expect, it } from 'vitest';
import { formatComparedValue, formatQuantity } from './format.ts';

describe('formatComparedValue', () => {
  it('reads a hold as held or not held, whatever flag it stores', () => {
    expect(formatComparedValue('salesHolds', 1, formatQuantity)).toBe('held');
    expect(formatComparedValue('budgetHolds', null, formatQuantity)).toBe('not held');
  });

  it('formats values of other layers and shows an empty cell as the dash given', () => {
    expect(formatComparedValue('sales', 12500, formatQuantity)).toBe('12,500');
    expect(formatComparedValue('sales', null, formatQuantity)).toBe('—');
    expect(formatComparedValue('prices', null, formatQuantity, '–')).toBe('–');
  });
});
