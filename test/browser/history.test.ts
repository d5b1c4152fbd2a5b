import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { CycleResponse, MergeScenarioResponse, ScenarioView } from '@accord/protocol';
import { addMonths } from '@accord/plan-calc';
import { setCell } from '@accord/plan-model';
import { cellOf, selectCell, serverAndBrowser, signInThroughPage, typeInto } from '../support/browser.ts';
import { apiCaller, connectPlan, demoEmail, signIn, synced } from '../support/clients.ts';

// A loaded 2-core machine: every wait is generous, and conditions are polled, never slept on.
const WAIT = { timeout: 60_000 };

async function pageAs(browser: Browser, base: string, role: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
  await signInThroughPage(page, base, demoEmail(role));
  return page;
}

async function openPlan(page: Page, base: string, planId: string): Promise<void> {
  await page.goto(`${base}/plans/${planId}`);
  await page.waitForSelector('[data-testid=plan-grid]', WAIT);
  await expect.poll(() => page.locator('[data-testid=connection-status]').textContent(), WAIT).toBe('live');
}

/** Dispatches a paste at the focused element, as Ctrl+V would. */
async function paste(page: Page, text: string): Promise<void> {
  await page.evaluate((text) => {
    const data = new DataTransfer();
    data.setData('text/plain', text);
    (document.activeElement ?? document.body).dispatchEvent(
      new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }),
    );
  }, text);
}

/** The history entries' "who · how" lines, newest first. */
const entries = (page: Page) => page.locator('[data-testid=cell-history-entry] .who').allTextContents();

describe('every number’s history (Chromium)', () => {
  const env = serverAndBrowser();

  it('shows who changed a cell, when, old → new and how: typed, pasted, merged from a scenario, imported', async () => {
    const sales = await pageAs(env.browser, env.base, 'sales');
    const planId = (await sales.locator('[data-testid=plan-link]').first().getAttribute('href'))!.split('/').pop()!;
    const api = apiCaller(env.base);
    const leader = await signIn(env.base, demoEmail('leader'));
    const cycle = (await api<CycleResponse>(leader.cookie, 'GET', `/plans/${planId}/cycle`)).body;
    const key = `SPA-002|${cycle.cycle}`;

    await openPlan(sales, env.base, planId);
    await typeInto(sales, 'sales', key, '6000');
    await expect.poll(() => sales.locator(cellOf('sales', key)).getAttribute('data-value'), WAIT).toBe('6000');
    await selectCell(sales, cellOf('sales', key));
    await paste(sales, '7000');
    await expect.poll(() => sales.locator(cellOf('sales', key)).getAttribute('data-value'), WAIT).toBe('7000');

    // The leader adopts 9,000 from a scenario, tied to a decision.
    const scenario = await api<ScenarioView>(leader.cookie, 'POST', `/plans/${planId}/scenarios`, { name: 'Summer push', from: 'live' });
    const inScenario = connectPlan(env.base, scenario.body.id, (await signIn(env.base, demoEmail('sales'))).cookie);
    await synced(inScenario);
    setCell(inScenario.doc, 'sales', key, 9_000);
    await expect
      .poll(
        async () => (await api<{ cells: unknown[] }>(leader.cookie, 'GET', `/scenarios/${scenario.body.id}/merge`)).body.cells.length,
        WAIT,
      )
      .toBe(1);
    inScenario.destroy();
    const merged = await api<MergeScenarioResponse>(leader.cookie, 'POST', `/scenarios/${scenario.body.id}/merge`, {
      selection: { all: true },
      decision: { title: 'Push sparkling in summer', ownerId: leader.me.user.id, dueDate: '2099-06-30' },
    });
    expect(merged.status).toBe(200);
    await expect.poll(() => sales.locator(cellOf('sales', key)).getAttribute('data-value'), WAIT).toBe('9000');

    // Right-click → the cell's menu → its history, newest first.
    await sales.locator(cellOf('sales', key)).click({ button: 'right' });
    await sales.click('[data-testid=cell-menu-history]');
    const panel = sales.locator('[data-testid=cell-history]');
    await expect.poll(() => panel.getAttribute('data-key'), WAIT).toBe(key);
    expect(await sales.locator('[data-testid=cell-history-label]').textContent()).toContain('Sales forecast');
    await expect
      .poll(() => entries(sales), WAIT)
      .toEqual(['Leila Haddad · scenario merge', 'Sofia Alvarez · pasted', 'Sofia Alvarez · typed']);
    const values = await sales.locator('[data-testid=cell-history-value]').allTextContents();
    expect(values).toEqual(['7,000 → 9,000', '6,000 → 7,000', expect.stringMatching(/→ 6,000$/)]);
    expect(await panel.textContent()).toContain('decision “Push sparkling in summer”');

    // An actuals import, and the history of an actual (Alt+H on the selected cell).
    const month = addMonths(cycle.cycle, -1);
    const operations = await signIn(env.base, demoEmail('operations'));
    const imported = await fetch(`${env.base}/api/plans/${planId}/imports?kind=actuals&mode=commit`, {
      method: 'POST',
      headers: { cookie: operations.cookie, origin: env.base, 'content-type': 'text/csv' },
      body: `SKU,Month,Units sold\nSPA-002,${month},4321`,
    });
    expect(imported.status).toBe(200);
    const actual = cellOf('actuals', `SPA-002|${month}`);
    await expect.poll(() => sales.locator(actual).getAttribute('data-value'), WAIT).toBe('4321');
    await selectCell(sales, actual);
    await sales.keyboard.press('Alt+h');
    await expect.poll(() => panel.getAttribute('data-key'), WAIT).toBe(`SPA-002|${month}`);
    await expect.poll(() => entries(sales), WAIT).toEqual(['Oskar Berg · imported']);
    expect(await panel.textContent()).toContain('Actuals import (CSV, 1 row)');
    await sales.click('[data-testid=cell-history-close]');
    expect(await panel.count()).toBe(0);
    await sales.context().close();
  });

  it('marks the cells others changed since my last visit until I look at them, and lists them to walk through', async () => {
    const operations = await pageAs(env.browser, env.base, 'operations');
    const planId = (await operations.locator('[data-testid=plan-link]').first().getAttribute('href'))!.split('/').pop()!;
    // A first visit: nothing to show yet; leaving records it.
    await openPlan(operations, env.base, planId);
    expect(await operations.locator('[data-testid=changes-since-visit]').count()).toBe(0);
    await operations.goto(`${env.base}/`);
    await expect.poll(() => operations.locator('[data-testid=plan-changes]').first().textContent(), WAIT).toBe('none');

    // Meanwhile sales changes two forecasts.
    const api = apiCaller(env.base);
    const sales = await signIn(env.base, demoEmail('sales'));
    const cycle = (await api<CycleResponse>(sales.cookie, 'GET', `/plans/${planId}/cycle`)).body;
    const keys = [`SPA-004|${cycle.cycle}`, `SPA-004|${addMonths(cycle.cycle, 1)}`];
    const client = connectPlan(env.base, planId, sales.cookie);
    await synced(client);
    setCell(client.doc, 'sales', keys[0]!, 1_111);
    setCell(client.doc, 'sales', keys[1]!, 2_222);
    await operations.reload();
    await expect.poll(() => operations.locator('[data-testid=plan-changes]').first().textContent(), WAIT).toBe('2 cells');
    client.destroy();

    await openPlan(operations, env.base, planId);
    // Bring SPA-004 to the top of the grid (the grid draws only the rows in view).
    await operations.fill('[data-testid=grid-search]', 'SPA-004');
    const count = operations.locator('[data-testid=changes-since-visit]');
    await expect.poll(() => count.getAttribute('data-count'), WAIT).toBe('2');
    for (const key of keys)
      await expect.poll(() => operations.locator(cellOf('sales', key)).getAttribute('data-mark'), WAIT).toBe('changed');
    expect(await operations.locator(cellOf('sales', keys[0]!)).getAttribute('title')).toContain(
      'Changed since your last visit: Sofia Alvarez',
    );

    // The list walks through them: a click selects the cell, and a seen cell loses its mark.
    await count.click();
    const listed = operations.locator('[data-testid=changes-cell]');
    await expect.poll(() => listed.count(), WAIT).toBe(2);
    expect(await operations.locator('[data-testid=changes-list]').textContent()).toContain('Sofia Alvarez');
    await listed.first().click();
    const first = cellOf((await listed.first().getAttribute('data-root')) as string, (await listed.first().getAttribute('data-key'))!);
    await expect.poll(() => operations.locator(first).getAttribute('data-active'), WAIT).toBe('true');
    await expect.poll(() => count.getAttribute('data-count'), WAIT).toBe('1');
    await expect.poll(() => operations.locator(first).getAttribute('data-mark'), WAIT).toBeNull();

    // Marking the rest seen (the list is still open) clears the count, and the next visit starts from now.
    await operations.click('[data-testid=changes-mark-seen]');
    await expect.poll(() => count.count(), WAIT).toBe(0);
    await operations.goto(`${env.base}/`);
    await expect.poll(() => operations.locator('[data-testid=plan-changes]').first().textContent(), WAIT).toBe('none');
    await operations.context().close();
  });

  it('stacks a cell’s history above the comments when both are open, so the grid keeps its width', async () => {
    const context = await env.browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await context.newPage();
    await signInThroughPage(page, env.base, demoEmail('sales'));
    await page.click('[data-testid=plan-link]');
    await page.waitForSelector('[data-testid=plan-grid]');
    await page.click('[data-testid=comments-toggle]');
    await page.waitForSelector('[data-testid=comments-panel]');
    const scroller = page.locator('[data-testid=grid-scroller]');
    const widthWithComments = (await scroller.boundingBox())!.width;
    const key = (await page.locator('tr[data-row-kind=product] td[data-root=sales][data-editable=true]').first().getAttribute('data-key'))!;
    await selectCell(page, cellOf('sales', key));
    await page.keyboard.press('Alt+h');
    await page.waitForSelector('[data-testid=cell-history]');
    const history = (await page.locator('[data-testid=cell-history]').boundingBox())!;
    const comments = (await page.locator('[data-testid=comments-panel]').boundingBox())!;
    expect(Math.abs(history.x - comments.x)).toBeLessThan(2);
    expect(history.y + history.height).toBeLessThanOrEqual(comments.y);
    expect((await scroller.boundingBox())!.width).toBeGreaterThanOrEqual(widthWithComments - 1);
    await context.close();
  });
});
