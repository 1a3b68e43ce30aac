// End-to-end: relay-only video calls between two headless Chromium contexts, one per TURN transport. For each
// of udp, tcp and tls, both pages open the demo page with ?relay=1&transport=<t> (the page keeps only the
// turn:...?transport=udp, turn:...?transport=tcp or turns: URI that signaling handed out), join one room, call
// each other through turnbridge's relay, and must report on both sides a relay/relay selected pair whose local
// candidate's relayProtocol is <t>, with video frames decoded. After the UDP call one tab closes and the other
// must see a presence leave.
//
//   node e2e/browser-call.mjs http://127.0.0.1:<signaling port> [<SPKI pin of the relay's TLS certificate>]
//   node e2e/browser-call.mjs https://127.0.0.1:<shared TLS port> <SPKI pin>   (one port: page, wss and turns:)
//
// The pin (base64 SHA-256 of the certificate's SubjectPublicKeyInfo; turnbridge logs it for its self-signed
// development certificate) goes to --ignore-certificate-errors-spki-list so Chromium accepts that one
// certificate for turns:; without it the tls call is skipped (and said so). TRANSPORTS=udp,tcp picks calls.
// TOKEN_URL=http://127.0.0.1:<port>/token: the server runs with jwt access and the pages get their access
// tokens from that (test-only) endpoint through the demo's ?token-url=.
// Exit 0 on success, 1 with a reason (and the pages' logs) on failure, 2 on bad usage. Bounded: 110 s.
// Launch flags: ../shared/BROWSER-TESTS.md (every packet stays on loopback; never download a browser).

import { chromium } from 'playwright-core';
import { rmSync, existsSync } from 'node:fs';
import { chromiumFlags, freshUserDataDir } from './chromium-flags.mjs';

const TOTAL_MS = 110_000;
const CALL_MS = 20_000;
// A closed tab says "page hidden" (4010): its seat is kept for a reload (half the resume grace, 15 s) before
// the others see the leave.
const LEAVE_MS = 30_000;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const base = process.argv[2];
const spki = process.argv[3] || '';
if (!base || !/^https?:\/\/(127\.0\.0\.1|\[::1\]):\d+$/.test(base)) {
  console.error('usage: node browser-call.mjs http(s)://127.0.0.1:<port> [<base64 SPKI SHA-256 pin>]  (loopback only)');
  process.exit(2);
}
if (spki && !/^[A-Za-z0-9+/]{43}=$/.test(spki)) {
  console.error('the SPKI pin must be base64 of a SHA-256 digest (44 characters), got: ' + spki);
  process.exit(2);
}
const TRANSPORTS = (process.env.TRANSPORTS || 'udp,tcp,tls').split(',').filter((t) => t !== 'tls' || spki);
if (TRANSPORTS.length === 0 || TRANSPORTS.some((t) => !['udp', 'tcp', 'tls'].includes(t))) {
  console.error('TRANSPORTS must list udp, tcp and/or tls');
  process.exit(2);
}
if (!spki) console.log('note: no SPKI pin given, skipping the turns: call');
const TOKEN_URL = process.env.TOKEN_URL || '';
if (TOKEN_URL && !/^http:\/\/(127\.0\.0\.1|\[::1\]):\d+\/\S*$/.test(TOKEN_URL)) {
  console.error('TOKEN_URL must be an http URL on loopback, got: ' + TOKEN_URL);
  process.exit(2);
}
const tokenParam = TOKEN_URL ? '&token-url=' + encodeURIComponent(TOKEN_URL) : '';
if (!existsSync(CHROMIUM)) {
  console.error(`FAIL: ${CHROMIUM} not found (apt-get install -y chromium; scripts/test does it)`);
  process.exit(1);
}

const userDataDir = freshUserDataDir();
// Exactly the command line of BROWSER-TESTS.md; the pin makes Chromium trust exactly the relay's certificate
// for turns: (nothing else is exempted). Chromium 156 honours the pin for turns: but not for navigating to an
// https page (measured: --dump-dom of the page hangs with the pin and loads with --ignore-certificate-errors),
// so an https base (one port for page and TURN, on loopback only) adds that flag.
const FLAGS = [...chromiumFlags(userDataDir, { spki }),
  ...(base.startsWith('https:') ? ['--ignore-certificate-errors'] : [])];

let browser;
const logs = {};
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
  for (const side of Object.keys(logs)) {
    console.error(`--- page ${side} log ---`);
    for (const line of logs[side].slice(-60)) console.error('  ' + line);
  }
  await cleanup();
  process.exit(1);
}

const watchdog = setTimeout(() => fail(`did not finish within ${TOTAL_MS / 1000} s`), TOTAL_MS);

async function openPage(side, url) {
  logs[side] = [];
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
    // With one TURN URI per page, a candidate error (701: refused, or a certificate Chromium rejects) means
    // there will be no relay candidate at all.
    for (const [side, s] of Object.entries(last)) {
      if (s && s.connectionState === 'failed') await fail(`page ${side}: connection failed ${JSON.stringify(s)}`);
      const error = (await demoEvents(pages[side])).find((e) => e.startsWith('ICE candidate error'));
      if (error) await fail(`page ${side}: ${error}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await fail(`no relayed call with decoded video within ${CALL_MS / 1000} s: ${JSON.stringify(last)}`);
}

/** The URIs a page may use for each transport (what demo.js keeps with ?transport=). */
const URI_OF = {
  udp: /^turn:[^?]+(\?transport=udp)?$/,
  tcp: /^turn:[^?]+\?transport=tcp$/,
  tls: /^turns:[^?]+\?transport=tcp$/,
};

/**
 * One relay-only call restricted to one transport; both sides must have used only that transport's TURN URI
 * and report it as the local candidate's relayProtocol. With checkLeave, B then closes and A must see it.
 */
async function relayedCall(transport, checkLeave) {
  const started = Date.now();
  const [sideA, sideB] = [`A-${transport}`, `B-${transport}`];
  const a = await openPage(sideA, `${base}/?relay=1&transport=${transport}${tokenParam}`);
  const room = await a.evaluate(() => window.demo.create().then((joined) => joined.room));
  const b = await openPage(sideB, `${base}/?relay=1&transport=${transport}&room=${room}${tokenParam}`);
  const bPeer = await b.waitForFunction(() => window.demo.client.peerId, null, { timeout: 10_000 })
    .then((h) => h.jsonValue());

  const stats = await waitForRelayedCall({ [sideA]: a, [sideB]: b });
  let used = [];
  for (const [side, page] of [[sideA, a], [sideB, b]]) {
    const urls = await page.evaluate(() => window.demo.iceUrls);
    used = urls;
    if (urls.length === 0 || !urls.every((u) => URI_OF[transport].test(u))) {
      await fail(`page ${side}: ICE servers for ${transport} were ${JSON.stringify(urls)}`);
    }
    if (stats[side].relayProtocol !== transport) {
      await fail(`page ${side}: relayProtocol ${stats[side].relayProtocol}, expected ${transport}`);
    }
  }
  const connected = Date.now() - started;
  console.log(`${transport}: relayed call in room ${room} after ${connected} ms (pages loaded, joined, frames `
    + `decoded): A ${JSON.stringify(stats[sideA])} B ${JSON.stringify(stats[sideB])}`);

  let leave = '';
  if (checkLeave) {
    delete pages[sideB];
    await b.context().close();
    const deadline = Date.now() + LEAVE_MS;
    let left = false;
    while (!left && Date.now() < deadline) {
      left = (await demoEvents(a)).includes('presence leave ' + bPeer);
      if (!left) await new Promise((r) => setTimeout(r, 100));
    }
    if (!left) await fail(`page ${sideA} saw no presence leave of ${bPeer} within ${LEAVE_MS / 1000} s`);
    leave = `; A saw B (${bPeer}) leave`;
  }
  for (const [side, page] of [[sideA, a], [sideB, b]]) {
    delete pages[side];
    await page.context().close().catch(() => {});
  }
  console.log(`PASS ${transport}: both sides relay/relay over ${transport} with decoded frames${leave} `
    + `(${Date.now() - started} ms) via ${JSON.stringify(used)}`);
}

try {
  browser = await chromium.launch({ executablePath: CHROMIUM, ignoreDefaultArgs: true, args: FLAGS, timeout: 20_000 });
  const started = Date.now();
  for (const [i, transport] of TRANSPORTS.entries()) await relayedCall(transport, i === 0);
  console.log(`PASS: relay-only calls over ${TRANSPORTS.join(', ')} in ${Date.now() - started} ms`);
  clearTimeout(watchdog);
  await cleanup();
  process.exit(0);
} catch (e) {
  await fail(e && e.stack ? e.stack : String(e));
}
