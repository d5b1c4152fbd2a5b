import { ACTION_ROLES, actionRolesText, importAction, mayAct } from '@accord/protocol';
import type {
  BaselineChangeDetail,
  BaselineChangeList,
  BaselineChangeRecord,
  BaselineProductFit,
  BaselineStatus,
  CycleResponse,
  ImportErrorBody,
  ImportKind,
  ImportMode,
  ImportResponse,
  KpiResponse,
  Role,
} from '@accord/protocol';
import { api, ApiError } from './api.ts';

const plan = (planId: string) => `/api/plans/${encodeURIComponent(planId)}`;

export const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** What each kind of import reads, and a one-line description for the kind picker. */
export const IMPORT_KIND_INFO: Readonly<Record<ImportKind, { label: string; fields: readonly string[] }>> = {
  actuals: { label: 'Actuals (sales, production, inventory)', fields: ['product', 'month', 'sales', 'production', 'inventory'] },
  products: {
    label: 'Products and families',
    fields: ['id', 'name', 'family', 'familyName', 'unit', 'resource', 'hoursPerUnit', 'leadTimeDays', 'safetyStockDays'],
  },
  resources: { label: 'Resources', fields: ['id', 'name'] },
  prices: { label: 'Prices', fields: ['product', 'month', 'price'] },
  costs: { label: 'Costs', fields: ['product', 'month', 'cost'] },
};

/** Roles that may start the baseline job by hand. */
export const BASELINE_ROLES: readonly Role[] = ACTION_ROLES.runBaseline;

/** Why a role may not import a kind, or null when it may. */
export function importRefusal(kind: ImportKind, role: Role): string | null {
  const action = importAction(kind);
  return mayAct(role, action) ? null : `Importing ${kind} is for ${actionRolesText(action)}; you are ${role}.`;
}

/** The Content-Type to send a picked file with: XLSX by MIME type or extension, CSV otherwise. */
export function fileContentType(file: { name: string; type: string }): string {
  return file.type === XLSX_MIME || /\.xlsx$/i.test(file.name) ? XLSX_MIME : 'text/csv';
}

/** The header cells of a CSV text's first non-empty line (quotes and `;`/tab separators understood). */
export function csvHeaders(text: string): string[] {
  const line =
    text
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)
      .find((l) => l.trim() !== '') ?? '';
  const separator = [',', ';', '\t'].reduce((best, s) => (line.split(s).length > line.split(best).length ? s : best), ',');
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === separator) {
      cells.push(cell.trim());
      cell = '';
    } else cell += char;
  }
  cells.push(cell.trim());
  return cells.filter((c) => c !== '');
}

/** An import answer: the report, and the server's message when rows (or the columns) were refused. */
export interface ImportOutcome {
  ok: boolean;
  message: string | null;
  report: ImportResponse;
}

/**
 * Uploads a file to the import endpoint with `XMLHttpRequest`, whose upload progress `fetch`
 * lacks. Resolves with the report on 200 and on a 400 that carries one (refused rows); throws
 * `ApiError` otherwise (403 role, 409 closed section, 413 too large, network).
 */
export function uploadImport(
  planId: string,
  input: { kind: ImportKind; mode: ImportMode; mapping?: Record<string, string>; file: Blob; contentType: string },
  onProgress: (share: number) => void,
): Promise<ImportOutcome> {
  const query = new URLSearchParams({ kind: input.kind, mode: input.mode });
  if (input.mapping && Object.keys(input.mapping).length > 0) query.set('mapping', JSON.stringify(input.mapping));
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${plan(planId)}/imports?${query}`);
    xhr.withCredentials = true;
    xhr.responseType = 'text';
    xhr.setRequestHeader('Content-Type', input.contentType);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    xhr.upload.onload = () => onProgress(1);
    xhr.onerror = () => reject(new ApiError(0, 'network', 'Cannot reach the Accord server. Check your connection and try again.'));
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      if (xhr.status === 200) {
        resolve({ ok: true, message: null, report: body as ImportResponse });
        return;
      }
      const error = (body as Partial<ImportErrorBody> | undefined)?.error;
      const report = (body as Partial<ImportErrorBody> | undefined)?.import;
      if (xhr.status === 400 && report) {
        resolve({ ok: false, message: error?.message ?? 'The file was refused.', report });
        return;
      }
      reject(new ApiError(xhr.status, error?.code ?? 'internal', error?.message ?? `The server answered ${xhr.status} ${xhr.statusText}.`));
    };
    xhr.send(input.file);
  });
}

/** The plan's cycle; `cycle` is the horizon start (YYYY-MM). */
export function getCycle(planId: string): Promise<CycleResponse> {
  return api<CycleResponse>('GET', `${plan(planId)}/cycle`);
}

/** The state of the statistical baseline job. */
export function getBaseline(planId: string): Promise<BaselineStatus> {
  return api<BaselineStatus>('GET', `${plan(planId)}/baseline`);
}

/** Starts (or queues) a baseline run; the season length is `auto` (from the plan's buckets) unless given. */
export function startBaseline(planId: string, seasonLength: number | 'auto' = 'auto'): Promise<BaselineStatus> {
  return api<BaselineStatus>('POST', `${plan(planId)}/baseline`, { seasonLength });
}

/** The plan's last changes to its statistical layer (runs and restores), newest first. */
export function getBaselineChanges(planId: string): Promise<BaselineChangeList> {
  return api<BaselineChangeList>('GET', `${plan(planId)}/baseline/changes`);
}

/** One change with every cell it wrote, before and after. */
export function getBaselineChange(planId: string, changeId: string): Promise<BaselineChangeDetail> {
  return api<BaselineChangeDetail>('GET', `${plan(planId)}/baseline/changes/${encodeURIComponent(changeId)}`);
}

/** Puts the values from before a change back (the latest change only; operations, leaders, admins). */
export function restoreBaselineChange(planId: string, changeId: string): Promise<BaselineChangeRecord> {
  return api<BaselineChangeRecord>('POST', `${plan(planId)}/baseline/changes/${encodeURIComponent(changeId)}/restore`);
}

/** How one product's baseline was fitted in the last run (404 before any run). */
export function getProductFit(planId: string, productId: string): Promise<BaselineProductFit> {
  return api<BaselineProductFit>('GET', `${plan(planId)}/baseline/products/${encodeURIComponent(productId)}`);
}

export type KpiLevel = 'product' | 'family' | 'total';

/** KPIs of past buckets `from`..`to` (months) at one level. */
export function getKpis(planId: string, from: string, to: string, level: KpiLevel): Promise<KpiResponse> {
  return api<KpiResponse>('GET', `${plan(planId)}/kpis?${new URLSearchParams({ from, to, level })}`);
}

export const EXPORT_VIEWS = ['demand', 'supply', 'capacity', 'finance'] as const;

/** Download links of the live plan: the workbook and one CSV per view. */
export function exportLinks(planId: string): { label: string; href: string; testId: string }[] {
  return [
    { label: 'Whole plan (XLSX)', href: `${plan(planId)}/export.xlsx?version=live`, testId: 'export-xlsx' },
    ...EXPORT_VIEWS.map((view) => ({
      label: `${view[0]!.toUpperCase()}${view.slice(1)} (CSV)`,
      href: `${plan(planId)}/export.csv?version=live&view=${view}`,
      testId: `export-csv-${view}`,
    })),
  ];
}

/** `YYYY-MM` plus `n` months (n may be negative). */
export function addMonths(month: string, n: number): string {
  const [year, m] = month.split('-').map(Number) as [number, number];
  const index = year * 12 + (m - 1) + n;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** A value already in percent (MAPE, WMAPE: 12.34) with one decimal, or an em dash when undefined. */
export function percent(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : `${value.toFixed(1)} %`;
}

/** A share (fill rate 0.973) as a percentage with one decimal, or an em dash when undefined. */
export function share(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : `${(value * 100).toFixed(1)} %`;
}

/** Forecast value added in WMAPE points, signed (+2.5 pp better, −1.0 pp worse). */
export function points(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${value > 0 ? '+' : value < 0 ? '−' : '±'}${Math.abs(value).toFixed(1)} pp`;
}

/** A plain number with up to `digits` decimals, or an em dash when undefined. */
export function decimal(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? '—'
    : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}
