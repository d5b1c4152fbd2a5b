import type * as Y from 'yjs';
import {
  actionRolesText,
  closedSections,
  ErrorCode,
  importAction,
  isStage,
  mayAct,
  type ImportKind,
  type ImportMode,
  type ImportResponse,
  type Section,
} from '@accord/protocol';
import { addEntity, getMeta, orderBetween, updateEntity, valueMap, type EntityRoot } from '@accord/plan-model';
import { nowIso } from '../db/database.ts';
import { HttpError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { PlanService } from '../plans/plan.service.ts';
import type { DocumentRegistry } from '../sync/document-registry.ts';
import type { UserRepository } from '../users/user.repository.ts';
import { assertPlanWritable } from '../governance/plan-lock.ts';
import { mapColumns } from './column-mapping.ts';
import { planImport, type EntityWrite, type ImportPlan, type PlanContext } from './import-rules.ts';
import { looksLikeXlsx, readCsv, readXlsx, UnreadableFileError, type Table } from './table-reader.ts';

/** The section whose stage closure also closes an import (actuals are server data: never closed). */
const IMPORT_SECTION: Readonly<Record<ImportKind, Section>> = {
  actuals: 'server',
  products: 'catalog',
  resources: 'catalog',
  prices: 'finance',
  costs: 'finance',
};

/** What each kind of import brings, in a history line. */
const IMPORT_WORDS: Readonly<Record<ImportKind, string>> = {
  actuals: 'Actuals',
  products: 'Products',
  resources: 'Lines',
  prices: 'Prices',
  costs: 'Unit costs',
};

// A refused file can have one error per cell; listing more than this helps nobody and bloats the answer.
const MAX_LISTED_ERRORS = 5_000;

/** A file as received: its bytes and what the client said it is. */
export interface ImportFile {
  bytes: Uint8Array;
  contentType: string;
}

/** The outcome of an import; `ok` false means 400 with the report. */
export interface ImportOutcome {
  ok: boolean;
  message: string;
  report: ImportResponse;
}

/** Called after a committed actuals import changed cells (starts the baseline job, which records who imported). */
export type ActualsChanged = (planId: string, userId: string) => boolean;

/** Imports actuals and master data from CSV or XLSX files into a plan, all or nothing per file. */
export class ImportService {
  readonly #plans: PlanService;
  readonly #users: UserRepository;
  readonly #documents: DocumentRegistry;
  readonly #log: Logger;
  readonly #onActualsChanged: ActualsChanged;

  constructor(plans: PlanService, users: UserRepository, documents: DocumentRegistry, log: Logger, onActualsChanged: ActualsChanged) {
    this.#plans = plans;
    this.#users = users;
    this.#documents = documents;
    this.#log = log;
    this.#onActualsChanged = onActualsChanged;
  }

  /** Checks that the user may import this kind into this plan now; 404 / 403 / 409 otherwise. */
  async authorise(userId: string, planId: string, kind: ImportKind): Promise<void> {
    const { role } = await this.#plans.getPlanForUser(userId, planId);
    const action = importAction(kind);
    if (!mayAct(role, action)) {
      throw new HttpError(403, ErrorCode.forbidden, `Importing ${kind} is for ${actionRolesText(action)}; you are ${role}.`);
    }
    const room = await this.#documents.open(planId);
    assertPlanWritable(room.doc, 'an import');
    const section = IMPORT_SECTION[kind];
    if (section === 'server') return;
    const stage = room.doc.getMap<unknown>('meta').get('cycleStage');
    if (isStage(stage) && closedSections(stage).includes(section)) {
      throw new HttpError(409, ErrorCode.stageClosed, `The ${section} section is closed at the ${stage} stage of this cycle.`);
    }
  }

  /**
   * Reads, checks and (in commit mode, when every row passes) writes one file. Only cells whose
   * value differs are written, so importing the same file again changes nothing.
   */
  async run(
    userId: string,
    planId: string,
    input: { kind: ImportKind; mode: ImportMode; mapping: Record<string, string>; sheet?: string },
    file: ImportFile,
  ): Promise<ImportOutcome> {
    await this.authorise(userId, planId, input.kind);
    const table = await this.#read(file, input.sheet);
    const { kind, mode } = input;
    const { columns, problems } = mapColumns(kind, table.headers, input.mapping);
    const mapping = Object.fromEntries([...columns].map(([field, index]) => [field, table.headers[index] ?? null]));
    const report: ImportResponse = {
      kind,
      mode,
      format: table.format,
      mapping,
      rows: table.rows.length,
      acceptedRows: 0,
      rejectedRows: 0,
      errors: [],
      errorsTruncated: false,
      preview: [],
      changedCells: 0,
      createdEntities: 0,
      committed: false,
      baselineStarted: false,
    };
    if (problems.length > 0) {
      report.errors = problems.map((p) => ({ row: table.headerRow, column: p.column, reason: p.reason }));
      return { ok: false, message: `The columns do not fit a ${kind} import: ${problems[0]!.reason}.`, report };
    }
    if (table.rows.length === 0) {
      report.errors = [{ row: table.headerRow + 1, column: null, reason: 'the file has a header but no data rows' }];
      return { ok: false, message: 'The file has no data rows.', report };
    }

    const room = await this.#documents.open(planId);
    const plan = planImport(kind, table, columns, this.#context(room.doc));
    report.preview = plan.preview;
    report.rejectedRows = plan.rejectedRows;
    report.acceptedRows = table.rows.length - plan.rejectedRows;
    report.errors = plan.errors.slice(0, MAX_LISTED_ERRORS);
    report.errorsTruncated = plan.errors.length > MAX_LISTED_ERRORS;
    if (plan.errors.length > 0) {
      const first = plan.errors[0]!;
      const message = `${plan.rejectedRows} of ${table.rows.length} rows are refused, so nothing was imported (first: row ${first.row}, ${first.column ?? 'row'}: ${first.reason}).`;
      return { ok: false, message, report };
    }

    if (mode === 'preview') {
      const counts = countChanges(room.doc, plan);
      report.changedCells = counts.changedCells;
      report.createdEntities = counts.createdEntities;
      return { ok: true, message: 'preview', report };
    }

    let counts = { changedCells: 0, createdEntities: 0 };
    // The writes are computed against the document as it is when the change runs (in the room's
    // queue), so a concurrent edit between reading and writing cannot be overwritten by a stale diff.
    const current = await this.#documents.open(planId);
    await current.applyServerChange(
      (doc) => {
        // Judged again inside the change: a lock that landed while the file was read must hold.
        assertPlanWritable(doc, 'an import');
        counts = applyPlan(doc, plan);
      },
      {
        userId,
        kind: 'import',
        summary: `${IMPORT_WORDS[kind]} import (${table.format.toUpperCase()}, ${table.rows.length} row${table.rows.length === 1 ? '' : 's'})`,
      },
    );
    report.changedCells = counts.changedCells;
    report.createdEntities = counts.createdEntities;
    report.committed = true;
    if (kind === 'actuals' && counts.changedCells > 0) report.baselineStarted = this.#onActualsChanged(planId, userId);
    await this.#users.insertAudit({
      actor: `user:${userId}`,
      action: 'plan.import',
      target: planId,
      details: {
        kind,
        format: table.format,
        rows: table.rows.length,
        changedCells: counts.changedCells,
        createdEntities: counts.createdEntities,
      },
      created_at: nowIso(),
    });
    this.#log.info({ planId, userId, kind, rows: table.rows.length, changedCells: counts.changedCells }, 'import committed');
    return { ok: true, message: 'committed', report };
  }

  async #read(file: ImportFile, sheet: string | undefined): Promise<Table> {
    if (file.bytes.byteLength === 0) throw new HttpError(400, ErrorCode.badRequest, 'The file is empty.');
    const type = file.contentType.split(';')[0]!.trim().toLowerCase();
    const isXlsx = type === 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' || looksLikeXlsx(file.bytes);
    const isCsv = ['text/csv', 'text/plain', 'application/csv', 'text/tab-separated-values', 'application/octet-stream', ''].includes(type);
    if (!isXlsx && !isCsv) {
      throw new HttpError(415, ErrorCode.badRequest, `Send a CSV (text/csv) or XLSX file; got ${type}.`);
    }
    try {
      return isXlsx ? await readXlsx(file.bytes, sheet) : readCsv(file.bytes);
    } catch (e: unknown) {
      if (e instanceof UnreadableFileError) throw new HttpError(400, ErrorCode.badRequest, e.message);
      throw e;
    }
  }

  #context(doc: Y.Doc): PlanContext {
    const meta = getMeta(doc);
    return {
      bucket: meta.bucket,
      horizonStart: meta.horizonStart,
      products: new Set(doc.getMap('products').keys()),
      families: new Set(doc.getMap('families').keys()),
      resources: new Set(doc.getMap('resources').keys()),
    };
  }
}

/** Cells and entity fields an import would change in a document, without changing it. */
export function countChanges(doc: Y.Doc, plan: ImportPlan): { changedCells: number; createdEntities: number } {
  let changedCells = 0;
  let createdEntities = 0;
  for (const write of plan.cells) if (valueMap(doc, write.root).get(write.key) !== write.value) changedCells++;
  for (const write of plan.entities) {
    const existing = doc.getMap<Y.Map<unknown>>(write.root).get(write.id);
    if (!existing) {
      createdEntities++;
      changedCells += Object.keys(write.fields).length;
    } else {
      for (const [field, value] of Object.entries(write.fields)) if (existing.get(field) !== value) changedCells++;
    }
  }
  return { changedCells, createdEntities };
}

/** Writes an import into a document (inside the server's transaction), only where values differ. */
function applyPlan(doc: Y.Doc, plan: ImportPlan): { changedCells: number; createdEntities: number } {
  const counts = countChanges(doc, plan);
  for (const write of plan.cells) {
    const map = valueMap(doc, write.root);
    if (map.get(write.key) !== write.value) map.set(write.key, write.value);
  }
  // Families before products, so a new product's family exists when it is added.
  const byRoot = (root: EntityRoot) => plan.entities.filter((e) => e.root === root);
  for (const root of ['resources', 'families', 'products'] as const) {
    let lastOrder = maxOrder(doc, root);
    for (const write of byRoot(root)) {
      const existing = doc.getMap<Y.Map<unknown>>(root).get(write.id);
      if (existing) updateEntity(doc, root, write.id, write.fields);
      else {
        lastOrder = orderBetween(lastOrder, undefined);
        addEntity(doc, root, newEntity(root, write, lastOrder) as never);
      }
    }
  }
  return counts;
}

function maxOrder(doc: Y.Doc, root: EntityRoot): number | undefined {
  let max: number | undefined;
  doc.getMap<Y.Map<unknown>>(root).forEach((entity) => {
    const order = entity.get('order');
    if (typeof order === 'number' && (max === undefined || order > max)) max = order;
  });
  return max;
}

/** A new entity with the defaults for fields the file left out. */
function newEntity(root: EntityRoot, write: EntityWrite, order: number): Record<string, unknown> {
  if (root === 'products') {
    return { id: write.id, unit: 'units', hoursPerUnit: 0, leadTimeDays: 0, safetyStockDays: 0, ...write.fields, order };
  }
  return { id: write.id, ...write.fields, order };
}
