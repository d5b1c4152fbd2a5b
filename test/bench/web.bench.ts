// Web benchmark: the built app served by a real server (`--demo`) with a plan of 1,000 SKUs × 36
// months, measured in headless Chromium (playwright-core):
//  1. grid interactive: navigation start → the grid is rendered and a cell accepts a keypress
//     (an editable cell, selected by a mousedown, opens its editor on a typed digit);
//  2. scroll frame times: requestAnimationFrame deltas while the grid scroller moves in steps;
//  3. remote paint: 10 editors each type into their own cell at a steady rate; a viewer's page
//     times each change from the editor's Enter keydown to the next frame after its cell's DOM
//     changed (MutationObserver), both on the shared wall clock `performance.timeOrigin + now()`.
// Prints a table and `METRIC grid_interactive_ms`, `METRIC remote_paint_p99_ms` (targets < 2,000
// and < 100). Run: `pnpm bench:web` (builds web/ first when web/build is missing; ~2 minutes).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildPlan } from './big-plan.ts';
import { REPO_ROOT, runCli, startServer } from '../support/server-process.ts';
import { launchChromium } from '../support/browser.ts';
import { demoEmail, signIn } from '../support/clients.ts';

const SKUS = 1_000;
const INTERACTIVE_RUNS = 5;
const SCROLL_RUNS = 3;
const SCROLL_STEPS = 60;
const SCROLL_STEP_PX = 280;
const EDITORS = 10;
const PAINT_RUNS = 3;
const EDIT_INTERVAL_MS = 1_000;
const EDITS_PER_EDITOR = 8;
const VIEWPORT = { width: 1600, height: 1000 };

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

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(REPO_ROOT, 'web/build/index.html'))) {
    log('building web/ …');
    const built = spawnSync('pnpm', ['--filter', '@accord/web', 'run', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('web build failed');
  }
  const server = await startServer();
  const browser = await launchChromium();
  try {
    const admin = await signIn(server.url, demoEmail('admin'));
    const sales = await signIn(server.url, demoEmail('sales'));
    const viewer = await signIn(server.url, demoEmail('viewer'));
    const workspaceId = admin.me.memberships[0]!.workspaceId;
    const file = path.join(server.dataDir, 'web-bench-plan.json');
    fs.writeFileSync(file, JSON.stringify(buildPlan(SKUS, 'Web bench')));
    const created = await runCli(server.dataDir, ['create-plan', '--workspace', workspaceId, '--from', file]);
    if (created.code !== 0) throw new Error(`create-plan failed: ${created.stderr}`);
    const planUrl = `${server.url}/plans/${created.stdout.trim()}`;
    log(`plan of ${SKUS} SKUs × 36 months created`);

    // 1. Navigation → interactive grid, each run in a fresh context (cold cache, empty IndexedDB).
    const interactive: number[] = [];
    for (let run = 0; run < INTERACTIVE_RUNS; run++) {
      const context = await newContext(browser, server.url, sales.cookie);
      await context.addInitScript(probeInteractive);
      const page = await context.newPage();
      await page.goto(planUrl);
      await page.waitForFunction(() => window.__interactive !== undefined, undefined, { timeout: 120_000 });
      interactive.push(await page.evaluate(() => window.__interactive!));
      await context.close();
    }
    log(`interactive: ${interactive.map((v) => Math.round(v)).join(', ')} ms`);

    // 2. Scroll frame times: the scroller moves one step per frame, down then back up.
    const frames: { median: number; p95: number; max: number }[] = [];
    {
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

    // 3. Remote paint with 10 editors (one sales user, 10 sockets: under the 20 per user).
    const receiverContext = await newContext(browser, server.url, viewer.cookie);
    const receiver = await openPlan(receiverContext, planUrl);
    const editorContexts: BrowserContext[] = [];
    const editors: Page[] = [];
    for (let i = 0; i < EDITORS; i++) {
      const context = await newContext(browser, server.url, sales.cookie);
      editorContexts.push(context);
      editors.push(await openPlan(context, planUrl));
    }
    log(`${EDITORS} editors and a viewer are in the plan`);
    // Cells fully in view (clear of the sticky header and label columns), one per editor.
    const keys = await editors[0]!.evaluate((count) => {
      const scroller = document.querySelector<HTMLElement>('[data-testid=grid-scroller]')!.getBoundingClientRect();
      const head = document.querySelector('thead')!.getBoundingClientRect();
      return [...document.querySelectorAll<HTMLElement>('td[data-root=sales][data-editable=true]')]
        .filter((td) => {
          const box = td.getBoundingClientRect();
          return (
            box.left >= scroller.left + 390 &&
            box.right <= scroller.right - 20 &&
            box.top >= head.bottom &&
            box.bottom <= scroller.bottom - 40
          );
        })
        .map((td) => td.dataset.key!)
        .slice(0, count);
    }, EDITORS);
    if (keys.length < EDITORS) throw new Error(`only ${keys.length} editable cells in view`);
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
    for (const editor of editors) {
      await editor.evaluate(() => {
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
    const paintRuns: { samples: number; received: number; p50: number; p95: number; p99: number; max: number }[] = [];
    for (let run = 0; run < PAINT_RUNS; run++) {
      await receiver.evaluate(() => (window.__paints = []));
      for (const editor of editors) await editor.evaluate(() => (window.__edits = []));
      await Promise.all(
        editors.map(async (editor, e) => {
          const cell = editor.locator(`td[data-root=sales][data-key="${keys[e]}"]`);
          await cell.click();
          await pause((EDIT_INTERVAL_MS / EDITORS) * e); // stagger: a steady stream, not bursts
          for (let i = 0; i < EDITS_PER_EDITOR; i++) {
            const started = Date.now();
            const value = 1_000_000 + run * 100_000 + e * 1_000 + i;
            await editor.keyboard.type(String(value));
            await editor.keyboard.press('Enter');
            await editor.keyboard.press('ArrowUp');
            await pause(Math.max(0, EDIT_INTERVAL_MS - (Date.now() - started)));
          }
        }),
      );
      // Let the last changes arrive before reading the results.
      await pause(1_000);
      const paints = await receiver.evaluate(() => window.__paints!);
      const paintAt = new Map(paints.map((paint) => [paint.value, paint.at]));
      const latencies: number[] = [];
      let sent = 0;
      for (const editor of editors) {
        for (const edit of await editor.evaluate(() => window.__edits!)) {
          sent++;
          const at = paintAt.get(edit.value);
          if (at !== undefined) latencies.push(at - edit.at);
        }
      }
      paintRuns.push({
        samples: sent,
        received: latencies.length,
        p50: quantile(latencies, 0.5),
        p95: quantile(latencies, 0.95),
        p99: quantile(latencies, 0.99),
        max: Math.max(...latencies),
      });
      log(`remote paint run ${run + 1}: ${latencies.length}/${sent} edits painted, p99 ${round(quantile(latencies, 0.99))} ms`);
    }
    for (const context of [receiverContext, ...editorContexts]) await context.close();

    const rows: [string, string, string][] = [
      ['grid interactive (ms)', interactive.map((v) => Math.round(v)).join(' / '), String(Math.round(median(interactive)))],
      ['scroll frame median (ms)', frames.map((f) => round(f.median)).join(' / '), String(round(median(frames.map((f) => f.median))))],
      ['scroll frame p95 (ms)', frames.map((f) => round(f.p95)).join(' / '), String(round(median(frames.map((f) => f.p95))))],
      ['scroll frame max (ms)', frames.map((f) => round(f.max)).join(' / '), String(round(median(frames.map((f) => f.max))))],
      ['remote paint painted/sent', paintRuns.map((r) => `${r.received}/${r.samples}`).join(' / '), ''],
      ['remote paint p50 (ms)', paintRuns.map((r) => round(r.p50)).join(' / '), String(round(median(paintRuns.map((r) => r.p50))))],
      ['remote paint p95 (ms)', paintRuns.map((r) => round(r.p95)).join(' / '), String(round(median(paintRuns.map((r) => r.p95))))],
      ['remote paint p99 (ms)', paintRuns.map((r) => round(r.p99)).join(' / '), String(round(median(paintRuns.map((r) => r.p99))))],
      ['remote paint max (ms)', paintRuns.map((r) => round(r.max)).join(' / '), String(round(median(paintRuns.map((r) => r.max))))],
    ];
    const widths = [0, 1, 2].map((c) => Math.max(...rows.map((row) => row[c]!.length), ['measure', 'runs', 'median'][c]!.length));
    const line = (cells: string[]) => `| ${cells.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
    console.log(`\n${SKUS} SKUs × 36 months, ${EDITORS} editors, Chromium headless ${VIEWPORT.width}×${VIEWPORT.height}\n`);
    console.log(line(['measure', 'runs', 'median']));
    console.log(line(widths.map((w) => '-'.repeat(w))));
    for (const row of rows) console.log(line(row));
    console.log('');
    console.log(`METRIC grid_interactive_ms ${Math.round(median(interactive))}`);
    console.log(`METRIC remote_paint_p99_ms ${round(median(paintRuns.map((r) => r.p99)))}`);
  } finally {
    await browser.close();
    await server.stop();
  }
}

await main();
