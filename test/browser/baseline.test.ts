import { describe, expect, it } from 'vitest';
import type { BaselineChangeDetail, BaselineStatus, CycleResponse } from '@accord/protocol';
import { serverAndBrowser, signInThroughPage } from '../support/browser.ts';
import { demoEmail, firstPlanId, signIn } from '../support/clients.ts';

const WAIT = { timeout: 90_000 };
const testId = (id: string) => `[data-testid=${id}]`;
const whole = (value: number | null) => (value === null ? '—' : Math.round(value).toLocaleString('en-US'));

describe('a baseline change in the browser (Chromium)', () => {
  const env = serverAndBrowser();

  it('shows a notice on the plan page after an import re-ran the baseline, and compares and restores the previous values', async () => {
    const { base, browser } = env;
    const operations = await signIn(base, demoEmail('operations'));
    const planId = await firstPlanId(base, operations);
    const get = async <T>(path: string): Promise<T> =>
      (await (await fetch(`${base}/api/plans/${planId}${path}`, { headers: { cookie: operations.cookie } })).json()) as T;

    const page = await (await browser.newContext()).newPage();
    await signInThroughPage(page, base, demoEmail('operations'));
    await page.goto(`${base}/plans/${planId}`);
    await page.waitForSelector('td[data-root]', WAIT);
    // No baseline run has changed anything yet: no notice.
    expect(await page.locator(testId('baseline-notice')).count()).toBe(0);

    // Operations import last month's actuals (a little higher) while the plan is open; the import re-runs the baseline.
    const { cycle } = await get<CycleResponse>('/cycle');
    const [year, month] = cycle.split('-').map(Number) as [number, number];
    const lastMonth = month === 1 ? `${year - 1}-12` : `${year}-${String(month - 1).padStart(2, '0')}`;
    const rows = ['SPA-001', 'SPA-002', 'JUI-001', 'ENE-001'].map((sku, i) => `${sku},${lastMonth},${9000 + 100 * i}`);
    const imported = await fetch(`${base}/api/plans/${planId}/imports?kind=actuals&mode=commit`, {
      method: 'POST',
      headers: { cookie: operations.cookie, origin: base, 'content-type': 'text/csv' },
      body: ['sku,month,sales', ...rows].join('\n'),
    });
    expect(imported.status).toBe(200);
    await expect.poll(async () => (await get<BaselineStatus>('/baseline')).state, WAIT).toBe('done');
    const status = await get<BaselineStatus>('/baseline');
    expect(status.changedCells).toBeGreaterThan(0);

    // The open plan page learns of it without a reload.
    const notice = page.locator(testId('baseline-notice'));
    await notice.waitFor(WAIT);
    expect(await notice.getAttribute('data-change-id')).toBe(status.changeId);
    const text = await page.locator(testId('baseline-notice-text')).textContent();
    expect(text).toMatch(/^Baseline re-run after the import at \d{2}:\d{2} by Oskar Berg: [\d,]+ cells changed in \d+ products\.$/);
    expect(text).toContain(`${status.changedCells.toLocaleString('en-US')} cells`);

    // Compare: the data page opens the change, and each month shows the value before and after.
    await page.click(testId('baseline-notice-compare'));
    const change = page.locator(`${testId('baseline-change')}[data-change-id="${status.changeId}"]`);
    await change.waitFor(WAIT);
    const detail = await get<BaselineChangeDetail>(`/baseline/changes/${status.changeId}`);
    const compared = page.locator(testId('baseline-compare-table'));
    const productId = (await compared.getAttribute('data-product-id'))!;
    expect(productId).toBe(detail.biggestChanges[0]!.productId);
    const cells = detail.cells.filter((cell) => cell.productId === productId).sort((a, b) => (a.bucket < b.bucket ? -1 : 1));
    expect(await compared.locator('tbody tr').count()).toBe(cells.length);
    expect(await compared.locator(testId('compare-before')).allTextContents()).toEqual(cells.map((cell) => whole(cell.previous)));
    expect(await compared.locator(testId('compare-after')).allTextContents()).toEqual(cells.map((cell) => whole(cell.value)));

    // Restore: the previous values are back and the restore is on record, first in the list.
    await page.click(testId('baseline-restore'));
    await page.click(testId('baseline-restore-confirm'));
    await page.locator(`${testId('baseline-change')}[data-kind=restore]`).waitFor(WAIT);
    expect(
      await page
        .locator(`${testId('baseline-changes')} li`)
        .first()
        .textContent(),
    ).toMatch(/Baseline restored at \d{2}:\d{2} by Oskar Berg/);
    const after = await get<{ changes: { kind: string; restored: unknown }[] }>('/baseline/changes');
    expect(after.changes.map((c) => c.kind)).toEqual(['restore', 'run']);
    expect(after.changes[1]!.restored).not.toBeNull();
  });
});
