import { describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { cellOf, selectCell, signInThroughPage, serverAndBrowser, typeInto } from '../support/browser.ts';
import { demoEmail, signIn } from '../support/clients.ts';

const grid = '[data-testid=plan-grid]';
const status = (page: Page) => page.locator('[data-testid=connection-status]').textContent();
// Generous: a loaded 2-core machine runs the server and several Chromium pages.
const poll = { timeout: 30_000 };
// web/src/lib/meeting.ts IDLE_AFTER_MS: no input for a minute makes a participant idle.
const IDLE_AFTER_MS = 60_000;

/**
 * Signs in as a demo role in a fresh browser context and opens the first plan until it is live.
 * `prepare` runs on the context before any page loads (to install a clock or route the socket).
 */
async function openPlanAs(
  browser: Browser,
  base: string,
  role: string,
  prepare?: (context: BrowserContext) => Promise<void>,
): Promise<{ page: Page; context: BrowserContext; planId: string }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await prepare?.(context);
  const page = await context.newPage();
  await signInThroughPage(page, base, demoEmail(role));
  await page.click('[data-testid=plan-link]');
  await page.waitForSelector(grid);
  await expect.poll(() => status(page), poll).toBe('live');
  return { page, context, planId: new URL(page.url()).pathname.split('/')[2]! };
}

/** Types a value into a cell (found again by its key: cells are recycled while the grid scrolls). */

/**
 * Makes the tab look hidden (or visible again) to the page: headless Chromium never hides a tab,
 * so `document.hidden`/`visibilityState` are overridden and `visibilitychange` fired, as a
 * browser does when the user switches tabs.
 */
async function setTabHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((hidden) => {
    if (hidden) {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    } else {
      // The overrides are own properties of `document`; deleting them exposes the real getters.
      delete (document as { hidden?: boolean }).hidden;
      delete (document as { visibilityState?: string }).visibilityState;
    }
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

interface ChartOption {
  labels: string[];
  series: { name: string; data: (number | null)[] }[];
}

/**
 * The option an ECharts instance in the page draws, read with ECharts' own `getInstanceByDom`
 * from the module the page loaded (found among the scripts it fetched); null while the library
 * is not loaded or the element has no chart. A string, so that the test runner does not rewrite
 * the page's dynamic `import()`.
 */
async function chartOption(page: Page, testId: string): Promise<ChartOption | null> {
  return page.evaluate(`(async () => {
    const scripts = performance.getEntriesByType('resource').map((entry) => entry.name).filter((url) => url.endsWith('.js'));
    for (const url of scripts) {
      // Only the chunk that exports getInstanceByDom is imported again: it is already evaluated.
      if (!(await (await fetch(url)).text()).includes('getInstanceByDom')) continue;
      const echarts = await import(url);
      if (typeof echarts.getInstanceByDom !== 'function') continue;
      const element = document.querySelector('[data-testid=${testId}]');
      const chart = element && echarts.getInstanceByDom(element);
      if (!chart) return null;
      const option = chart.getOption();
      return {
        labels: option.xAxis[0].data,
        series: option.series.map((s) => ({ name: s.name, data: s.data })),
      };
    }
    return null;
  })()`);
}

/** Whether the page has loaded the ECharts library at all. */
async function echartsLoaded(page: Page): Promise<boolean> {
  return page.evaluate(`(async () => {
    const scripts = performance.getEntriesByType('resource').map((entry) => entry.name).filter((url) => url.endsWith('.js'));
    for (const url of scripts) if ((await (await fetch(url)).text()).includes('getInstanceByDom')) return true;
    return false;
  })()`);
}

/** The IndexedDB database that holds a plan's offline copy (plan-session.svelte.ts `offlineStoreName`). */
const offlineStoreName = (planId: string) => `accord:doc:${planId}`;

async function offlineCopyExists(page: Page, planId: string): Promise<boolean> {
  return page.evaluate(async (name) => (await indexedDB.databases()).some((database) => database.name === name), offlineStoreName(planId));
}

/**
 * Reads (or, with `value`, writes) one entry of the offline copy's `custom` store, a marker that
 * survives only as long as the database does. Never creates the database.
 */
async function offlineMarker(page: Page, planId: string, value?: string): Promise<string | undefined> {
  return page.evaluate(
    ([name, value]) =>
      new Promise<string | undefined>((resolve, reject) => {
        const request = indexedDB.open(name);
        request.onupgradeneeded = () => request.transaction!.abort();
        request.onerror = () => reject(new Error(`cannot open ${name}: ${request.error?.message}`));
        request.onsuccess = () => {
          const db = request.result;
          const transaction = db.transaction('custom', value === undefined ? 'readonly' : 'readwrite');
          const store = transaction.objectStore('custom');
          const read = value === undefined ? store.get('test-marker') : store.put(value, 'test-marker');
          transaction.oncomplete = () => {
            db.close();
            resolve(value === undefined ? (read.result as string | undefined) : value);
          };
          transaction.onerror = () => {
            db.close();
            reject(new Error(`cannot use ${name}: ${transaction.error?.message}`));
          };
        };
      }),
    [offlineStoreName(planId), value] as const,
  );
}

/** Changes (or with `null` removes) a demo member's role through the admin API, as the admin page does. */
async function setMemberRole(base: string, role: string, newRole: string | null): Promise<void> {
  const admin = await signIn(base, demoEmail('admin'));
  const workspaceId = admin.me.memberships[0]!.workspaceId;
  const headers = { 'content-type': 'application/json', origin: base, cookie: admin.cookie };
  const response =
    newRole === null
      ? await fetch(`${base}/api/workspaces/${workspaceId}/members/${encodeURIComponent(demoEmail(role))}`, { method: 'DELETE', headers })
      : await fetch(`${base}/api/workspaces/${workspaceId}/members`, {
          method: 'PUT',
          headers,
          body: JSON.stringify({ email: demoEmail(role), role: newRole }),
        });
  expect(response.status).toBe(204);
}

describe('meetings: activity, live charts and access changes (Chromium)', () => {
  const env = serverAndBrowser();

  it('shows a participant whose tab is hidden as away, and one without input for a minute as idle', async () => {
    const { page: observer, context: observerContext } = await openPlanAs(env.browser, env.base, 'leader');
    const { page: subject, context: subjectContext } = await openPlanAs(env.browser, env.base, 'operations', (context) =>
      context.clock.install(),
    );
    const subjectId = await subject.locator('[data-testid=presence-user][data-self=true]').getAttribute('data-user-id');
    const chip = observer.locator(`[data-testid=presence-user][data-user-id="${subjectId}"]`);

    await expect.poll(() => chip.getAttribute('data-activity'), poll).toBe('active');
    expect(await chip.locator('[data-testid=presence-activity]').count()).toBe(0);

    // The subject switches to another tab: away for everyone else, back to active on return.
    await setTabHidden(subject, true);
    await expect.poll(() => chip.getAttribute('data-activity'), poll).toBe('away');
    expect(await chip.locator('[data-testid=presence-activity]').textContent()).toBe('away');
    await setTabHidden(subject, false);
    await expect.poll(() => chip.getAttribute('data-activity'), poll).toBe('active');

    // A minute and a bit without input on the subject's page: idle. Moving the mouse: active again.
    await subject.clock.fastForward(IDLE_AFTER_MS + 5_000);
    await expect.poll(() => chip.getAttribute('data-activity'), poll).toBe('idle');
    expect(await chip.locator('[data-testid=presence-activity]').textContent()).toBe('idle');
    await subject.mouse.move(200, 300);
    await subject.mouse.move(220, 320);
    await expect.poll(() => chip.getAttribute('data-activity'), poll).toBe('active');

    for (const context of [observerContext, subjectContext]) await context.close();
  });

  it('opens the charts on the selected SKU and redraws them when another participant edits it', async () => {
    const { page: sales, context: salesContext } = await openPlanAs(env.browser, env.base, 'sales');
    const { page: viewer, context: viewerContext } = await openPlanAs(env.browser, env.base, 'viewer');
    const key = (await sales
      .locator('tr[data-row-kind=product] td[data-root=sales][data-editable=true]')
      .first()
      .getAttribute('data-key'))!;
    const [productId, bucket] = key.split('|') as [string, string];

    // The charts start closed and ECharts is not loaded until they open.
    const charts = viewer.locator('[data-testid=charts]');
    expect(await charts.getAttribute('data-open')).toBe('false');
    expect(await echartsLoaded(viewer)).toBe(false);

    await selectCell(viewer, cellOf('sales', key));
    await viewer.click('[data-testid=charts-toggle]');
    await expect.poll(() => charts.getAttribute('data-subject'), poll).toBe(productId);
    const title = viewer.locator('[data-testid=chart-title]');
    await expect.poll(() => title.getAttribute('data-kind'), poll).toBe('product');
    expect(await title.textContent()).toContain(`(${productId})`);

    // The demand chart draws this SKU's layers, actuals and capacity; the sales layer matches the grid.
    await expect
      .poll(async () => (await chartOption(viewer, 'chart-demand'))?.series.map((s) => s.name), poll)
      .toEqual(['Statistical', 'Sales', 'Consensus', 'Demand (resolved)', 'Actuals', 'Capacity (units)']);
    const before = (await chartOption(viewer, 'chart-demand'))!;
    const index = before.labels.indexOf(bucket);
    expect(index).toBeGreaterThan(0);
    const gridValue = await viewer.locator(cellOf('sales', key)).getAttribute('data-value');
    const salesSeries = (option: ChartOption | null) => option?.series.find((s) => s.name === 'Sales')?.data;
    expect(salesSeries(before)![index]).toBe(gridValue === null ? null : Number(gridValue));
    const resolvedBefore = before.series.find((s) => s.name === 'Demand (resolved)')!.data;
    const inventoryBefore = (await chartOption(viewer, 'chart-inventory'))!.series.find((s) => s.name === 'Projected inventory')!.data;

    // Sales edits the cell: the viewer's charts follow without any action of theirs.
    await typeInto(sales, 'sales', key, '98765');
    await expect.poll(async () => salesSeries(await chartOption(viewer, 'chart-demand'))?.[index], poll).toBe(98765);
    const after = (await chartOption(viewer, 'chart-demand'))!;
    expect(after.series.find((s) => s.name === 'Demand (resolved)')!.data).not.toEqual(resolvedBefore);
    await expect
      .poll(async () => (await chartOption(viewer, 'chart-inventory'))?.series.find((s) => s.name === 'Projected inventory')?.data, poll)
      .not.toEqual(inventoryBefore);

    for (const context of [salesContext, viewerContext]) await context.close();
  });

  it('clears the offline copy and explains the reload when the role changes; accepted and newly allowed edits stay', async () => {
    const { page: member, context: memberContext, planId } = await openPlanAs(env.browser, env.base, 'sales');
    const { page: leader, context: leaderContext } = await openPlanAs(env.browser, env.base, 'leader');
    const key = (await member
      .locator('tr[data-row-kind=product] td[data-root=sales][data-editable=true]')
      .nth(1)
      .getAttribute('data-key'))!;

    // An edit made while the member is still in sales reaches the server.
    await typeInto(member, 'sales', key, '24680');
    await expect.poll(() => leader.locator(cellOf('sales', key)).getAttribute('data-value'), poll).toBe('24680');

    // A marker in the offline copy tells whether the database is deleted or merely reused.
    await expect.poll(() => offlineCopyExists(member, planId), poll).toBe(true);
    await offlineMarker(member, planId, 'before the role change');
    expect(await offlineMarker(member, planId)).toBe('before the role change');

    // The admin makes the member a commenter: the server closes their socket with 4410.
    await setMemberRole(env.base, 'sales', 'commenter');
    await expect.poll(() => member.locator('[data-testid=access-banner]').textContent(), poll).toContain('role in this workspace changed');
    await expect.poll(() => member.locator('[data-testid=plan-role]').textContent(), poll).toBe('commenter');
    await expect.poll(() => status(member), poll).toBe('live');
    expect(await member.locator('td[data-editable=true]').count()).toBe(0);

    // The offline copy was deleted (the new session made a fresh one), and the edit is still there.
    await expect.poll(() => offlineCopyExists(member, planId), poll).toBe(true);
    await expect.poll(() => offlineMarker(member, planId), poll).toBeUndefined();
    await expect.poll(() => member.locator(cellOf('sales', key)).getAttribute('data-value'), poll).toBe('24680');

    // What the new role still allows goes through: a comment on the plan reaches the leader.
    await member.click('[data-testid=comments-toggle]');
    await member.click('[data-testid=new-thread-plan]');
    await member.locator('[data-testid=new-thread-text]').click();
    await member.keyboard.type('Demand is with the commenters now.');
    await member.click('[data-testid=new-thread-submit]');
    await leader.click('[data-testid=comments-toggle]');
    const thread = leader.locator('[data-testid=comment-thread]', { hasText: 'Demand is with the commenters now.' });
    await expect.poll(() => thread.count(), poll).toBe(1);
    expect(await member.locator('[data-testid=reload-banner]').count()).toBe(0);

    for (const context of [memberContext, leaderContext]) await context.close();
  });

  it('deletes the offline copy and closes the plan when the member is removed from the workspace', async () => {
    const { page: member, context: memberContext, planId } = await openPlanAs(env.browser, env.base, 'finance');
    await expect.poll(() => offlineCopyExists(member, planId), poll).toBe(true);

    await setMemberRole(env.base, 'finance', null);
    await expect.poll(() => offlineCopyExists(member, planId), poll).toBe(false);
    await expect.poll(() => member.locator('[data-testid=access-banner]').textContent(), poll).toBeTruthy();
    await expect.poll(() => member.locator('main').textContent(), poll).toContain('not found');
    expect(await member.locator(grid).count()).toBe(0);

    await memberContext.close();
  });

  // On 4410 the session throws its copy away; what the copy held that the server never received
  // is offered again after the reload, as far as the new role allows (web/src/lib/unsent.ts).
  it('keeps a comment the new role still allows that was on its way to the server when the role changed', async () => {
    // The member's frames to the server are dropped on the socket that is open when the comment is
    // written (`cut`): what a slow link does to the frames sent just before the server closes it.
    // The socket the page opens after the reload is not touched, whenever it opens.
    let latest: WebSocketRoute | undefined;
    const cut = new Set<WebSocketRoute>();
    const { page: member, context: memberContext } = await openPlanAs(env.browser, env.base, 'operations', (context) =>
      context.routeWebSocket(/\/sync\//, (socket) => {
        latest = socket;
        const server = socket.connectToServer();
        socket.onMessage((message) => {
          if (!cut.has(socket)) server.send(message);
        });
      }),
    );
    const { page: leader, context: leaderContext } = await openPlanAs(env.browser, env.base, 'leader');
    await leader.click('[data-testid=comments-toggle]');
    await member.click('[data-testid=comments-toggle]');

    cut.add(latest!);
    const text = 'Written as the role changed.';
    await member.click('[data-testid=new-thread-plan]');
    await member.locator('[data-testid=new-thread-text]').click();
    await member.keyboard.type(text);
    await member.click('[data-testid=new-thread-submit]');
    await expect.poll(() => member.locator('[data-testid=comment-thread]', { hasText: text }).count(), poll).toBe(1);

    // Operations becomes commenter: still allowed to comment. The server closes the socket with 4410.
    await setMemberRole(env.base, 'operations', 'commenter');
    await expect.poll(() => member.locator('[data-testid=plan-role]').textContent(), poll).toBe('commenter');
    await expect.poll(() => status(member), poll).toBe('live');
    // Both are live and synced: a comment that survived arrives well within a few seconds.
    const quick = { timeout: 5_000 };
    await expect.poll(() => leader.locator('[data-testid=comment-thread]', { hasText: text }).count(), quick).toBe(1);
    expect(await member.locator('[data-testid=comment-thread]', { hasText: text }).count()).toBe(1);

    for (const context of [memberContext, leaderContext]) await context.close();
  });

  // A removed member's reload finds no plan: the banner says why rather than speaking of a new role.
  it('tells a removed member that they no longer have access to the plan', async () => {
    const { page: member, context: memberContext } = await openPlanAs(env.browser, env.base, 'viewer');
    await setMemberRole(env.base, 'viewer', null);
    const banner = member.locator('[data-testid=access-banner]');
    await expect.poll(() => banner.count(), poll).toBe(1);
    expect(await banner.textContent()).toMatch(/no longer have access/i);
    await memberContext.close();
  });
});
