import { ErrorCode } from '@accord/protocol';
import { HttpError } from '../errors.ts';
import type { PlanService } from '../plans/plan.service.ts';
import type { SnapshotService } from '../governance/snapshot.service.ts';
import type { DecisionService } from '../governance/decision.service.ts';
import { buildPlanViews, VIEW_NAMES, type ViewName } from './plan-views.ts';
import { viewToCsv, viewsToXlsx } from './spreadsheet.ts';
import { renderPdf, summaryHtml } from './summary-pdf.ts';

/** A file to send. */
export interface ExportFile {
  bytes: Uint8Array | string;
  contentType: string;
  filename: string;
}

const safeName = (name: string) => name.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'plan';

/** Exports of the live plan or a snapshot (XLSX, CSV, PDF summary). */
export class ExportService {
  readonly #plans: PlanService;
  readonly #snapshots: SnapshotService;
  readonly #decisions: DecisionService;
  readonly #chromiumPath: string;

  constructor(plans: PlanService, snapshots: SnapshotService, decisions: DecisionService, chromiumPath: string) {
    this.#plans = plans;
    this.#snapshots = snapshots;
    this.#decisions = decisions;
    this.#chromiumPath = chromiumPath;
  }

  async xlsx(userId: string, planId: string, version: string): Promise<ExportFile> {
    const data = await this.#snapshots.loadVersion(userId, planId, version);
    const views = buildPlanViews(data);
    return {
      bytes: await viewsToXlsx(Object.values(views), data.meta.name),
      contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      filename: `${safeName(data.meta.name)}-${safeName(version)}.xlsx`,
    };
  }

  async csv(userId: string, planId: string, version: string, view: string): Promise<ExportFile> {
    if (!(VIEW_NAMES as readonly string[]).includes(view))
      throw new HttpError(400, ErrorCode.badRequest, `view must be one of ${VIEW_NAMES.join(', ')}.`);
    const data = await this.#snapshots.loadVersion(userId, planId, version);
    return {
      bytes: viewToCsv(buildPlanViews(data)[view as ViewName]),
      contentType: 'text/csv; charset=utf-8',
      filename: `${safeName(data.meta.name)}-${view}-${safeName(version)}.csv`,
    };
  }

  /** The one-page executive summary: key figures, charts, decisions and changes versus the baseline. */
  async summaryPdf(userId: string, planId: string, version: string): Promise<ExportFile> {
    const { plan } = await this.#plans.getPlanForUser(userId, planId);
    const data = await this.#snapshots.loadVersion(userId, planId, version);
    const decisions = await this.#decisions.list(userId, planId, { cycle: data.meta.horizonStart });
    const baseline = plan.baseline_snapshot_id;
    const changes =
      baseline && baseline !== version
        ? await this.#snapshots.compare(userId, planId, { from: baseline, to: version, limit: 200 })
        : undefined;
    // The executive page shows what people changed in the plan, not refreshed actuals or baselines.
    if (changes) changes.cells = changes.cells.filter((c) => c.section !== 'server');
    const label = version === 'live' ? 'Live plan' : `Snapshot ${(await this.#snapshots.getSnapshot(userId, version)).name}`;
    const html = summaryHtml({
      planName: plan.name,
      versionLabel: label,
      data,
      decisions,
      changes,
      generatedAt: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    });
    return {
      bytes: await renderPdf(html, this.#chromiumPath),
      contentType: 'application/pdf',
      filename: `${safeName(plan.name)}-summary.pdf`,
    };
  }
}
