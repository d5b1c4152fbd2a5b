import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { CycleResponse, ImportResponse } from '@accord/protocol';
import { makeDataDir, startServer, type ServerProcess } from '../support/server-process.ts';
import { freePort, launchChromium, signInThroughPage } from '../support/browser.ts';
import { demoEmail, firstPlanId, signIn } from '../support/clients.ts';

const WAIT = { timeout: 90_000 };
const testId = (id: string) => `[data-testid=${id}]`;

/** `YYYY-MM` plus n months. */
function addMonths(month: string, n: number): string {
  const [year, m] = month.split('-').map(Number) as [number, number];
  const index = year * 12 + (m - 1) + n;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

const csvFile = (name: string, lines: string[]) => ({ name, mimeType: 'text/csv', buffer: Buffer.from(`${lines.join('\n')}\n`) });

describe('the data page (Chromium)', () => {
  let browser: Browser;
  let server: ServerProcess;
  let base: string;
  let planId: string;
  let lastMonth: string;
  let operations: { cookie: string };

  /** Signs in as a demo role in a fresh context and opens the plan's data page. */
  async function openDataPageAs(role: string): Promise<Page> {
    const page = await (await browser.newContext({ acceptDownloads: false })).newPage();
    await signInThroughPage(page, base, demoEmail(role));
    await page.goto(`${base}/plans/${planId}/data`);
    await page.waitForSelector(testId('import-kind'), WAIT);
    return page;
  }

  /** What a preview of a CSV would change, asked over the REST API (writes nothing). */
  async function previewOverApi(lines: string[]): Promise<ImportResponse> {
    const response = await fetch(`${base}/api/plans/${planId}/imports?kind=actuals&mode=preview`, {
      method: 'POST',
      headers: { cookie: operations.cookie, origin: base, 'content-type': 'text/csv' },
      body: `${lines.join('\n')}\n`,
    });
    expect(response.status).toBe(200);
    return (await response.json()) as ImportResponse;
  }

  beforeAll(async () => {
    const port = await freePort();
    server = await startServer({ dataDir: makeDataDir(), port });
    base = `http://localhost:${port}`;
    operations = await signIn(base, demoEmail('operations'));
    planId = await firstPlanId(base, await signIn(base, demoEmail('operations')));
    const cycle = (await (
      await fetch(`${base}/api/plans/${planId}/cycle`, { headers: { cookie: operations.cookie } })
    ).json()) as CycleResponse;
    lastMonth = addMonths(cycle.cycle, -1);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('previews, commits actuals, recomputes the baseline and changes nothing the second time', async () => {
    const page = await openDataPageAs('operations');
    expect(await page.locator(testId('import-kind')).inputValue()).toBe('actuals');
    const file = csvFile('actuals.csv', [
      'Item code,Period,Units sold,Production,Closing stock',
      `SPA-001,${lastMonth},4321,4400,900`,
      `SPA-002,${lastMonth},2100,2000,450`,
      `SPA-003,${lastMonth},987,1000,300`,
    ]);
    await page.setInputFiles(testId('import-file'), file);

    await page.waitForSelector(`${testId('import-preview')} tbody tr`, WAIT);
    await expect.poll(() => page.locator(testId('import-progress')).getAttribute('data-phase'), WAIT).toBe('done');
    expect(await page.locator(`${testId('import-preview')} tbody tr`).count()).toBe(3);
    expect(await page.locator(`${testId('import-preview')} tbody tr[data-row="2"]`).textContent()).toContain('SPA-001');
    const mapping = page.locator(testId('import-mapping'));
    expect(await mapping.locator('select[data-field=product]').inputValue()).toBe('Item code');
    expect(await mapping.locator('select[data-field=month]').inputValue()).toBe('Period');
    expect(await mapping.locator('select[data-field=sales]').inputValue()).toBe('Units sold');
    expect(await page.locator(testId('import-summary')).getAttribute('data-accepted')).toBe('3');
    expect(await page.locator(testId('import-errors')).count()).toBe(0);

    await page.click(testId('import-commit'));
    const result = page.locator(testId('import-result'));
    await result.waitFor(WAIT);
    expect(Number(await result.getAttribute('data-changed-cells'))).toBeGreaterThan(0);
    expect(await result.getAttribute('data-baseline-started')).toBe('true');
    await expect.poll(() => page.locator(testId('baseline-state')).getAttribute('data-state'), WAIT).toBe('done');
    expect(await page.locator(`${testId('baseline-methods')} li`).count()).toBeGreaterThan(0);

    // Fit details of one product, on demand.
    await page.selectOption(testId('baseline-product'), 'SPA-001');
    await page.click(testId('baseline-fit-show'));
    await expect.poll(() => page.locator(testId('baseline-fit')).getAttribute('data-product-id'), WAIT).toBe('SPA-001');

    // The same file again: the preview would change nothing, and neither does the commit.
    await page.setInputFiles(testId('import-file'), file);
    await expect.poll(() => page.locator(testId('import-progress')).getAttribute('data-phase'), WAIT).toBe('done');
    await expect.poll(() => page.locator(testId('import-summary')).textContent(), WAIT).toContain('would change 0 cells');
    await page.click(testId('import-commit'));
    await expect.poll(() => page.locator(testId('import-result')).getAttribute('data-changed-cells'), WAIT).toBe('0');
    expect(await page.locator(testId('import-result')).getAttribute('data-baseline-started')).toBe('false');
    await page.context().close();
  });

  it('lists the refused rows of a malformed file and commits nothing', async () => {
    const page = await openDataPageAs('operations');
    const valid = `SPA-004,${lastMonth},777`;
    await page.setInputFiles(
      testId('import-file'),
      csvFile('broken.csv', ['SKU,Month,Sales', valid, `SPA-005,${lastMonth},lots`, `NOPE-99,${lastMonth},5`]),
    );
    const errors = page.locator(`${testId('import-errors')} tbody tr[data-testid=import-error-row]`);
    await expect.poll(() => errors.count(), WAIT).toBe(2);
    expect(await errors.nth(0).getAttribute('data-row')).toBe('3');
    expect(await errors.nth(0).getAttribute('data-column')).toBe('Sales');
    expect(await errors.nth(0).textContent()).toContain('not a number');
    expect(await errors.nth(1).getAttribute('data-row')).toBe('4');
    expect(await errors.nth(1).textContent()).toContain('unknown SKU');
    expect(await page.locator(testId('import-refused')).textContent()).toContain('nothing was imported');
    expect(await page.locator(testId('import-commit')).isDisabled()).toBe(true);
    expect(await page.locator(testId('import-result')).count()).toBe(0);
    // Even the valid row was not written: importing it alone would still change its cell.
    expect((await previewOverApi(['SKU,Month,Sales', valid])).changedCells).toBe(1);
    await page.context().close();
  });

  it('maps a column it did not recognise by hand and previews again', async () => {
    const page = await openDataPageAs('operations');
    await page.setInputFiles(testId('import-file'), csvFile('menge.csv', ['Artikel,Monat,Menge', `SPA-006,${lastMonth},640`]));
    // Neither the product, the month nor a quantity column is recognised: the header row is refused.
    await expect.poll(() => page.locator(testId('import-refused')).textContent(), WAIT).toContain('columns do not fit');
    expect(
      await page
        .locator(`${testId('import-errors')} tbody tr`)
        .first()
        .getAttribute('data-row'),
    ).toBe('1');
    const mapping = page.locator(testId('import-mapping'));
    await mapping.locator('select[data-field=product]').selectOption('Artikel');
    await expect.poll(() => page.locator(testId('import-progress')).getAttribute('data-phase'), WAIT).toBe('done');
    await mapping.locator('select[data-field=month]').selectOption('Monat');
    await expect.poll(() => page.locator(testId('import-progress')).getAttribute('data-phase'), WAIT).toBe('done');
    await mapping.locator('select[data-field=sales]').selectOption('Menge');
    await expect.poll(() => page.locator(testId('import-summary')).getAttribute('data-accepted'), WAIT).toBe('1');
    await expect.poll(() => page.locator(testId('import-errors')).count(), WAIT).toBe(0);
    expect(await page.locator(`${testId('import-preview')} tbody tr[data-row="2"]`).textContent()).toContain('640');
    expect(await page.locator(testId('import-commit')).isEnabled()).toBe(true);
    await page.context().close();
  });

  it('shows the KPI table for the chosen range and level', async () => {
    const page = await openDataPageAs('leader');
    const table = page.locator(testId('kpi-table'));
    await table.waitFor(WAIT);
    expect(await table.getAttribute('data-to')).toBe(lastMonth);
    expect(await table.getAttribute('data-from')).toBe(addMonths(lastMonth, -5));

    const from = addMonths(lastMonth, -2);
    await page.fill(testId('kpi-from'), from);
    await page.selectOption(testId('kpi-level'), 'product');
    await expect.poll(() => table.getAttribute('data-level'), WAIT).toBe('product');
    await expect.poll(() => table.getAttribute('data-from'), WAIT).toBe(from);
    await expect.poll(() => table.locator('[data-testid=kpi-row]').count(), WAIT).toBeGreaterThan(10);
    expect(await table.locator('[data-testid=kpi-row][data-row-id="SPA-001"]').count()).toBe(1);
    expect(await page.locator(testId('kpi-buckets')).getAttribute('data-buckets')).toBe(
      [from, addMonths(lastMonth, -1), lastMonth].join(','),
    );

    await page.selectOption(testId('kpi-level'), 'total');
    await expect.poll(() => table.locator('[data-testid=kpi-row]').count(), WAIT).toBe(1);
    expect(await page.locator(`${testId('kpi-chart')} svg g`).count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator(`${testId('kpi-lags')} tbody tr`).count()).toBe(3);
    expect(await page.locator(testId('export-xlsx')).getAttribute('href')).toBe(`/api/plans/${planId}/export.xlsx?version=live`);
    await page.context().close();
  });

  it('does not let a sales planner import actuals', async () => {
    const page = await openDataPageAs('sales');
    expect(await page.locator(`${testId('import-kind')} option[value=actuals]`).isDisabled()).toBe(true);
    await expect.poll(() => page.locator(testId('import-refusal')).textContent(), WAIT).toContain('Importing actuals is for operations');
    expect(await page.locator(testId('import-file')).isDisabled()).toBe(true);
    expect(await page.locator(testId('baseline-recompute')).isDisabled()).toBe(true);
    // The server agrees.
    const sales = await signIn(base, demoEmail('sales'));
    const response = await fetch(`${base}/api/plans/${planId}/imports?kind=actuals&mode=preview`, {
      method: 'POST',
      headers: { cookie: sales.cookie, origin: base, 'content-type': 'text/csv' },
      body: `SKU,Month,Sales\nSPA-001,${lastMonth},1\n`,
    });
    expect(response.status).toBe(403);
    await page.context().close();
  });
});
