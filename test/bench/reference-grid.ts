// The reference grid of bench:web: RevoGrid (MIT, a well-kept virtualised grid), fed the same rows
// and values as Accord's grid shows, as plain data. Its page and edits are served by a relay in a
// process of its own (`reference-relay.ts`): the benchmark process sends an edit to the relay, which
// sends it on to the page, so an edit crosses the same two hops as in Accord (editor → server →
// viewer), without sync, permissions, storage or maths.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { PlanCalculator, addBuckets, bucketRange, type PlanData, type ProductPlan } from '@accord/plan-calc';
import { REPO_ROOT } from '../support/server-process.ts';

const HISTORY = 3;

/** A row of the reference grid: labels, then one number per column (by column prop). */
type ReferenceRow = Record<string, string | number | null>;

// Accord's default layers for a viewer, with the root its history columns show (actuals), if any.
const LAYERS: [string, (plan: ProductPlan, i: number) => number | null, 'actuals' | 'actualProduction' | 'actualInventory' | null][] = [
  ['Statistical', (plan, i) => plan.statisticalForecast[i]!, null],
  ['Sales forecast', (plan, i) => plan.salesForecast[i]!, 'actuals'],
  ['Consensus', (plan, i) => plan.demand[i]!, null],
  ['Demand', (plan, i) => plan.demand[i]!, null],
  ['Production', (plan, i) => plan.production[i]!, 'actualProduction'],
  ['Projected inventory', (plan, i) => Math.round(plan.projectedInventory[i]!), 'actualInventory'],
  ['Days of cover', (plan, i) => (plan.daysOfCover[i] === null ? null : Math.round(plan.daysOfCover[i]!)), null],
];

/** Columns and rows with the figures Accord's grid shows for the same plan (SKU rows of its default layers). */
export function referenceData(data: PlanData): { columns: unknown[]; rows: ReferenceRow[]; buckets: string[] } {
  const calc = new PlanCalculator(data);
  const buckets = [...calc.buckets];
  const history = bucketRange(addBuckets(buckets[0]!, -HISTORY), HISTORY);
  const columns: unknown[] = [
    { prop: 'product', name: 'Product', size: 210, pin: 'colPinStart', readonly: true },
    { prop: 'layer', name: 'Layer', size: 140, pin: 'colPinStart', readonly: true },
    ...history.map((bucket) => ({ prop: bucket, name: `${bucket} actual`, size: 88 })),
    ...buckets.map((bucket) => ({ prop: bucket, name: bucket, size: 88 })),
    ...calc.quarters.map((q) => ({ prop: q.quarter, name: q.quarter, size: 104 })),
    { prop: 'horizon', name: 'Horizon', size: 104 },
  ];
  const rows: ReferenceRow[] = [];
  for (const plan of calc.products()) {
    LAYERS.forEach(([layer, figure, actuals], l) => {
      const row: ReferenceRow = { product: l === 0 ? `${plan.productId} ${data.products[plan.productId]?.name ?? ''}` : '', layer };
      for (const bucket of history) row[bucket] = actuals ? (data.cells[actuals][`${plan.productId}|${bucket}`] ?? null) : null;
      buckets.forEach((bucket, i) => (row[bucket] = figure(plan, i)));
      for (const q of calc.quarters) {
        let sum = 0;
        for (let i = q.from; i <= q.to; i++) sum += figure(plan, i) ?? 0;
        row[q.quarter] = sum;
      }
      row.horizon = buckets.reduce((sum, _bucket, i) => sum + (figure(plan, i) ?? 0), 0);
      rows.push(row);
    });
  }
  return { columns, rows, buckets };
}

/** The running reference: its page URL, and a way to send an edit to every open page (through the relay). */
export interface ReferenceServer {
  url: string;
  send(edit: { row: number; prop: string; value: number }): void;
  close(): Promise<void>;
}

/** Starts the relay process with the reference data and connects to it as the sender of edits. */
export async function startReference(data: PlanData): Promise<ReferenceServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-reference-'));
  const file = path.join(dir, 'data.json');
  fs.writeFileSync(file, JSON.stringify(referenceData(data)));
  const child: ChildProcess = spawn(process.execPath, [path.join(REPO_ROOT, 'test/bench/reference-relay.ts'), file], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`reference relay exited with ${code}`)));
  });
  const sender = new WebSocket(`ws://127.0.0.1:${port}/ref/edits`);
  await new Promise<void>((resolve, reject) => {
    sender.once('open', () => resolve());
    sender.once('error', reject);
  });
  return {
    url: `http://127.0.0.1:${port}/ref/`,
    send: (edit) => sender.send(JSON.stringify(edit)),
    close: async () => {
      sender.terminate();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs in the reference page from its first script: times "a cell is visible and takes a
 * keypress" as Accord's probe does (select a cell with a mousedown, type a digit, the editor opens).
 */
export function probeReferenceInteractive(): void {
  // Select a cell (mousedown, and the focus a real click gives it), and a few frames later type a
  // digit; until the grid has wired its handlers that does nothing, so it is tried again every 15
  // frames until the cell's editor opens (RevoGrid opens it on a typed character, as Accord does).
  let frames = 0;
  const attempt = () => {
    if (document.querySelector('revogr-edit input, revogr-edit textarea')) {
      window.__interactive = performance.now();
      document.activeElement?.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', code: 'Escape', bubbles: true }));
      return;
    }
    // A cell with a number (history cells of layers without actuals are empty).
    const cell = [...document.querySelectorAll<HTMLElement>('revogr-data[type=rgRow][col-type=rgCol] .rgCell')].find(
      (td) => td.textContent,
    );
    if (cell) {
      const step = frames++ % 15;
      if (step === 0) {
        const box = cell.getBoundingClientRect();
        const at = { bubbles: true, button: 0, clientX: box.left + box.width / 2, clientY: box.top + box.height / 2 };
        cell.dispatchEvent(new MouseEvent('mousedown', at));
        cell.dispatchEvent(new MouseEvent('mouseup', at));
        cell.focus();
      } else if (step === 5) {
        document.activeElement?.dispatchEvent(new KeyboardEvent('keydown', { key: '5', code: 'Digit5', bubbles: true, cancelable: true }));
      }
    }
    requestAnimationFrame(attempt);
  };
  if (location.pathname.startsWith('/ref')) requestAnimationFrame(attempt);
}
