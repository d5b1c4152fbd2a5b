import { describe, expect, it } from 'vitest';
import { fromInterval, nelderMead, toInterval } from './optimise.ts';

describe('nelderMead', () => {
  it('finds the minimum of a shifted quadratic bowl', () => {
    // f(x, y) = (x − 3)² + 10 (y + 2)² + 5 has its minimum 5 at (3, −2).
    const result = nelderMead(([x = 0, y = 0]) => (x - 3) ** 2 + 10 * (y + 2) ** 2 + 5, [0, 0], { tolerance: 1e-14, maxEvaluations: 2000 });
    expect(result.converged).toBe(true);
    expect(result.point[0]).toBeCloseTo(3, 4);
    expect(result.point[1]).toBeCloseTo(-2, 4);
    expect(result.value).toBeCloseTo(5, 8);
  });

  it('follows the curved valley of the Rosenbrock function to (1, 1)', () => {
    const rosenbrock = ([x = 0, y = 0]: Float64Array): number => 100 * (y - x * x) ** 2 + (1 - x) ** 2;
    const result = nelderMead(rosenbrock, [-1.2, 1], { step: 0.5, tolerance: 1e-14, maxEvaluations: 5000 });
    expect(result.point[0]).toBeCloseTo(1, 3);
    expect(result.point[1]).toBeCloseTo(1, 3);
  });

  it('treats non-finite values as infeasible and stays out of that region', () => {
    // Minimum of (x − 1)² on x ≥ 0.5 with everything below 0.5 rejected.
    const result = nelderMead(([x = 0]) => (x < 0.5 ? NaN : (x - 1) ** 2), [2], { tolerance: 1e-12 });
    expect(result.point[0]).toBeCloseTo(1, 4);
  });

  it('stops at the evaluation budget', () => {
    const result = nelderMead(([x = 0, y = 0]) => x * x + y * y, [100, 100], { maxEvaluations: 10, tolerance: 0 });
    expect(result.converged).toBe(false);
    expect(result.evaluations).toBeLessThanOrEqual(12);
  });
});

describe('logistic interval mapping', () => {
  it('maps 0 to the midpoint and round-trips', () => {
    expect(toInterval(0, 0.8, 0.98)).toBeCloseTo(0.89, 12);
    expect(toInterval(fromInterval(0.3, 0, 1), 0, 1)).toBeCloseTo(0.3, 12);
  });
});
