/** The four demand patterns of Syntetos, Boylan & Croston (2005). */
export const demandClasses = ['smooth', 'erratic', 'intermittent', 'lumpy'] as const;

/** One demand pattern. */
export type DemandClass = (typeof demandClasses)[number];

/** A series' demand pattern with the two statistics it rests on. */
export interface DemandProfile {
  demandClass: DemandClass;
  /** Average demand interval: periods per period with demand (∞ when there is none). */
  adi: number;
  /** Squared coefficient of variation of the non-zero demand sizes (population variance / mean²). */
  cv2: number;
  nonZeroPeriods: number;
}

// Cut-offs of Syntetos, Boylan & Croston (2005), "On the categorization of demand patterns", JORS 56(5).
/** ADI at or above which demand counts as intermittent. */
export const ADI_THRESHOLD = 1.32;
/** CV² at or above which demand sizes count as variable. */
export const CV2_THRESHOLD = 0.49;

/**
 * Classifies a demand series: ADI < 1.32 and CV² < 0.49 is smooth, ADI < 1.32 with CV² ≥ 0.49 erratic,
 * ADI ≥ 1.32 with CV² < 0.49 intermittent, both at or above lumpy. A period has demand when its value is above 0.
 */
export function classifyDemand(series: readonly number[]): DemandProfile {
  const sizes = series.filter((value) => value > 0);
  const nonZeroPeriods = sizes.length;
  const adi = nonZeroPeriods === 0 ? Infinity : series.length / nonZeroPeriods;
  let cv2 = 0;
  if (nonZeroPeriods > 0) {
    const average = sizes.reduce((a, b) => a + b, 0) / nonZeroPeriods;
    const variance = sizes.reduce((sum, size) => sum + (size - average) ** 2, 0) / nonZeroPeriods;
    cv2 = variance / (average * average);
  }
  const sporadic = adi >= ADI_THRESHOLD;
  const variable = cv2 >= CV2_THRESHOLD;
  const demandClass: DemandClass = sporadic ? (variable ? 'lumpy' : 'intermittent') : variable ? 'erratic' : 'smooth';
  return { demandClass, adi, cv2, nonZeroPeriods };
}
