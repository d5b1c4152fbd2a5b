import { describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { cellOf, selectCell, signInThroughPage, serverAndBrowser, typeInto } from '../support/browser.ts';

const grid = '[data-testid=plan-grid]';
const scroller = '[data-testid=grid-scroller]';
const status = (page: Page) => page.locator('[data-testid=connection-status]').textContent();
const poll = { timeout: 90_000 };

/** Signs in as a demo role in a fresh browser context and opens the first plan until it is live. */
async function openPlanAs(browser: Browser, base: string, role: string): Promise<{ page: Page; context: BrowserContext }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await signInThroughPage(page, base, `${role}@demo.accord.test`);
  await page.click('[data-testid=plan-link]');
  await page.waitForSelector(grid);
  await expect.poll(() => status(page), poll).toBe('live');
  return { page, context };
}

const scrollTopOf = (page: Page) => page.locator(scroller).evaluate((element) => Math.round(element.scrollTop));

describe('meetings: presenting, following and offline edits (Chromium)', () => {
  const env = serverAndBrowser();

  it('shows each other user’s selected cell with their name, following it as it moves', async () => {
    const { page: leader, context: leaderContext } = await openPlanAs(env.browser, env.base, 'leader');
    const { page: sales, context: salesContext } = await openPlanAs(env.browser, env.base, 'sales');
    const salesId = await sales.locator('[data-testid=presence-user][data-self=true]').getAttribute('data-user-id');
    const salesName = (await sales.locator('[data-testid=presence-user][data-self=true]').textContent())!.replace('(you)', '').trim();
    const marks = leader.locator('[data-testid=remote-cursors]');
    // Well inside the test's own timeout, so a failure names the expectation and its last value.
    const markPoll = { timeout: 30_000 };

    // Two cells in view on both pages (same viewport, same plan), named by row id and column index.
    const cells = sales.locator(`${grid} tr[data-row-kind=product] td[data-root=sales][data-editable=true]`);
    // Both attributes in one read: the grid may redraw between two reads (cells are recycled).
    const where = (n: number) => cells.nth(n).evaluate((cell) => `${cell.getAttribute('data-row-id')}:${cell.getAttribute('data-col')}`);
    const [first, second] = [await where(2), await where(5)];
    const cellAt = (at: string) => {
      const [rowId, col] = [at.slice(0, at.lastIndexOf(':')), at.slice(at.lastIndexOf(':') + 1)];
      return `${grid} td[data-row-id="${rowId}"][data-col="${col}"]`;
    };
    await selectCell(sales, cellAt(first));
    await expect.poll(() => marks.getAttribute('data-marks'), markPoll).toBe(`${salesId}@${first}`);
    // The tag names the colleague, then shrinks to their initials so it does not hide the number.
    await expect.poll(() => marks.locator('.mark .full').textContent(), markPoll).toBe(salesName);
    const initials = salesName
      .split(/\s+/)
      .map((word) => word[0])
      .filter((_, i, all) => i === 0 || i === all.length - 1)
      .join('')
      .toUpperCase();
    expect(await marks.locator('.mark .initials').textContent()).toBe(initials);
    await expect.poll(() => marks.locator('.mark .full').evaluate((el) => el.getBoundingClientRect().width), markPoll).toBe(0);
    expect(await marks.locator('.mark .initials').evaluate((el) => el.getBoundingClientRect().width)).toBeGreaterThan(0);
    // The frame sits exactly on the cell.
    const frame = await marks.locator('.mark').boundingBox();
    const cellBox = await leader.locator(cellAt(first)).boundingBox();
    expect(frame).not.toBeNull();
    expect(cellBox).not.toBeNull();
    expect(Math.abs(frame!.x - cellBox!.x)).toBeLessThan(2);
    expect(Math.abs(frame!.y - cellBox!.y)).toBeLessThan(2);

    await selectCell(sales, cellAt(second));
    await expect.poll(() => marks.getAttribute('data-marks'), markPoll).toBe(`${salesId}@${second}`);
    // The leader's own selection is marked on the sales page, never on their own.
    await selectCell(leader, cellAt(first));
    const leaderId = await leader.locator('[data-testid=presence-user][data-self=true]').getAttribute('data-user-id');
    await expect
      .poll(() => sales.locator('[data-testid=remote-cursors]').getAttribute('data-marks'), markPoll)
      .toBe(`${leaderId}@${first}`);
    expect(await marks.getAttribute('data-marks')).toBe(`${salesId}@${second}`);

    await salesContext.close();
    await expect.poll(() => marks.getAttribute('data-marks'), poll).toBe('');
    await leaderContext.close();
  });

  it('lets a follower follow the presenter’s filters, scroll and selection, then break away', async () => {
    const { page: presenter } = await openPlanAs(env.browser, env.base, 'leader');
    const { page: follower } = await openPlanAs(env.browser, env.base, 'operations');
    const leaderId = await presenter.locator('[data-testid=presence-user][data-self=true]').getAttribute('data-user-id');

    // Everyone starts active; nobody presents.
    await expect
      .poll(() => follower.locator(`[data-testid=presence-user][data-user-id="${leaderId}"]`).getAttribute('data-activity'), poll)
      .toBe('active');
    expect(await follower.locator('[data-testid=presenter-banner]').count()).toBe(0);

    await presenter.click('[data-testid=present]');
    await expect.poll(() => presenter.locator('[data-testid=present]').getAttribute('aria-pressed'), poll).toBe('true');
    const banner = follower.locator('[data-testid=presenter-banner]');
    await expect.poll(() => banner.textContent(), poll).toContain('is presenting');
    expect(await banner.getAttribute('data-presenter-id')).toBe(leaderId);
    await expect
      .poll(() => follower.locator(`[data-testid=presence-user][data-user-id="${leaderId}"]`).getAttribute('data-presenting'), poll)
      .toBe('true');

    await follower.click('[data-testid=follow]');
    await expect.poll(() => banner.getAttribute('data-following'), poll).toBe('true');

    // Filters follow: the presenter picks a family.
    await presenter.locator('[data-testid=family-filter]').selectOption({ index: 1 });
    const familyRows = await presenter.locator(grid).getAttribute('data-row-count');
    await expect.poll(() => follower.locator(grid).getAttribute('data-row-count'), poll).toBe(familyRows);
    await expect
      .poll(() => follower.locator('[data-testid=family-filter]').evaluate((select) => (select as HTMLSelectElement).selectedIndex), poll)
      .toBe(1);

    // Scroll follows.
    await presenter.locator(scroller).evaluate((element) => element.scrollTo(0, 300));
    await expect.poll(() => scrollTopOf(presenter), poll).toBe(300);
    await expect.poll(() => scrollTopOf(follower), poll).toBe(300);

    // Selection follows.
    const key = (await presenter.locator('tr[data-row-kind=product] td[data-root=sales]').nth(3).getAttribute('data-key'))!;
    await selectCell(presenter, cellOf('sales', key));
    await expect.poll(() => follower.locator(cellOf('sales', key)).getAttribute('data-active'), poll).toBe('true');
    expect(await banner.getAttribute('data-following')).toBe('true');

    // The follower scrolls on their own: they break away and stay where they are.
    // (Clicking scrolled the presenter's cell into view; the follower moved with it.)
    const followed = await scrollTopOf(follower);
    await follower.locator(scroller).evaluate((element, top) => element.scrollTo(0, top), followed === 40 ? 60 : 40);
    await expect.poll(() => banner.getAttribute('data-following'), poll).toBe('false');
    expect(await banner.locator('[data-testid=follow]').count()).toBe(1);
    await presenter.locator(scroller).evaluate((element) => element.scrollTo(0, 150));
    await expect.poll(() => banner.getAttribute('data-presenter-scroll-top'), poll).toBe('150');
    expect(await scrollTopOf(follower)).toBe(followed === 40 ? 60 : 40);

    // Following again, then "Stop following".
    await follower.click('[data-testid=follow]');
    await expect.poll(() => scrollTopOf(follower), poll).toBe(150);
    await follower.click('[data-testid=stop-following]');
    await expect.poll(() => banner.getAttribute('data-following'), poll).toBe('false');

    // The presenter stops: the banner goes away.
    await presenter.click('[data-testid=present]');
    await expect.poll(() => banner.count(), poll).toBe(0);
  });

  it('keeps an edit made offline, counts it as pending, and delivers it after reconnecting', async () => {
    const { page: sales, context: salesContext } = await openPlanAs(env.browser, env.base, 'sales');
    const { page: other } = await openPlanAs(env.browser, env.base, 'viewer');
    const key = (await sales
      .locator('tr[data-row-kind=product] td[data-root=sales][data-editable=true]')
      .first()
      .getAttribute('data-key'))!;
    const cell = cellOf('sales', key);

    await salesContext.setOffline(true);
    await expect.poll(() => status(sales), poll).toBe('offline');
    await typeInto(sales, 'sales', key, '43210');
    await expect.poll(() => sales.locator(cell).getAttribute('data-value'), poll).toBe('43210');
    const pending = sales.locator('[data-testid=pending-edits]');
    await expect.poll(() => pending.getAttribute('data-count'), poll).toBe('1');
    expect(await pending.textContent()).toContain('1 pending edit');
    expect(await other.locator(cell).getAttribute('data-value')).not.toBe('43210');

    await salesContext.setOffline(false);
    await expect.poll(() => status(sales), poll).toBe('live');
    await expect.poll(() => other.locator(cell).getAttribute('data-value'), poll).toBe('43210');
    await expect.poll(() => pending.count(), poll).toBe(0);
  });

  it('keeps an edit made offline in the browser when the tab is closed, and sends it when the plan is opened again', async () => {
    const { page: sales, context: salesContext } = await openPlanAs(env.browser, env.base, 'sales');
    const { page: other } = await openPlanAs(env.browser, env.base, 'viewer');
    const planUrl = sales.url();
    const store = `accord:doc:${new URL(planUrl).pathname.split('/').pop()}`;
    const storedRows = () =>
      sales.evaluate(async (name) => {
        if (!(await indexedDB.databases()).some((db) => db.name === name)) return -1;
        return new Promise<number>((resolve, reject) => {
          const open = indexedDB.open(name);
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const db = open.result;
            const count = db.transaction('updates').objectStore('updates').count();
            count.onsuccess = () => {
              db.close();
              resolve(count.result);
            };
          };
        });
      }, store);
    const key = (await sales.locator('tr[data-row-kind=product] td[data-root=sales][data-editable=true]').nth(1).getAttribute('data-key'))!;
    const cell = cellOf('sales', key);
    await sales.locator(cell).scrollIntoViewIfNeeded();

    // Going offline opens the store at once; wait until it has written what it was handed.
    await salesContext.setOffline(true);
    await expect.poll(() => status(sales), poll).toBe('offline');
    await expect.poll(storedRows, poll).toBeGreaterThanOrEqual(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = await storedRows();
    await typeInto(sales, 'sales', key, '54321');
    await expect.poll(storedRows, poll).toBeGreaterThan(before);

    // The tab closes with the edit unsent; the plan opened again (online) sends it.
    await sales.close();
    await salesContext.setOffline(false);
    expect(await other.locator(cell).getAttribute('data-value')).not.toBe('54321');
    const again = await salesContext.newPage();
    await again.goto(planUrl);
    await expect.poll(() => other.locator(cell).getAttribute('data-value'), poll).toBe('54321');
    await expect.poll(() => again.locator(cell).getAttribute('data-value'), poll).toBe('54321');
  });
});
