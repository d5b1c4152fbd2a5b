import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { DecisionListResponse } from '@accord/protocol';
import { cellOf, serverAndBrowser, signInThroughPage, typeInto } from '../support/browser.ts';

// A loaded 2-core machine: every wait is generous, and conditions are polled, never slept on.
const WAIT = { timeout: 60_000 };

const status = (page: Page) => page.locator('[data-testid=connection-status]');
const rowOf = (page: Page, name: string) => page.locator('[data-testid=scenario-row]', { hasText: name });

describe('scenarios: create, co-edit, compare and merge (Chromium)', () => {
  const env = serverAndBrowser();

  it('lets an executive meeting compare three scenarios and adopt one with its decision', async () => {
    const leader = await (await env.browser.newContext()).newPage();
    const sales = await (await env.browser.newContext()).newPage();
    await signInThroughPage(leader, env.base, 'leader@demo.accord.test');
    await signInThroughPage(sales, env.base, 'sales@demo.accord.test');
    const href = await leader.locator('[data-testid=plan-link]').first().getAttribute('href');
    const planId = href!.split('/').pop()!;

    // The leader frames three trade-offs as scenarios of the live plan.
    await leader.goto(`${env.base}/plans/${planId}/scenarios`);
    await leader.waitForSelector('[data-testid=scenario-create]');
    const names = ['Push promotion', 'Hold inventory', 'Add a shift'];
    for (const [i, name] of names.entries()) {
      await leader.fill('[data-testid=scenario-create] input[name=name]', name);
      await leader.fill('[data-testid=scenario-create] textarea[name=description]', `Trade-off ${i + 1}`);
      await leader.click('[data-testid=scenario-create] button[type=submit]');
      await expect.poll(() => leader.locator('[data-testid=scenario-row]').count(), WAIT).toBe(i + 1);
    }
    const promotionId = await rowOf(leader, 'Push promotion').getAttribute('data-scenario-id');
    expect(promotionId).toBeTruthy();

    // Sales edits a forecast in one scenario through the grid, live like the plan.
    await sales.goto(`${env.base}/plans/${planId}/scenarios/${promotionId}`);
    await sales.waitForSelector('[data-testid=plan-grid]', WAIT);
    await expect.poll(() => status(sales).textContent(), WAIT).toBe('live');
    expect(await sales.locator('[data-testid=scenario-title]').textContent()).toBe('Scenario: Push promotion');
    const key = (await sales
      .locator('tr[data-row-kind=product] td[data-root=sales][data-editable=true]')
      .first()
      .getAttribute('data-key'))!;
    expect(key).toMatch(/\|\d{4}-\d{2}$/);
    const cell = cellOf('sales', key);
    const before = await sales.locator(cell).getAttribute('data-value');
    await typeInto(sales, 'sales', key, '98765');
    await expect.poll(() => sales.locator(cell).getAttribute('data-value'), WAIT).toBe('98765');

    // The live plan does not have it.
    await sales.goto(`${env.base}/plans/${planId}`);
    await sales.waitForSelector('[data-testid=plan-grid]', WAIT);
    await expect.poll(() => status(sales).textContent(), WAIT).toBe('live');
    expect(await sales.locator(cell).getAttribute('data-value')).toBe(before);

    // The leader compares the three scenarios with the base on one screen.
    for (const name of names) await rowOf(leader, name).locator('[data-testid=scenario-pick]').check();
    await leader.click('[data-testid=scenario-compare]');
    await leader.waitForSelector('[data-testid=compare-table]', WAIT);
    await expect.poll(() => leader.locator('[data-testid=compare-version]').count(), WAIT).toBe(4);
    for (const metric of ['revenue', 'margin', 'marginPct', 'fillRate', 'stockOuts', 'inventoryValue', 'capacityOverloads']) {
      const row = leader.locator(`[data-testid=compare-metric][data-metric=${metric}]`);
      expect(await row.locator('td').count()).toBe(4);
      expect(await row.locator('td').first().textContent()).not.toBe('');
    }
    expect(await leader.locator('[data-testid=compare-metric][data-metric=revenue] td[data-value]').count()).toBe(4);
    // Money in the plan's currency (the demo plan's is EUR), counts without it.
    expect(await leader.locator('[data-testid=compare-metric][data-metric=revenue] td').first().textContent()).toMatch(/^€[\d,]+/);
    expect(await leader.locator('[data-testid=compare-metric][data-metric=stockOuts] td').first().textContent()).toMatch(/^[\d,]+/);
    // The edited scenario differs from the live plan in that cell; the others do not differ at all.
    const promotionDiffs = leader.locator(`[data-testid=compare-differences][data-version-id="${promotionId}"]`);
    await expect.poll(() => promotionDiffs.locator('[data-testid=compare-diff-row][data-root=sales]').count(), WAIT).toBe(1);
    expect(await leader.locator('[data-testid=compare-diff-row]').count()).toBe(1);
    expect(await promotionDiffs.locator('[data-testid=compare-diff-row] td').last().textContent()).toMatch(/^[+-]€[\d,]+$/);
    // The breakdown per family lists a line per family for every version.
    await leader.selectOption('[data-testid=compare-breakdown]', 'family');
    await expect.poll(() => leader.locator('[data-testid=compare-breakdown-row]').count(), WAIT).toBeGreaterThan(0);

    // The leader opens the three-way merge of the edited scenario and adopts it with a decision.
    await rowOf(leader, 'Push promotion').locator('[data-testid=scenario-merge]').click();
    await leader.waitForSelector('[data-testid=merge-table]', WAIT);
    const mergeRow = leader.locator(`[data-testid=merge-row][data-root=sales][data-key="${key}"]`);
    await expect.poll(() => mergeRow.count(), WAIT).toBe(1);
    expect(await mergeRow.getAttribute('data-conflict')).toBe('false');
    expect(await mergeRow.locator('[data-testid=merge-scenario]').textContent()).toBe('98,765');
    // The demo types no sales forecast there: base and plan show the statistical forecast that applied.
    expect(await mergeRow.locator('[data-testid=merge-base]').textContent()).toMatch(/^[\d,]+\s*statistical$/);
    expect(await mergeRow.locator('[data-testid=merge-plan] [data-testid=compared-follows]').textContent()).toBe('statistical');
    expect(await leader.locator('[data-testid=merge-conflict]').count()).toBe(0);
    // One change in the row: no row header above it (its own box selects it).
    expect(await leader.locator('[data-testid=merge-row-select]').count()).toBe(0);
    await leader.check('[data-testid=merge-all]');
    await leader.fill('[data-testid=merge-decision-title]', 'Adopt the promotion scenario');
    await leader.fill('[data-testid=merge-decision-rationale]', 'Chosen in the executive meeting');
    await leader.click('[data-testid=merge-submit]');
    const result = leader.locator('[data-testid=merge-result]');
    await expect.poll(() => result.getAttribute('data-merged'), WAIT).toBe('1');
    const decisionId = await result.getAttribute('data-decision-id');

    // The live plan, open in the other context, shows the merged value.
    await expect.poll(() => sales.locator(cell).getAttribute('data-value'), WAIT).toBe('98765');

    // The decision is recorded, linked to the scenario and the merged cell.
    const response = await leader.request.get(`${env.base}/api/plans/${planId}/decisions`);
    expect(response.status()).toBe(200);
    const { decisions } = (await response.json()) as DecisionListResponse;
    const decision = decisions.find((d) => d.id === decisionId);
    expect(decision?.title).toBe('Adopt the promotion scenario');
    expect(decision?.links.scenarioId).toBe(promotionId);
    expect(decision?.links.cells).toContainEqual({ root: 'sales', key });

    // A scenario a decision refers to cannot be deleted: the server's reason is shown.
    await leader.click('[data-testid=scenarios-link]');
    await rowOf(leader, 'Push promotion').locator('[data-testid=scenario-delete]').click();
    await rowOf(leader, 'Push promotion').locator('[data-testid=scenario-delete-confirm]').click();
    await expect.poll(() => leader.locator('[data-testid=scenario-error]').textContent(), WAIT).toContain('archive it instead');
    // Another one can; and archiving moves one to the archived list.
    await rowOf(leader, 'Add a shift').locator('[data-testid=scenario-delete]').click();
    await rowOf(leader, 'Add a shift').locator('[data-testid=scenario-delete-confirm]').click();
    await expect.poll(() => leader.locator('[data-testid=scenario-row]').count(), WAIT).toBe(2);
    await rowOf(leader, 'Hold inventory').locator('[data-testid=scenario-archive]').click();
    await expect.poll(() => leader.locator('[data-testid=scenario-row]').count(), WAIT).toBe(1);
    await leader.selectOption('[data-testid=scenario-status-filter]', 'archived');
    await expect.poll(() => leader.locator('[data-testid=scenario-row][data-status=archived]').count(), WAIT).toBe(1);
  });

  it('shows plan edits made since the fork as conflicts and merges only with a choice for each', async () => {
    const leader = await (await env.browser.newContext()).newPage();
    const sales = await (await env.browser.newContext()).newPage();
    await signInThroughPage(leader, env.base, 'leader@demo.accord.test');
    await signInThroughPage(sales, env.base, 'sales@demo.accord.test');
    const href = await leader.locator('[data-testid=plan-link]').first().getAttribute('href');
    const planId = href!.split('/').pop()!;

    await leader.goto(`${env.base}/plans/${planId}/scenarios`);
    await leader.waitForSelector('[data-testid=scenario-create]');
    await leader.fill('[data-testid=scenario-create] input[name=name]', 'Raise prices');
    await leader.click('[data-testid=scenario-create] button[type=submit]');
    await expect.poll(() => rowOf(leader, 'Raise prices').count(), WAIT).toBe(1);
    const scenarioId = await rowOf(leader, 'Raise prices').getAttribute('data-scenario-id');

    // Sales types one value into the scenario and another into the same cell of the live plan.
    await sales.goto(`${env.base}/plans/${planId}/scenarios/${scenarioId}`);
    await sales.waitForSelector('[data-testid=plan-grid]', WAIT);
    await expect.poll(() => status(sales).textContent(), WAIT).toBe('live');
    const key = (await sales.locator('tr[data-row-kind=product] td[data-root=sales][data-editable=true]').nth(1).getAttribute('data-key'))!;
    const cell = cellOf('sales', key);
    await typeInto(sales, 'sales', key, '11111');
    await expect.poll(() => sales.locator(cell).getAttribute('data-value'), WAIT).toBe('11111');
    await sales.goto(`${env.base}/plans/${planId}`);
    await sales.waitForSelector('[data-testid=plan-grid]', WAIT);
    await expect.poll(() => status(sales).textContent(), WAIT).toBe('live');
    await typeInto(sales, 'sales', key, '22222');
    await expect.poll(() => sales.locator(cell).getAttribute('data-value'), WAIT).toBe('22222');

    // Sales sees the three-way preview read-only.
    await sales.goto(`${env.base}/plans/${planId}/scenarios/${scenarioId}/merge`);
    await sales.waitForSelector('[data-testid=merge-table]', WAIT);
    expect(await sales.locator('[data-testid=merge-readonly]').count()).toBe(1);
    expect(await sales.locator('[data-testid=merge-submit]').count()).toBe(0);

    // The leader sees the conflict with all three values and must choose before merging.
    await rowOf(leader, 'Raise prices').locator('[data-testid=scenario-merge]').click();
    await leader.waitForSelector('[data-testid=merge-table]', WAIT);
    const mergeRow = leader.locator(`[data-testid=merge-row][data-root=sales][data-key="${key}"]`);
    await expect.poll(() => mergeRow.getAttribute('data-conflict'), WAIT).toBe('true');
    expect(await mergeRow.locator('[data-testid=merge-conflict]').count()).toBe(1);
    expect(await mergeRow.locator('[data-testid=merge-plan]').textContent()).toBe('22,222');
    expect(await mergeRow.locator('[data-testid=merge-scenario]').textContent()).toBe('11,111');
    await mergeRow.locator('[data-testid=merge-select]').check();
    expect(await leader.locator('[data-testid=merge-submit]').isDisabled()).toBe(true);
    await mergeRow.locator('[data-testid=merge-resolve-plan]').check();
    await expect.poll(() => leader.locator('[data-testid=merge-submit]').isDisabled(), WAIT).toBe(false);
    await leader.click('[data-testid=merge-submit]');
    const result = leader.locator('[data-testid=merge-result]');
    await expect.poll(() => result.getAttribute('data-merged'), WAIT).toBe('0');
    expect(await result.textContent()).toContain("kept the plan's value in 1");

    // The live plan keeps its own value.
    await sales.goto(`${env.base}/plans/${planId}`);
    await sales.waitForSelector('[data-testid=plan-grid]', WAIT);
    await expect.poll(() => sales.locator(cell).getAttribute('data-value'), WAIT).toBe('22222');

    // Once the cycle's consensus is locked, the merge says so before anyone picks a cell.
    const lock = await leader.request.post(`${env.base}/api/plans/${planId}/snapshots`, {
      data: { name: 'Consensus', closeRemaining: true },
      headers: { origin: env.base },
    });
    expect(lock.status()).toBe(201);
    await leader.goto(`${env.base}/plans/${planId}/scenarios/${scenarioId}/merge`);
    await leader.waitForSelector('[data-testid=merge-table]', WAIT);
    await expect.poll(() => leader.locator('[data-testid=merge-locked]').textContent(), WAIT).toMatch(/consensus of this cycle is locked/);
    await leader.check('[data-testid=merge-all]');
    expect(await leader.locator('[data-testid=merge-submit]').isDisabled()).toBe(true);
  });
});
