// The calls of scripts/nat-matrix: each client namespace (behind its own simulated router, see
// scripts/nat-matrix) runs one headless Chromium, launched at its first call; for each planned call, a fresh
// browser context in client namespace A and one in client namespace B open turnbridge's demo page from the
// server's public address, join one room and call each other. A call counts as connected
// when both sides report connectionState 'connected' and decoded video frames, within plan.callTimeoutMs of
// B opening the room link (the "time to connect" reported). Modes: stun = only the stun: URIs of the
// iceServers signaling hands out, full = all of them, relay = all of them with iceTransportPolicy 'relay'.
//
//   node e2e/nat-matrix.mjs <plan.json> [<results.jsonl>]     (run by scripts/nat-matrix, as root)
//
// Prints one "CALL {json}" line per call, then a table and the success rate per mode.
// Exit 0 when every call connected with video both ways, 1 when one did not, 2 on bad usage or a harness
// failure. Bounded: each call by callTimeoutMs plus launch and page-load timeouts, and a hard stop per call.
//
// The page origin is http://<server public IP>:<port>, not a secure context, and getUserMedia needs one:
// the fake camera (--use-fake-device-for-media-stream) is reached by marking exactly that origin secure with
// --unsafely-treat-insecure-origin-as-secure, which keeps the demo page unchanged (the same code users run).

import { chromium } from 'playwright-core';
import { readFileSync, appendFileSync, rmSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { chromiumFlags, freshUserDataDir } from './chromium-flags.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const WRAPPER = join(HERE, 'netns-chromium');
// generous: on 2 cores shared with other builds a launch or page load can take many seconds
const LAUNCH_MS = 30_000;
const PAGE_MS = 15_000;
const HARD_STOP_MS = 60_000;   // beyond callTimeoutMs, whatever hangs
const POLL_MS = 200;

const [planFile, resultsFile] = process.argv.slice(2);
if (!planFile || !existsSync(planFile)) {
  console.error('usage: node nat-matrix.mjs <plan.json> [<results.jsonl>]  (run by scripts/nat-matrix)');
  process.exit(2);
}
const plan = JSON.parse(readFileSync(planFile, 'utf8'));
const base = new URL(plan.base);
if (!/^\d+\.\d+\.\d+\.\d+$/.test(base.hostname) || !Array.isArray(plan.calls) || plan.calls.length === 0) {
  console.error('plan: base must be http://<IPv4 literal>:<port> and calls non-empty');
  process.exit(2);
}
const browsers = new Map();   // client namespace -> Promise of { browser, userDataDir }, one per namespace

/** The browser of a client namespace, launched on first use; calls get a fresh context each. */
function browserIn(ns) {
  if (!browsers.has(ns)) browsers.set(ns, launch(ns));
  return browsers.get(ns);
}

async function launch(ns) {
  const userDataDir = freshUserDataDir(plan.runDir, 'chromium-');
  const args = chromiumFlags(userDataDir, {
    spki: plan.spki,
    resolveHosts: [base.hostname],   // the MAP * rule sends IP literals to ~NOTFOUND too
    secureOrigins: [base.origin],
  });
  try {
    const browser = await chromium.launch({
      executablePath: WRAPPER, ignoreDefaultArgs: true, args, timeout: LAUNCH_MS,
      env: { ...process.env, TB_NETNS: ns }, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
    });
    return { browser, userDataDir };
  } catch (e) {
    browsers.delete(ns);   // the next call tries again
    rmSync(userDataDir, { recursive: true, force: true });
    throw e;
  }
}

async function closeAll() {
  const all = [...browsers.values()];
  browsers.clear();
  await Promise.all(all.map(async (launched) => {
    const client = await launched.catch(() => null);
    if (!client) return;
    await Promise.race([client.browser.close().catch(() => {}), sleep(5000)]);
    rmSync(client.userDataDir, { recursive: true, force: true });
  }));
}

/** For mode stun: every RTCPeerConnection the page makes keeps only the stun: URIs of its iceServers. */
function onlyStun() {
  const Native = window.RTCPeerConnection;
  const strip = (config) => ({
    ...config,
    iceServers: (config && config.iceServers || [])
      .map((s) => ({ ...s, urls: [].concat(s.urls).filter((u) => /^stuns?:/i.test(u)) }))
      .filter((s) => s.urls.length > 0),
  });
  function StunOnly(config, ...rest) { return new Native(strip(config), ...rest); }
  StunOnly.prototype = Native.prototype;
  Native.prototype.setConfiguration = ((set) => function (config) { return set.call(this, strip(config)); })(
    Native.prototype.setConfiguration);
  window.RTCPeerConnection = StunOnly;
}

async function openDemo(context, url, mode, log) {
  const page = await context.newPage();
  page.on('console', (m) => log.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  if (mode === 'stun') await page.addInitScript(onlyStun);
  await page.goto(url, { timeout: PAGE_MS });
  await page.waitForFunction(() => window.demo !== undefined, null, { timeout: PAGE_MS });
  return page;
}

const stats = (page) => page.evaluate(() => window.demo.stats());
const pairOf = (s) => (s && s.localCandidateType ? `${s.localCandidateType}/${s.remoteCandidateType}` : null);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function call(c) {
  const result = {
    a: c.a, b: c.b, mode: c.mode, connected: false, connectMs: null, pairA: null, pairB: null,
    relayProtocolA: null, relayProtocolB: null, framesA: 0, framesB: 0, stateA: null, stateB: null,
    iceUrls: null, candidateErrorsA: [], candidateErrorsB: [], error: null,
  };
  const logs = { A: [], B: [] };
  const contexts = [];
  try {
    const [a, b] = await Promise.all([browserIn(c.aNs), browserIn(c.bNs)]);
    for (const client of [a, b]) contexts.push(await client.browser.newContext());
    const query = c.mode === 'relay' ? '?relay=1&' : '?';
    const pageA = await openDemo(contexts[0], `${base.origin}/${query.slice(0, -1)}`, c.mode, logs.A);
    const room = await pageA.evaluate(() => window.demo.create().then((joined) => joined.room));
    const joinedAt = Date.now();
    const pageB = await openDemo(contexts[1], `${base.origin}/${query}room=${room}`, c.mode, logs.B);
    const deadline = joinedAt + plan.callTimeoutMs;
    let connectedAt = null;
    for (;;) {
      const [sA, sB] = await Promise.all([stats(pageA), stats(pageB)]);
      result.stateA = sA && sA.connectionState;
      result.stateB = sB && sB.connectionState;
      if (result.stateA === 'connected' && result.stateB === 'connected') {
        connectedAt ??= Date.now();
        result.pairA = pairOf(sA);
        result.pairB = pairOf(sB);
        result.relayProtocolA = sA.relayProtocol;
        result.relayProtocolB = sB.relayProtocol;
        result.framesA = sA.framesDecoded;
        result.framesB = sB.framesDecoded;
        if (sA.framesDecoded > 0 && sB.framesDecoded > 0) {
          result.connected = true;
          result.connectMs = connectedAt - joinedAt;
          break;
        }
      }
      if (result.stateA === 'failed' || result.stateB === 'failed' || Date.now() > deadline) break;
      await sleep(POLL_MS);
    }
    result.iceUrls = await pageA.evaluate(() => window.demo.iceUrls);
    for (const [side, page] of [['A', pageA], ['B', pageB]]) {
      const events = await page.evaluate(() => window.demo.events.slice()).catch(() => []);
      // "ICE candidate error <code> <text> <url>": a STUN/TURN server this side could not use (701: unreachable)
      result['candidateErrors' + side] = [...new Set(events.filter((e) => e.startsWith('ICE candidate error '))
        .map((e) => e.slice('ICE candidate error '.length)))];
      if (!result.connected) logs[side].push(...events.map((e) => 'demo: ' + e));
    }
    if (!result.connected) {
      result.error = result.stateA === 'failed' || result.stateB === 'failed'
        ? 'ICE failed' : `not connected with video within ${plan.callTimeoutMs / 1000} s`;
    }
  } catch (e) {
    result.error = String(e && e.message ? e.message.split('\n')[0] : e);
  } finally {
    // closing a context ends its pages' peer connections and sockets; the browsers stay for the next call
    await Promise.all(contexts.map((context) => Promise.race([context.close().catch(() => {}), sleep(5000)])));
  }
  if (!result.connected) result.logs = { A: logs.A.slice(-15), B: logs.B.slice(-15) };
  return result;
}

/** One call with a hard stop: whatever hangs inside, the call ends callTimeoutMs + 60 s after it started. */
async function boundedCall(c) {
  let timer;
  const stop = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ a: c.a, b: c.b, mode: c.mode, connected: false, error: 'hard stop' }),
      plan.callTimeoutMs + HARD_STOP_MS);
  });
  const result = await Promise.race([call(c), stop]);
  clearTimeout(timer);
  return result;
}

function table(results) {
  const rows = [['A', 'B', 'mode', 'connected', 'time', 'pair A', 'pair B', 'relay A/B', 'frames A/B']];
  for (const r of results) {
    rows.push([r.a, r.b, r.mode, r.connected ? 'yes' : 'no', r.connectMs == null ? '-' : (r.connectMs / 1000).toFixed(1) + ' s',
      r.pairA || '-', r.pairB || '-', `${r.relayProtocolA || '-'}/${r.relayProtocolB || '-'}`,
      `${r.framesA ?? 0}/${r.framesB ?? 0}`]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)));
  return rows.map((row) => row.map((cell, i) => String(cell).padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

process.on('SIGTERM', () => shutdown(143));
process.on('SIGINT', () => shutdown(130));
let stopping = false;
async function shutdown(code) {
  stopping = true;   // calls that end because their browsers close are not results
  await Promise.race([closeAll(), sleep(3000)]);
  process.exit(code);
}

const started = Date.now();
const results = new Array(plan.calls.length);
let next = 0;
async function worker() {
  while (next < plan.calls.length) {
    const i = next++;
    const r = await boundedCall(plan.calls[i]);
    if (stopping) return;
    results[i] = r;
    console.log('CALL ' + JSON.stringify(r));
    if (resultsFile) appendFileSync(resultsFile, JSON.stringify(r) + '\n');
  }
}
await Promise.all(Array.from({ length: Math.min(plan.concurrency || 1, plan.calls.length) }, worker));
await closeAll();
if (stopping) await new Promise(() => {});   // shutdown() exits

console.log('\n' + table(results) + '\n');
const modes = [...new Set(results.map((r) => r.mode))];
const rates = modes.map((m) => {
  const of = results.filter((r) => r.mode === m);
  return `${m} ${of.filter((r) => r.connected).length}/${of.length}`;
});
console.log(`connected with video both ways, per mode: ${rates.join(', ')}`
  + ` (${results.length} calls in ${((Date.now() - started) / 1000).toFixed(0)} s)`);
process.exit(results.every((r) => r.connected) ? 0 : 1);
