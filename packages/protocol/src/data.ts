import { z } from 'zod';

/** What a file import loads: monthly actuals or one kind of master data. */
export const IMPORT_KINDS = ['actuals', 'products', 'prices', 'costs', 'resources'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

/** `preview` validates and answers what would change; `commit` also writes it (all or nothing). */
export const IMPORT_MODES = ['preview', 'commit'] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];

/** The largest import file accepted: 20 MiB holds several hundred thousand CSV rows of actuals. */
export const MAX_IMPORT_BYTES = 20 * 1024 * 1024;

/**
 * Example files for a plan's catalog, in columns the imports read, offered as downloads where a
 * new plan asks for its lines and products (the last three product columns may be left out).
 */
export const CATALOG_TEMPLATES = {
  resources: {
    file: 'lines-template.csv',
    text: 'Resource ID,Resource name\nLINE-A,Bottling line A\nLINE-B,Canning line B\n',
  },
  products: {
    file: 'products-template.csv',
    text:
      'SKU,Description,Family,Family name,UoM,Line,Hours per unit,Lead time days,Safety stock days\n' +
      'WAT-001,Still water 0.5 L,WATER,Waters,cases,LINE-A,0.002,14,10\n' +
      'SOD-001,Lemon soda 0.33 L,SODA,Soft drinks,cases,LINE-B,0.0015,21,12\n',
  },
} as const;

/** Query of POST /api/plans/:planId/imports; `mapping` is a JSON object `{ field: "column header" }`. */
export const ImportQuery = z.object({
  kind: z.enum(IMPORT_KINDS, { error: `kind must be one of ${IMPORT_KINDS.join(', ')}` }),
  mode: z.enum(IMPORT_MODES, { error: 'mode must be preview or commit' }).default('preview'),
  mapping: z.string().max(4000).optional(),
  sheet: z.string().max(100).optional(),
});
export type ImportQuery = z.infer<typeof ImportQuery>;

/** One refused row (row 1 is the header line, so data starts at row 2 as in a spreadsheet). */
export interface ImportRowError {
  row: number;
  /** The column header as written in the file, or the field name when the column is missing. */
  column: string | null;
  reason: string;
}

/** The answer of an import, in both modes; 400 with the same body (under `import`) when any row is refused. */
export interface ImportResponse {
  kind: ImportKind;
  mode: ImportMode;
  format: 'csv' | 'xlsx';
  /** Field → the file's column header it was read from (null: not in the file). */
  mapping: Record<string, string | null>;
  rows: number;
  acceptedRows: number;
  rejectedRows: number;
  /** Every refused row (the first 5,000); nothing is written when this is not empty. */
  errors: ImportRowError[];
  /** Whether more errors were found than listed. */
  errorsTruncated: boolean;
  /** The first rows as interpreted (field → value), to check the mapping. */
  preview: Record<string, string | number | null>[];
  /** Cells or entity fields whose value differs from the plan (written in commit mode). */
  changedCells: number;
  /** New products, families or resources the import creates. */
  createdEntities: number;
  committed: boolean;
  /** Whether a committed actuals import started the statistical baseline job. */
  baselineStarted: boolean;
}

/** The body of a refused import (400): the usual error plus the full report. */
export interface ImportErrorBody {
  error: { code: string; message: string; requestId?: string };
  import: ImportResponse;
}

/** States of a plan's statistical baseline job. */
export const BASELINE_STATES = ['idle', 'running', 'done', 'failed'] as const;
export type BaselineState = (typeof BASELINE_STATES)[number];

/** Body of POST /api/plans/:planId/baseline (optional): the season length, `auto` by default. */
export const BaselineRunRequest = z
  .object({
    /** `auto`: from the plan's bucket size (12 for months, 52 for weeks), then checked on each product's data. */
    seasonLength: z
      .union([z.literal('auto'), z.number().int('seasonLength must be a whole number').min(1).max(104)], {
        error: 'seasonLength must be auto or a whole number of buckets from 1 to 104',
      })
      .default('auto'),
  })
  .strict();
export type BaselineRunRequest = z.infer<typeof BaselineRunRequest>;

/** What started a baseline run, or a restore of the statistical layer. */
export type BaselineTrigger =
  | { type: 'import'; at: string; userId: string | null; userName: string | null }
  | { type: 'request'; at: string; userId: string | null; userName: string | null }
  | { type: 'restart'; at: string }
  | { type: 'restore'; at: string; userId: string; userName: string | null; restoredChangeId: string };

/** GET /api/plans/:planId/baseline (and the answer of POST, which starts the job). */
export interface BaselineStatus {
  state: BaselineState;
  /** Share of products done, 0..1. */
  progress: number;
  startedAt: string | null;
  finishedAt: string | null;
  /** How many products each forecasting method was chosen for. */
  methods: Record<string, number>;
  products: number;
  changedCells: number;
  error?: string;
  /** What started the run (absent on runs stored before it was recorded). */
  trigger?: BaselineTrigger;
  /** The season length the run used, and whether it was `auto`. */
  seasonLength?: number;
  seasonLengthAuto?: boolean;
  /** The change record the run left (null: it changed nothing). */
  changeId?: string | null;
}

/** The shape of a product's statistical forecast over the horizon, as a planner sees it. */
export const FORECAST_SHAPES = ['seasonal', 'trend', 'flat'] as const;
export type ForecastShape = (typeof FORECAST_SHAPES)[number];

/** Where a product's seasonal profile came from. */
export interface BaselineSeasonFit {
  seasonLength: number;
  /** `own` history, a `pooled` profile (of its family or the plan), or `none`. */
  source: 'own' | 'pooled' | 'none';
  /** Why (a reason of @accord/forecast's SeasonChoice, e.g. `pooled`, `not-seasonal`, `intermittent`). */
  reason: string;
  /** Share of the product's own estimate in the profile (0..1); the rest is the family's (or flat). */
  ownWeight: number | null;
  /** Multiplicative index per calendar position (months: index 0 is January), or null. */
  indices: number[] | null;
  /** The pooled profile offered to it: of its family, or of the whole plan. */
  pooled: { from: 'family' | 'plan'; familyId: string | null; name: string; members: number; fStatistic: number; pValue: number } | null;
  /** Mean absolute error of its last season forecast with its own and with the pooled profile, when compared. */
  holdOut: { periods: number; ownMae: number; pooledMae: number } | null;
}

/** GET /api/plans/:planId/baseline/products/:productId: how the product's baseline was fitted. */
export interface BaselineProductFit {
  productId: string;
  /** Absent on fits stored before names were recorded. */
  productName?: string;
  method: string;
  label: string;
  demandClass: string;
  parameters: Record<string, number>;
  seasonallyAdjusted: boolean;
  historyBuckets: number;
  firstBucket: string;
  forecast: { bucket: string; value: number }[];
  inSampleError: { mae: number | null; rmse: number | null };
  holdOutError: {
    horizon: number;
    mae: number | null;
    rmse: number | null;
    smape: number | null;
    mase: number | null;
    wmape?: number | null;
  } | null;
  computedAt: string;
  /** The fit in a planner's words: "Seasonal profile from the Sparkling Water family; trend +3 % a year, damped; …". */
  note?: string;
  season?: BaselineSeasonFit;
  /** Change of the forecast without its season over its first year, relative to its level (0.03 = +3 % a year), and whether it flattens. */
  trend?: { perYear: number; flattening: boolean };
  shape?: ForecastShape;
}

/** One statistical cell a baseline change wrote: its value before and after (null: no value). */
export interface BaselineCellChange {
  productId: string;
  bucket: string;
  previous: number | null;
  value: number | null;
}

/** A product whose forecast changed shape (seasonal → flat is the one to look at). */
export interface BaselineShapeChange {
  productId: string;
  productName: string;
  from: ForecastShape | null;
  to: ForecastShape | null;
}

/** A change a baseline run or a restore made to a plan's statistical layer (GET …/baseline/changes). */
export interface BaselineChangeRecord {
  id: string;
  kind: 'run' | 'restore';
  trigger: BaselineTrigger;
  startedAt: string;
  finishedAt: string;
  /** The season length a run used (null for a restore). */
  seasonLength: number | null;
  changedCells: number;
  changedProducts: number;
  /** The ten biggest cell changes by size. */
  biggestChanges: (BaselineCellChange & { productName: string })[];
  /** Products whose forecast changed shape, the ones that lost their season first. */
  shapeChanges: BaselineShapeChange[];
  /** Set once a restore put the values from before this change back. */
  restored: { at: string; userId: string; userName: string | null; changeId: string } | null;
  /** Whether the caller may restore the values from before it now, and if not why. */
  restorable: boolean;
  restoreRefusal: string | null;
}

/** GET /api/plans/:planId/baseline/changes: the plan's last baseline changes, newest first. */
export interface BaselineChangeList {
  changes: BaselineChangeRecord[];
}

/** GET /api/plans/:planId/baseline/changes/:changeId: a change with every cell, to compare. */
export interface BaselineChangeDetail extends BaselineChangeRecord {
  cells: BaselineCellChange[];
}

/** Query of GET /api/plans/:planId/kpis. */
export const KpiQuery = z
  .object({
    from: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'from must be a month like 2026-01'),
    to: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'to must be a month like 2026-06'),
    level: z.enum(['product', 'family', 'total'], { error: 'level must be product, family or total' }).default('total'),
  })
  .refine((q) => q.from <= q.to, { message: 'from must not be after to', path: ['from'] });
export type KpiQuery = z.infer<typeof KpiQuery>;

/** Forecast layers scored by the KPIs, bottom to top. */
export const KPI_LAYERS = ['statistical', 'sales', 'consensus', 'final'] as const;
export type KpiLayer = (typeof KPI_LAYERS)[number];

/** Accuracy of one forecast layer against actual sales; null where undefined (no actuals, zero scale). */
export interface LayerAccuracy {
  /** Buckets scored (those with an actual and a forecast). */
  points: number;
  mape: number | null;
  wmape: number | null;
  smape: number | null;
  mase: number | null;
  bias: number | null;
  trackingSignal: number | null;
}

/** Operational KPIs of a row over the buckets with actuals. */
export interface OperationalKpis {
  /** Σ min(sales, available) / Σ sales, available = opening stock + actual production. */
  fillRate: number | null;
  /** Annualised: Σ actual sales / mean closing stock × (12 / months). */
  inventoryTurns: number | null;
  /** Mean closing stock / mean daily sales. */
  daysOfCover: number | null;
  /** Σ actual production × hours per unit / Σ capacity hours (resources: per resource; total: all). */
  capacityUtilisation: number | null;
  /** 1 − Σ |actual production − planned production| / Σ planned production, floored at 0. */
  scheduleAdherence: number | null;
}

/** KPIs of one product, family or the total. */
export interface KpiRow {
  id: string;
  name: string;
  actualSales: number;
  accuracy: Record<KpiLayer, LayerAccuracy>;
  /** Forecast value added in WMAPE points: the layer below's WMAPE minus this layer's (positive = better). */
  fva: { salesOverStatistical: number | null; consensusOverSales: number | null; finalOverConsensus: number | null };
  operational: OperationalKpis;
}

/** Accuracy of the consensus locked `lag` buckets before the bucket it forecast. */
export interface LagAccuracy {
  lag: number;
  accuracy: LayerAccuracy;
}

/** Forecast value added of the sales overrides last typed by one person. */
export interface AuthorFva {
  userId: string | null;
  name: string | null;
  cells: number;
  /** WMAPE of the statistical baseline and of the overrides on the cells they overrode. */
  statisticalWmape: number | null;
  salesWmape: number | null;
  fva: number | null;
}

/** GET /api/plans/:planId/kpis */
export interface KpiResponse {
  from: string;
  to: string;
  level: 'product' | 'family' | 'total';
  /** Buckets of the range that have actual sales. */
  buckets: string[];
  rows: KpiRow[];
  lags: LagAccuracy[];
  authors: AuthorFva[];
}
