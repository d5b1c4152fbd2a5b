import fs from 'node:fs';
import { PlanCalculator, type PlanData } from '@accord/plan-calc';
import { ErrorCode } from '@accord/protocol';
import type { CompareResponse, DecisionView } from '@accord/protocol';
import { HttpError } from '../errors.ts';

/** What the one-page executive summary shows. */
export interface SummaryInput {
  planName: string;
  versionLabel: string;
  data: PlanData;
  decisions: DecisionView[];
  changes: CompareResponse | undefined;
  generatedAt: string;
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const number = (value: number, digits = 0) =>
  value.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** A small SVG line chart of several series over the buckets (no script, no external resources). */
function lineChart(
  buckets: readonly string[],
  series: { label: string; color: string; values: number[] }[],
  width = 520,
  height = 170,
): string {
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const max = Math.max(1, ...all);
  const x = (i: number) => 40 + (i * (width - 50)) / Math.max(1, buckets.length - 1);
  const y = (v: number) => height - 22 - (v / max) * (height - 40);
  const lines = series
    .map(
      (s) =>
        `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`,
    )
    .join('');
  const labels = buckets
    .map((b, i) => (i % 3 === 0 ? `<text x="${x(i)}" y="${height - 6}" font-size="9" text-anchor="middle">${escape(b)}</text>` : ''))
    .join('');
  const legend = series
    .map((s, i) => `<text x="${44 + i * 130}" y="12" font-size="10" fill="${s.color}">■ ${escape(s.label)}</text>`)
    .join('');
  return `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${legend}<text x="4" y="${y(max) + 3}" font-size="9">${number(max)}</text>${lines}${labels}</svg>`;
}

/** The summary page as self-contained HTML: key figures, two charts, decisions, biggest changes. */
export function summaryHtml(input: SummaryInput): string {
  const { data } = input;
  const calculator = new PlanCalculator(data);
  const total = calculator.total();
  const buckets = calculator.buckets;
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const revenue = sum(total.revenue);
  const margin = sum(total.grossMargin);
  const budgetGap = sum(total.budgetGap);
  const stockOuts = sum(total.stockOuts);
  const overloads = calculator.resources().reduce((n, r) => n + r.overloaded.filter(Boolean).length, 0);
  const currency = escape(data.meta.currency);
  const figures = [
    ['Demand over the horizon', `${number(sum(total.demand))} units`],
    ['Revenue', `${number(revenue)} ${currency}`],
    ['Gross margin', `${number(margin)} ${currency} (${revenue ? number((margin / revenue) * 100, 1) : '–'} %)`],
    ['Gap to budget', `${budgetGap >= 0 ? '+' : ''}${number(budgetGap)} ${currency}`],
    ['SKU-months out of stock', number(stockOuts)],
    ['Resource-months overloaded', number(overloads)],
  ];
  const decisions = input.decisions
    .slice(0, 8)
    .map(
      (d) =>
        `<tr><td>${escape(d.title)}</td><td>${escape(d.owner.name)}</td><td>${escape(d.dueDate)}</td><td class="${d.overdue ? 'bad' : ''}">${escape(d.status)}${d.overdue ? ' (overdue)' : ''}</td></tr>`,
    )
    .join('');
  const changes = (input.changes?.cells ?? [])
    .slice(0, 8)
    .map(
      (c) =>
        `<tr><td>${escape(c.layer)}</td><td>${escape(c.rowName)}</td><td>${escape(c.bucket ?? '')}</td><td class="num">${c.from === null ? '–' : number(c.from)} → ${c.to === null ? '–' : number(c.to)}</td><td class="num">${number(c.valueDelta)}</td></tr>`,
    )
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><style>
    @page { size: A4 landscape; margin: 12mm; }
    body { font: 11px system-ui, sans-serif; color: #111827; margin: 0; }
    h1 { font-size: 18px; margin: 0 0 2px; } .sub { color: #6b7280; margin-bottom: 10px; }
    .figures { display: grid; grid-template-columns: repeat(6, 1fr); gap: 6px; margin-bottom: 10px; }
    .figure { border: 1px solid #e5e7eb; border-radius: 6px; padding: 6px; } .figure b { display: block; font-size: 14px; }
    .row { display: flex; gap: 14px; } .col { flex: 1; }
    table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 2px 4px; border-bottom: 1px solid #f3f4f6; }
    h2 { font-size: 12px; margin: 8px 0 4px; } .num { text-align: right; } .bad { color: #dc2626; }
  </style></head><body>
    <h1>${escape(input.planName)} — executive summary</h1>
    <div class="sub">${escape(input.versionLabel)} · horizon ${escape(buckets[0] ?? '')} to ${escape(buckets.at(-1) ?? '')} · generated ${escape(input.generatedAt)}</div>
    <div class="figures">${figures.map(([label, value]) => `<div class="figure">${escape(label!)}<b>${value}</b></div>`).join('')}</div>
    <div class="row">
      <div class="col"><h2>Demand and supply (units)</h2>${lineChart(buckets, [
        { label: 'Demand', color: '#2563eb', values: total.demand },
        { label: 'Production', color: '#16a34a', values: total.production },
        { label: 'Inventory', color: '#ca8a04', values: total.projectedInventory },
      ])}</div>
      <div class="col"><h2>Revenue and budget (${currency})</h2>${lineChart(buckets, [
        { label: 'Revenue', color: '#9333ea', values: total.revenue },
        { label: 'Budget', color: '#6b7280', values: total.budget },
        { label: 'Margin', color: '#0891b2', values: total.grossMargin },
      ])}</div>
    </div>
    <div class="row">
      <div class="col"><h2>Decisions</h2><table><tr><th>Decision</th><th>Owner</th><th>Due</th><th>Status</th></tr>${decisions || '<tr><td colspan="4">None recorded.</td></tr>'}</table></div>
      <div class="col"><h2>Biggest changes versus the last consensus</h2><table><tr><th>Layer</th><th>Product</th><th>Month</th><th class="num">From → to</th><th class="num">Value Δ</th></tr>${changes || '<tr><td colspan="5">No baseline to compare with.</td></tr>'}</table></div>
    </div>
  </body></html>`;
}

/**
 * Renders HTML to a one-page PDF with Chromium, offline: every network request of the page is
 * refused, so the content can only be what we generated.
 */
export async function renderPdf(html: string, chromiumPath: string): Promise<Uint8Array> {
  if (!fs.existsSync(chromiumPath)) {
    throw new HttpError(
      503,
      ErrorCode.internal,
      `PDF export needs Chromium at ${chromiumPath}; install it (apt-get install chromium) or set CHROMIUM_PATH.`,
    );
  }
  // playwright-core takes ~0.5 s to load: imported on the first PDF, not at server start.
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage();
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });
    return new Uint8Array(await page.pdf({ format: 'A4', landscape: true, printBackground: true, pageRanges: '1' }));
  } finally {
    await browser.close();
  }
}
