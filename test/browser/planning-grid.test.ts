import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { cellOf, selectCell, signInThroughPage, serverAndBrowser } from '../support/browser.ts';
import { demoEmail, signIn } from '../support/clients.ts';

const grid = '[data-testid=plan-grid]';

/** Signs in as a demo role in a fresh browser context and opens the first plan until it is live. */
async function openPlanAs(browser: Browser, base: string, role: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signInThroughPage(page, base, `${role}@demo.accord.test`);
  await page.click('[data-testid=plan-link]');
  await page.waitForSelector(grid);
  await expect.poll(() => page.locator('[data-testid=connection-status]').textContent()).toBe('live');
  return page;
}

/** Shows only the given layers through the layer menu. */
async function showLayers(page: Page, layers: string[]): Promise<void> {
  await page.click('[data-testid=layer-menu] summary');
  for (const box of await page.locator('[data-testid=layer-menu] input[data-layer]').all()) {
    const wanted = layers.includes((await box.getAttribute('data-layer')) ?? '');
    if ((await box.isChecked()) !== wanted) await box.click();
  }
  // Escape closes it, as any pop-up.
  await page.keyboard.press('Escape');
  await expect.poll(() => page.locator('[data-testid=layer-menu]').evaluate((menu) => (menu as HTMLDetailsElement).open)).toBe(false);
}

/** Dispatches a clipboard event at the focused element, as Ctrl+V / Ctrl+C would; returns the clipboard text after it. */
async function clipboardEvent(page: Page, type: 'paste' | 'copy', text = ''): Promise<string> {
  return page.evaluate(
    ([type, text]) => {
      const data = new DataTransfer();
      if (text) data.setData('text/plain', text);
      (document.activeElement ?? document.body).dispatchEvent(
        new ClipboardEvent(type, { clipboardData: data, bubbles: true, cancelable: true }),
      );
      return data.getData('text/plain');
    },
    [type, text] as const,
  );
}

const valueOf = (page: Page, root: string, key: string) => page.locator(cellOf(root, key)).getAttribute('data-value');

describe('the planning grid (Chromium)', () => {
  const env = serverAndBrowser();

  it('makes cells read-only by role and renders only the rows in view', async () => {
    const viewer = await openPlanAs(env.browser, env.base, 'viewer');
    expect(await viewer.locator('td[data-root=sales]').count()).toBeGreaterThan(0);
    expect(await viewer.locator('td[data-editable=true]').count()).toBe(0);
    expect(await viewer.locator('td[aria-readonly=true]').count()).toBeGreaterThan(0);
    // The header says what a role edits; a viewer edits nothing.
    expect(await viewer.locator('[data-testid=plan-edits]').count()).toBe(0);
    // Typing on a read-only cell opens no editor.
    await viewer.locator('td[data-root=sales]').nth(8).click();
    await viewer.keyboard.type('5');
    expect(await viewer.locator(`${grid} input`).count()).toBe(0);
    // The value view says what quantities are valued at, and the units view needs no such word.
    await viewer.click('[data-testid=show-value]');
    await expect.poll(() => viewer.locator('[data-testid=value-basis]').textContent()).toBe("at each SKU's price");
    await viewer.click('[data-testid=show-units]');
    await expect.poll(() => viewer.locator('[data-testid=value-basis]').count()).toBe(0);

    // 28 SKUs × 7 layers plus roll-ups, but only a screenful (plus overscan) is in the DOM.
    const rowCount = Number(await viewer.locator(grid).getAttribute('data-row-count'));
    expect(rowCount).toBeGreaterThan(200);
    expect(await viewer.locator(`${grid} tbody tr`).count()).toBeLessThan(80);
    // Rows scrolling in take over the DOM of rows that scrolled out: each must show its own place,
    // id and cells, with no row twice. A cell's key names its row's product (family, resource) and
    // its column's bucket, as the header above it does: the cells of another row would not match.
    const rowsAreConsistent = () =>
      viewer.locator(`${grid} tbody tr`).evaluateAll((rows) => {
        const columns = [...document.querySelectorAll('thead th[data-column]')].map((th) => th.getAttribute('data-column'));
        const ids = rows.map((row) => row.getAttribute('data-row-id'));
        return (
          new Set(ids).size === ids.length &&
          rows.every((row) => {
            const id = row.getAttribute('data-row-id')!;
            const cells = [...row.querySelectorAll('td[data-row-id]')];
            return (
              (row as HTMLElement).style.top === `${(Number(row.getAttribute('aria-rowindex')) - 1) * 28}px` &&
              (id.startsWith('h:') ? cells.length === 0 : cells.length === columns.length) &&
              cells.every(
                (cell, i) =>
                  cell.getAttribute('data-row-id') === id && cell.getAttribute('data-key') === `${id.split(':')[1]}|${columns[i]}`,
              )
            );
          })
        );
      });
    for (const top of [280, 1_120, 2_240, 560]) {
      await viewer.locator('[data-testid=grid-scroller]').evaluate((element, to) => element.scrollTo(0, to), top);
      await expect.poll(() => viewer.locator(`${grid} tr[aria-rowindex="${Math.floor(top / 28) + 1}"]`).count()).toBe(1);
      expect(await rowsAreConsistent()).toBe(true);
    }
    await viewer.locator('[data-testid=grid-scroller]').evaluate((element) => element.scrollTo(0, element.scrollHeight));
    await expect.poll(() => viewer.locator('tr[data-row-kind=resource]').count()).toBeGreaterThan(0);
    expect(await rowsAreConsistent()).toBe(true);
    expect(await viewer.locator('tr[data-row-kind=product][data-row-id^="p:SPA-001:"]').count()).toBe(0);

    // Collapsing a family hides its SKUs (its roll-up stays) and is remembered across a reload.
    await viewer.locator('[data-testid=grid-scroller]').evaluate((element) => element.scrollTo(0, 0));
    const sparkling = viewer.locator('tr[data-family-id=sparkling] [data-testid=family-toggle]');
    await sparkling.click();
    await expect.poll(() => sparkling.getAttribute('aria-expanded')).toBe('false');
    expect(await viewer.locator('tr[data-row-id^="p:SPA-"]').count()).toBe(0);
    expect(await viewer.locator('tr[data-row-id^="f:sparkling:"]').count()).toBeGreaterThan(0);
    await viewer.reload();
    await viewer.waitForSelector(grid);
    await expect
      .poll(() => viewer.locator('tr[data-family-id=sparkling] [data-testid=family-toggle]').getAttribute('aria-expanded'))
      .toBe('false');
    expect(await viewer.locator('tr[data-row-id^="p:SPA-"]').count()).toBe(0);
    // A search shows the matching SKU only, collapsed family or not.
    await viewer.fill('[data-testid=grid-search]', 'spa-002');
    await expect
      .poll(() =>
        viewer
          .locator('tr[data-row-kind=product]')
          .evaluateAll((rows) => [...new Set(rows.map((row) => row.getAttribute('data-row-id')!.split(':')[1]))]),
      )
      .toEqual(['SPA-002']);

    const operations = await openPlanAs(env.browser, env.base, 'operations');
    expect(await operations.locator('td[data-root=sales]').count()).toBeGreaterThan(0);
    expect(await operations.locator('td[data-root=sales][data-editable=true]').count()).toBe(0);
    expect(await operations.locator('td[data-root=production][data-editable=true]').count()).toBeGreaterThan(0);
    expect(await operations.locator('td[data-root=projectedInventory][data-editable=true]').count()).toBe(0);
    const salesCell = operations.locator('td[data-root=sales][aria-readonly=true]').nth(8);
    await salesCell.click();
    await operations.keyboard.type('5');
    expect(await operations.locator(`${grid} input`).count()).toBe(0);
    // Capacity is an operations input; load and utilisation are computed.
    await operations.locator('[data-testid=grid-scroller]').evaluate((element) => element.scrollTo(0, element.scrollHeight));
    await expect.poll(() => operations.locator('td[data-root=capacity][data-editable=true]').count()).toBeGreaterThan(0);
    expect(await operations.locator('td[data-root=utilisation][data-editable=true]').count()).toBe(0);

    const sales = await openPlanAs(env.browser, env.base, 'sales');
    expect(await sales.locator('td[data-root=sales][data-editable=true]').count()).toBeGreaterThan(0);
    expect(await sales.locator('td[data-root=production][data-editable=true]').count()).toBe(0);
    for (const page of [viewer, operations, sales]) await page.context().close();
  });

  it('pastes an Excel range into the sales rows for everyone, recomputes, and undoes it as one step', async () => {
    const sales = await openPlanAs(env.browser, env.base, 'sales');
    const leader = await openPlanAs(env.browser, env.base, 'leader');
    expect(await sales.locator('[data-testid=plan-edits]').textContent()).toBe('edits Sales forecast and Marketing uplift');
    // Only the sales rows, so consecutive grid rows are consecutive SKUs; the leader watches those
    // SKUs' sales, consensus and projected inventory (rows far below the viewport are not rendered).
    await showLayers(sales, ['sales']);
    await showLayers(leader, ['sales', 'consensus', 'projectedInventory']);
    const rowIds = await sales
      .locator('tr[data-row-kind=product][data-layer=sales]')
      .evaluateAll((rows) => rows.slice(0, 3).map((row) => row.getAttribute('data-row-id')));
    const products = rowIds.map((id) => id!.split(':')[1]!);
    const buckets = await sales
      .locator('th[data-column-kind=horizon]')
      .evaluateAll((ths) => ths.slice(0, 3).map((th) => th.getAttribute('data-column')!));
    const keys = (p: number) => buckets.map((bucket) => `${products[p]}|${bucket}`);

    // The row below the paste holds a value that must survive Excel's trailing line break.
    await selectCell(sales, cellOf('sales', keys(2)[0]!));
    await sales.keyboard.type('777');
    await sales.keyboard.press('Enter');
    await expect.poll(() => valueOf(leader, 'sales', keys(2)[0]!)).toBe('777');

    const before = await Promise.all([...keys(0), ...keys(1)].map((key) => valueOf(leader, 'sales', key)));
    const inventoryKey = keys(0)[0]!;
    const inventoryBefore = await valueOf(leader, 'projectedInventory', inventoryKey);

    // A cell that is not a number refuses the whole paste with a visible message.
    await selectCell(sales, cellOf('sales', keys(0)[0]!));
    await clipboardEvent(sales, 'paste', '1\t2\t3\r\n4\tlots\t6\r\n');
    await expect.poll(() => sales.locator('[data-testid=cell-error]').textContent()).toContain('lots');
    expect(await valueOf(sales, 'sales', keys(0)[0]!)).toBe(before[0]);

    await clipboardEvent(sales, 'paste', '1,100\t1,200\t1,300\r\n2100\t2200\t2300\r\n');
    await expect.poll(() => sales.locator('[data-testid=grid-message]').textContent()).toBe('Pasted 6 cells.');
    const pasted = ['1100', '1200', '1300', '2100', '2200', '2300'];
    for (const [i, key] of [...keys(0), ...keys(1)].entries()) {
      await expect.poll(() => valueOf(leader, 'sales', key)).toBe(pasted[i]);
    }
    expect(await valueOf(leader, 'sales', keys(2)[0]!)).toBe('777');
    // Demand changed, so the computed projected inventory of that SKU follows.
    await expect.poll(() => valueOf(leader, 'projectedInventory', inventoryKey)).not.toBe(inventoryBefore);

    // Copy gives the selected (pasted) range back as tab-separated numbers.
    expect(await clipboardEvent(sales, 'copy')).toBe('1100\t1200\t1300\n2100\t2200\t2300');

    // One undo reverts the whole paste, for everyone; redo brings it back.
    await sales.keyboard.press('Control+z');
    for (const [i, key] of [...keys(0), ...keys(1)].entries()) {
      await expect.poll(() => valueOf(leader, 'sales', key)).toBe(before[i]);
    }
    await expect.poll(() => valueOf(leader, 'projectedInventory', inventoryKey)).toBe(inventoryBefore);
    expect(await valueOf(leader, 'sales', keys(2)[0]!)).toBe('777');
    await sales.keyboard.press('Control+Shift+z');
    await expect.poll(() => valueOf(leader, 'sales', keys(1)[2]!)).toBe('2300');

    // Pasting over rows the role may not write skips them and says how many.
    await showLayers(sales, ['sales', 'consensus']);
    await selectCell(sales, cellOf('sales', keys(0)[0]!));
    await clipboardEvent(sales, 'paste', '10\r\n20\r\n');
    await expect
      .poll(() => sales.locator('[data-testid=grid-message]').textContent())
      .toBe('Pasted 1 cell; skipped 1 cell your role may not edit.');
    await expect.poll(() => valueOf(leader, 'sales', keys(0)[0]!)).toBe('10');
    expect(await leader.locator(cellOf('consensus', keys(0)[0]!)).getAttribute('data-value')).toBeNull();

    // Delete clears a selected range (shift+click extends the selection).
    await selectCell(sales, cellOf('sales', keys(0)[0]!));
    await sales.locator(cellOf('sales', keys(0)[2]!)).click({ modifiers: ['Shift'] });
    await sales.keyboard.press('Delete');
    for (const key of keys(0)) await expect.poll(() => valueOf(leader, 'sales', key)).toBeNull();

    for (const page of [sales, leader]) await page.context().close();
  });

  it('reloads the plan with the new permissions when an admin changes the role', async () => {
    const member = await openPlanAs(env.browser, env.base, 'commenter');
    expect(await member.locator('td[data-editable=true]').count()).toBe(0);
    const admin = await signIn(env.base, demoEmail('admin'));
    const workspaceId = admin.me.memberships[0]!.workspaceId;
    const response = await fetch(`${env.base}/api/workspaces/${workspaceId}/members`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', origin: env.base, cookie: admin.cookie },
      body: JSON.stringify({ email: demoEmail('commenter'), role: 'sales' }),
    });
    expect(response.status).toBe(204);
    // The server closes the socket with 4410; the page fetches the new role and reconnects.
    await expect.poll(() => member.locator('[data-testid=access-banner]').textContent()).toContain('role');
    await expect.poll(() => member.locator('[data-testid=plan-role]').textContent()).toBe('sales');
    await expect.poll(() => member.locator('td[data-root=sales][data-editable=true]').count()).toBeGreaterThan(0);
    await expect.poll(() => member.locator('[data-testid=connection-status]').textContent()).toBe('live');
    await member.context().close();
  });

  it('closes the demand rows to sales live when the cycle moves on to supply review', async () => {
    const sales = await openPlanAs(env.browser, env.base, 'sales');
    const leader = await openPlanAs(env.browser, env.base, 'leader');
    expect(await sales.locator('td[data-root=sales][data-editable=true]').count()).toBeGreaterThan(0);
    const planId = new URL(leader.url()).pathname.split('/').at(-1)!;
    const status = await leader.evaluate(
      (planId) =>
        fetch(`/api/plans/${planId}/cycle/advance`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }).then(
          (r) => r.status,
        ),
      planId,
    );
    expect(status).toBe(200);
    // The stage arrives through the document; the grid locks the closed section without a reload,
    // so sales is never refused by the server for typing into it.
    await expect.poll(() => sales.locator('td[data-root=sales][data-editable=true]').count()).toBe(0);
    expect(await sales.locator('tr[data-row-kind=product] td[data-root=sales][aria-readonly=true]').first().getAttribute('title')).toMatch(
      /^Closed at the supply-review stage/,
    );
    expect(await sales.locator('[data-testid=connection-status]').textContent()).toBe('live');
    for (const page of [sales, leader]) await page.context().close();
  });
});
