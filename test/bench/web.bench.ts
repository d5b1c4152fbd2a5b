// Web benchmark: the built app served by a real server (`--demo`) with a plan of 1,000 SKUs × 36
// months, measured in headless Chromium (playwright-core):
//  1. grid interactive: navigation start → the grid is rendered and a cell accepts a keypress
//     (an editable cell, selected by a mousedown, opens its editor on a typed digit);
//  2. scroll frame times: requestAnimationFrame deltas while the grid scroller moves in steps;
//  3. remote paint: 10 editors each change their own cell once a second; a viewer's page times each
//     change from the edit to the next frame after its cell's DOM changed (MutationObserver), on
//     the shared wall clock `performance.timeOrigin + now()`. Two set-ups: `meeting` (one editor
//     typing in a Chromium page, nine speaking the protocol from this process, as people on their
//     own computers would load the viewer's) and `crowded` (all ten editors are Chromium pages on
//     this 2-core machine, eleven renderers on two cores).
//  4. spreads typed in Chromium (#15): `+5%` over the total sales row's first 18 months (18,000
//     cells), and a new value in a family's quarter, timed from the Enter keydown to the first frame
//     after the editor's grid shows it (local) and after a viewer's page shows it (remote);
//  5. a reference: the same plan's rows and values as plain data in RevoGrid (`reference-grid.ts`),
//     in the same Chromium and run, timed to the same "a cell takes a keypress" point and for the
//     same remote repaint (edits relayed by a server process, as Accord's are), its runs alternating
//     with Accord's so both see the same load, so the ratios carry across machines.
// Prints a table and `METRIC grid_interactive_ms`, `METRIC remote_paint_p99_ms` (the meeting set-up;
// targets < 2,000 and < 100), `METRIC remote_paint_crowded_p99_ms`, `METRIC spread_local_ms`
// (< 150), `spread_remote_ms` (< 500), `spread_family_remote_ms`, and `grid_interactive_ratio` /
// `remote_paint_ratio` (Accord ÷ reference; goal ≤ 1). Run: `pnpm bench:web` (builds web/ first
// when web/build is missing; ~8 minutes).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildPlan, HORIZON_START } from './big-plan.ts';
import { REPO_ROOT, runCli, startServer } from '../support/server-process.ts';
import { launchChromium } from '../support/browser.ts';
import { connectPlan, demoEmail, signIn, synced, type PlanClient } from '../support/clients.ts';
import { ROLE_COLORS } from '@accord/protocol';
import { addBuckets } from '@accord/plan-calc';
import { probeReferenceInteractive, startReference, type ReferenceServer } from './reference-grid.ts';

const SKUS = 1_000;
const INTERACTIVE_RUNS = 5;
const SCROLL_RUNS = 3;
const SCROLL_STEPS = 60;
const SCROLL_STEP_PX = 280;
const EDITORS = 10;
const PAINT_RUNS = 3;
const CROWDED_RUNS = 2;
const EDIT_INTERVAL_MS = 1_000;
const EDITS_PER_EDITOR = 20;
const VIEWPORT = { width: 1600, height: 1000 };
const SPREAD_RUNS = 3;
/** `--quick`: no scroll frames and no crowded set-up (the slowest part); everything else as usual. */
const QUICK = process.argv.includes('--quick');
const SPREAD_MONTHS = 18;
/** The reference grid's column the remote edits go to (a horizon month in view). */
let REFERENCE_EDIT_PROP = '';

const log = (message: string) => console.error(`[web-bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
const median = (values: number[]) => quantile(values, 0.5);
function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
const round = (value: number, digits = 1) => Number(value.toFixed(digits));
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

declare global {
  interface Window {
    __interactive?: number;
    __enter?: number;
    __shown?: number;
    __paintAt?: number[];
    __edits?: { value: number; at: number }[];
    __paints?: { key: string; value: number; at: number }[];
  }
}

/** Runs in the page from its first script: times "grid rendered and a cell takes a keypress". */
function probeInteractive(): void {
  const check = () => {
    const cell = document.querySelector<HTMLElement>('table[data-testid=plan-grid] td[data-editable=true]');
    const table = document.querySelector<HTMLElement>('table[data-testid=plan-grid]');
    if (!cell || !table) return requestAnimationFrame(check);
    cell.dispatchEvent(new MouseEvent('mousedown', { bubbles: true, button: 0 }));
    window.dispatchEvent(new MouseEvent('mouseup', { bubbles: true }));
    table.dispatchEvent(new KeyboardEvent('keydown', { key: '5', bubbles: true, cancelable: true }));
    const editorOpen = () => {
      const input = table.querySelector<HTMLInputElement>('td input');
      if (!input) return void queueMicrotask(() => requestAnimationFrame(editorOpen));
      window.__interactive = performance.now();
      input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    };
    queueMicrotask(editorOpen);
  };
  if (location.pathname.startsWith('/plans/')) requestAnimationFrame(check);
}

async function newContext(browser: Browser, base: string, cookie: string): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  await context.addCookies(
    cookie.split('; ').map((pair) => {
      const at = pair.indexOf('=');
      return { name: pair.slice(0, at), value: pair.slice(at + 1), url: base };
    }),
  );
  return context;
}

async function openPlan(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector('table[data-testid=plan-grid] td[data-root]', { timeout: 120_000 });
  await page.waitForFunction(() => document.querySelector('[data-testid=connection-status]')?.textContent === 'live');
  return page;
}

interface Latencies {
  sent: number;
  received: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** One remote-paint run: every edit's latency, and those typed in a browser page on their own. */
interface PaintRun {
  all: Latencies;
  typed: Latencies;
}

function latencies(sent: number, values: number[]): Latencies {
  return {
    sent,
    received: values.length,
    p50: quantile(values, 0.5),
    p95: quantile(values, 0.95),
    p99: quantile(values, 0.99),
    max: values.length ? Math.max(...values) : NaN,
  };
}

function paintRows(label: string, runs: PaintRun[], which: keyof PaintRun = 'all'): [string, string, string][] {
  const pick = (key: keyof Latencies) => runs.map((run) => run[which][key]);
  const row = (key: 'p50' | 'p95' | 'p99' | 'max'): [string, string, string] => [
    `${label} ${key} (ms)`,
    pick(key)
      .map((v) => round(v))
      .join(' / '),
    String(round(median(pick(key)))),
  ];
  return [
    [`${label} painted/sent`, runs.map((run) => `${run[which].received}/${run[which].sent}`).join(' / '), ''],
    row('p50'),
    row('p95'),
    row('p99'),
    row('max'),
  ];
}

/**
 * Remote paint: 10 editors each change their own cell once a second (staggered, ~10 edits/s in
 * all), moving their selection as they go, while a viewer page times each change from the edit to
 * the first frame after its cell's DOM changed (a MutationObserver on `data-value`; same wall
 * clock `performance.timeOrigin + now()` everywhere, all on this machine).
 *
 * - `meeting`: the viewer page, one editor page typing through the real keyboard (keydown of Enter
 *   → paint), and nine editors speaking the protocol from this process with the official
 *   y-websocket client, as the web app does: presence with their selected cell, one cell write per
 *   edit, the selection moved away and back after it. Each person in a meeting has a computer of
 *   their own; this is what the viewer's computer has to do.
 * - `crowded`: all ten editors are Chromium pages on this 2-core machine, so eleven renderers share
 *   two cores. The figure says what the app costs under that load; it is not a meeting.
 *
 * Opens the pages and clients; `run` measures one run, so runs can alternate with the reference's.
 */
async function openRemotePaint(
  browser: Browser,
  base: string,
  planUrl: string,
  users: { viewer: { cookie: string }; sales: { cookie: string; me: { user: { id: string; name: string } } } },
  setup: 'meeting' | 'crowded',
): Promise<PaintRunner<PaintRun>> {
  const pageEditors = setup === 'meeting' ? 1 : EDITORS;
  const receiverContext = await newContext(browser, base, users.viewer.cookie);
  const receiver = await openPlan(receiverContext, planUrl);
  const contexts: BrowserContext[] = [receiverContext];
  const pages: Page[] = [];
  for (let i = 0; i < pageEditors; i++) {
    const context = await newContext(browser, base, users.sales.cookie);
    contexts.push(context);
    pages.push(await openPlan(context, planUrl));
  }
  // Cells fully in view (clear of the sticky header and label columns): one per editor, and spare
  // ones the protocol editors move their selection to.
  const keys = await pages[0]!.evaluate(() => {
    const scroller = document.querySelector<HTMLElement>('[data-testid=grid-scroller]')!.getBoundingClientRect();
    const head = document.querySelector('thead')!.getBoundingClientRect();
    return [...document.querySelectorAll<HTMLElement>('tr[data-row-kind=product] td[data-root=sales][data-editable=true]')]
      .filter((td) => {
        const box = td.getBoundingClientRect();
        return (
          box.left >= scroller.left + 390 &&
          box.right <= scroller.right - 20 &&
          box.top >= head.bottom &&
          box.bottom <= scroller.bottom - 40
        );
      })
      .map((td) => td.dataset.key!);
  });
  if (keys.length < EDITORS + 1) throw new Error(`only ${keys.length} editable cells in view`);
  const planId = new URL(planUrl).pathname.split('/').pop()!;
  const clients: PlanClient[] = [];
  for (let i = pageEditors; i < EDITORS; i++) {
    const client = connectPlan(base, planId, users.sales.cookie);
    await synced(client, 60_000);
    client.provider.awareness.setLocalState({
      user: { id: users.sales.me.user.id, name: users.sales.me.user.name, role: 'sales', color: ROLE_COLORS.sales },
      cursor: { root: 'sales', key: keys[i]! },
      activity: 'active',
      presenting: null,
    });
    clients.push(client);
  }
  log(`${setup}: ${pageEditors} editor page(s), ${clients.length} protocol editor(s) and a viewer are in the plan`);
  await receiver.evaluate(() => {
    window.__paints = [];
    const table = document.querySelector('table[data-testid=plan-grid]')!;
    new MutationObserver((records) => {
      const seen: { key: string; value: number }[] = [];
      for (const record of records) {
        const td = record.target as HTMLElement;
        if (record.attributeName === 'data-value' && td.dataset.root === 'sales' && td.dataset.value) {
          seen.push({ key: td.dataset.key!, value: Number(td.dataset.value) });
        }
      }
      if (seen.length === 0) return;
      // The frame after the DOM change is the one that paints it.
      requestAnimationFrame(() => {
        const at = performance.timeOrigin + performance.now();
        for (const item of seen) window.__paints!.push({ ...item, at });
      });
    }).observe(table, { attributes: true, attributeFilter: ['data-value'], subtree: true });
  });
  for (const page of pages) {
    await page.evaluate(() => {
      window.__edits = [];
      document.addEventListener(
        'keydown',
        (event) => {
          const input = event.target as HTMLInputElement;
          if (event.key === 'Enter' && input.tagName === 'INPUT')
            window.__edits!.push({ value: Number(input.value), at: performance.timeOrigin + performance.now() });
        },
        true,
      );
    });
  }
  const run = async (run: number): Promise<PaintRun> => {
    await receiver.evaluate(() => (window.__paints = []));
    for (const page of pages) await page.evaluate(() => (window.__edits = []));
    const protocolEdits = new Map<number, number>();
    const stagger = (e: number) => pause((EDIT_INTERVAL_MS / EDITORS) * e); // a steady stream, not bursts
    const valueOf = (e: number, i: number) => 1_000_000 + run * 100_000 + e * 1_000 + i;
    await Promise.all([
      ...pages.map(async (page, e) => {
        await page.locator(`td[data-root=sales][data-key="${keys[e]}"]`).click();
        await stagger(e);
        for (let i = 0; i < EDITS_PER_EDITOR; i++) {
          const started = Date.now();
          await page.keyboard.type(String(valueOf(e, i)));
          await page.keyboard.press('Enter');
          await page.keyboard.press('ArrowUp');
          await pause(Math.max(0, EDIT_INTERVAL_MS - (Date.now() - started)));
        }
      }),
      ...clients.map(async (client, c) => {
        const e = pageEditors + c;
        const awareness = client.provider.awareness;
        await stagger(e);
        for (let i = 0; i < EDITS_PER_EDITOR; i++) {
          const started = Date.now();
          const value = valueOf(e, i);
          protocolEdits.set(value, performance.timeOrigin + performance.now());
          client.doc.getMap('sales').set(keys[e]!, value);
          awareness.setLocalStateField('cursor', { root: 'sales', key: keys[(e + 1) % keys.length]! });
          await pause(40);
          awareness.setLocalStateField('cursor', { root: 'sales', key: keys[e]! });
          await pause(Math.max(0, EDIT_INTERVAL_MS - (Date.now() - started)));
        }
      }),
    ]);
    // Let the last changes arrive before reading the results.
    await pause(1_000);
    const paints = await receiver.evaluate(() => window.__paints!);
    const paintAt = new Map(paints.map((paint) => [paint.value, paint.at]));
    const typed: number[] = [];
    let typedSent = 0;
    for (const page of pages) {
      for (const edit of await page.evaluate(() => window.__edits!)) {
        typedSent++;
        const at = paintAt.get(edit.value);
        if (at !== undefined) typed.push(at - edit.at);
      }
    }
    const spoken = [...protocolEdits].flatMap(([value, sentAt]) => {
      const at = paintAt.get(value);
      return at === undefined ? [] : [at - sentAt];
    });
    const result = { all: latencies(typedSent + protocolEdits.size, [...typed, ...spoken]), typed: latencies(typedSent, typed) };
    log(`${setup} run ${run + 1}: ${result.all.received}/${result.all.sent} edits painted, p99 ${round(result.all.p99)} ms`);
    return result;
  };
  const close = async () => {
    for (const client of clients) client.destroy();
    for (const context of contexts) await context.close();
  };
  return { run, close };
}

/** Runs of a remote-paint set-up, one at a time, then closes its pages. */
interface PaintRunner<T> {
  run(run: number): Promise<T>;
  close(): Promise<void>;
}

/** `runs` runs of each runner, alternating between them, so each sees the machine as loaded as the other. */
async function alternate<A, B>(a: PaintRunner<A>, b: PaintRunner<B>, runs: number): Promise<[A[], B[]]> {
  const out: [A[], B[]] = [[], []];
  for (let run = 0; run < runs; run++) {
    out[0].push(await a.run(run));
    out[1].push(await b.run(run));
  }
  return out;
}

async function runAll<T>(runner: PaintRunner<T>, runs: number): Promise<T[]> {
  const out: T[] = [];
  for (let run = 0; run < runs; run++) out.push(await runner.run(run));
  await runner.close();
  return out;
}

/** Records, in the page, the first frame after any cell matching `selector` changed its `data-value`. */
async function watchCells(page: Page, selector: string): Promise<void> {
  await page.evaluate((selector) => {
    window.__shown = undefined;
    const table = document.querySelector('table[data-testid=plan-grid]')!;
    const observer = new MutationObserver((records) => {
      if (window.__shown !== undefined) return;
      if (!records.some((record) => (record.target as HTMLElement).matches(selector))) return;
      requestAnimationFrame(() => (window.__shown ??= performance.timeOrigin + performance.now()));
    });
    observer.observe(table, { attributes: true, attributeFilter: ['data-value'], subtree: true });
  }, selector);
}

/** Records the wall-clock time of the next Enter typed into the in-cell editor. */
async function watchEnter(page: Page): Promise<void> {
  await page.evaluate(() => {
    window.__enter = undefined;
    document.addEventListener(
      'keydown',
      (event) => {
        if (event.key === 'Enter' && (event.target as HTMLElement).tagName === 'INPUT')
          window.__enter ??= performance.timeOrigin + performance.now();
      },
      { capture: true },
    );
  });
}

async function shownAt(page: Page): Promise<number> {
  await page.waitForFunction(() => window.__shown !== undefined, undefined, { timeout: 60_000 });
  return page.evaluate(() => window.__shown!);
}

/**
 * Spreads typed in Chromium: the total sales forecast over the first 18 months (the total row's
 * cells selected with Shift+→, then `+5%` typed: 1,000 SKUs × 18 months = 18,000 cells in one
 * update), and a family's quarter (a new value typed into Σ F0 · Sales forecast · Q1: 40 SKUs × 3
 * months). Timed from the Enter keydown to the first frame after the editor's grid shows the new
 * total (local), and after a viewer's page shows it (remote).
 */
async function measureSpreads(
  browser: Browser,
  base: string,
  planUrl: string,
  users: { viewer: { cookie: string }; sales: { cookie: string } },
): Promise<{ local: number[]; remote: number[]; familyRemote: number[]; familyLocal: number[] }> {
  const editorContext = await newContext(browser, base, users.sales.cookie);
  const viewerContext = await newContext(browser, base, users.viewer.cookie);
  const editor = await openPlan(editorContext, planUrl);
  const viewer = await openPlan(viewerContext, planUrl);
  const months = await editor
    .locator('th[data-column-kind=horizon]')
    .evaluateAll((ths) => ths.map((th) => th.getAttribute('data-column')!));
  const first = months[0]!;
  const quarter = `${first.slice(0, 4)}-Q${Math.floor((Number(first.slice(5, 7)) - 1) / 3) + 1}`;
  const out = { local: [] as number[], remote: [] as number[], familyRemote: [] as number[], familyLocal: [] as number[] };
  for (let run = 0; run < SPREAD_RUNS; run++) {
    // The total row over 18 months.
    await editor.locator('[data-testid=grid-scroller]').evaluate((element) => (element.scrollLeft = 0));
    await viewer.locator('[data-testid=grid-scroller]').evaluate((element) => (element.scrollLeft = 0));
    await editor.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    await editor.locator(`td[data-root=sales][data-key="total|${first}"]`).click();
    for (let i = 1; i < SPREAD_MONTHS; i++) await editor.keyboard.press('Shift+ArrowRight');
    await Promise.all([
      watchCells(editor, 'td[data-root=sales][data-key^="total|"]'),
      watchCells(viewer, 'td[data-root=sales][data-key^="total|"]'),
    ]);
    await watchEnter(editor);
    await editor.keyboard.type(run % 2 === 0 ? '+5%' : '-5%');
    await editor.keyboard.press('Enter');
    const enter = await editor.evaluate(() => window.__enter!);
    out.local.push((await shownAt(editor)) - enter);
    out.remote.push((await shownAt(viewer)) - enter);
    const message = await editor.locator('[data-testid=grid-message]').textContent();
    log(`spread run ${run + 1}: ${message} local ${Math.round(out.local.at(-1)!)} ms, remote ${Math.round(out.remote.at(-1)!)} ms`);

    // A family's quarter: the quarter columns sit right of the months.
    for (const page of [editor, viewer]) {
      await page.locator('[data-testid=grid-scroller]').evaluate((element) => (element.scrollLeft = element.scrollWidth));
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    }
    // The first quarter wholly in view (the earliest ones may sit left of the viewport at the far right).
    const inView = await editor.evaluate(() => {
      const scroller = document.querySelector<HTMLElement>('[data-testid=grid-scroller]')!.getBoundingClientRect();
      const th = [...document.querySelectorAll<HTMLElement>('th[data-column-kind=quarter]')].find((header) => {
        const box = header.getBoundingClientRect();
        return box.left >= scroller.left + 350 && box.right <= scroller.right;
      });
      return th?.dataset.column ?? null;
    });
    const familyCell = `td[data-root=sales][data-key="F0|${inView ?? quarter}"]`;
    await editor.locator(familyCell).click();
    const value = Number(await editor.locator(familyCell).getAttribute('data-value'));
    await Promise.all([watchCells(editor, familyCell), watchCells(viewer, familyCell)]);
    await watchEnter(editor);
    await editor.keyboard.type(String(Math.round(value * (run % 2 === 0 ? 1.02 : 0.98))));
    await editor.keyboard.press('Enter');
    const familyEnter = await editor.evaluate(() => window.__enter!);
    out.familyLocal.push((await shownAt(editor)) - familyEnter);
    out.familyRemote.push((await shownAt(viewer)) - familyEnter);
  }
  await editorContext.close();
  await viewerContext.close();
  return out;
}

/** One run of the reference grid's interactive time, in a fresh context, like Accord's. */
async function referenceInteractive(browser: Browser, reference: ReferenceServer): Promise<number> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  await context.addInitScript(probeReferenceInteractive);
  const page = await context.newPage();
  await page.goto(reference.url);
  await page.waitForFunction(() => window.__interactive !== undefined, undefined, { timeout: 120_000 });
  const time = await page.evaluate(() => window.__interactive!);
  await context.close();
  return time;
}

/** One run of Accord's interactive time, in a fresh context (cold cache, empty IndexedDB). */
async function accordInteractive(browser: Browser, base: string, cookie: string, planUrl: string): Promise<number> {
  const context = await newContext(browser, base, cookie);
  await context.addInitScript(probeInteractive);
  const page = await context.newPage();
  await page.goto(planUrl);
  await page.waitForFunction(() => window.__interactive !== undefined, undefined, { timeout: 120_000 });
  const time = await page.evaluate(() => window.__interactive!);
  await context.close();
  return time;
}

/**
 * The reference grid's remote paint: the benchmark process sends ten edits a second (one per
 * "editor" cell in view, as in the meeting set-up) to the relay, which sends them on to the page;
 * the page sets the cell (`setDataAt`) and a MutationObserver times the first frame after the
 * cell's text changed.
 */
async function openReferencePaint(browser: Browser, reference: ReferenceServer): Promise<PaintRunner<Latencies>> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  await page.goto(reference.url);
  await page.waitForSelector('revogr-data[type=rgRow][col-type=rgCol] .rgCell');
  await page.evaluate(() => {
    window.__paints = [];
    const root = document.querySelector('revo-grid')!;
    new MutationObserver((records) => {
      const values: number[] = [];
      for (const record of records) {
        const text = (record.target instanceof HTMLElement ? record.target : record.target.parentElement)?.textContent ?? '';
        if (/^\d{7}$/.test(text.trim())) values.push(Number(text.trim()));
      }
      if (values.length === 0) return;
      requestAnimationFrame(() => {
        const at = performance.timeOrigin + performance.now();
        for (const value of values) window.__paints!.push({ key: '', value, at });
      });
    }).observe(root, { subtree: true, childList: true, characterData: true });
  });
  // Cells in view: the sales forecast rows of the first SKUs, the second horizon month.
  const run = async (run: number): Promise<Latencies> => {
    await page.evaluate(() => (window.__paints = []));
    const sent = new Map<number, number>();
    await Promise.all(
      Array.from({ length: EDITORS }, async (_, e) => {
        await pause((EDIT_INTERVAL_MS / EDITORS) * e);
        for (let i = 0; i < EDITS_PER_EDITOR; i++) {
          const started = Date.now();
          const value = 1_000_000 + run * 100_000 + e * 1_000 + i;
          sent.set(value, performance.timeOrigin + performance.now());
          reference.send({ row: 1 + e * 2, prop: REFERENCE_EDIT_PROP, value });
          await pause(Math.max(0, EDIT_INTERVAL_MS - (Date.now() - started)));
        }
      }),
    );
    await pause(1_000);
    const paints = await page.evaluate(() => window.__paints!);
    const paintAt = new Map(paints.map((paint) => [paint.value, paint.at]));
    const values = [...sent].flatMap(([value, at]) => (paintAt.has(value) ? [paintAt.get(value)! - at] : []));
    const result = latencies(sent.size, values);
    log(`reference paint run ${run + 1}: ${values.length}/${sent.size} painted, p99 ${round(result.p99)} ms`);
    return result;
  };
  return { run, close: () => context.close() };
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(REPO_ROOT, 'web/build/index.html'))) {
    log('building web/ …');
    const built = spawnSync('pnpm', ['--filter', '@accord/web', 'run', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('web build failed');
  }
  const server = await startServer();
  const browser = await launchChromium();
  let reference: ReferenceServer | undefined;
  try {
    const admin = await signIn(server.url, demoEmail('admin'));
    const sales = await signIn(server.url, demoEmail('sales'));
    const viewer = await signIn(server.url, demoEmail('viewer'));
    const workspaceId = admin.me.memberships[0]!.workspaceId;
    const file = path.join(server.dataDir, 'web-bench-plan.json');
    const plan = buildPlan(SKUS, 'Web bench');
    fs.writeFileSync(file, JSON.stringify(plan));
    const created = await runCli(server.dataDir, ['create-plan', '--workspace', workspaceId, '--from', file]);
    if (created.code !== 0) throw new Error(`create-plan failed: ${created.stderr}`);
    const planUrl = `${server.url}/plans/${created.stdout.trim()}`;
    log(`plan of ${SKUS} SKUs × 36 months created`);
    // The reference grid (RevoGrid), fed the same plan as plain data. Its runs alternate with
    // Accord's, so that both are measured under the same load on this shared machine.
    REFERENCE_EDIT_PROP = addBuckets(HORIZON_START, 1);
    reference = await startReference(plan);

    // 1. Navigation → interactive grid, each run in a fresh context (cold cache, empty IndexedDB).
    const interactive: number[] = [];
    const referenceTimes: number[] = [];
    for (let run = 0; run < INTERACTIVE_RUNS; run++) {
      interactive.push(await accordInteractive(browser, server.url, sales.cookie, planUrl));
      referenceTimes.push(await referenceInteractive(browser, reference));
    }
    log(`interactive: ${interactive.map((v) => Math.round(v)).join(', ')} ms`);
    log(`reference interactive: ${referenceTimes.map((v) => Math.round(v)).join(', ')} ms`);

    // 2. Scroll frame times: the scroller moves one step per frame, down then back up.
    const frames: { median: number; p95: number; max: number }[] = [];
    if (!QUICK) {
      const context = await newContext(browser, server.url, viewer.cookie);
      const page = await openPlan(context, planUrl);
      for (let run = 0; run < SCROLL_RUNS; run++) {
        const deltas = await page.evaluate(
          async ({ steps, stepPx }) => {
            const scroller = document.querySelector<HTMLElement>('[data-testid=grid-scroller]')!;
            scroller.scrollTop = 0;
            const frame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve));
            let last = await frame();
            const out: number[] = [];
            for (let i = 0; i < steps; i++) {
              scroller.scrollTop += i < steps / 2 ? stepPx : -stepPx;
              if (i % 10 === 9) scroller.scrollLeft = scroller.scrollLeft > 0 ? 0 : 600;
              const now = await frame();
              out.push(now - last);
              last = now;
            }
            return out;
          },
          { steps: SCROLL_STEPS, stepPx: SCROLL_STEP_PX },
        );
        frames.push({ median: median(deltas), p95: quantile(deltas, 0.95), max: Math.max(...deltas) });
      }
      await context.close();
    }

    // 3. Remote paint with 10 editors, in two set-ups (see the header and test/bench/README.md); the
    // meeting's runs alternate with the reference grid's.
    const meeting = await openRemotePaint(browser, server.url, planUrl, { viewer, sales }, 'meeting');
    const referenceRunner = await openReferencePaint(browser, reference);
    const [paint, referencePaints] = await alternate(meeting, referenceRunner, PAINT_RUNS);
    await meeting.close();
    await referenceRunner.close();
    const crowded = QUICK
      ? []
      : await runAll(await openRemotePaint(browser, server.url, planUrl, { viewer, sales }, 'crowded'), CROWDED_RUNS);

    // 4. Spreads typed in Chromium: the total over 18 months, a family's quarter.
    const spread = await measureSpreads(browser, server.url, planUrl, { viewer, sales });

    const accordPaintP99 = median(paint.map((r) => r.all.p99));
    const referencePaintP99 = median(referencePaints.map((r) => r.p99));

    const rows: [string, string, string][] = [
      ['grid interactive (ms)', interactive.map((v) => Math.round(v)).join(' / '), String(Math.round(median(interactive)))],
      ['scroll frame median (ms)', frames.map((f) => round(f.median)).join(' / '), String(round(median(frames.map((f) => f.median))))],
      ['scroll frame p95 (ms)', frames.map((f) => round(f.p95)).join(' / '), String(round(median(frames.map((f) => f.p95))))],
      ['scroll frame max (ms)', frames.map((f) => round(f.max)).join(' / '), String(round(median(frames.map((f) => f.max))))],
      ...paintRows('remote paint', paint),
      ...paintRows('  typed in a browser', paint, 'typed'),
      ...paintRows('crowded: 10 editor pages', crowded),
      ['spread total × 18 months: local (ms)', spread.local.map((v) => round(v)).join(' / '), String(round(median(spread.local)))],
      ['spread total × 18 months: remote (ms)', spread.remote.map((v) => round(v)).join(' / '), String(round(median(spread.remote)))],
      ['spread family quarter: local (ms)', spread.familyLocal.map((v) => round(v)).join(' / '), String(round(median(spread.familyLocal)))],
      [
        'spread family quarter: remote (ms)',
        spread.familyRemote.map((v) => round(v)).join(' / '),
        String(round(median(spread.familyRemote))),
      ],
      ['reference grid interactive (ms)', referenceTimes.map((v) => Math.round(v)).join(' / '), String(Math.round(median(referenceTimes)))],
      [
        'reference remote paint p50 (ms)',
        referencePaints.map((r) => round(r.p50)).join(' / '),
        String(round(median(referencePaints.map((r) => r.p50)))),
      ],
      ['reference remote paint p99 (ms)', referencePaints.map((r) => round(r.p99)).join(' / '), String(round(referencePaintP99))],
      ['reference painted/sent', referencePaints.map((r) => `${r.received}/${r.sent}`).join(' / '), ''],
    ];
    const widths = [0, 1, 2].map((c) => Math.max(...rows.map((row) => row[c]!.length), ['measure', 'runs', 'median'][c]!.length));
    const line = (cells: string[]) => `| ${cells.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
    console.log(`\n${SKUS} SKUs × 36 months, ${EDITORS} editors, Chromium headless ${VIEWPORT.width}×${VIEWPORT.height}\n`);
    console.log(line(['measure', 'runs', 'median']));
    console.log(line(widths.map((w) => '-'.repeat(w))));
    for (const row of rows) console.log(line(row));
    console.log('');
    console.log(`METRIC grid_interactive_ms ${Math.round(median(interactive))}`);
    console.log(`METRIC remote_paint_p99_ms ${round(median(paint.map((r) => r.all.p99)))}`);
    if (!QUICK) console.log(`METRIC remote_paint_crowded_p99_ms ${round(median(crowded.map((r) => r.all.p99)))}`);
    console.log(`METRIC spread_local_ms ${round(median(spread.local))}`);
    console.log(`METRIC spread_remote_ms ${round(median(spread.remote))}`);
    console.log(`METRIC spread_family_remote_ms ${round(median(spread.familyRemote))}`);
    console.log(`METRIC reference_interactive_ms ${Math.round(median(referenceTimes))}`);
    console.log(`METRIC reference_paint_p99_ms ${round(referencePaintP99)}`);
    console.log(`METRIC grid_interactive_ratio ${round(median(interactive) / median(referenceTimes), 3)}`);
    console.log(`METRIC remote_paint_ratio ${round(accordPaintP99 / referencePaintP99, 3)}`);
  } finally {
    await reference?.close();
    await browser.close();
    await server.stop();
  }
}

await main();
