// End-to-end access control with real browsers (issue 9), two modes:
//
//   node e2e/access-calls.mjs long   http://127.0.0.1:<signaling port> <seconds>
//     Relay-only calls over UDP and over TCP at the same time, each between two headless Chromium contexts,
//     for <seconds> under a short TURN credential TTL (the server's signaling.turn-credential-ttl). Every time
//     signaling pushes fresh credentials the demo page renews them with an ICE restart (renewIceServers in
//     signaling.js). Every 5 s both sides must have decoded new video frames within the last 15 s and still
//     use a relay/relay pair over the call's transport. Prints "CREDENTIALS <transport> <side> <json list of
//     TURN usernames the page held>" for the caller to match against the relay's allocations.
//
//   node e2e/access-calls.mjs revoke http://127.0.0.1:<signaling port> <ops base URL>   (env ADMIN_TOKEN)
//     One relay-only UDP call; then the operator closes the room through the admin API. Both sides must stop
//     decoding video within 1 s (no frame decoded between 1 s and 3 s after the close), and the admin API
//     must list no allocation of the room 1 s after the close. Prints "CREDENTIAL <json>" (a TURN credential
//     a page held) for the caller to try again on the relay.
//
// Exit 0 on success, 1 with a reason (and the pages' logs) on failure, 2 on bad usage. Bounded in time.
// Launch flags: chromium.mjs (../shared/BROWSER-TESTS.md: every packet stays on loopback).

import { launch, checkBase, printPageLogs } from './chromium.mjs';

// generous: this runs beside other suites on a small shared machine, where page loads alone can take 10 s
const CALL_MS = 60_000;
const SAMPLE_MS = 5_000;
const STALL_MS = 15_000;

const [mode, base, arg] = process.argv.slice(2);
if (!['long', 'revoke'].includes(mode) || !checkBase(base)
    || (mode === 'long' && !(Number(arg) >= 10 && Number(arg) <= 900))
    || (mode === 'revoke' && !checkBase(String(arg).replace(/\/$/, '')))) {
  console.error('usage: node access-calls.mjs long http://127.0.0.1:<port> <10-900 seconds>\n'
    + '       node access-calls.mjs revoke http://127.0.0.1:<port> http://127.0.0.1:<ops port>/  (loopback only)');
  process.exit(2);
}
const TOTAL_MS = (mode === 'long' ? Number(arg) * 1000 : 0) + 150_000;

let closeBrowser = async () => {};
let browser;
const logs = {};
const pages = {};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function fail(reason) {
  console.error('FAIL: ' + reason);
  await printPageLogs(pages, logs, 60);
  await closeBrowser();
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
  await page.goto(url, { timeout: 30_000 });
  await page.waitForFunction(() => window.demo !== undefined, null, { timeout: 30_000 });
  return page;
}

const snapshot = (page) => page.evaluate(async () => ({
  ...(await window.demo.stats()),
  restarts: window.demo.restarts,
  turn: window.demo.turnCredential,
}));

/**
 * Whether one page's selected pair is relay/relay over {transport}, given the other page's stats. A remote
 * candidate may still be peer-reflexive: after an ICE restart the other side's check can arrive before its
 * trickled candidate, and Chromium hides such an address. It counts as relayed when its port is the other
 * page's relayed port (every relayed address here is 127.0.0.1, and relay-only pages send from nothing else).
 */
const relayed = (s, other, transport) => s && s.localCandidateType === 'relay' && s.relayProtocol === transport
  && (s.remoteCandidateType === 'relay'
    || (s.remoteCandidateType === 'prflx' && other && other.localCandidateType === 'relay'
      && s.remote.port === other.local.port));

/** Both pages' stats, and the sides whose pair is not relay/relay over {transport}. */
async function sample(call, transport) {
  const stats = await Promise.all(call.sides.map(([, page]) => snapshot(page)));
  const off = call.sides.map(([side]) => side).filter((_, i) => !relayed(stats[i], stats[1 - i], transport));
  return { stats, off };
}

/** Opens two pages in one room with a relay-only call over {transport}; resolves when both decode video. */
async function startCall(transport) {
  const [sideA, sideB] = [`A-${transport}`, `B-${transport}`];
  const a = await openPage(sideA, `${base}/?relay=1&transport=${transport}`);
  const room = await a.evaluate(() => window.demo.create().then((joined) => joined.room));
  const b = await openPage(sideB, `${base}/?relay=1&transport=${transport}&room=${room}`);
  const deadline = Date.now() + CALL_MS;
  let last = [];
  const call = { room, sides: [[sideA, a], [sideB, b]] };
  while (Date.now() < deadline) {
    const { stats, off } = await sample(call, transport);
    last = stats;
    if (off.length === 0 && stats.every((s) => s.framesDecoded > 0)) return call;
    for (const [side, page] of [[sideA, a], [sideB, b]]) {
      const error = (await page.evaluate(() => window.demo.events.slice())).find((e) => e.startsWith('ICE candidate error'));
      if (error) await fail(`page ${side}: ${error}`);
    }
    await sleep(250);
  }
  return fail(`${transport}: no relayed call with decoded video within ${CALL_MS / 1000} s: ${JSON.stringify(last)}`);
}

/** Keeps one call running for {ms}, checking every SAMPLE_MS that video keeps decoding over the relay. */
async function keepCall(transport, call, ms) {
  const started = Date.now();
  const history = Object.fromEntries(call.sides.map(([side]) => [side, []]));
  const usernames = Object.fromEntries(call.sides.map(([side]) => [side, new Set()]));
  while (Date.now() - started < ms) {
    await sleep(SAMPLE_MS);
    const now = Date.now();
    let { stats, off } = await sample(call, transport);
    // the two pages are read one after the other: an ICE restart between the reads is not a left path
    if (off.length > 0) {
      await sleep(1000);
      ({ stats, off } = await sample(call, transport));
    }
    if (off.length > 0) await fail(`${off.join(', ')}: left the relay/relay ${transport} path: ${JSON.stringify(stats)}`);
    for (const [i, [side]] of call.sides.entries()) {
      const s = stats[i];
      if (s.turn) usernames[side].add(s.turn.username);
      history[side].push({ at: now, frames: s.framesDecoded, s });
      const before = history[side].filter((h) => now - h.at >= STALL_MS).pop();
      if (before && s.framesDecoded <= before.frames) {
        await fail(`${side}: no video frame decoded in ${(now - before.at) / 1000} s (${before.frames} -> `
          + `${s.framesDecoded}) at ${Math.round((now - started) / 1000)} s`);
      }
    }
  }
  const result = {};
  for (const [side, page] of call.sides) {
    const s = await snapshot(page);
    result[side] = { framesDecoded: s.framesDecoded, restarts: s.restarts, credentials: usernames[side].size };
    console.log(`CREDENTIALS ${transport} ${side} ${JSON.stringify([...usernames[side]])}`);
  }
  const offered = Math.max(...Object.values(result).map((r) => r.restarts));
  if (offered < 2) await fail(`${transport}: only ${offered} ICE restart(s) in ${ms / 1000} s: ${JSON.stringify(result)}`);
  console.log(`PASS long ${transport}: ${ms / 1000} s relay/relay over ${transport}, video decoding throughout, `
    + `${offered} ICE restarts with fresh credentials: ${JSON.stringify(result)}`);
}

async function longCalls(seconds) {
  const calls = await Promise.all(['udp', 'tcp'].map(async (t) => [t, await startCall(t)]));
  console.log(`calls up: ${calls.map(([t, c]) => `${t} in room ${c.room}`).join(', ')}`);
  await Promise.all(calls.map(([t, c]) => keepCall(t, c, seconds * 1000)));
  console.log(`PASS: relay-only calls over udp and tcp for ${seconds} s across credential renewals`);
}

async function revokedCall(ops) {
  const token = process.env.ADMIN_TOKEN;
  if (!token) await fail('ADMIN_TOKEN is not set');
  const call = await startCall('udp');
  await sleep(2000);
  const credential = (await snapshot(call.sides[0][1])).turn;
  const admin = (method, path) => fetch(new URL(path, ops), { method, headers: { Authorization: 'Bearer ' + token } });
  const closedAt = Date.now();
  const closed = await admin('DELETE', 'admin/rooms/' + call.room);
  if (closed.status !== 200) await fail(`closing the room: HTTP ${closed.status} ${await closed.text()}`);
  await sleep(Math.max(0, closedAt + 1000 - Date.now()));
  const atOne = await Promise.all(call.sides.map(([, page]) => snapshot(page)));
  const listed = await (await admin('GET', 'admin/allocations?room=' + call.room)).json();
  if (listed.allocations.length !== 0) await fail(`1 s after the close the room still has ${JSON.stringify(listed)}`);
  await sleep(Math.max(0, closedAt + 3000 - Date.now()));
  const atThree = await Promise.all(call.sides.map(([, page]) => snapshot(page)));
  for (let i = 0; i < 2; i++) {
    if (atThree[i].framesDecoded !== atOne[i].framesDecoded) {
      await fail(`${call.sides[i][0]}: video still decoding 1-3 s after the room closed (${atOne[i].framesDecoded}`
        + ` -> ${atThree[i].framesDecoded})`);
    }
  }
  console.log(`CREDENTIAL ${JSON.stringify(credential)}`);
  console.log(`PASS revoke: room closed, both sides stopped decoding within 1 s `
    + `(frames ${atOne.map((s) => s.framesDecoded).join(', ')}), no allocation left`);
}

try {
  ({ browser, close: closeBrowser } = await launch());
  if (mode === 'long') await longCalls(Number(arg));
  else await revokedCall(String(arg));
  clearTimeout(watchdog);
  await closeBrowser();
  process.exit(0);
} catch (e) {
  await fail(e && e.stack ? e.stack : String(e));
}
