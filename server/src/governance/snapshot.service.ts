import * as Y from 'yjs';
import { sha256 } from '@oslojs/crypto/sha2';
import { encodeHexLowerCase } from '@oslojs/encoding';
import { bucketRange, diffPlans, PlanCalculator, type CellDiff, type PlanData } from '@accord/plan-calc';
import { readPlanData } from '@accord/plan-model';
import { ErrorCode, findCellBounds } from '@accord/protocol';
import type { ComparedCell, CompareQuery, CompareResponse, SectionTotals, SnapshotView } from '@accord/protocol';
import type { Snapshot } from '../db/schema.ts';
import { randomId } from '../db/ids.ts';
import { HttpError, notFound } from '../errors.ts';
import type { PlanService } from '../plans/plan.service.ts';
import type { DocumentRegistry } from '../sync/document-registry.ts';
import type { GovernanceRepository } from './governance.repository.ts';

const hex = (bytes: Uint8Array) => encodeHexLowerCase(sha256(bytes));

/**
 * The SHA-256 of a snapshot's content and its link to the previous snapshot. Every field that
 * matters is in it, in a fixed order, so changing any byte of a stored row breaks the chain.
 */
export function snapshotHash(row: Omit<Snapshot, 'content_hash'>): string {
  const canonical = JSON.stringify([
    row.chain_index,
    row.id,
    row.plan_id,
    row.name,
    row.cycle,
    row.locked_by,
    row.locked_at,
    hex(new Uint8Array(row.state)),
    hex(new TextEncoder().encode(row.tables)),
    hex(new TextEncoder().encode(row.decisions)),
    row.previous_hash,
  ]);
  return hex(new TextEncoder().encode(canonical));
}

/** A changed cell of a plan diff as the API shows it, with the names a planner reads: layer, row and family. */
export function toComparedCell(c: CellDiff, data: Pick<PlanData, 'products' | 'families' | 'resources'>): ComparedCell {
  const product = data.products[c.rowId];
  const familyId = product?.familyId ?? (data.families[c.rowId] ? c.rowId : null);
  return {
    section: c.section,
    root: c.root,
    layer: findCellBounds(c.root)?.label ?? c.root,
    rowId: c.rowId,
    rowName: product?.name ?? data.families[c.rowId]?.name ?? data.resources[c.rowId]?.name ?? c.rowId,
    familyId,
    familyName: familyId === null ? null : (data.families[familyId]?.name ?? familyId),
    bucket: c.bucket,
    from: c.beforeInEffect,
    to: c.afterInEffect,
    fromFollows: c.beforeFollows,
    toFollows: c.afterFollows,
    volumeDelta: c.volumeDelta,
    valueDelta: c.valueDelta,
  };
}

/**
 * Totals per section of compared cells. A budget is a target, not plan value: its changes are
 * summed apart (`budgetDelta`), so a section's value change says what the plan is worth more or
 * less, not how the goal moved.
 */
export function sectionTotals(
  cells: readonly Pick<ComparedCell, 'section' | 'root' | 'volumeDelta' | 'valueDelta'>[],
): Map<string, SectionTotals> {
  const sections = new Map<string, SectionTotals>();
  for (const cell of cells) {
    const entry = sections.get(cell.section) ?? { changedCells: 0, volumeDelta: 0, valueDelta: 0, budgetDelta: 0 };
    entry.changedCells++;
    entry.volumeDelta += cell.volumeDelta;
    if (cell.root === 'budget') entry.budgetDelta += cell.valueDelta;
    else entry.valueDelta += cell.valueDelta;
    sections.set(cell.section, entry);
  }
  return sections;
}

/** Biggest value impact first, then biggest volume change: what a planner looks at first. */
export function byImpact(a: Pick<CellDiff, 'valueDelta' | 'volumeDelta'>, b: Pick<CellDiff, 'valueDelta' | 'volumeDelta'>): number {
  return Math.abs(b.valueDelta) - Math.abs(a.valueDelta) || Math.abs(b.volumeDelta) - Math.abs(a.volumeDelta);
}

/** The computed tables kept with a snapshot: what the plan said, not only what it held. */
export function computeTables(data: PlanData): unknown {
  const calculator = new PlanCalculator(data);
  return {
    buckets: calculator.buckets,
    products: calculator.products(),
    families: calculator.families(),
    total: calculator.total(),
    resources: calculator.resources(),
  };
}

/** The plain plan data inside a snapshot. */
export function snapshotPlanData(snapshot: Pick<Snapshot, 'state'>): PlanData {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, new Uint8Array(snapshot.state));
  const data = readPlanData(doc);
  doc.destroy();
  return data;
}

/** Result of verifying the snapshot hash chain. */
export interface ChainReport {
  ok: boolean;
  checked: number;
  problems: { id: string; chainIndex: number; reason: string }[];
}

/** Locked consensus snapshots: lock, list, compare, verify. */
export class SnapshotService {
  readonly #repo: GovernanceRepository;
  readonly #plans: PlanService;
  readonly #documents: DocumentRegistry;
  readonly #now: () => Date;

  constructor(repo: GovernanceRepository, plans: PlanService, documents: DocumentRegistry, now: () => Date = () => new Date()) {
    this.#repo = repo;
    this.#plans = plans;
    this.#documents = documents;
    this.#now = now;
  }

  /**
   * Appends a locked consensus to the hash chain: the plan's full state (`state`), its computed
   * tables and the decisions of its cycle, and mirrors it into the document's server-only
   * `snapshots` root. Callers check who may lock and set the stage (CycleService.lock; the demo
   * seed replaying past cycles).
   */
  async record(
    userId: string,
    planId: string,
    name: string,
    state: Uint8Array,
    options: { lockedAt?: string } = {},
  ): Promise<SnapshotView> {
    const room = await this.#documents.open(planId);
    const data = snapshotPlanData({ state });
    const decisions = await this.#repo.listDecisions(planId, { cycle: data.meta.horizonStart });
    const lockedAt = options.lockedAt ?? this.#now().toISOString();
    const row = await this.#repo.appendSnapshot((previous) => {
      const unhashed = {
        id: randomId(),
        chain_index: previous.index + 1,
        plan_id: planId,
        name,
        cycle: data.meta.horizonStart,
        locked_by: userId,
        locked_at: lockedAt,
        state,
        tables: JSON.stringify(computeTables(data)),
        decisions: JSON.stringify(decisions),
        previous_hash: previous.hash,
      };
      return { ...unhashed, content_hash: snapshotHash(unhashed) };
    });
    await room.applyServerChange(
      (doc) => {
        const entry = new Y.Map<unknown>();
        for (const [field, value] of Object.entries({ name, cycle: row.cycle, lockedBy: userId, lockedAt, contentHash: row.content_hash }))
          entry.set(field, value);
        doc.getMap<Y.Map<unknown>>('snapshots').set(row.id, entry);
      },
      { kind: 'snapshot', summary: `Snapshot “${name}” recorded` },
    );
    return (await this.list(userId, planId)).snapshots.find((s) => s.id === row.id)!;
  }

  async list(userId: string, planId: string): Promise<{ snapshots: SnapshotView[]; baselineSnapshotId: string | null }> {
    const { plan } = await this.#plans.getPlanForUser(userId, planId);
    const rows = await this.#repo.listSnapshots(planId);
    return {
      baselineSnapshotId: plan.baseline_snapshot_id,
      snapshots: rows.map((r) => ({
        id: r.id,
        planId: r.plan_id,
        name: r.name,
        cycle: r.cycle,
        lockedBy: { id: r.locked_by, name: r.locked_by_name },
        lockedAt: r.locked_at,
        contentHash: r.content_hash,
        previousHash: r.previous_hash,
        decisionCount: (JSON.parse(r.decisions) as unknown[]).length,
      })),
    };
  }

  /** A snapshot the user may read, with its content. */
  async getSnapshot(userId: string, snapshotId: string): Promise<Snapshot> {
    const snapshot = await this.#repo.findSnapshot(snapshotId);
    if (!snapshot) throw notFound('Snapshot');
    await this.#plans.getPlanForUser(userId, snapshot.plan_id).catch(() => {
      throw notFound('Snapshot');
    });
    return snapshot;
  }

  /** The plan data of a version the user may read: `live`, or a snapshot id of this plan. */
  async loadVersion(userId: string, planId: string, version: string): Promise<PlanData> {
    await this.#plans.getPlanForUser(userId, planId);
    if (version === 'live') {
      const room = await this.#documents.open(planId);
      await room.flush();
      return readPlanData(room.doc);
    }
    const snapshot = await this.getSnapshot(userId, version);
    if (snapshot.plan_id !== planId) throw new HttpError(400, ErrorCode.badRequest, `Snapshot ${version} belongs to another plan.`);
    return snapshotPlanData(snapshot);
  }

  /**
   * What changed between two versions of a plan (`live` or a snapshot id of this plan), over the
   * buckets both horizons share (plus per-product cells such as prices): totals per section, then
   * the changed cells with product, family and layer names, filtered by family and layer, grouped
   * per family and layer, sorted by value impact, one page at a time.
   */
  async compare(
    userId: string,
    planId: string,
    query: Pick<CompareQuery, 'from' | 'to'> & Partial<Pick<CompareQuery, 'family' | 'root' | 'offset' | 'limit'>>,
  ): Promise<CompareResponse> {
    const { from, to, family, root, offset = 0, limit = 100 } = query;
    const a = await this.loadVersion(userId, planId, from);
    const b = await this.loadVersion(userId, planId, to);
    const diff = diffPlans(a, b);
    // Only buckets inside both horizons: a month that merely entered or left the horizon is not
    // a change anyone made, and would otherwise top the list.
    const inA = new Set(bucketRange(a.meta.horizonStart, a.meta.horizonBuckets));
    const shared = new Set(bucketRange(b.meta.horizonStart, b.meta.horizonBuckets).filter((x) => inA.has(x)));
    // Names from the newer version, falling back to the older one for what it no longer has.
    const names = {
      products: { ...a.products, ...b.products },
      families: { ...a.families, ...b.families },
      resources: { ...a.resources, ...b.resources },
    };
    const all = diff.cells.filter((c) => c.bucket === null || shared.has(c.bucket)).map((c) => toComparedCell(c, names));
    const sections = sectionTotals(all);
    if (diff.catalog.length > 0)
      sections.set('catalog', { changedCells: diff.catalog.length, volumeDelta: 0, valueDelta: 0, budgetDelta: 0 });
    if (diff.meta.length > 0) sections.set('plan', { changedCells: diff.meta.length, volumeDelta: 0, valueDelta: 0, budgetDelta: 0 });

    const families = new Map<string, string>();
    const layers = new Map<string, string>();
    for (const cell of all) {
      if (cell.familyId !== null) families.set(cell.familyId, cell.familyName ?? cell.familyId);
      layers.set(cell.root, cell.layer);
    }
    const matching = all.filter((c) => (family === undefined || c.familyId === family) && (root === undefined || c.root === root));
    matching.sort(byImpact);
    const groups = new Map<string, CompareResponse['groups'][number]>();
    for (const cell of matching) {
      const key = `${cell.familyId ?? ''}\u0000${cell.root}`;
      const group = groups.get(key) ?? {
        familyId: cell.familyId,
        familyName: cell.familyName,
        root: cell.root,
        layer: cell.layer,
        changedCells: 0,
        volumeDelta: 0,
        valueDelta: 0,
      };
      group.changedCells++;
      group.volumeDelta += cell.volumeDelta;
      group.valueDelta += cell.valueDelta;
      groups.set(key, group);
    }
    return {
      from,
      to,
      currency: b.meta.currency,
      sections: [...sections].map(([section, totals]) => ({ section, ...totals })),
      groups: [...groups.values()].sort(byImpact),
      cells: matching.slice(offset, offset + limit),
      total: matching.length,
      offset,
      truncated: offset + limit < matching.length,
      families: [...families].map(([id, name]) => ({ id, name })).sort((x, y) => x.name.localeCompare(y.name)),
      layers: [...layers].map(([r, label]) => ({ root: r, label })),
    };
  }

  /** Recomputes every snapshot's hash and checks each link to its predecessor. */
  async verifyChain(): Promise<ChainReport> {
    const rows = await this.#repo.allSnapshots();
    const problems: ChainReport['problems'] = [];
    let previousHash: string | null = null;
    rows.forEach((row, i) => {
      const { content_hash: stored, ...rest } = row;
      if (row.chain_index !== i + 1)
        problems.push({ id: row.id, chainIndex: row.chain_index, reason: `expected chain position ${i + 1}: a snapshot is missing` });
      if (row.previous_hash !== previousHash)
        problems.push({ id: row.id, chainIndex: row.chain_index, reason: 'does not link to the previous snapshot' });
      if (snapshotHash(rest) !== stored)
        problems.push({ id: row.id, chainIndex: row.chain_index, reason: 'content does not match its hash: it was altered' });
      previousHash = stored;
    });
    return { ok: problems.length === 0, checked: rows.length, problems };
  }
}
