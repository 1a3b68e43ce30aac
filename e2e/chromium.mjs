// Launching headless Chromium for the e2e scripts with the one command line of chromium-flags.mjs
// (../shared/BROWSER-TESTS.md: every packet stays on loopback) and a fresh profile removed by close().
// Never downloads a browser: Debian's /usr/bin/chromium (apt-get install -y chromium; scripts/test does it).

import { chromium } from 'playwright-core';
import { rmSync, existsSync } from 'node:fs';
import { chromiumFlags, freshUserDataDir } from './chromium-flags.mjs';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** Launches Chromium; {spki} trusts exactly that certificate for turns:. Resolves to {browser, close}. */
export async function launch({ spki = '' } = {}) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (apt-get install -y chromium; scripts/test does it)`);
  const userDataDir = freshUserDataDir();
  let browser;
  const close = async () => {
    try { if (browser) await browser.close(); } catch { /* already gone */ }
    try { rmSync(userDataDir, { recursive: true, force: true }); } catch { /* best effort */ }
  };
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, ignoreDefaultArgs: true,
      args: chromiumFlags(userDataDir, { spki }), timeout: 20_000 });
  } catch (e) {
    await close();
    throw e;
  }
  return { browser, close };
}

/** The only base URLs the scripts accept: listeners on loopback. */
export function checkBase(base) {
  return !!base && /^http:\/\/(127\.0\.0\.1|\[::1\]):\d+$/.test(base);
}

/**
 * After a failure: each demo page's own event log (bounded wait: a page may hang), then the last {@code lines}
 * lines of what each page logged, as {@code logs[side]} collected them.
 */
export async function printPageLogs(pages, logs, lines) {
  for (const [side, page] of Object.entries(pages)) {
    try {
      const events = await Promise.race([page.evaluate(() => window.demo.events.slice()),
        new Promise((r) => setTimeout(() => r([]), 1000))]);
      logs[side].push(...events.map((e) => 'demo: ' + e));
    } catch { /* page gone */ }
  }
  for (const side of Object.keys(logs)) {
    console.error(`--- page ${side} log ---`);
    for (const line of logs[side].slice(-lines)) console.error('  ' + line);
  }
}
