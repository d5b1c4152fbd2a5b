import { describe, expect, it } from 'vitest';
import { formatCompact, formatComparedDelta, formatComparedValue, formatQuantity } from './format.ts';

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

describe('formatCompact', () => {
  it('reads a column of compact figures at one precision', () => {
    expect(['1,400,000', '1,114,000', '1,040,000'].map((v) => formatCompact(Number(v.replaceAll(',', '')), 'EUR'))).toEqual([
      '€1.40M',
      '€1.11M',
      '€1.04M',
    ]);
    expect(formatCompact(251_729)).toBe('252K');
    expect(formatCompact(-12_500)).toBe('-12.5K');
  });

  it('shows a number below a thousand as it is', () => {
    expect(formatCompact(7)).toBe('7');
    expect(formatCompact(950, 'EUR')).toBe('€950');
  });
});

describe('formatComparedDelta', () => {
  it('signs a change and leaves a hold blank', () => {
    expect(formatComparedDelta('sales', 341, formatQuantity)).toBe('+341');
    expect(formatComparedDelta('sales', -12500, formatQuantity)).toBe('-12,500');
    expect(formatComparedDelta('sales', 0, formatQuantity)).toBe('0');
    expect(formatComparedDelta('salesHolds', 0, formatQuantity)).toBe('');
  });
});
