import { describe, expect, it } from 'vitest';
import { fitTheta } from './theta.ts';

describe('Theta', () => {
  it('extrapolates a straight line with half its slope', () => {
    // On y = t the SES level follows the data (α → 1), so the forecast is about 20 + h/2.
    const series = Array.from({ length: 20 }, (_, t) => t + 1);
    const model = fitTheta(series, 3);
    expect(model.parameters.drift).toBeCloseTo(0.5, 12);
    model.forecast.forEach((value, i) => expect(value).toBeCloseTo(20 + 0.5 * (i + 1), 1));
  });
});
