import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ScenarioView } from '@accord/protocol';
import { setCell } from '@accord/plan-model';
import { serverAndBrowser, signInThroughPage } from '../support/browser.ts';
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

/** Editable cells of a layer on SKU rows in view. */
const editable = (page: Page, root: string) => page.locator(`tr[data-row-kind=product] td[data-root=${root}][data-editable=true]`);

describe('the monthly cycle in the browser (Chromium)', () => {
  const env = serverAndBrowser();

  it('closes a stage after a confirmation saying what becomes read-only for whom, and reopens it with a reason everyone sees', async () => {
    const leader = await pageAs(env.browser, env.base, 'leader');
    const sales = await pageAs(env.browser, env.base, 'sales');
    const planId = (await leader.locator('[data-testid=plan-link]').first().getAttribute('href'))!.split('/').pop()!;
    await openPlan(sales, env.base, planId);
    await expect.poll(() => sales.locator('[data-testid=stage-status]').textContent(), WAIT).toContain('Demand review');
    await expect.poll(() => editable(sales, 'sales').count(), WAIT).toBeGreaterThan(0);

    await leader.goto(`${env.base}/plans/${planId}/review`);
    await leader.waitForSelector('[data-testid=cycle-bar][data-stage=demand-review]', WAIT);
    await leader.click('[data-testid=advance-stage]');
    const confirm = leader.locator('[data-testid=close-stage-confirm]');
    await expect
      .poll(() => confirm.textContent(), WAIT)
      .toContain('Demand (sales forecast, marketing) becomes read-only for sales planners.');
    expect(await confirm.textContent()).toContain('Supply review opens.');
    // Nothing closes before the leader confirms.
    expect(await leader.locator('[data-testid=cycle-bar]').getAttribute('data-stage')).toBe('demand-review');
    await leader.click('[data-testid=close-stage-confirm-button]');
    await leader.waitForSelector('[data-testid=cycle-bar][data-stage=supply-review]', WAIT);

    // Sales sees the stage move and the forecast become read-only, without reloading.
    await expect.poll(() => sales.locator('[data-testid=stage-status]').textContent(), WAIT).toContain('Supply review');
    await expect.poll(() => editable(sales, 'sales').count(), WAIT).toBe(0);

    await leader.click('[data-testid=reopen-stage]');
    await leader.fill('input[name=reopen-reason]', 'A late promotion changes the sparkling forecast');
    await leader.click('[data-testid=reopen-stage-submit]');
    await leader.waitForSelector('[data-testid=cycle-bar][data-stage=demand-review]', WAIT);
    await expect
      .poll(() => leader.locator('[data-testid=cycle-reopened]').textContent(), WAIT)
      .toMatch(/Demand review was reopened by Leila Haddad on .*: “A late promotion changes the sparkling forecast”/);
    await expect.poll(() => editable(sales, 'sales').count(), WAIT).toBeGreaterThan(0);
    // The stage in the plan's header says it was reopened, and why.
    await expect
      .poll(() => sales.locator('[data-testid=stage-reopened]').textContent(), WAIT)
      .toBe('reopened: “A late promotion changes the sparkling forecast”');
    // Everyone reads the reason on the cycle bar.
    await sales.goto(`${env.base}/plans/${planId}/review`);
    await expect
      .poll(() => sales.locator('[data-testid=cycle-reopened]').textContent(), WAIT)
      .toContain('A late promotion changes the sparkling forecast');
    expect(await sales.locator('[data-testid=advance-stage]').count()).toBe(0);
    expect(await sales.locator('[data-testid=cycle-earlier-reopenings]').count()).toBe(0);

    // A second close and reopening: the bar leads with the newest and keeps the earlier one.
    await leader.click('[data-testid=advance-stage]');
    await leader.click('[data-testid=close-stage-confirm-button]');
    await leader.waitForSelector('[data-testid=cycle-bar][data-stage=supply-review]', WAIT);
    await leader.click('[data-testid=reopen-stage]');
    await leader.fill('input[name=reopen-reason]', 'A customer moved an order into March');
    await leader.click('[data-testid=reopen-stage-submit]');
    await leader.waitForSelector('[data-testid=cycle-bar][data-stage=demand-review]', WAIT);
    await expect
      .poll(() => leader.locator('[data-testid=cycle-reopened]').textContent(), WAIT)
      .toContain('A customer moved an order into March');
    const earlier = leader.locator('[data-testid=cycle-earlier-reopenings]');
    expect(await earlier.locator('summary').textContent()).toBe('1 earlier reopening in this cycle');
    await earlier.locator('summary').click();
    expect(await earlier.locator('li').allTextContents()).toEqual([
      expect.stringMatching(/^\s*Demand review, by Leila Haddad on .*: “A late promotion changes the sparkling forecast”\s*$/),
    ]);
    await leader.context().close();
    await sales.context().close();
  });

  it('locks at the executive stage: the plan is read-only for everyone and a merge is refused with the reason', async () => {
    const leader = await pageAs(env.browser, env.base, 'leader');
    const planId = (await leader.locator('[data-testid=plan-link]').first().getAttribute('href'))!.split('/').pop()!;

    // A scenario with a production change, waiting to be merged.
    const leaderSession = await signIn(env.base, demoEmail('leader'));
    const api = apiCaller(env.base);
    const scenario = await api<ScenarioView>(leaderSession.cookie, 'POST', `/plans/${planId}/scenarios`, {
      name: 'Late shift',
      from: 'live',
    });
    expect(scenario.status).toBe(201);
    const operations = connectPlan(env.base, scenario.body.id, (await signIn(env.base, demoEmail('operations'))).cookie);
    await synced(operations);
    setCell(operations.doc, 'production', 'SPA-001|2099-01', 4_321);
    await expect
      .poll(
        async () =>
          (await api<{ cells: unknown[] }>(leaderSession.cookie, 'GET', `/scenarios/${scenario.body.id}/merge`)).body.cells.length,
        WAIT,
      )
      .toBe(1);
    operations.destroy();

    // The leader closes the stages up to the executive meeting, one confirmation each, then locks.
    await leader.goto(`${env.base}/plans/${planId}/review`);
    for (const next of ['supply-review', 'pre-sop', 'executive']) {
      await leader.click('[data-testid=advance-stage]');
      await leader.click('[data-testid=close-stage-confirm-button]');
      await leader.waitForSelector(`[data-testid=cycle-bar][data-stage=${next}]`, WAIT);
    }
    expect(await leader.locator('[data-testid=advance-stage]').count()).toBe(0);
    await leader.fill('input[name=snapshot-name]', 'Consensus of the executive meeting');
    await expect.poll(() => leader.locator('[data-testid=lock-snapshot]').textContent(), WAIT).toBe('Lock consensus');
    await leader.click('[data-testid=lock-snapshot]');
    await leader.waitForSelector('[data-testid=cycle-bar][data-stage=locked]', WAIT);
    await expect
      .poll(() => leader.locator('[data-testid=lock-notice]').textContent(), WAIT)
      .toContain('“Consensus of the executive meeting”');
    expect(await leader.locator('[data-testid=roll-cycle]').count()).toBe(1);

    // In the plan, nothing is editable any more, the leader's consensus included; the header says why.
    await openPlan(leader, env.base, planId);
    await expect.poll(() => leader.locator('[data-testid=stage-status]').getAttribute('data-stage'), WAIT).toBe('locked');
    expect(await leader.locator('[data-testid=lock-notice]').textContent()).toMatch(
      /Nothing changes the live plan until a leader starts the next cycle/,
    );
    await expect.poll(() => leader.locator('td[data-editable=true]').count(), WAIT).toBe(0);

    // The merge page says why nothing can be merged before anyone tries, and the server refuses anyway.
    await leader.goto(`${env.base}/plans/${planId}/scenarios/${scenario.body.id}/merge`);
    await leader.waitForSelector('[data-testid=merge-table]', WAIT);
    await leader.check('[data-testid=merge-all]');
    await leader.fill('[data-testid=merge-decision-title]', 'Adopt the late shift');
    await expect
      .poll(() => leader.locator('[data-testid=merge-locked]').textContent(), WAIT)
      .toContain('The consensus of this cycle is locked, so nothing can be merged into the live plan now.');
    expect(await leader.locator('[data-testid=merge-submit]').isDisabled()).toBe(true);
    expect(await leader.locator('[data-testid=lock-notice]').count()).toBe(1);
    const refused = await api<{ error: { message: string } }>(leaderSession.cookie, 'POST', `/scenarios/${scenario.body.id}/merge`, {
      selection: { all: true },
      resolutions: {},
      decision: { title: 'Adopt the late shift', ownerId: leaderSession.me.user.id, dueDate: '2099-01-31' },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('The consensus of this cycle is locked, so a scenario merge cannot change the live plan.');

    // Starting the next cycle opens the plan again.
    await leader.goto(`${env.base}/plans/${planId}/review`);
    await leader.click('[data-testid=roll-cycle]');
    await leader.click('[data-testid=roll-confirm-button]');
    await leader.waitForSelector('[data-testid=cycle-bar][data-stage=data-gathering]', WAIT);
    await leader.context().close();
  });

  it('brings a decision to its owner’s inbox; opening it clears the unread count everywhere', async () => {
    const leader = await pageAs(env.browser, env.base, 'leader');
    const operations = await pageAs(env.browser, env.base, 'operations');
    const planId = (await leader.locator('[data-testid=plan-link]').first().getAttribute('href'))!.split('/').pop()!;
    // Oskar reads everything first, so only the new decision counts.
    await operations.goto(`${env.base}/inbox`);
    await operations.click('[data-testid=inbox-mark-seen]');
    await expect.poll(() => operations.locator('[data-testid=inbox-unread]').textContent(), WAIT).toBe('0 unread');

    await leader.goto(`${env.base}/plans/${planId}/review`);
    await leader.waitForSelector('[data-testid=decision-form]', WAIT);
    await leader.fill('[data-testid=decision-form] input[name=title]', 'Add a Saturday shift on the canning line');
    await leader.selectOption('[data-testid=decision-form] select[name=owner]', { label: 'Oskar Berg (operations)' });
    await leader.fill('[data-testid=decision-form] input[name=due]', '2099-03-01');
    await leader.click('[data-testid=decision-form] button[type=submit]');

    // The header's count and the inbox agree.
    await operations.goto(`${env.base}/`);
    await expect.poll(() => operations.locator('[data-testid=inbox-unread-count]').textContent(), WAIT).toBe('1');
    await expect.poll(() => operations.locator('[data-testid=my-unread]').textContent(), WAIT).toContain('1 unread');
    await operations.goto(`${env.base}/inbox`);
    const item = operations.locator('[data-testid=inbox-item][data-kind=decision-assigned]').first();
    await expect.poll(() => item.getAttribute('data-unread'), WAIT).toBe('true');
    expect(await item.textContent()).toContain('Leila Haddad assigned you “Add a Saturday shift on the canning line”');
    await item.locator('a').click();

    // It opens the decision on the review page, with its history; the unread count is gone everywhere.
    await operations.waitForSelector('[data-testid=decision-log-history]', WAIT);
    expect(new URL(operations.url()).pathname).toBe(`/plans/${planId}/review`);
    expect(await operations.locator('[data-testid=decision-log-history]').textContent()).toContain('Leila Haddad recorded it');
    await expect.poll(() => operations.locator('[data-testid=inbox-unread-count]').count(), WAIT).toBe(0);
    await operations.goto(`${env.base}/inbox`);
    await expect.poll(() => operations.locator('[data-testid=inbox-unread]').textContent(), WAIT).toBe('0 unread');
    await operations.goto(`${env.base}/`);
    await operations.waitForSelector('[data-testid=my-items]', WAIT);
    expect(await operations.locator('[data-testid=my-unread]').count()).toBe(0);
    expect(await operations.locator('[data-testid=my-decision]', { hasText: 'Add a Saturday shift on the canning line' }).count()).toBe(1);
    await leader.context().close();
    await operations.context().close();
  });
});
