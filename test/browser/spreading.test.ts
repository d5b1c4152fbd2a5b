// Planning top-down in the grid (issue #15), with the real server and real Chromium: typing into
// family, total and quarter cells spreads to the SKU months below for everyone, holds survive
// spreads, range fills and "+5%" are one change each, finance edits prices and everyone sees the
// revenue move, and a cell a planner may not edit says why.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { buildPlan } from '../bench/big-plan.ts';
import { cellOf, selectCell, signInThroughPage, serverAndBrowser } from '../support/browser.ts';
import { demoEmail, signIn } from '../support/clients.ts';
import { runCli } from '../support/server-process.ts';

const grid = '[data-testid=plan-grid]';

async function openPlanAs(browser: Browser, base: string, role: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
  await signInThroughPage(page, base, `${role}@demo.accord.test`);
  await page.click('[data-testid=plan-link]');
  await page.waitForSelector(grid);
  await expect.poll(() => page.locator('[data-testid=connection-status]').textContent()).toBe('live');
  return page;
}

async function showLayers(page: Page, layers: string[]): Promise<void> {
  await page.click('[data-testid=layer-menu] summary');
  for (const box of await page.locator('[data-testid=layer-menu] input[data-layer]').all()) {
    const wanted = layers.includes((await box.getAttribute('data-layer')) ?? '');
    if ((await box.isChecked()) !== wanted) await box.click();
  }
  await page.click('[data-testid=layer-menu] summary');
}

/** Scrolls the grid so that the column `columnId` is rendered (columns are virtualised too). */
async function scrollToColumn(page: Page, columnId: string): Promise<void> {
  await page.locator('[data-testid=grid-scroller]').evaluate((scroller, id) => {
    const headers = [...document.querySelectorAll<HTMLElement>('thead th[data-column]')];
    if (headers.some((th) => th.dataset.column === id)) return;
    scroller.scrollLeft = 0;
  }, columnId);
  for (let step = 0; step < 40; step++) {
    const present = await page.locator(`thead th[data-column="${columnId}"]`).count();
    if (present > 0) return;
    await page.locator('[data-testid=grid-scroller]').evaluate((scroller) => (scroller.scrollLeft += 300));
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  }
  throw new Error(`column ${columnId} never came into view`);
}

const numberOf = async (page: Page, root: string, key: string): Promise<number | null> => {
  const value = await page.locator(cellOf(root, key)).getAttribute('data-value', { timeout: 5_000 });
  return value === null ? null : Number(value);
};

/** The horizon months of a quarter column, as the grid's month headers name them. */
function monthsOf(quarter: string): string[] {
  const [year, q] = quarter.split('-Q');
  const first = (Number(q) - 1) * 3 + 1;
  return [0, 1, 2].map((i) => `${year}-${String(first + i).padStart(2, '0')}`);
}

/** Product ids of a family's SKU rows for a layer, in grid order. */
async function skusOf(page: Page, familyPrefix: string, layer: string): Promise<string[]> {
  return page
    .locator(`tr[data-row-kind=product][data-layer=${layer}]`)
    .evaluateAll(
      (rows, prefix) => rows.map((row) => row.getAttribute('data-row-id')!.split(':')[1]!).filter((id) => id.startsWith(prefix)),
      familyPrefix,
    );
}

async function typeAndEnter(page: Page, text: string): Promise<void> {
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

describe('planning top-down in the grid (Chromium, two users)', () => {
  const env = serverAndBrowser();

  it('spreads a family-quarter sales edit to every SKU month for everyone, as one undo step', async () => {
    const sales = await openPlanAs(env.browser, env.base, 'sales');
    const operations = await openPlanAs(env.browser, env.base, 'operations');
    await showLayers(sales, ['sales']);
    await showLayers(operations, ['sales']);
    // The quarter columns sit right of the months: bring the first one into view.
    const firstQuarter = await sales.evaluate(() => {
      const months = [...document.querySelectorAll<HTMLElement>('thead th[data-column-kind=horizon]')].map((th) => th.dataset.column!);
      const [year, month] = months[0]!.split('-').map(Number);
      return `${year}-Q${Math.floor((month! - 1) / 3) + 1}`;
    });
    // The first quarter may be partial (the horizon can start mid-quarter): use the second one.
    const [year, q] = firstQuarter.split('-Q').map(Number);
    const target = q === 4 ? `${year! + 1}-Q1` : `${year}-Q${q! + 1}`;
    const months = monthsOf(target);
    const familyKey = `sparkling|${target}`;
    await scrollToColumn(sales, target);
    const before = (await numberOf(sales, 'sales', familyKey))!;
    expect(before).toBeGreaterThan(0);
    expect(await sales.locator(cellOf('sales', familyKey)).getAttribute('data-editable')).toBe('true');

    const skus = await skusOf(operations, 'SPA-', 'sales');
    expect(skus.length).toBe(8);
    await scrollToColumn(operations, months[0]!);
    const cellsBefore = new Map<string, string>();
    for (const sku of skus)
      for (const month of months.slice(0, 1))
        cellsBefore.set(`${sku}|${month}`, (await operations.locator(cellOf('sales', `${sku}|${month}`)).textContent())!);

    const typed = Math.round(before * 1.1);
    await selectCell(sales, cellOf('sales', familyKey));
    await typeAndEnter(sales, String(typed));
    await expect.poll(() => numberOf(sales, 'sales', familyKey)).toBe(typed);
    await expect.poll(() => sales.locator('[data-testid=grid-message]').textContent()).toMatch(/^Spread over 24 cells by current values/);

    // Operations sees every SKU month of the quarter hold a value, adding up to what sales typed.
    const sumOnOperations = async () => {
      let sum = 0;
      for (const month of months) {
        await scrollToColumn(operations, month);
        for (const sku of skus) sum += (await numberOf(operations, 'sales', `${sku}|${month}`)) ?? NaN;
      }
      return sum;
    };
    await expect.poll(sumOnOperations, { timeout: 20_000 }).toBe(typed);
    await scrollToColumn(operations, months[0]!);
    for (const [key, text] of cellsBefore) expect(await operations.locator(cellOf('sales', key)).textContent()).not.toBe(text);

    // One undo takes the whole spread back, for everyone.
    await sales.keyboard.press('Control+z');
    await expect.poll(() => numberOf(sales, 'sales', familyKey)).toBe(before);
    for (const [key, text] of cellsBefore) await expect.poll(() => operations.locator(cellOf('sales', key)).textContent()).toBe(text);
    for (const page of [sales, operations]) await page.context().close();
  });

  it('leaves a held row alone in a spread, and refuses a spread that holds cannot meet', async () => {
    const sales = await openPlanAs(env.browser, env.base, 'sales');
    const viewer = await openPlanAs(env.browser, env.base, 'viewer');
    await showLayers(sales, ['sales']);
    await showLayers(viewer, ['sales']);
    const month = await sales.locator('th[data-column-kind=horizon]').nth(1).getAttribute('data-column');
    const skus = await skusOf(sales, 'SPA-', 'sales');
    const heldKey = `${skus[0]}|${month}`;
    // Hold the first SKU's whole row.
    await selectCell(sales, cellOf('sales', heldKey));
    await sales.click('[data-testid=hold-rows]');
    await expect.poll(() => viewer.locator(cellOf('sales', heldKey)).getAttribute('data-held')).toBe('all');
    const heldValue = await sales.locator(cellOf('sales', heldKey)).textContent();
    const otherKey = `${skus[1]}|${month}`;
    const otherBefore = await sales.locator(cellOf('sales', otherKey)).textContent();

    const familyKey = `sparkling|${month}`;
    expect(await sales.locator(cellOf('sales', familyKey)).getAttribute('data-held')).toBe('some');
    await selectCell(sales, cellOf('sales', familyKey));
    await typeAndEnter(sales, '+5%');
    await expect.poll(() => sales.locator('[data-testid=grid-message]').textContent()).toContain('1 held cell left alone');
    await expect.poll(() => viewer.locator(cellOf('sales', otherKey)).textContent()).not.toBe(otherBefore);
    expect(await viewer.locator(cellOf('sales', heldKey)).textContent()).toBe(heldValue);

    // Holding everything under the family month, a new total cannot be met: said, and nothing changes.
    await selectCell(sales, cellOf('sales', familyKey));
    await sales.click('[data-testid=hold]');
    await expect.poll(() => sales.locator(cellOf('sales', familyKey)).getAttribute('data-held')).toBe('all');
    const familyBefore = await numberOf(sales, 'sales', familyKey);
    await typeAndEnter(sales, '1');
    await expect
      .poll(() => sales.locator('[data-testid=cell-error]').textContent())
      .toMatch(/Nothing changed: every cell under Sparkling Water · Sales forecast/);
    expect(await numberOf(sales, 'sales', familyKey)).toBe(familyBefore);
    // Release them again for the other tests.
    await selectCell(sales, cellOf('sales', familyKey));
    await sales.click('[data-testid=release-rows]');
    await expect.poll(() => viewer.locator(cellOf('sales', heldKey)).getAttribute('data-held')).toBeNull();
    for (const page of [sales, viewer]) await page.context().close();
  });

  it('fills a range by typing, adjusts it by +5% and fills down, one change each', async () => {
    const sales = await openPlanAs(env.browser, env.base, 'sales');
    const operations = await openPlanAs(env.browser, env.base, 'operations');
    await showLayers(sales, ['sales']);
    await showLayers(operations, ['sales']);
    const months = await sales
      .locator('th[data-column-kind=horizon]')
      .evaluateAll((ths) => ths.slice(0, 3).map((th) => th.getAttribute('data-column')!));
    const skus = (await skusOf(sales, 'JUI-', 'sales')).slice(0, 2);
    const keys = skus.flatMap((sku) => months.map((month) => `${sku}|${month}`));
    await selectCell(sales, cellOf('sales', keys[0]!));
    await sales.locator(cellOf('sales', keys.at(-1)!)).click({ modifiers: ['Shift'] });
    await typeAndEnter(sales, '1000');
    for (const key of keys) await expect.poll(() => numberOf(operations, 'sales', key)).toBe(1000);
    await expect.poll(() => sales.locator('[data-testid=grid-message]').textContent()).toBe('Filled 6 cells.');

    // The selection stays: "+5%" through the selection bar adjusts every cell of it.
    await sales.fill('[data-testid=adjust-input]', '+5%');
    await sales.click('[data-testid=adjust-apply]');
    for (const key of keys) await expect.poll(() => numberOf(operations, 'sales', key)).toBe(1050);
    // Typing "-200" over the range changes each cell by −200.
    await sales.locator(grid).focus();
    await typeAndEnter(sales, '-200');
    for (const key of keys) await expect.poll(() => numberOf(operations, 'sales', key)).toBe(850);

    // Fill down: the first row's values go down the range (Ctrl+D).
    await selectCell(sales, cellOf('sales', keys[0]!));
    await typeAndEnter(sales, '1234');
    await selectCell(sales, cellOf('sales', keys[0]!));
    await sales.locator(cellOf('sales', keys[3]!)).click({ modifiers: ['Shift'] });
    await sales.keyboard.press('Control+d');
    await expect.poll(() => numberOf(operations, 'sales', keys[3]!)).toBe(1234);
    // One undo reverts the fill alone.
    await sales.keyboard.press('Control+z');
    await expect.poll(() => numberOf(operations, 'sales', keys[3]!)).toBe(850);
    expect(await numberOf(operations, 'sales', keys[0]!)).toBe(1234);
    for (const page of [sales, operations]) await page.context().close();
  });

  it('lets finance edit prices at SKU and family level while sales watches revenue move', async () => {
    const finance = await openPlanAs(env.browser, env.base, 'finance');
    const sales = await openPlanAs(env.browser, env.base, 'sales');
    // Finance opens on its own layers: prices, costs, revenue, margin, budget and the gap.
    for (const layer of ['price', 'unitCost', 'revenue', 'margin', 'budget', 'budgetGap']) {
      expect(await finance.locator(`tr[data-layer=${layer}]`).count()).toBeGreaterThan(0);
    }
    expect(await finance.locator('td[data-root=prices][data-editable=true]').count()).toBeGreaterThan(0);
    await showLayers(sales, ['price', 'revenue']);
    expect(await sales.locator('td[data-root=prices][data-editable=true]').count()).toBe(0);
    await showLayers(finance, ['price', 'revenue', 'budget', 'budgetGap']);

    const month = await finance.locator('th[data-column-kind=horizon]').nth(2).getAttribute('data-column');
    const [sku] = await skusOf(finance, 'SPA-', 'price');
    const key = `${sku}|${month}`;
    const revenueBefore = (await numberOf(sales, 'revenue', key))!;
    const priceBefore = (await numberOf(finance, 'prices', key))!;
    await selectCell(finance, cellOf('prices', key));
    await typeAndEnter(finance, String(Math.round(priceBefore * 2 * 100) / 100));
    await expect.poll(() => numberOf(sales, 'revenue', key)).toBeCloseTo(revenueBefore * 2, 0);

    // A family's price is the volume-weighted average; typing +10% scales every SKU by that factor.
    const familyKey = `sparkling|${month}`;
    const familyPrice = (await numberOf(finance, 'prices', familyKey))!;
    const familyRevenue = (await numberOf(sales, 'revenue', familyKey))!;
    await selectCell(finance, cellOf('prices', familyKey));
    await typeAndEnter(finance, '+10%');
    await expect.poll(() => numberOf(finance, 'prices', familyKey)).toBeCloseTo(familyPrice * 1.1, 2);
    await expect.poll(() => numberOf(sales, 'revenue', familyKey)).toBeCloseTo(familyRevenue * 1.1, -1);
    // Budget and the gap to it are on the family rows, live.
    expect(await finance.locator(cellOf('budget', familyKey)).getAttribute('data-editable')).toBe('true');
    expect(await numberOf(finance, 'budgetGap', familyKey)).not.toBeNull();
    for (const page of [finance, sales]) await page.context().close();
  });

  it('explains instead of staying silent: to a viewer, and when the cycle closed the section', async () => {
    const viewer = await openPlanAs(env.browser, env.base, 'viewer');
    // A cell of the first horizon month (history cells explain that they hold actuals).
    const firstKey = async (page: Page, root: string) => {
      const month = await page.locator('th[data-column-kind=horizon]').first().getAttribute('data-column');
      return page.locator(`td[data-root=${root}][data-key$="|${month}"]`).first().getAttribute('data-key');
    };
    await selectCell(viewer, cellOf('sales', (await firstKey(viewer, 'sales'))!));
    await viewer.keyboard.type('5');
    await expect
      .poll(() => viewer.locator('[data-testid=cell-error]').textContent())
      .toBe('The sales forecast is written by sales planners; you are a viewer, so you can read it and comment.');
    expect(await viewer.locator(`${grid} input`).count()).toBe(0);
    await selectCell(viewer, cellOf('demand', (await firstKey(viewer, 'demand'))!));
    await viewer.keyboard.press(' ');
    await expect.poll(() => viewer.locator('[data-testid=cell-error]').textContent()).toMatch(/^Demand is computed/);

    const sales = await openPlanAs(env.browser, env.base, 'sales');
    const leader = await openPlanAs(env.browser, env.base, 'leader');
    const planId = new URL(leader.url()).pathname.split('/').at(-1)!;
    const status = await leader.evaluate(
      (planId) =>
        fetch(`/api/plans/${planId}/cycle/advance`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }).then(
          (r) => r.status,
        ),
      planId,
    );
    expect(status).toBe(200);
    await expect.poll(() => sales.locator('td[data-root=sales][data-editable=true]').count()).toBe(0);
    await selectCell(sales, cellOf('sales', (await firstKey(sales, 'sales'))!));
    await sales.keyboard.type('5');
    await expect
      .poll(() => sales.locator('[data-testid=cell-error]').textContent())
      .toMatch(
        /^The sales forecast closed when the demand review( \(owner [^)]+\))? ended; now at supply review, only leaders change it\.$/,
      );
    for (const page of [viewer, sales, leader]) await page.context().close();
  });

  // Last: it adds a plan, and the tests above open the first plan in the list.
  it('spreads a total over the horizon of a larger plan (drawn before it is written) for everyone, as one undo step', async () => {
    // 60 SKUs × 36 months: 2,160 cells under the total's horizon cell, enough for the session to
    // draw the spread first and write it right after (PlanSession's DRAW_FIRST_CELLS).
    const admin = await signIn(env.base, demoEmail('admin'));
    const file = path.join(env.server.dataDir, 'larger-plan.json');
    fs.writeFileSync(file, JSON.stringify(buildPlan(60, 'Larger plan')));
    const created = await runCli(env.server.dataDir, ['create-plan', '--workspace', admin.me.memberships[0]!.workspaceId, '--from', file]);
    expect(created.code).toBe(0);
    const open = async (role: string) => {
      const page = await (await env.browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
      await signInThroughPage(page, env.base, `${role}@demo.accord.test`);
      await page.goto(`${env.base}/plans/${created.stdout}`);
      await page.waitForSelector(grid);
      await expect.poll(() => page.locator('[data-testid=connection-status]').textContent()).toBe('live');
      await showLayers(page, ['sales']);
      await scrollToColumn(page, 'horizon');
      return page;
    };
    const sales = await open('sales');
    const viewer = await open('viewer');
    const totalKey = 'total|horizon';
    const before = (await numberOf(sales, 'sales', totalKey))!;
    await selectCell(sales, cellOf('sales', totalKey));
    await typeAndEnter(sales, '+5%');
    const after = Math.round(before * 1.05);
    await expect.poll(() => numberOf(sales, 'sales', totalKey)).toBe(after);
    await expect
      .poll(() => sales.locator('[data-testid=grid-message]').textContent())
      .toMatch(/^Spread over 2,160 cells by current values/);
    await expect.poll(() => numberOf(viewer, 'sales', totalKey), { timeout: 20_000 }).toBe(after);
    // One undo takes all 2,160 cells back, for everyone.
    await sales.keyboard.press('Control+z');
    await expect.poll(() => numberOf(sales, 'sales', totalKey)).toBe(before);
    await expect.poll(() => numberOf(viewer, 'sales', totalKey), { timeout: 20_000 }).toBe(before);
    for (const page of [sales, viewer]) await page.context().close();
  });
});
