import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { cellOf, serverAndBrowser, signInThroughPage } from '../support/browser.ts';
import { demoEmail } from '../support/clients.ts';

// A loaded 2-core machine: every wait is generous, and conditions are polled, never slept on.
const WAIT = { timeout: 60_000 };

async function pageAs(browser: Browser, base: string, role: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
  await signInThroughPage(page, base, demoEmail(role));
  return page;
}

describe('set-up without a terminal, and context kept across sign-in (Chromium)', () => {
  const env = serverAndBrowser();

  it('starts a plan as a copy from the workspace home and opens it at data gathering', async () => {
    const leader = await pageAs(env.browser, env.base, 'leader');
    const row = leader.locator('[data-testid=plan-row]').first();
    await expect.poll(() => row.locator('td').nth(2).textContent(), WAIT).toBe('Demand review');
    expect(await row.locator('td').nth(3).textContent()).toBe('Sofia Alvarez');

    await leader.click('[data-testid=new-plan-link]');
    await leader.waitForSelector('[data-testid=new-plan-form]', WAIT);
    await leader.fill('input[name=plan-name]', 'S&OP Switzerland');
    await leader.check('[data-testid=from-copy]');
    await leader.click('[data-testid=new-plan-submit]');
    await leader.waitForSelector('[data-testid=plan-grid]', WAIT);
    await expect.poll(() => leader.locator('h1').textContent(), WAIT).toBe('S&OP Switzerland');
    await expect.poll(() => leader.locator('[data-testid=stage-status]').getAttribute('data-stage'), WAIT).toBe('data-gathering');
    // The catalog came along; the team's forecasts did not.
    await expect.poll(() => leader.locator('tr[data-row-kind=product]').count(), WAIT).toBeGreaterThan(0);

    // A second plan with the same name is refused with a sentence.
    await leader.goto(`${env.base}/`);
    await leader.click('[data-testid=new-plan-link]');
    await leader.fill('input[name=plan-name]', 'S&OP Switzerland');
    await leader.click('[data-testid=new-plan-submit]');
    await expect
      .poll(() => leader.locator('[data-testid=new-plan-error]').textContent(), WAIT)
      .toContain('A plan named "S&OP Switzerland" exists in this workspace already');
    // An empty plan offers a template for each catalog file, in columns its import reads.
    await leader.check('[data-testid=from-empty]');
    const [download] = await Promise.all([leader.waitForEvent('download'), leader.click('[data-testid=products-template]')]);
    expect(download.suggestedFilename()).toBe('products-template.csv');
    expect(readFileSync((await download.path())!, 'utf8').split('\n')[0]).toBe(
      'SKU,Description,Family,Family name,UoM,Line,Hours per unit,Lead time days,Safety stock days',
    );
    await leader.goto(`${env.base}/`);
    await expect.poll(() => leader.locator('[data-testid=plan-row]').count(), WAIT).toBe(2);
    await leader.context().close();
  });

  it('adds a member by invitation: the admin hands over the link once, the newcomer sets a password and is in', async () => {
    const admin = await pageAs(env.browser, env.base, 'admin');
    await admin.click('[data-testid=members-link]');
    await admin.waitForSelector('[data-testid=members]', WAIT);
    await admin.fill('input[name=invite-email]', 'nina.new@acme.test');
    await admin.selectOption('select[name=invite-role]', 'operations');
    await admin.click('[data-testid=invite-submit]');
    const link = await admin.locator('[data-testid=invitation-link]').inputValue({ timeout: WAIT.timeout });
    expect(link).toMatch(/\/invitations\/[a-z0-9]+\.[a-z0-9]+$/);
    await expect
      .poll(() => admin.locator('[data-testid=invitation-row][data-email="nina.new@acme.test"]').getAttribute('data-status'), WAIT)
      .toBe('pending');
    // Not a member before she accepts.
    expect(await admin.locator('[data-testid=member-row][data-email="nina.new@acme.test"]').count()).toBe(0);

    const nina = await (await env.browser.newContext()).newPage();
    await nina.goto(link);
    await expect
      .poll(() => nina.locator('[data-testid=invitation-what]').textContent(), WAIT)
      .toContain('Adam Novak invites nina.new@acme.test');
    await nina.click('[data-testid=invitation-new-account]');
    await nina.fill('input[name=name]', 'Nina New');
    await nina.fill('input[name=new-password]', 'nina-password-1');
    await nina.fill('input[name=repeat-password]', 'nina-password-1');
    await nina.click('[data-testid=invitation-register]');
    await nina.waitForSelector('[data-testid=plan-link]', WAIT);
    expect(await nina.locator('[data-testid=workspace-role]').textContent()).toBe('operations');

    // She signs in again later, like anyone.
    await nina.click('[data-testid=sign-out]');
    await signInThroughPage(nina, env.base, 'nina.new@acme.test', 'nina-password-1');
    // The link was used.
    await nina.goto(link);
    await expect.poll(() => nina.locator('[data-testid=invitation-gone]').textContent(), WAIT).toContain('does not work any more');

    await admin.reload();
    await expect.poll(() => admin.locator('[data-testid=member-row][data-email="nina.new@acme.test"]').count(), WAIT).toBe(1);
    await expect
      .poll(() => admin.locator('[data-testid=invitation-row][data-email="nina.new@acme.test"]').getAttribute('data-status'), WAIT)
      .toBe('accepted');
    await admin.context().close();
    await nina.context().close();
  });

  it('keeps a deep link to a cell across signing in', async () => {
    const leader = await pageAs(env.browser, env.base, 'leader');
    const planId = (await leader.locator('[data-testid=plan-link]').first().getAttribute('href'))!.split('/').pop()!;
    await leader.context().close();

    const page = await (await env.browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
    const key = 'SPA-003|' + (await firstMonth(page, env.base, planId));
    await page.goto(`${env.base}/plans/${planId}?cell=${encodeURIComponent(`sales:${key}`)}`);
    await page.waitForSelector('input[name=email]', WAIT);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(await page.locator('[data-testid=sign-in-next]').count()).toBe(1);
    await page.fill('input[name=email]', demoEmail('sales'));
    await page.fill('input[name=password]', 'demo');
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=plan-grid]', WAIT);
    expect(new URL(page.url()).pathname).toBe(`/plans/${planId}`);
    await expect.poll(() => page.locator(cellOf('sales', key)).getAttribute('data-active'), WAIT).toBe('true');
    await page.context().close();
  });

  it('shows a notice with a sign-in link at once when the session ends in another tab', async () => {
    const context = await env.browser.newContext({ viewport: { width: 1280, height: 720 } });
    const first = await context.newPage();
    await signInThroughPage(first, env.base, demoEmail('finance'));
    const planId = (await first.locator('[data-testid=plan-link]').first().getAttribute('href'))!.split('/').pop()!;
    await first.goto(`${env.base}/plans/${planId}/review`);
    await first.waitForSelector('[data-testid=cycle-bar]', WAIT);
    const second = await context.newPage();
    await second.goto(`${env.base}/`);
    await second.click('[data-testid=sign-out]');
    await second.waitForSelector('input[name=email]', WAIT);

    const notice = first.locator('[data-testid=signed-out-notice]');
    await expect.poll(() => notice.count(), WAIT).toBe(1);
    expect(await notice.textContent()).toContain('You have been signed out.');
    await first.click('[data-testid=signed-out-sign-in]');
    await first.fill('input[name=email]', demoEmail('finance'));
    await first.fill('input[name=password]', 'demo');
    await first.click('button[type=submit]');
    await first.waitForSelector('[data-testid=cycle-bar]', WAIT);
    expect(new URL(first.url()).pathname).toBe(`/plans/${planId}/review`);
    await context.close();
  });
});

/** The plan's first month, asked of the API as the sales planner. */
async function firstMonth(page: Page, base: string, planId: string): Promise<string> {
  await signInThroughPage(page, base, demoEmail('viewer'));
  const cycle = (await page.evaluate(async (id) => (await fetch(`/api/plans/${id}/cycle`)).json(), planId)) as { cycle: string };
  await page.click('[data-testid=sign-out]');
  await page.waitForSelector('input[name=email]', WAIT);
  return cycle.cycle;
}
