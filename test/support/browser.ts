import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { makeDataDir, startServer, type ServerProcess } from './server-process.ts';

/** Debian's Chromium (or CHROMIUM_PATH); `./run test` installs it when missing. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Launches headless Chromium with the flags this sandbox needs (no background network). */
export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install it (apt-get install chromium) or set CHROMIUM_PATH.`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A port that is free now, so a server can be restarted on the same address. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Signs in through the web page, as a person would. */
export async function signInThroughPage(page: Page, baseUrl: string, email: string, password = 'demo'): Promise<void> {
  await page.goto(`${baseUrl}/sign-in`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-testid=plan-link]');
}

/** A grid cell by its layer (root) and key, e.g. `cellOf('sales', 'SPA-001|2026-12')`. */
export const cellOf = (root: string, key: string): string => `td[data-root=${root}][data-key="${key}"]`;

/**
 * Selects the grid cell `selector` finds by clicking it, and waits until it is the active cell.
 * The grid reuses cell elements for other rows and columns as it scrolls, and redraws on the
 * scroll event a frame after the scroll: an element found before that redraw may show another
 * cell when the click lands. So scroll the cell into view, let two frames pass, then click what
 * holds the cell now; should the click still have hit a redrawn cell, click again.
 */
export async function selectCell(page: Page, selector: string): Promise<void> {
  const cell = page.locator(selector);
  // A short timeout: a click that scrolled the grid may have moved the cell out of the DOM.
  const isActive = async () => (await cell.getAttribute('data-active', { timeout: 500 }).catch(() => null)) === 'true';
  for (let attempt = 1; ; attempt++) {
    await cell.scrollIntoViewIfNeeded();
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    await cell.click();
    const deadline = Date.now() + 2_000;
    while (!(await isActive()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    if (await isActive()) return;
    console.warn(`selectCell: click ${attempt} on ${selector} selected another cell`);
    if (attempt === 3) throw new Error(`${selector} did not become the active cell after ${attempt} clicks`);
  }
}

/** Selects a grid cell, types a value into it and presses Enter. */
export async function typeInto(page: Page, root: string, key: string, value: string): Promise<void> {
  await selectCell(page, cellOf(root, key));
  await page.keyboard.type(value);
  await page.keyboard.press('Enter');
}

/**
 * Starts a server (demo users, its own data directory, a fixed free port) and Chromium for one
 * describe block, and stops both after it. Read the fields inside tests, once the hooks have run.
 */
export function serverAndBrowser(): { readonly server: ServerProcess; readonly browser: Browser; readonly base: string } {
  const env = {} as { server: ServerProcess; browser: Browser; base: string };
  beforeAll(async () => {
    const port = await freePort();
    env.server = await startServer({ dataDir: makeDataDir(), port });
    env.base = `http://localhost:${port}`;
    env.browser = await launchChromium();
  });
  afterAll(async () => {
    await env.browser?.close();
    await env.server?.stop();
  });
  return env;
}
