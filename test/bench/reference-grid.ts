// The reference grid of bench:web: RevoGrid (MIT, a well-kept virtualised grid), served by a tiny
// HTTP server in the benchmark process and fed the same rows and values as Accord's grid shows, as
// plain data. It takes edits over a plain WebSocket from the benchmark process, so its "remote
// paint" crosses one network hop like Accord's, without sync, permissions, storage or maths.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { PlanCalculator, addBuckets, bucketRange, type PlanData, type ProductPlan } from '@accord/plan-calc';
import { REPO_ROOT } from '../support/server-process.ts';

const REVOGRID_DIR = path.join(REPO_ROOT, 'test/node_modules/@revolist/revogrid/dist/revo-grid');
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

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Reference grid</title>
<script type="module" src="/revogrid/revo-grid.esm.js"></script>
<style>html, body { margin: 0; height: 100%; font-family: system-ui, sans-serif; } revo-grid { display: block; height: 100vh; }</style>
</head><body><revo-grid id="grid" range resize></revo-grid>
<script type="module">
  const grid = document.getElementById('grid');
  const data = await (await fetch('/ref/data.json')).json();
  await customElements.whenDefined('revo-grid');
  grid.columns = data.columns;
  grid.source = data.rows;
  window.__grid = grid;
  const props = data.columns.filter((c) => !c.pin).map((c) => c.prop);
  const socket = new WebSocket('ws://' + location.host + '/ref/ws');
  socket.onmessage = (event) => {
    const { row, prop, value } = JSON.parse(event.data);
    grid.setDataAt({ row, col: props.indexOf(prop), val: value });
  };
</script></body></html>`;

/** The running reference: its page URL, and a way to send an edit to every open page. */
export interface ReferenceServer {
  url: string;
  send(edit: { row: number; prop: string; value: number }): void;
  close(): Promise<void>;
}

/** Serves the reference page, RevoGrid's files, the data and the edit socket on 127.0.0.1. */
export async function startReference(data: PlanData): Promise<ReferenceServer> {
  const body = JSON.stringify(referenceData(data));
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/ref/' || url.pathname === '/ref') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else if (url.pathname === '/ref/data.json') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(body);
    } else if (url.pathname.startsWith('/revogrid/')) {
      const file = path.join(REVOGRID_DIR, path.basename(url.pathname));
      if (!fs.existsSync(file)) return void response.writeHead(404).end();
      const type = file.endsWith('.css') ? 'text/css' : 'text/javascript';
      response.writeHead(200, { 'content-type': type }).end(fs.readFileSync(file));
    } else response.writeHead(404).end();
  });
  const sockets = new Set<ServerSocket>();
  const wss = new WebSocketServer({ server, path: '/ref/ws' });
  wss.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ref/`,
    send: (edit) => {
      const text = JSON.stringify(edit);
      for (const socket of sockets) socket.send(text);
    },
    close: async () => {
      for (const socket of sockets) socket.terminate();
      wss.close();
      await new Promise((resolve) => server.close(resolve));
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
