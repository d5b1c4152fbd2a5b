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
