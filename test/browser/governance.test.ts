import { describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { addMonths } from '@accord/plan-calc';
import { cellOf, selectCell, signInThroughPage, serverAndBrowser, typeInto } from '../support/browser.ts';

const grid = '[data-testid=plan-grid]';
// Generous: a loaded 2-core machine runs the server, Vite's build output and several Chromium pages.
const poll = { timeout: 30_000 };

/** Signs in as a demo role in a fresh browser context. */
async function signInAs(browser: Browser, base: string, role: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInThroughPage(page, base, `${role}@demo.accord.test`);
  return { context, page };
}

/** Opens the first plan from the home page and waits until it is live. */
async function openFirstPlan(page: Page): Promise<string> {
  await page.click('[data-testid=plan-link]');
  await page.waitForSelector(grid);
  await expect.poll(() => page.locator('[data-testid=connection-status]').textContent(), poll).toBe('live');
  return new URL(page.url()).pathname.split('/')[2]!;
}

/** Opens the side panel with comments and decisions. */
async function openPanel(page: Page): Promise<void> {
  await page.click('[data-testid=comments-toggle]');
  await page.waitForSelector('[data-testid=comments-panel]');
}

describe('comments, decisions and snapshots (Chromium)', () => {
  const env = serverAndBrowser();

  it('mentions finance in a cell comment: live thread and mark, inbox entry, link back to the thread, reply', async () => {
    const sales = (await signInAs(env.browser, env.base, 'sales')).page;
    const finance = (await signInAs(env.browser, env.base, 'finance')).page;
    await openFirstPlan(sales);
    await openFirstPlan(finance);
    await openPanel(sales);
    await openPanel(finance);

    // Sales selects a forecast cell in view and comments on it, mentioning Fiona through the suggestions.
    const key = (await sales
      .locator('tr[data-row-kind=product] td[data-root=sales][data-editable=true]')
      .first()
      .getAttribute('data-key'))!;
    await selectCell(sales, cellOf('sales', key));
    await expect.poll(() => sales.locator('[data-testid=new-thread-anchor]').textContent(), poll).toContain('Sales forecast');
    await sales.locator('[data-testid=new-thread-text]').click();
    await sales.keyboard.type('Can we afford this uplift, @Fi');
    const option = sales.locator('[data-testid=mention-option]');
    await expect.poll(() => option.allTextContents(), poll).toEqual(['Fiona Chen']);
    await option.click();
    await sales.keyboard.type('?');
    await sales.click('[data-testid=new-thread-submit]');
    expect(await sales.locator('[data-testid=reload-banner]').count()).toBe(0);

    const thread = (page: Page) => page.locator('[data-testid=comment-thread][data-anchor-type=cell]');
    await expect.poll(() => thread(sales).count(), poll).toBe(1);
    await expect.poll(() => sales.locator(cellOf('sales', key)).getAttribute('data-comments'), poll).toBe('1');

    // Finance sees the thread and the cell's mark without reloading.
    await expect.poll(() => thread(finance).count(), poll).toBe(1);
    await expect.poll(() => thread(finance).textContent(), poll).toContain('@Fiona Chen');
    await expect.poll(() => finance.locator(cellOf('sales', key)).getAttribute('data-comments'), poll).toBe('1');
    const threadId = (await thread(finance).getAttribute('data-thread-id'))!;

    // The mention is unread in finance's inbox; following it opens the plan at the thread and its cell.
    await finance.goto(`${env.base}/inbox`);
    const mention = finance.locator('[data-testid=inbox-item][data-kind=mention]');
    await expect.poll(() => mention.count(), poll).toBe(1);
    expect(await mention.getAttribute('class')).toContain('unread');
    expect(await mention.textContent()).toContain('@Fiona Chen');
    // Where the comment sits, as the grid calls it.
    expect(await mention.locator('[data-testid=inbox-where]').textContent()).toMatch(
      /^on [A-Z]{3}-\d{3} · Sales forecast · [A-Z][a-z]{2} \d{2}$/,
    );
    await expect.poll(() => finance.locator('[data-testid=inbox-unread]').textContent(), poll).toMatch(/^\d+ unread$/);
    const unreadBefore = Number((await finance.locator('[data-testid=inbox-unread]').textContent())!.split(' ')[0]);
    await mention.locator('a').click();
    await finance.waitForSelector(grid);
    expect(new URL(finance.url()).searchParams.get('thread')).toBe(threadId);
    const opened = finance.locator(`[data-testid=comment-thread][data-thread-id="${threadId}"]`);
    await expect.poll(() => opened.getAttribute('data-expanded'), poll).toBe('true');
    await expect.poll(() => finance.locator(cellOf('sales', key)).getAttribute('data-active'), poll).toBe('true');
    // Opening the mention read it: the header's count is one lower (the demo also assigned Fiona a decision).
    const unreadNow = async () =>
      (await finance.locator('[data-testid=inbox-unread-count]').count()) === 0
        ? 0
        : Number(await finance.locator('[data-testid=inbox-unread-count]').textContent());
    await expect.poll(unreadNow, poll).toBe(unreadBefore - 1);

    // Finance replies; sales sees it live, with the author's name.
    await expect.poll(() => finance.locator('[data-testid=connection-status]').textContent(), poll).toBe('live');
    await opened.locator('[data-testid=reply-text]').click();
    await finance.keyboard.type('Margin holds at this price.');
    await opened.locator('[data-testid=reply-submit]').click();
    const salesThread = sales.locator(`[data-testid=comment-thread][data-thread-id="${threadId}"]`);
    await expect.poll(() => salesThread.locator('[data-testid=comment-message]').count(), poll).toBe(2);
    await expect.poll(() => salesThread.textContent(), poll).toContain('Fiona Chen');
    await expect.poll(() => salesThread.textContent(), poll).toContain('Margin holds at this price.');

    // The reply is unread in sales's inbox; opening the thread from the cell's mark in the grid
    // reads it as the inbox link does (the page is loaded again for a fresh count).
    await sales.reload();
    await sales.waitForSelector(grid);
    await expect.poll(() => sales.locator('[data-testid=connection-status]').textContent(), poll).toBe('live');
    const salesUnread = async () =>
      (await sales.locator('[data-testid=inbox-unread-count]').count()) === 0
        ? 0
        : Number(await sales.locator('[data-testid=inbox-unread-count]').textContent());
    await expect.poll(salesUnread, poll).toBeGreaterThan(0);
    const salesBefore = await salesUnread();
    await sales.locator(cellOf('sales', key)).locator('[data-testid=comment-mark]').click();
    await expect.poll(() => sales.locator(`[data-testid=comment-thread][data-thread-id="${threadId}"]`).count(), poll).toBe(1);
    await expect.poll(salesUnread, poll).toBe(salesBefore - 1);
  });

  it('opens a link to a cell off screen (an inbox entry) with that cell in view, beside the side panel it opens', async () => {
    const finance = (await signInAs(env.browser, env.base, 'finance')).page;
    const planId = await openFirstPlan(finance);
    const first = (await finance.locator('tr[data-row-kind=product] td[data-root=sales]').first().getAttribute('data-key'))!;
    const [product, bucket] = first.split('|') as [string, string];
    // Nine months on: past what shows at 1280 px with the panel open.
    const key = `${product}|${addMonths(bucket, 9)}`;
    // As an inbox entry links to a thread on the cell (here one that is gone): the panel opens as the grid loads.
    await finance.goto(`${env.base}/plans/${planId}?thread=gone&cell=${encodeURIComponent(`sales:${key}`)}`);
    await finance.waitForSelector('[data-testid=comments-panel]');
    await finance.waitForSelector(grid);
    const cell = finance.locator(cellOf('sales', key));
    await expect.poll(() => cell.getAttribute('data-active'), poll).toBe('true');
    const inView = async () => {
      const box = await cell.boundingBox();
      const scroller = await finance.locator('[data-testid=grid-scroller]').boundingBox();
      return box !== null && scroller !== null && box.x >= scroller.x && box.x + box.width <= scroller.x + scroller.width + 1;
    };
    await expect.poll(inView, poll).toBe(true);
  });

  it('records a decision from a selected cell in a live session; another planner sees it appear', async () => {
    const leader = (await signInAs(env.browser, env.base, 'leader')).page;
    const operations = (await signInAs(env.browser, env.base, 'operations')).page;
    await openFirstPlan(leader);
    await openFirstPlan(operations);
    await openPanel(leader);
    await openPanel(operations);
    await operations.click('[data-testid=tab-decisions]');
    const title = 'Add a Saturday shift on line A';
    const seen = operations.locator('[data-testid=live-decision]', { hasText: title });
    expect(await seen.count()).toBe(0);

    const key = (await leader.locator('td[data-root=production]').nth(3).getAttribute('data-key'))!;
    await selectCell(leader, cellOf('production', key));
    await leader.click('[data-testid=tab-decisions]');
    await expect.poll(() => leader.locator('[data-testid=decision-link-count]').textContent(), poll).toBe('Links 1 selected cell');
    await leader.fill('input[name=decision-title]', title);
    await leader.selectOption('select[name=decision-owner]', { label: 'Oskar Berg (operations)' });
    await leader.fill('input[name=decision-due]', '2099-01-15');
    await leader.click('[data-testid=record-decision-submit]');

    await expect.poll(() => seen.count(), poll).toBe(1);
    expect(await seen.textContent()).toContain('Oskar Berg');
    // The linked cell reads in planner words (product · month · layer) and still names its key.
    const linked = seen.locator('[data-testid=decision-cell]');
    expect(await linked.getAttribute('data-key')).toBe(key);
    expect(await linked.textContent()).toMatch(/ · [A-Z][a-z]{2} \d{2} · Production$/);
    await expect.poll(() => leader.locator('[data-testid=live-decision]', { hasText: title }).count(), poll).toBe(1);
  });

  it('compares the live plan with the last consensus as it changes, then locks it by closing the remaining stages', async () => {
    const { context, page: review } = await signInAs(env.browser, env.base, 'leader');
    const planId = await openFirstPlan(review);
    await review.goto(`${env.base}/plans/${planId}/review`);
    // The comparison starts from the last consensus (the baseline) to the live plan.
    const baseline = review.locator('[data-testid=snapshot-row]', { hasText: 'baseline' });
    await expect.poll(() => baseline.count(), poll).toBe(1);
    const baselineId = (await baseline.getAttribute('data-snapshot-id'))!;
    await expect.poll(() => review.locator('[data-testid=compare-from]').inputValue(), poll).toBe(baselineId);

    // The leader moves a consensus figure in the plan; the comparison shows it without a reload, by name.
    const plan = await context.newPage();
    await plan.goto(`${env.base}/plans/${planId}`);
    await plan.waitForSelector(grid);
    await expect.poll(() => plan.locator('[data-testid=connection-status]').textContent(), poll).toBe('live');
    const key = (await plan
      .locator('tr[data-row-kind=product] td[data-root=consensus][data-editable=true]')
      .nth(1)
      .getAttribute('data-key'))!;
    const [rowId] = key.split('|') as [string, string];
    // Far above the demand it overrides, so the change tops the comparison (sorted by impact; the
    // change is counted from the demand in effect, not from nothing).
    await typeInto(plan, 'consensus', key, '432100');
    await expect.poll(() => plan.locator(cellOf('consensus', key)).getAttribute('data-value'), poll).toBe('432100');
    const changed = review.locator(`[data-testid=compare-row][data-root=consensus][data-row-id="${rowId}"]`).filter({ hasText: '432,100' });
    await expect.poll(() => changed.count(), { timeout: 45_000 }).toBeGreaterThan(0);
    expect(await changed.first().textContent()).toContain('Consensus demand');
    expect(await changed.first().textContent()).not.toContain(rowId);

    // At demand review, locking first says what it closes, then closes it all and locks.
    await review.fill('input[name=snapshot-name]', 'Consensus under test');
    await review.click('[data-testid=lock-snapshot]');
    await expect.poll(() => review.locator('[data-testid=lock-confirm]').textContent(), poll).toContain('Closes Demand review');
    await review.click('[data-testid=lock-confirm-button]');
    const snapshot = review.locator('[data-testid=snapshot-row]', { hasText: 'Consensus under test' });
    await expect.poll(() => snapshot.count(), poll).toBe(1);
    const snapshotId = (await snapshot.getAttribute('data-snapshot-id'))!;
    await expect.poll(() => review.locator('[data-testid=compare-from]').inputValue(), poll).toBe(snapshotId);
    await expect.poll(() => review.locator('[data-testid=cycle-bar]').getAttribute('data-stage'), poll).toBe('locked');
    // The plan page follows: nothing is editable any more, and it says why.
    await expect.poll(() => plan.locator('td[data-editable=true]').count(), poll).toBe(0);
    await expect.poll(() => plan.locator('[data-testid=lock-notice]').count(), poll).toBe(1);
  });
});
