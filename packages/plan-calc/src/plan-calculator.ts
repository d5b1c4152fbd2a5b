import { addBuckets, bucketRange, daysInBucket, isBucket, quarterOf, type Bucket } from './buckets.ts';
import { capacityScale, isOverloaded, utilisation } from './capacity-load.ts';
import { budgetGapUnits, marginPct, unitPrice } from './finance.ts';
import { COVER_WINDOW_BUCKETS, daysOfCover, forwardDailyDemand, isSafetyStockBreach, servedDemand } from './inventory-projection.ts';
import { orderedProducts } from './order.ts';
import { type Cells, type Family, type PlanData, type PlanMeta, type Product, type Resource, type ValueRoot } from './plan-data.ts';
import { resolveDemand } from './projection.ts';
import {
  SUMMED_FIELDS,
  summarisePeriod,
  summariseResourcePeriod,
  type GroupPlan,
  type PeriodSummary,
  type ProductPlan,
  type QuarterSpan,
  type ResourcePeriodSummary,
  type ResourcePlan,
} from './roll-ups.ts';

/** One numeric cell set (or with `null` cleared), as the document reports it. */
export interface CellChange {
  root: ValueRoot;
  key: string;
  value: number | null;
}

/** An entity of the catalog added or replaced (`value`) or removed (`null`). */
export type CatalogChange =
  | { kind: 'families'; id: string; value: Family | null }
  | { kind: 'products'; id: string; value: Product | null }
  | { kind: 'resources'; id: string; value: Resource | null };

/** A quarter of the horizon with the summary of one product, group or resource over it. */
export interface QuarterRow<T> {
  quarter: QuarterSpan['quarter'];
  summary: T;
}

interface ProductState {
  product: Product;
  plan: ProductPlan;
  /** `productId|bucket` for every horizon bucket, built once so lookups do not allocate. */
  keys: string[];
  family: FamilyState;
  resource: ResourceState | undefined;
}

interface FamilyState {
  plan: GroupPlan;
  members: ProductState[];
  budgetKeys: string[];
}

interface ResourceState {
  resource: Resource;
  plan: ResourcePlan;
  members: ProductState[];
  keys: string[];
}

/** `target[i]` = Σ over `parts` of `seriesOf(part)[i]`, in the parts' order, for buckets `from` to `to` (exclusive). */
function sumInto<T>(target: number[], parts: readonly T[], seriesOf: (part: T) => readonly number[], from: number, to: number): void {
  target.fill(0, from, to);
  for (const part of parts) {
    const series = seriesOf(part);
    for (let i = from; i < to; i++) target[i]! += series[i]!;
  }
}

function filled<T>(length: number, value: T): T[] {
  return new Array<T>(length).fill(value);
}

function emptyGroup(id: string, length: number): GroupPlan {
  const group = { id, openingInventory: 0 } as GroupPlan;
  for (const field of SUMMED_FIELDS) group[field] = filled(length, 0);
  group.stockOuts = filled(length, 0);
  group.safetyStockBreaches = filled(length, 0);
  group.budget = filled(length, 0);
  group.budgetGap = filled(length, 0);
  group.budgetGapUnits = filled<number | null>(length, null);
  group.daysOfCover = filled<number | null>(length, null);
  group.marginPct = filled<number | null>(length, null);
  return group;
}

/** A copy of the plan whose cell maps are still shared with the caller's: they are copied on first write. */
function shallowCopy(data: PlanData): PlanData {
  return {
    meta: { ...data.meta },
    families: { ...data.families },
    products: { ...data.products },
    resources: { ...data.resources },
    cells: { ...data.cells },
  };
}

/**
 * The computed plan (demand, inventory, cover, capacity, constrained supply, finance and roll-ups)
 * held in memory and kept current by applying document changes, recomputing only what they touch.
 * Results always equal those of a calculator built afresh from the same data.
 * @example
 * const calc = new PlanCalculator(readPlanData(doc));
 * calc.applyCellChanges([{ root: 'sales', key: 'P01|2027-03', value: 1200 }]);
 * calc.getProduct('P01').daysOfCover;
 */
/** The roots of what happened (server-written): sales, production and closing stock. */
export type ActualsRoot = 'actuals' | 'actualProduction' | 'actualInventory';
const ACTUALS_ROOTS: ReadonlySet<ValueRoot> = new Set<ValueRoot>(['actuals', 'actualProduction', 'actualInventory']);

export class PlanCalculator {
  #data: PlanData;
  /** Cell roots already copied from the caller's data, so writing them cannot touch it. */
  #ownedRoots = new Set<ValueRoot>();
  #buckets: Bucket[] = [];
  #daysPerBucket: number[] = [];
  #bucketIndex = new Map<Bucket, number>();
  #quarters: QuarterSpan[] = [];
  #lastHistoryBucket: Bucket = '';
  #products = new Map<string, ProductState>();
  #families = new Map<string, FamilyState>();
  #resources = new Map<string, ResourceState>();
  #total: GroupPlan = emptyGroup('total', 0);
  // Sums of actuals by `root|groupId|bucket|units or value`, kept until an actuals or price cell or the catalog changes.
  #actualSums = new Map<string, number | undefined>();

  /**
   * Computes the whole plan. The calculator never writes to `data`: it copies a cell root the
   * first time a change touches it, so the caller must not mutate `data` afterwards either. With
   * `adopt`, the caller hands `data` over (e.g. fresh from `readPlanData`) and never uses it again:
   * its cell roots are written in place, never copied (a root of 36,000 cells takes tens of
   * milliseconds to copy, which the first edit of each layer would otherwise pay).
   */
  constructor(data: PlanData, options: { adopt?: boolean } = {}) {
    this.#data = shallowCopy(data);
    if (options.adopt) for (const root of Object.keys(data.cells) as ValueRoot[]) this.#ownedRoots.add(root);
    this.#recomputeAll();
  }

  /**
   * The plan data the figures are computed from, with every change applied: a snapshot that later
   * changes leave alone (the next write to a cell root copies it again); treat it as read-only.
   */
  get data(): PlanData {
    this.#ownedRoots.clear();
    return shallowCopy(this.#data);
  }

  /**
   * One stored cell as of the last applied change, read from the calculator's own copy without
   * copying anything (unlike `data`): a plain-object lookup, fast enough for 18,000-cell spreads.
   */
  cell(root: ValueRoot, key: string): number | undefined {
    return this.#data.cells[root]?.[key];
  }

  /**
   * A family's (or with `total`, every product's) actuals of one bucket added up, undefined when no
   * product has one; `valued`: each at its product's price in that bucket. Kept until an actuals
   * or price cell or the catalog changes (a grid asks for the same sums at every redraw, each over
   * up to every product).
   */
  groupActual(root: ActualsRoot, groupId: string, bucket: Bucket, options: { valued?: boolean } = {}): number | undefined {
    const key = `${root}|${groupId}|${bucket}|${options.valued ? 'value' : 'units'}`;
    if (this.#actualSums.has(key)) return this.#actualSums.get(key);
    const cells = this.#data.cells[root] ?? {};
    let sum: number | undefined;
    for (const [productId, state] of this.#products) {
      if (groupId !== 'total' && state.plan.familyId !== groupId) continue;
      const value = cells[`${productId}|${bucket}`];
      if (value === undefined) continue;
      sum = (sum ?? 0) + (options.valued ? value * unitPrice(this.#data.cells, productId, bucket) : value);
    }
    this.#actualSums.set(key, sum);
    return sum;
  }

  /** The horizon buckets, in order; every per-bucket array is indexed like this. */
  get buckets(): readonly Bucket[] {
    return this.#buckets;
  }

  /** The quarters the horizon touches, each with its bucket indices. */
  get quarters(): readonly QuarterSpan[] {
    return this.#quarters;
  }

  /** Active (non-retired) products in display order. */
  products(): ProductPlan[] {
    return [...this.#products.values()].map((state) => state.plan);
  }

  /** The plan of an active product, or undefined for an unknown or retired one. */
  findProduct(productId: string): ProductPlan | undefined {
    return this.#products.get(productId)?.plan;
  }

  /** The plan of an active product; throws when it is unknown or retired. */
  getProduct(productId: string): ProductPlan {
    const plan = this.findProduct(productId);
    if (!plan) throw new Error(`no active product ${productId}`);
    return plan;
  }

  /** Family roll-ups in display order (active families, and any family id an active product names). */
  families(): GroupPlan[] {
    return [...this.#families.values()].map((state) => state.plan);
  }

  /** The roll-up of one family, or undefined. */
  findFamily(familyId: string): GroupPlan | undefined {
    return this.#families.get(familyId)?.plan;
  }

  /** The roll-up of the whole plan: the sum of the family roll-ups. */
  total(): GroupPlan {
    return this.#total;
  }

  /** Capacity load of the active resources in display order. */
  resources(): ResourcePlan[] {
    return [...this.#resources.values()].map((state) => state.plan);
  }

  /** Capacity load of one active resource, or undefined. */
  findResource(resourceId: string): ResourcePlan | undefined {
    return this.#resources.get(resourceId)?.plan;
  }

  /** A product or group summarised per quarter of the horizon. */
  byQuarter(plan: ProductPlan | GroupPlan): QuarterRow<PeriodSummary>[] {
    return this.#quarters.map(({ quarter, from, to }) => ({ quarter, summary: summarisePeriod(plan, this.#buckets, from, to) }));
  }

  /** A resource summarised per quarter of the horizon. */
  resourceByQuarter(plan: ResourcePlan): QuarterRow<ResourcePeriodSummary>[] {
    return this.#quarters.map(({ quarter, from, to }) => ({ quarter, summary: summariseResourcePeriod(plan, this.#buckets, from, to) }));
  }

  /** A product or group summarised over the whole horizon; undefined when the horizon is empty. */
  horizon(plan: ProductPlan | GroupPlan): PeriodSummary | undefined {
    return this.#buckets.length === 0 ? undefined : summarisePeriod(plan, this.#buckets, 0, this.#buckets.length - 1);
  }

  /** A resource summarised over the whole horizon; undefined when the horizon is empty. */
  resourceHorizon(plan: ResourcePlan): ResourcePeriodSummary | undefined {
    return this.#buckets.length === 0 ? undefined : summariseResourcePeriod(plan, this.#buckets, 0, this.#buckets.length - 1);
  }

  /**
   * Applies cell edits and recomputes only what depends on them: a demand edit the product's chain
   * from that bucket (cover from the {@link COVER_WINDOW_BUCKETS} before it), a production edit that
   * plus its resource's load in the bucket, a capacity edit that load; when a resource's scale
   * factor changes, the constrained supply of all its products from that bucket; then the touched
   * family and total roll-up buckets.
   */
  applyCellChanges(changes: readonly CellChange[]): void {
    const n = this.#buckets.length;
    const productFrom = new Map<ProductState, number>();
    const resourceBuckets = new Map<ResourceState, Set<number>>();
    // Families recompute from a bucket on (a product's chain moved from there), or single buckets (budget).
    const familyFrom = new Map<FamilyState, number>();
    const familyBuckets = new Map<FamilyState, Set<number>>();
    const touchProduct = (state: ProductState | undefined, from: number) => {
      if (state && from < n) productFrom.set(state, Math.min(from, productFrom.get(state) ?? n));
    };
    const touchResource = (state: ResourceState | undefined, index: number) => {
      if (!state) return;
      let set = resourceBuckets.get(state);
      if (!set) resourceBuckets.set(state, (set = new Set()));
      set.add(index);
    };

    // Changes come in runs of one root (a spread writes thousands of one layer's cells).
    let root: ValueRoot | undefined;
    let cells: Cells = {};
    for (const change of changes) {
      if (change.root !== root) {
        root = change.root;
        cells = this.#writableCells(root);
        if (ACTUALS_ROOTS.has(root) || root === 'prices') this.#actualSums.clear();
      }
      const { key, value } = change;
      if (value === null) delete cells[key];
      else cells[key] = value;

      if (root === 'inventory') {
        touchProduct(this.#products.get(key), 0);
        continue;
      }
      // A horizon cell's key ends in one of the horizon's buckets (row ids may hold `|` themselves).
      const bar = key.lastIndexOf('|');
      const bucket = bar > 0 ? key.slice(bar + 1) : undefined;
      const index = bucket === undefined ? undefined : this.#bucketIndex.get(bucket);
      if (index === undefined) {
        // Outside the horizon: a product's base price or cost, the closing stock the horizon
        // opens with, or history nothing in the horizon depends on.
        if ((root === 'prices' || root === 'costs') && !(bucket !== undefined && isBucket(bucket))) {
          touchProduct(this.#products.get(key), 0);
        } else if (root === 'actualInventory' && bucket === this.#lastHistoryBucket) {
          touchProduct(this.#products.get(key.slice(0, bar)), 0);
        }
        continue;
      }
      const rowId = key.slice(0, bar);
      switch (root) {
        case 'sales':
        case 'marketing':
        case 'consensus':
        case 'statistical':
        case 'prices':
        case 'costs':
          touchProduct(this.#products.get(rowId), index);
          break;
        case 'production': {
          const state = this.#products.get(rowId);
          touchProduct(state, index);
          touchResource(state?.resource, index);
          break;
        }
        case 'capacity':
          touchResource(this.#resources.get(rowId), index);
          break;
        case 'budget': {
          const family = this.#families.get(rowId);
          if (!family) break;
          let set = familyBuckets.get(family);
          if (!set) familyBuckets.set(family, (set = new Set()));
          set.add(index);
          break;
        }
        default:
          // actuals, actualProduction, actualInventory in the horizon, holds: no horizon figure depends on them.
          break;
      }
    }

    for (const [resource, indices] of resourceBuckets) {
      for (const index of indices) {
        const before = resource.plan.scale[index];
        this.#computeResourceBucket(resource, index);
        if (resource.plan.scale[index] !== before) for (const member of resource.members) touchProduct(member, index);
      }
    }
    for (const [state, from] of productFrom) {
      this.#computeProduct(state, from);
      // Cover looks ahead, so the family's cover changes from COVER_WINDOW_BUCKETS before `from`.
      const familyStart = Math.max(0, from - COVER_WINDOW_BUCKETS);
      familyFrom.set(state.family, Math.min(familyStart, familyFrom.get(state.family) ?? n));
    }
    let totalFrom = n;
    const totalBuckets = new Set<number>();
    const families = new Set([...familyFrom.keys(), ...familyBuckets.keys()]);
    for (const family of families) {
      this.#computeFamilyOpening(family);
      const from = familyFrom.get(family) ?? n;
      this.#computeFamilyBuckets(family, from, n);
      totalFrom = Math.min(totalFrom, from);
      for (const index of familyBuckets.get(family) ?? []) {
        if (index >= from) continue;
        this.#computeFamilyBuckets(family, index, index + 1);
        totalBuckets.add(index);
      }
    }
    if (families.size === 0) return;
    this.#computeTotalOpening();
    this.#computeTotalBuckets(totalFrom, n);
    for (const index of totalBuckets) if (index < totalFrom) this.#computeTotalBuckets(index, index + 1);
  }

  /** A cell root of the calculator's own, copied from the caller's data on its first write. */
  #writableCells(root: ValueRoot): Cells {
    if (!this.#ownedRoots.has(root)) {
      this.#data.cells[root] = { ...this.#data.cells[root] };
      this.#ownedRoots.add(root);
    }
    return (this.#data.cells[root] ??= {});
  }

  /** Applies catalog edits (add, replace, remove a product, family or resource) and recomputes the plan. */
  applyCatalogChanges(changes: readonly CatalogChange[]): void {
    for (const change of changes) {
      const entities = { ...this.#data[change.kind] } as Record<string, Family | Product | Resource>;
      (this.#data as Record<CatalogChange['kind'], unknown>)[change.kind] = entities;
      if (change.value === null) delete entities[change.id];
      else entities[change.id] = change.value;
    }
    this.#recomputeAll();
  }

  /** Replaces the plan settings (horizon, bucket size …) and recomputes the plan. */
  setMeta(meta: PlanMeta): void {
    this.#data.meta = { ...meta };
    this.#recomputeAll();
  }

  #recomputeAll(): void {
    this.#actualSums.clear();
    const { meta } = this.#data;
    const buckets = bucketRange(meta.horizonStart, meta.horizonBuckets);
    const n = buckets.length;
    this.#buckets = buckets;
    this.#daysPerBucket = buckets.map(daysInBucket);
    this.#bucketIndex = new Map(buckets.map((bucket, i) => [bucket, i]));
    this.#lastHistoryBucket = addBuckets(meta.horizonStart, -1);
    this.#quarters = [];
    buckets.forEach((bucket, i) => {
      const quarter = quarterOf(bucket);
      const last = this.#quarters.at(-1);
      if (last?.quarter === quarter) last.to = i;
      else this.#quarters.push({ quarter, from: i, to: i });
    });

    this.#resources = new Map();
    const resources = Object.values(this.#data.resources)
      .filter((resource) => !resource.retired)
      .sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
    for (const resource of resources) {
      this.#resources.set(resource.id, {
        resource,
        members: [],
        keys: buckets.map((bucket) => `${resource.id}|${bucket}`),
        plan: {
          resourceId: resource.id,
          loadHours: filled(n, 0),
          capacityHours: filled<number | null>(n, null),
          utilisation: filled<number | null>(n, null),
          overloaded: filled(n, false),
          scale: filled(n, 1),
          constrainedLoadHours: filled(n, 0),
        },
      });
    }

    this.#families = new Map();
    const families = Object.values(this.#data.families)
      .filter((family) => !family.retired)
      .sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
    const addFamily = (familyId: string): FamilyState => {
      const state: FamilyState = {
        plan: emptyGroup(familyId, n),
        members: [],
        budgetKeys: buckets.map((bucket) => `${familyId}|${bucket}`),
      };
      this.#families.set(familyId, state);
      return state;
    };
    for (const family of families) addFamily(family.id);

    this.#products = new Map();
    for (const product of orderedProducts(this.#data)) {
      if (product.retired || this.#data.families[product.familyId]?.retired) continue;
      const family = this.#families.get(product.familyId) ?? addFamily(product.familyId);
      const resource = this.#resources.get(product.resourceId);
      const state: ProductState = {
        product,
        family,
        resource,
        keys: buckets.map((bucket) => `${product.id}|${bucket}`),
        plan: {
          productId: product.id,
          familyId: product.familyId,
          resourceId: product.resourceId,
          openingInventory: 0,
          ...(Object.fromEntries(SUMMED_FIELDS.map((field) => [field, filled(n, 0)])) as Record<(typeof SUMMED_FIELDS)[number], number[]>),
          demandLayer: filled(n, 'none'),
          daysOfCover: filled<number | null>(n, null),
          safetyStockBreach: filled(n, false),
          stockOut: filled(n, false),
          price: filled(n, 0),
          unitCost: filled(n, 0),
          marginPct: filled<number | null>(n, null),
        },
      };
      this.#products.set(product.id, state);
      family.members.push(state);
      resource?.members.push(state);
    }

    for (const resource of this.#resources.values()) for (let i = 0; i < n; i++) this.#computeResourceBucket(resource, i);
    for (const state of this.#products.values()) this.#computeProduct(state, 0);
    for (const family of this.#families.values()) {
      this.#computeFamilyOpening(family);
      this.#computeFamilyBuckets(family, 0, n);
    }
    this.#total = emptyGroup('total', n);
    this.#computeTotalOpening();
    this.#computeTotalBuckets(0, n);
  }

  #computeResourceBucket(state: ResourceState, i: number): void {
    const production = this.#data.cells.production;
    let loadHours = 0;
    for (const member of state.members) loadHours += (production[member.keys[i]!] ?? 0) * member.product.hoursPerUnit;
    const capacityHours = this.#data.cells.capacity[state.keys[i]!] ?? null;
    const scale = capacityScale(loadHours, capacityHours);
    const plan = state.plan;
    plan.loadHours[i] = loadHours;
    plan.capacityHours[i] = capacityHours;
    plan.utilisation[i] = utilisation(loadHours, capacityHours);
    plan.overloaded[i] = isOverloaded(loadHours, capacityHours);
    plan.scale[i] = scale;
    plan.constrainedLoadHours[i] = loadHours * scale;
  }

  /** Recomputes a product's chain from bucket `from` on, and its cover from the window before it. */
  #computeProduct(state: ProductState, from: number): void {
    const { cells } = this.#data;
    const { consensus, sales, statistical, marketing, production, prices, costs } = cells;
    const { plan, keys, product } = state;
    const id = product.id;
    const n = keys.length;
    if (from === 0) {
      plan.openingInventory = cells.inventory[id] ?? cells.actualInventory[`${id}|${this.#lastHistoryBucket}`] ?? 0;
    }
    const basePrice = prices[id] ?? 0;
    const baseCost = costs[id] ?? 0;
    const scales = state.resource?.plan.scale;
    let closing = from === 0 ? plan.openingInventory : plan.projectedInventory[from - 1]!;
    let constrainedClosing = from === 0 ? plan.openingInventory : plan.constrainedInventory[from - 1]!;
    for (let i = from; i < n; i++) {
      const key = keys[i]!;
      const demand = resolveDemand(consensus[key], sales[key], statistical[key], marketing[key]);
      const planned = production[key] ?? 0;
      const scale = scales ? scales[i]! : 1;
      const constrained = scale === 1 ? planned : planned * scale;
      closing = closing + planned - demand.value;
      const available = constrainedClosing + constrained;
      const served = servedDemand(demand.value, available);
      constrainedClosing = available - served;
      const price = prices[key] ?? basePrice;
      const unitCost = costs[key] ?? baseCost;
      const revenue = demand.value * price;
      const costOfGoods = demand.value * unitCost;
      const grossMargin = revenue - costOfGoods;

      const statisticalCell = statistical[key];
      plan.salesForecast[i] = sales[key] ?? statisticalCell ?? 0;
      plan.statisticalForecast[i] = statisticalCell ?? 0;
      plan.marketingUplift[i] = marketing[key] ?? 0;
      plan.demand[i] = demand.value;
      plan.demandLayer[i] = demand.layer;
      plan.production[i] = planned;
      plan.projectedInventory[i] = closing;
      plan.stockOut[i] = closing < 0;
      plan.constrainedProduction[i] = constrained;
      plan.servedDemand[i] = served;
      plan.unmetDemand[i] = demand.value - served;
      plan.constrainedInventory[i] = constrainedClosing;
      plan.price[i] = price;
      plan.unitCost[i] = unitCost;
      plan.revenue[i] = revenue;
      plan.costOfGoods[i] = costOfGoods;
      plan.grossMargin[i] = grossMargin;
      plan.marginPct[i] = marginPct(grossMargin, revenue);
      plan.unmetRevenue[i] = (demand.value - served) * price;
    }
    // Cover looks COVER_WINDOW_BUCKETS ahead, so a demand change moves the cover of earlier buckets too.
    for (let i = Math.max(0, from - COVER_WINDOW_BUCKETS); i < n; i++) {
      const daily = forwardDailyDemand(plan.demand, this.#daysPerBucket, i);
      const cover = daysOfCover(plan.projectedInventory[i]!, daily);
      plan.forwardDailyDemand[i] = daily;
      plan.daysOfCover[i] = cover;
      plan.safetyStockBreach[i] = isSafetyStockBreach(cover, product.safetyStockDays);
    }
  }

  #computeFamilyOpening(state: FamilyState): void {
    let opening = 0;
    for (const member of state.members) opening += member.plan.openingInventory;
    state.plan.openingInventory = opening;
  }

  /**
   * A family's roll-up over buckets `from` (inclusive) to `to` (exclusive): series by series, each
   * bucket's sum adds the members in order (exactly as one bucket at a time would), without a
   * keyed lookup per member and bucket.
   */
  #computeFamilyBuckets(state: FamilyState, from: number, to: number): void {
    if (from >= to) return;
    const { plan, members } = state;
    for (const field of SUMMED_FIELDS) sumInto(plan[field], members, (member) => member.plan[field], from, to);
    const { stockOuts, safetyStockBreaches: breaches, budget } = plan;
    stockOuts.fill(0, from, to);
    breaches.fill(0, from, to);
    for (const member of members) {
      const { stockOut, safetyStockBreach } = member.plan;
      for (let i = from; i < to; i++) {
        if (stockOut[i]) stockOuts[i]!++;
        if (safetyStockBreach[i]) breaches[i]!++;
      }
    }
    const budgetCells = this.#data.cells.budget;
    for (let i = from; i < to; i++) {
      budget[i] = budgetCells[state.budgetKeys[i]!] ?? 0;
      this.#computeRatios(plan, i);
    }
  }

  #computeTotalOpening(): void {
    let opening = 0;
    for (const family of this.#families.values()) opening += family.plan.openingInventory;
    this.#total.openingInventory = opening;
  }

  /** The plan's roll-up (Σ families) over buckets `from` (inclusive) to `to` (exclusive). */
  #computeTotalBuckets(from: number, to: number): void {
    if (from >= to) return;
    const total = this.#total;
    const families = [...this.#families.values()];
    for (const field of SUMMED_FIELDS) sumInto(total[field], families, (family) => family.plan[field], from, to);
    sumInto(total.stockOuts, families, (family) => family.plan.stockOuts, from, to);
    sumInto(total.safetyStockBreaches, families, (family) => family.plan.safetyStockBreaches, from, to);
    sumInto(total.budget, families, (family) => family.plan.budget, from, to);
    for (let i = from; i < to; i++) this.#computeRatios(total, i);
  }

  /** Ratios of a roll-up come from its own summed parts, never from averaging its members' ratios. */
  #computeRatios(plan: GroupPlan, i: number): void {
    const gap = plan.revenue[i]! - plan.budget[i]!;
    plan.budgetGap[i] = gap;
    plan.budgetGapUnits[i] = budgetGapUnits(gap, plan.demand[i]!, plan.revenue[i]!);
    plan.daysOfCover[i] = daysOfCover(plan.projectedInventory[i]!, plan.forwardDailyDemand[i]!);
    plan.marginPct[i] = marginPct(plan.grossMargin[i]!, plan.revenue[i]!);
  }
}
