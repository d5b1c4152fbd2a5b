import { addMonths, cellKey, emptyCells, monthRange, type Month, type PlanData } from '@accord/plan-calc';
import { createRandom, gaussian, keyedRandom, roundToTens } from './demo-random.ts';

interface FamilySpec {
  id: string;
  name: string;
  skus: string[];
  resourceId: string;
  /** Mean monthly demand of a SKU in cases, before trend and season. */
  baseCases: [number, number];
  trendPerYear: number;
  /** Seasonal amplitude (0.4 = ±40 %) and the month (1–12) of the peak. */
  seasonAmplitude: number;
  peakMonth: number;
  pricePerCase: [number, number];
  /** Supplier and production lead time, and the safety-stock policy in days of cover. */
  leadTimeDays: number;
  safetyStockDays: number;
  /** Share of months with any demand; below 1 makes the family intermittent. */
  occurrence: number;
  /** Relative error of the past statistical baseline against the actuals: mean (negative = too low) and spread. */
  baselineError: { mean: number; spread: number };
  /**
   * How sales overrode the baseline in the past: the share of its error they corrected (what they
   * knew that the model did not) and the uplift they added on top of it (optimism).
   */
  salesJudgement: { skill: number; optimism: number };
}

const FAMILIES: FamilySpec[] = [
  {
    id: 'sparkling',
    leadTimeDays: 14,
    safetyStockDays: 20,
    name: 'Sparkling Water',
    resourceId: 'line-a',
    baseCases: [2500, 9000],
    trendPerYear: 0.04,
    seasonAmplitude: 0.45,
    peakMonth: 7,
    pricePerCase: [6.5, 9],
    occurrence: 1,
    baselineError: { mean: 0, spread: 0.13 },
    salesJudgement: { skill: 0.35, optimism: 0.02 },
    skus: [
      'Alpine Sparkling 0.5 L',
      'Alpine Sparkling 1 L',
      'Alpine Sparkling 1.5 L',
      'Lemon Sparkling 0.5 L',
      'Lemon Sparkling 1 L',
      'Lime & Mint 0.33 L',
      'Grapefruit Zero 0.5 L',
      'Mineral Still 1.5 L',
    ],
  },
  {
    id: 'juices',
    leadTimeDays: 21,
    safetyStockDays: 25,
    name: 'Juices',
    resourceId: 'line-b',
    baseCases: [1200, 5000],
    trendPerYear: -0.02,
    seasonAmplitude: 0.18,
    peakMonth: 1,
    pricePerCase: [11, 16],
    occurrence: 1,
    // A stable range the model reads well; sales keep asking for more than the market takes.
    baselineError: { mean: 0, spread: 0.08 },
    salesJudgement: { skill: 0, optimism: 0.18 },
    skus: [
      'Orange Juice 1 L',
      'Orange Juice 0.25 L',
      'Apple Juice 1 L',
      'Apple Cloudy 0.75 L',
      'Multivitamin 1 L',
      'Blood Orange 0.75 L',
      'Carrot Ginger 0.25 L',
      'Pink Grapefruit 1 L',
    ],
  },
  {
    id: 'energy',
    leadTimeDays: 10,
    safetyStockDays: 15,
    name: 'Energy Drinks',
    resourceId: 'canning',
    baseCases: [1800, 6500],
    trendPerYear: 0.22,
    seasonAmplitude: 0.12,
    peakMonth: 6,
    pricePerCase: [18, 24],
    occurrence: 1,
    // The damped trend falls behind a range growing 22 % a year; sales know the new listings.
    baselineError: { mean: -0.09, spread: 0.09 },
    salesJudgement: { skill: 0.7, optimism: 0 },
    skus: [
      'Volt Original 0.25 L',
      'Volt Sugarfree 0.25 L',
      'Volt Tropical 0.5 L',
      'Volt Berry 0.5 L',
      'Focus Green Tea 0.33 L',
      'Focus Yerba 0.33 L',
      'Volt Zero Peach 0.5 L',
    ],
  },
  {
    id: 'gifts',
    leadTimeDays: 45,
    safetyStockDays: 30,
    name: 'Gift & Seasonal',
    resourceId: 'line-a',
    baseCases: [150, 600],
    trendPerYear: 0,
    seasonAmplitude: 0.9,
    peakMonth: 12,
    pricePerCase: [28, 45],
    occurrence: 0.35,
    // Unused: intermittent items are forecast at their trailing rate and never overridden.
    baselineError: { mean: 0, spread: 0 },
    salesJudgement: { skill: 0, optimism: 0 },
    skus: ['Winter Spice Gift Box', 'Summer Party Pack', 'Premium Glass Set', 'Advent Sampler', 'Corporate Gift Crate'],
  },
];

const RESOURCES = [
  { id: 'line-a', name: 'Bottling line A (glass)', casesPerHour: 450 },
  { id: 'line-b', name: 'Bottling line B (PET)', casesPerHour: 380 },
  { id: 'canning', name: 'Canning line', casesPerHour: 520 },
] as const;

/** The seed of the demo every server starts with. */
export const DEMO_SEED = 2026;
const HISTORY_MONTHS = 24;
const HORIZON_MONTHS = 18;
/** History months that keep their demand layers: the plan has been through a year of monthly cycles. */
export const FORECAST_HISTORY_MONTHS = 12;
// Spread of what sales add beyond their skill and optimism: no two overrides are alike.
const SALES_NOISE = 0.05;
// Sales asking for more than this over the baseline gets the leader's attention…
const CONSENSUS_UPLIFT_THRESHOLD = 1.05;
// …who agrees on a figure closer to the baseline, taking back this share of the uplift.
const CONSENSUS_PULLBACK = 0.6;

function seasonFactor(spec: FamilySpec, month: Month): number {
  const calendarMonth = Number(month.slice(5, 7));
  return 1 + spec.seasonAmplitude * Math.cos(((calendarMonth - spec.peakMonth) / 12) * 2 * Math.PI);
}

/**
 * Statistical baseline for the demo: seasonal indices and a damped trend estimated from two years
 * of history (intermittent items get their mean demand rate). A stand-in until the forecasting
 * package computes real baselines; it is honest arithmetic on the generated history.
 */
function baseline(history: number[], horizon: Month[], historyMonths: Month[], intermittent: boolean): number[] {
  const lastYear = history.slice(-12);
  const priorYear = history.slice(-24, -12);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  if (intermittent) {
    const rate = sum(history) / history.length;
    return horizon.map(() => Math.round(rate));
  }
  const level = sum(lastYear) / 12;
  const growth = sum(priorYear) > 0 ? sum(lastYear) / sum(priorYear) : 1;
  const dampedGrowth = 1 + (growth - 1) * 0.7;
  const indexByCalendarMonth = new Map<string, number>();
  historyMonths.forEach((month, i) => {
    const yearMean = i < 12 ? sum(priorYear) / 12 : level;
    const calendar = month.slice(5, 7);
    const ratio = yearMean > 0 ? (history[i] ?? 0) / yearMean : 1;
    indexByCalendarMonth.set(calendar, (indexByCalendarMonth.get(calendar) ?? 0) + ratio / 2);
  });
  return horizon.map((month, h) => {
    const index = indexByCalendarMonth.get(month.slice(5, 7)) ?? 1;
    return Math.max(0, Math.round(level * index * dampedGrowth ** ((h + 6) / 12)));
  });
}

/** The demand layers a history month held when it left the horizon. */
interface PastLayers {
  statistical: number;
  sales?: number;
  consensus?: number;
}

/**
 * The last forecast of each layer for one history month (index `t` of `history`), drawn around
 * the actual so that each layer's accuracy follows the family spec: the baseline with the
 * family's error (intermittent items: their trailing 12-month rate), the override of a product
 * that sales manage, and the leader's consensus where sales asked for a clear uplift.
 */
function pastLayers(spec: FamilySpec, history: number[], t: number, overridden: boolean, random: () => number): PastLayers {
  const actual = history[t]!;
  if (spec.occurrence < 1) {
    const trailingYear = history.slice(Math.max(0, t - 12), t);
    return { statistical: Math.round(trailingYear.reduce((a, b) => a + b, 0) / Math.max(1, trailingYear.length)) };
  }
  const error = spec.baselineError;
  const statistical = Math.max(0, Math.round(actual * (1 + error.mean + error.spread * gaussian(random))));
  if (!overridden) return { statistical };
  const { skill, optimism } = spec.salesJudgement;
  const sales = roundToTens(statistical + skill * (actual - statistical) + statistical * (optimism + SALES_NOISE * gaussian(random)));
  if (sales <= statistical * CONSENSUS_UPLIFT_THRESHOLD) return { statistical, sales };
  return { statistical, sales, consensus: roundToTens(sales - CONSENSUS_PULLBACK * (sales - statistical)) };
}

/**
 * Production planned for a month `monthsAhead` of the horizon start: the demand in batches of
 * 50 cases; the first two months run a little lean so the projection shows where stock gets tight.
 */
export function plannedProduction(demand: number, monthsAhead: number): number {
  return Math.ceil((demand * (monthsAhead < 2 ? 0.9 : 1.02)) / 50) * 50;
}

/** The budget (annual operating plan) of a family for a month, in currency: baseline revenue plus 3 %. */
export function familyBudget(data: PlanData, familyId: string, month: Month): number {
  let revenue = 0;
  for (const product of Object.values(data.products)) {
    if (product.familyId === familyId)
      revenue += (data.cells.statistical[cellKey(product.id, month)] ?? 0) * (data.cells.prices[product.id] ?? 0);
  }
  return Math.round(revenue * 1.03);
}

/**
 * The demo plan: 28 SKUs in 4 families on 3 lines, 24 months of actuals with trend, seasonality
 * and intermittent items, and an 18-month horizon starting at `horizonStart` with a baseline,
 * some sales overrides and marketing uplifts, a production plan, capacity, prices, costs and
 * budget. Its last 12 history months keep the layers they had when they left the horizon
 * (baseline, overrides, consensus), so forecast accuracy can be scored. Deterministic for a given
 * `horizonStart` and `seed`.
 */
export function generateDemoPlan(horizonStart: Month, seed = DEMO_SEED): PlanData {
  const random = createRandom(seed);
  const between = ([lo, hi]: [number, number]) => lo + (hi - lo) * random();
  const noise = (cv: number) => Math.max(0.2, 1 + cv * (random() + random() + random() - 1.5) * 2);
  const historyMonths = monthRange(addMonths(horizonStart, -HISTORY_MONTHS), HISTORY_MONTHS);
  const forecastMonths = historyMonths.slice(-FORECAST_HISTORY_MONTHS);
  const horizon = monthRange(horizonStart, HORIZON_MONTHS);
  const cells = emptyCells();
  const data: PlanData = {
    meta: {
      name: `S&OP ${horizonStart}`,
      currency: 'EUR',
      bucket: 'month',
      horizonStart,
      horizonBuckets: HORIZON_MONTHS,
      historyBuckets: HISTORY_MONTHS,
      cycleStage: 'demand-review',
      schemaVersion: 2,
    },
    families: {},
    products: {},
    resources: {},
    cells,
  };
  RESOURCES.forEach((r, order) => (data.resources[r.id] = { id: r.id, name: r.name, order }));
  const loadHours = new Map<string, number>();

  FAMILIES.forEach((spec, familyOrder) => {
    data.families[spec.id] = { id: spec.id, name: spec.name, order: familyOrder };
    const resource = RESOURCES.find((r) => r.id === spec.resourceId)!;
    spec.skus.forEach((name, order) => {
      const id = `${spec.id.slice(0, 3).toUpperCase()}-${String(order + 1).padStart(3, '0')}`;
      const hoursPerUnit = Math.round((1 / (resource.casesPerHour * (0.85 + 0.3 * random()))) * 1e5) / 1e5;
      data.products[id] = {
        id,
        name,
        familyId: spec.id,
        unit: 'cases',
        resourceId: spec.resourceId,
        hoursPerUnit,
        leadTimeDays: spec.leadTimeDays,
        safetyStockDays: spec.safetyStockDays,
        order,
      };
      const base = between(spec.baseCases);
      const intermittent = spec.occurrence < 1;
      const history = historyMonths.map((month, t) => {
        const trend = (1 + spec.trendPerYear) ** ((t - HISTORY_MONTHS) / 12);
        const occurs = random() < spec.occurrence * (month.endsWith('-12') && intermittent ? 2.5 : 1);
        return occurs ? Math.round(base * trend * seasonFactor(spec, month) * noise(intermittent ? 0.5 : 0.12)) : 0;
      });
      // Actuals: sales as generated; production within a few percent of sales (made to stock);
      // closing inventory carried from a stock of about one month of demand.
      let stock = Math.round(base * (intermittent ? 2 : 1));
      historyMonths.forEach((month, t) => {
        const key = cellKey(id, month);
        const produced = Math.round((history[t]! * (0.97 + 0.06 * random())) / 10) * 10;
        stock = Math.max(0, stock + produced - history[t]!);
        cells.actuals[key] = history[t]!;
        cells.actualProduction[key] = produced;
        cells.actualInventory[key] = stock;
      });
      const statistical = baseline(history, horizon, historyMonths, intermittent);
      const price = Math.round(between(spec.pricePerCase) * 100) / 100;
      cells.prices[id] = price;
      cells.costs[id] = Math.round(price * (0.52 + 0.16 * random()) * 100) / 100;
      // Sales knows better for a few items in the next two quarters (and is sometimes too keen).
      const overridden = !intermittent && random() < 0.3;
      horizon.forEach((month, h) => {
        const key = cellKey(id, month);
        cells.statistical[key] = statistical[h]!;
        if (overridden && h < 6) cells.sales[key] = Math.round((statistical[h]! * (0.9 + 0.35 * random())) / 10) * 10;
      });
      // Production: a level plan at the baseline or the sales override.
      horizon.forEach((month, h) => {
        const production = plannedProduction(cells.sales[cellKey(id, month)] ?? statistical[h]!, h);
        cells.production[cellKey(id, month)] = production;
        const loadKey = cellKey(spec.resourceId, month);
        loadHours.set(loadKey, (loadHours.get(loadKey) ?? 0) + production * hoursPerUnit);
      });
      cells.inventory[id] = Math.round((statistical[0] ?? 0) * (intermittent ? 2 : 1.1));
      // Each cell draws from a stream of its own, so the history layers leave the rest of the plan as it was.
      forecastMonths.forEach((month, i) => {
        const key = cellKey(id, month);
        const layers = pastLayers(spec, history, HISTORY_MONTHS - FORECAST_HISTORY_MONTHS + i, overridden, keyedRandom(seed, key));
        cells.statistical[key] = layers.statistical;
        if (layers.sales !== undefined) cells.sales[key] = layers.sales;
        if (layers.consensus !== undefined) cells.consensus[key] = layers.consensus;
      });
    });
  });

  // Marketing: a summer campaign for the sparkling range and the launch push of Volt Zero Peach.
  for (const id of ['SPA-001', 'SPA-004']) {
    for (const month of horizon.filter((m) => m.endsWith('-06') || m.endsWith('-07')).slice(0, 2)) {
      cells.marketing[cellKey(id, month)] = 800;
    }
  }
  for (const month of horizon.slice(2, 5)) cells.marketing[cellKey('ENE-007', month)] = 600;

  // Finance runs a summer promotion price on the best seller; the bucket price overrides the list price.
  const promoMonth = horizon.find((m) => m.endsWith('-07'));
  if (promoMonth) cells.prices[cellKey('SPA-001', promoMonth)] = Math.round((cells.prices['SPA-001'] ?? 0) * 0.9 * 100) / 100;

  // The leader has kept a 12 % safety margin on the best seller's summer months.
  for (const month of forecastMonths.filter((m) => /-0[678]$/.test(m))) {
    const key = cellKey('SPA-001', month);
    cells.consensus[key] = roundToTens((cells.statistical[key] ?? 0) * 1.12);
  }

  // Last cycle's consensus already agreed the next two months of two juices.
  for (const id of ['JUI-001', 'JUI-003']) {
    for (const month of horizon.slice(0, 2)) {
      const key = cellKey(id, month);
      cells.consensus[key] = Math.round(((cells.sales[key] ?? cells.statistical[key] ?? 0) * 1.05) / 10) * 10;
    }
  }

  // Capacity: a flat number of hours per line, 8 % above the average load, so seasonal peaks overload.
  for (const resource of RESOURCES) {
    const loads = horizon.map((m) => loadHours.get(cellKey(resource.id, m)) ?? 0);
    const capacity = Math.round((loads.reduce((a, b) => a + b, 0) / loads.length) * 1.08);
    for (const month of horizon) cells.capacity[cellKey(resource.id, month)] = capacity;
  }

  // Budget (annual operating plan) per family and month.
  for (const spec of FAMILIES) for (const month of horizon) cells.budget[cellKey(spec.id, month)] = familyBudget(data, spec.id, month);
  return data;
}
