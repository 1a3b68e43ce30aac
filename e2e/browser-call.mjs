// End-to-end: two headless Chromium contexts open the demo page with ?relay=1, join one room through
// turnbridge signaling, call each other relay-only through turnbridge's TURN relay, and check on both sides
// that the selected candidate pair is relay/relay and that video frames were decoded; then one tab closes
// and the other must see a presence leave.
//
//   node e2e/browser-call.mjs http://127.0.0.1:<signaling port>
//
// Exit 0 on success, 1 with a reason (and both pages' logs) on failure, 2 on bad usage. Bounded: 60 s.
// Launch flags: ../shared/BROWSER-TESTS.md (every packet stays on loopback; never download a browser).

import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TOTAL_MS = 60_000;
const CALL_MS = 30_000;
const LEAVE_MS = 10_000;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const base = process.argv[2];
if (!base || !/^http:\/\/(127\.0\.0\.1|\[::1\]):\d+$/.test(base)) {
  console.error('usage: node browser-call.mjs http://127.0.0.1:<port>  (an IP literal on loopback)');
  process.exit(2);
}
if (!existsSync(CHROMIUM)) {
  console.error(`FAIL: ${CHROMIUM} not found (apt-get install -y chromium; scripts/test does it)`);
  process.exit(1);
}

const userDataDir = mkdtempSync(join(tmpdir(), 'turnbridge-e2e-'));
mkdirSync(join(userDataDir, 'Default'));
// Turns the error-page DNS probes and prediction off (BROWSER-TESTS.md).
writeFileSync(join(userDataDir, 'Default', 'Preferences'), JSON.stringify({
  alternate_error_pages: { enabled: false },
  dns_prefetching: { enabled: false },
  net: { network_prediction_options: 2 },
  safebrowsing: { enabled: false },
}));

// Exactly the command line of BROWSER-TESTS.md; Chromium keeps only the last --disable-features, so one.
const FLAGS = [
  '--headless', '--no-sandbox', '--remote-debugging-pipe', '--no-startup-window', '--disable-gpu',
  '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1 , EXCLUDE [::1]',
  '--disable-features=WebRtcHideLocalIpsWithMdns,OptimizationHints,MediaRouter,DialMediaRouteProvider,Translate,'
    + 'NetworkTimeServiceQuerying,AutofillServerCommunication,CertificateTransparencyComponentUpdater,'
    + 'InterestFeedContentSuggestions,PreconnectToSearch,AimEnabled,LensOverlay,PaintHolding,HttpsUpgrades,'
    + 'HttpsFirstBalancedModeAutoEnable',
  '--disable-field-trial-config', '--disable-extensions', '--disable-default-apps', '--no-default-browser-check',
  '--disable-breakpad', '--disable-client-side-phishing-detection', '--disable-dev-shm-usage',
  '--metrics-recording-only', '--password-store=basic', '--use-mock-keychain', '--mute-audio',
  '--allow-loopback-in-peer-connection', `--user-data-dir=${userDataDir}`,
];

let browser;
const logs = { A: [], B: [] };
const pages = {};

async function cleanup() {
  try { if (browser) await browser.close(); } catch { /* already gone */ }
  try { rmSync(userDataDir, { recursive: true, force: true }); } catch { /* best effort */ }
}

async function fail(reason) {
  console.error('FAIL: ' + reason);
  for (const [side, page] of Object.entries(pages)) {
    try {
      const events = await Promise.race([demoEvents(page), new Promise((r) => setTimeout(() => r([]), 1000))]);
      logs[side].push(...events.map((e) => 'demo: ' + e));
    } catch { /* page gone */ }
  }
  for (const side of ['A', 'B']) {
    console.error(`--- page ${side} log ---`);
    for (const line of logs[side].slice(-60)) console.error('  ' + line);
  }
  await cleanup();
  process.exit(1);
}

const watchdog = setTimeout(() => fail(`did not finish within ${TOTAL_MS / 1000} s`), TOTAL_MS);

async function openPage(side, url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('console', (m) => logs[side].push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs[side].push(`pageerror: ${e.message}`));
  pages[side] = page;
  await page.goto(url, { timeout: 10_000 });
  await page.waitForFunction(() => window.demo !== undefined, null, { timeout: 10_000 });
  return page;
}

async function demoEvents(page) {
  return page.evaluate(() => window.demo.events.slice());
}

/** Polls until both pages report a relay/relay pair with decoded frames; returns both stats. */
async function waitForRelayedCall(pages) {
  const deadline = Date.now() + CALL_MS;
  let last = {};
  while (Date.now() < deadline) {
    for (const [side, page] of Object.entries(pages)) last[side] = await page.evaluate(() => window.demo.stats());
    const ok = Object.values(last).every((s) => s && s.localCandidateType === 'relay'
      && s.remoteCandidateType === 'relay' && s.framesDecoded > 0);
    if (ok) return last;
    // Relay-only gathering that found no relay candidate never recovers: fail fast (BROWSER-TESTS.md).
    for (const [side, s] of Object.entries(last)) {
      if (s && s.connectionState === 'failed') await fail(`page ${side}: connection failed ${JSON.stringify(s)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await fail(`no relayed call with decoded video within ${CALL_MS / 1000} s: ${JSON.stringify(last)}`);
}

try {
  browser = await chromium.launch({ executablePath: CHROMIUM, ignoreDefaultArgs: true, args: FLAGS, timeout: 20_000 });

  const a = await openPage('A', `${base}/?relay=1`);
  const room = await a.evaluate(() => window.demo.create().then((joined) => joined.room));
  const b = await openPage('B', `${base}/?relay=1&room=${room}`);
  const bPeer = await b.waitForFunction(() => window.demo.client.peerId, null, { timeout: 10_000 })
    .then((h) => h.jsonValue());

  const stats = await waitForRelayedCall({ A: a, B: b });
  console.log(`relayed call in room ${room}: A ${JSON.stringify(stats.A)} B ${JSON.stringify(stats.B)}`);

  delete pages.B;
  await b.close();
  const deadline = Date.now() + LEAVE_MS;
  let left = false;
  while (!left && Date.now() < deadline) {
    left = (await demoEvents(a)).includes('presence leave ' + bPeer);
    if (!left) await new Promise((r) => setTimeout(r, 100));
  }
  if (!left) await fail(`page A saw no presence leave of ${bPeer} within ${LEAVE_MS / 1000} s`);

  console.log(`PASS: both sides relay/relay with decoded frames; A saw B (${bPeer}) leave`);
  clearTimeout(watchdog);
  await cleanup();
  process.exit(0);
} catch (e) {
  await fail(e && e.stack ? e.stack : String(e));
}
