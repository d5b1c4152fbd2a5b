import { addMonths, cellKey, daysInMonth, monthRange, resolveDemand, type PlanData, type Product } from '@accord/plan-calc';
import { readPlanData } from '@accord/plan-model';
import { ErrorCode, KPI_LAYERS, type AuthorFva, type KpiLayer, type KpiQuery, type KpiResponse, type KpiRow } from '@accord/protocol';
import type { GovernanceRepository } from '../governance/governance.repository.ts';
import { snapshotPlanData } from '../governance/snapshot.service.ts';
import { HttpError } from '../errors.ts';
import type { PlanService } from '../plans/plan.service.ts';
import type { DocumentRegistry } from '../sync/document-registry.ts';
import {
  capacityUtilisation,
  daysOfCover,
  fillRate,
  forecastValueAdded,
  inventoryTurns,
  layerAccuracy,
  naiveScale,
  scheduleAdherence,
  type ScoredPoint,
} from './kpi.ts';
import type { OverrideAuthorRepository } from './override-author.repository.ts';

/** Longest KPI range: ten years of months. */
export const MAX_KPI_MONTHS = 120;
/** Lags (in buckets between lock and bucket) reported for locked consensus accuracy. */
export const KPI_LAGS = [1, 2, 3] as const;
const SEASON_LENGTH = 12;
const MONTHS_PER_YEAR = 12;
// Locked snapshots never change, so their demand per cell is computed once; a plan locks one a month.
const SNAPSHOT_CACHE_SIZE = 64;

/** Demand as locked in one snapshot: cycle (horizon start when locked) and layered demand per cell. */
interface LockedDemand {
  cycle: string;
  demand: Map<string, number>;
}

/** What one product contributes to a KPI row. */
interface ProductFacts {
  product: Product;
  actualSales: number;
  layers: Record<KpiLayer, ScoredPoint[]>;
  lags: Map<number, ScoredPoint[]>;
  fill: { sales: number; available: number }[];
  stock: Map<string, { sales: number; closing: number; days: number }>;
  hours: Map<string, number>;
  adherence: { actual: number; planned: number }[];
}

/** Layered demand of every cell a plan holds any demand layer for. */
function demandOf(data: PlanData): Map<string, number> {
  const keys = new Set([...Object.keys(data.cells.statistical), ...Object.keys(data.cells.sales), ...Object.keys(data.cells.consensus)]);
  const demand = new Map<string, number>();
  for (const key of keys) {
    const c = data.cells;
    demand.set(key, resolveDemand(c.consensus[key], c.sales[key], c.statistical[key], c.marketing[key]).value);
  }
  return demand;
}

/**
 * Forecast accuracy and operational KPIs of a plan over past buckets, per product, family or in
 * total. The forecasts scored are the plan's own layer values for those buckets (see docs in the
 * protocol's KpiResponse) and the consensus locked in snapshots, by lag.
 */
export class KpiService {
  readonly #plans: PlanService;
  readonly #documents: DocumentRegistry;
  readonly #governance: GovernanceRepository;
  readonly #authors: OverrideAuthorRepository;
  readonly #snapshots = new Map<string, LockedDemand>();

  constructor(plans: PlanService, documents: DocumentRegistry, governance: GovernanceRepository, authors: OverrideAuthorRepository) {
    this.#plans = plans;
    this.#documents = documents;
    this.#governance = governance;
    this.#authors = authors;
  }

  async kpis(userId: string, planId: string, query: KpiQuery): Promise<KpiResponse> {
    await this.#plans.getPlanForUser(userId, planId);
    const room = await this.#documents.open(planId);
    const data = readPlanData(room.doc);
    if (data.meta.bucket !== 'month') throw new HttpError(400, ErrorCode.badRequest, 'KPIs are computed for monthly plans only (for now).');
    const months = monthsBetween(query.from, query.to) + 1;
    if (months > MAX_KPI_MONTHS)
      throw new HttpError(400, ErrorCode.badRequest, `Choose at most ${MAX_KPI_MONTHS} months (from–to spans ${months}).`);
    const range = monthRange(query.from, months);
    const locked = await this.#lockedDemand(planId);
    const c = data.cells;

    const facts: ProductFacts[] = [];
    const bucketsWithActuals = new Set<string>();
    for (const product of Object.values(data.products)) {
      const f: ProductFacts = {
        product,
        actualSales: 0,
        layers: { statistical: [], sales: [], consensus: [], final: [] },
        lags: new Map(KPI_LAGS.map((lag) => [lag, []])),
        fill: [],
        stock: new Map(),
        hours: new Map(),
        adherence: [],
      };
      const scale = naiveScale(salesHistory(data, product.id, query.from), SEASON_LENGTH);
      let any = false;
      for (const bucket of range) {
        const key = cellKey(product.id, bucket);
        const actual = c.actuals[key];
        const produced = c.actualProduction[key];
        const closing = c.actualInventory[key];
        if (produced !== undefined) {
          f.hours.set(bucket, produced * product.hoursPerUnit);
          const planned = c.production[key];
          if (planned !== undefined) f.adherence.push({ actual: produced, planned });
          any = true;
        }
        if (actual === undefined) continue;
        any = true;
        bucketsWithActuals.add(bucket);
        f.actualSales += actual;
        const opening = c.actualInventory[cellKey(product.id, addMonths(bucket, -1))];
        if (opening !== undefined) f.fill.push({ sales: actual, available: opening + (produced ?? 0) });
        if (closing !== undefined) f.stock.set(bucket, { sales: actual, closing, days: daysInMonth(bucket) });
        const statistical = c.statistical[key];
        if (statistical !== undefined) {
          const sales = resolveDemand(undefined, c.sales[key], statistical, c.marketing[key]).value;
          const consensus = resolveDemand(c.consensus[key], c.sales[key], statistical, c.marketing[key]).value;
          const final = finalDemand(locked, key, bucket) ?? consensus;
          const values: Record<KpiLayer, number> = { statistical, sales, consensus, final };
          for (const layer of KPI_LAYERS) f.layers[layer].push({ actual, forecast: values[layer], scale });
        }
        for (const lag of KPI_LAGS) {
          const cycle = addMonths(bucket, -lag);
          const value = locked.find((l) => l.cycle === cycle)?.demand.get(key);
          if (value !== undefined) f.lags.get(lag)!.push({ actual, forecast: value, scale });
        }
      }
      if (any) facts.push(f);
    }

    const groups = groupFacts(facts, data, query.level);
    const rows = groups.map((g) => kpiRow(g.id, g.name, g.facts, data, range));
    const lags = KPI_LAGS.map((lag) => ({ lag, accuracy: layerAccuracy(facts.flatMap((f) => f.lags.get(lag)!)) }));
    return {
      from: query.from,
      to: query.to,
      level: query.level,
      buckets: range.filter((b) => bucketsWithActuals.has(b)),
      rows,
      lags,
      authors: await this.#authorFva(planId, data, range),
    };
  }

  /** Layered demand of each locked snapshot of the plan, newest first (cached by snapshot id). */
  async #lockedDemand(planId: string): Promise<LockedDemand[]> {
    const rows = await this.#governance.listSnapshots(planId);
    const out: LockedDemand[] = [];
    const cycles = new Set<string>();
    for (const row of rows) {
      // A re-locked cycle keeps only its newest snapshot (rows come newest first).
      if (cycles.has(row.cycle)) continue;
      cycles.add(row.cycle);
      let entry = this.#snapshots.get(row.id);
      if (!entry) {
        const snapshot = await this.#governance.findSnapshot(row.id);
        if (!snapshot) continue;
        entry = { cycle: row.cycle, demand: demandOf(snapshotPlanData(snapshot)) };
        if (this.#snapshots.size >= SNAPSHOT_CACHE_SIZE) this.#snapshots.delete(this.#snapshots.keys().next().value!);
        this.#snapshots.set(row.id, entry);
      }
      out.push(entry);
    }
    return out;
  }

  /** FVA of the sales overrides per last author (from the cell history; seeded or imported cells have none). */
  async #authorFva(planId: string, data: PlanData, range: string[]): Promise<AuthorFva[]> {
    const authors = new Map((await this.#authors.lastAuthors(planId, 'sales')).map((a) => [a.key, a]));
    const byAuthor = new Map<string, { userId: string | null; name: string | null; statistical: ScoredPoint[]; sales: ScoredPoint[] }>();
    const inRange = new Set(range);
    const c = data.cells;
    for (const [key, override] of Object.entries(c.sales)) {
      const bar = key.lastIndexOf('|');
      if (bar <= 0 || !inRange.has(key.slice(bar + 1))) continue;
      const actual = c.actuals[key];
      const statistical = c.statistical[key];
      if (actual === undefined || statistical === undefined) continue;
      const author = authors.get(key);
      const id = author?.userId ?? '';
      let entry = byAuthor.get(id);
      if (!entry)
        byAuthor.set(id, (entry = { userId: author?.userId ?? null, name: author?.userName ?? null, statistical: [], sales: [] }));
      entry.statistical.push({ actual, forecast: statistical, scale: null });
      entry.sales.push({ actual, forecast: override + (c.marketing[key] ?? 0), scale: null });
    }
    return [...byAuthor.values()].map((e) => {
      const statisticalWmape = layerAccuracy(e.statistical).wmape;
      const salesWmape = layerAccuracy(e.sales).wmape;
      return {
        userId: e.userId,
        name: e.name,
        cells: e.sales.length,
        statisticalWmape,
        salesWmape,
        fva: forecastValueAdded(statisticalWmape, salesWmape),
      };
    });
  }
}

/** Whole months from `from` to `to` (0 when equal). */
function monthsBetween(from: string, to: string): number {
  const index = (m: string) => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7));
  return index(to) - index(from);
}

/** Sales actuals before `from` (missing months skipped), the history MASE is scaled by. */
function salesHistory(data: PlanData, productId: string, from: string): number[] {
  const start = addMonths(from, -Math.max(data.meta.historyBuckets, 2 * SEASON_LENGTH));
  const history: number[] = [];
  for (const bucket of monthRange(start, monthsBetween(start, from))) {
    const value = data.cells.actuals[cellKey(productId, bucket)];
    if (value !== undefined) history.push(value);
  }
  return history;
}

/** The demand locked last before a bucket began: the newest snapshot whose cycle is not after it. */
function finalDemand(locked: LockedDemand[], key: string, bucket: string): number | undefined {
  let best: LockedDemand | undefined;
  for (const l of locked) if (l.cycle <= bucket && (!best || l.cycle > best.cycle) && l.demand.has(key)) best = l;
  return best?.demand.get(key);
}

function groupFacts(
  facts: ProductFacts[],
  data: PlanData,
  level: KpiQuery['level'],
): { id: string; name: string; facts: ProductFacts[] }[] {
  if (level === 'total') return [{ id: 'total', name: 'Total', facts }];
  if (level === 'product') return facts.map((f) => ({ id: f.product.id, name: f.product.name, facts: [f] }));
  const byFamily = new Map<string, ProductFacts[]>();
  for (const f of facts) byFamily.set(f.product.familyId, [...(byFamily.get(f.product.familyId) ?? []), f]);
  return [...byFamily].map(([id, members]) => ({ id, name: data.families[id]?.name ?? id, facts: members }));
}

function kpiRow(id: string, name: string, facts: ProductFacts[], data: PlanData, range: string[]): KpiRow {
  const accuracy = Object.fromEntries(
    KPI_LAYERS.map((layer) => [layer, layerAccuracy(facts.flatMap((f) => f.layers[layer]))]),
  ) as KpiRow['accuracy'];
  // Stock measures add the row's products per bucket, over the buckets where each has a closing stock.
  const stock = new Map<string, { sales: number; closing: number; days: number }>();
  for (const f of facts) {
    for (const [bucket, s] of f.stock) {
      const sum = stock.get(bucket) ?? { sales: 0, closing: 0, days: s.days };
      sum.sales += s.sales;
      sum.closing += s.closing;
      stock.set(bucket, sum);
    }
  }
  // Utilisation over the buckets where the row's resources have capacity: hours of the row's
  // products on those resources over the capacity of each resource and bucket, counted once.
  let hours = 0;
  let capacity = 0;
  const resources = new Set(facts.map((f) => f.product.resourceId));
  for (const bucket of range) {
    const capacityOf = (resource: string) => data.cells.capacity[cellKey(resource, bucket)];
    let bucketHours = 0;
    for (const f of facts) if (capacityOf(f.product.resourceId) !== undefined) bucketHours += f.hours.get(bucket) ?? 0;
    if (bucketHours === 0) continue;
    hours += bucketHours;
    for (const resource of resources) capacity += capacityOf(resource) ?? 0;
  }
  const stockBuckets = [...stock.values()];
  return {
    id,
    name,
    actualSales: facts.reduce((sum, f) => sum + f.actualSales, 0),
    accuracy,
    fva: {
      salesOverStatistical: forecastValueAdded(accuracy.statistical.wmape, accuracy.sales.wmape),
      consensusOverSales: forecastValueAdded(accuracy.sales.wmape, accuracy.consensus.wmape),
      finalOverConsensus: forecastValueAdded(accuracy.consensus.wmape, accuracy.final.wmape),
    },
    operational: {
      fillRate: fillRate(facts.flatMap((f) => f.fill)),
      inventoryTurns: inventoryTurns(stockBuckets, MONTHS_PER_YEAR),
      daysOfCover: daysOfCover(stockBuckets),
      capacityUtilisation: capacityUtilisation(hours, capacity),
      scheduleAdherence: scheduleAdherence(facts.flatMap((f) => f.adherence)),
    },
  };
}
