import { describe, expect, it } from 'vitest';
import { bias, errorSummary, mape, mase, smape, trackingSignal, wmape } from './accuracy.ts';

const actual = [100, 200];
const predicted = [110, 180];

describe('accuracy measures', () => {
  it('sMAPE: 200/2 · (10/210 + 20/380)', () => {
    expect(smape(actual, predicted)).toBeCloseTo(100 * (10 / 210 + 20 / 380), 10);
    expect(smape([0], [0])).toBe(0);
  });

  it('MASE: history [1, 3, 2, 4] has naive MAE (2 + 1 + 2)/3, forecast MAE 1.5, ratio 0.9', () => {
    expect(mase([5, 6], [4, 8], [1, 3, 2, 4])).toBeCloseTo(0.9, 12);
  });

  it('MASE with a seasonal lag scales by the seasonal naive error', () => {
    // Lag 2 differences of [1, 3, 2, 6]: |2 − 1| = 1, |6 − 3| = 3, mean 2; forecast MAE 1.
    expect(mase([5], [4], [1, 3, 2, 6], 2)).toBeCloseTo(0.5, 12);
    expect(mase([5], [4], [1, 1, 1])).toBeNaN();
  });

  it('MAPE and WMAPE are both 10% here, and MAPE skips zero actuals', () => {
    expect(mape(actual, predicted)).toBeCloseTo(10, 12);
    expect(wmape(actual, predicted)).toBeCloseTo(10, 12);
    expect(mape([0, 50], [5, 40])).toBeCloseTo(20, 12);
  });

  it('bias and tracking signal use actual − forecast', () => {
    // Errors −10 and +20: bias 5, running sum 10, MAD 15, tracking signal 10/15.
    expect(bias(actual, predicted)).toBe(5);
    expect(trackingSignal(actual, predicted)).toBeCloseTo(2 / 3, 12);
    expect(trackingSignal([1, 2], [1, 2])).toBe(0);
  });

  it('summarises errors over finite pairs only', () => {
    expect(errorSummary([1, 2, 3], [NaN, 4, 3])).toEqual({ mae: 1, rmse: Math.sqrt(2) });
  });

  it('rejects series of different lengths', () => {
    expect(() => smape([1, 2], [1])).toThrow(RangeError);
  });
});
