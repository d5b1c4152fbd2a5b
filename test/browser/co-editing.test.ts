import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { makeDataDir, startServer, type ServerProcess } from '../support/server-process.ts';
import { cellOf, freePort, launchChromium, signInThroughPage, typeInto } from '../support/browser.ts';

const status = (page: Page) => page.locator('[data-testid=connection-status]');

/** Opens the first plan from the home page and waits until it is live. */
async function openFirstPlan(page: Page): Promise<void> {
  await page.click('[data-testid=plan-link]');
  await page.waitForSelector('[data-testid=plan-grid]');
  await expect.poll(() => status(page).textContent()).toBe('live');
}

describe('two planners in one plan (Chromium)', () => {
  let browser: Browser;
  let server: ServerProcess;
  let port: number;
  const dataDir = makeDataDir();

  beforeAll(async () => {
    port = await freePort();
    server = await startServer({ dataDir, port });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('signs in, co-edits live with presence, and keeps the edit across a server restart', async () => {
    const base = `http://localhost:${port}`;
    const sales = await (await browser.newContext()).newPage();
    const operations = await (await browser.newContext()).newPage();

    // A wrong password is refused with the server's message, then the right one gets in.
    await sales.goto(`${base}/sign-in`);
    await sales.fill('input[name=email]', 'sales@demo.accord.test');
    await sales.fill('input[name=password]', 'wrong');
    await sales.click('button[type=submit]');
    await expect.poll(() => sales.locator('[data-testid=sign-in-error]').textContent()).toContain('not right');

    await signInThroughPage(sales, base, 'sales@demo.accord.test');
    await signInThroughPage(operations, base, 'operations@demo.accord.test');
    await openFirstPlan(sales);
    await openFirstPlan(operations);

    // Both see both people in the plan.
    for (const page of [sales, operations]) {
      await expect.poll(() => page.locator('[data-testid=presence-user]').count()).toBe(2);
      await expect.poll(() => page.locator('[data-testid=presence]').textContent()).toContain('Sofia Alvarez');
      await expect.poll(() => page.locator('[data-testid=presence]').textContent()).toContain('Oskar Berg');
    }

    // Sales types a forecast into the first editable sales cell.
    const key = (await sales
      .locator('tr[data-row-kind=product] td[data-root=sales][data-editable=true]')
      .first()
      .getAttribute('data-key'))!;
    expect(key).toMatch(/^[A-Z]{3}-\d{3}\|\d{4}-\d{2}$/);
    const cell = cellOf('sales', key);
    const inventoryCell = cellOf('projectedInventory', key);
    const inventoryBefore = await operations.locator(inventoryCell).textContent();
    await typeInto(sales, 'sales', key, '98765');
    await expect.poll(() => sales.locator(cell).getAttribute('data-value')).toBe('98765');

    // Operations sees it live, cannot edit the sales row, and the computed inventory follows.
    await expect.poll(() => operations.locator(cell).getAttribute('data-value')).toBe('98765');
    expect(await operations.locator(cell).getAttribute('aria-readonly')).toBe('true');
    await expect.poll(() => operations.locator(inventoryCell).textContent()).not.toBe(inventoryBefore);

    // A clean stop: both go offline; after the restart they reconnect by themselves.
    expect(await server.stop()).toBe(0);
    await expect.poll(() => status(operations).textContent()).toBe('offline');
    server = await startServer({ dataDir, port });
    await expect.poll(() => status(operations).textContent(), { timeout: 20_000 }).toBe('live');

    // A fresh load reads the stored plan.
    await sales.reload();
    await sales.waitForSelector('[data-testid=plan-grid]');
    await expect.poll(() => sales.locator(cell).getAttribute('data-value')).toBe('98765');
  });
});
