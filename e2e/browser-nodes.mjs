// End-to-end: a relay-only video call between two headless Chromium pages whose members are on two turnbridge
// nodes sharing rooms through Redis (signaling.registry: redis), each page relayed by its own node's relay;
// then one node is SIGKILLed and the call must come back on the other.
//
//   node e2e/browser-nodes.mjs <survivor base> <survivor TURN port> <survivor relay ports>
//                              <doomed base> <doomed TURN port> <doomed relay ports>
//   e.g. http://127.0.0.1:8080 3478 61000-61999 http://127.0.0.1:8081 3479 62000-62999
//
// Page S loads the demo page (?relay=1&transport=udp) from the survivor and creates a room; page D loads it
// through a TCP proxy on 127.0.0.1 (failover-proxy.mjs, a load balancer: the doomed node while it is up, the
// survivor once it refuses) and joins. Before the kill: both pages connected on a relay/relay pair over UDP,
// each page's local candidate a relay candidate of its own node's relay (the TURN URL getStats names, and the
// relayed port in that node's relay range), the remote candidate the other node's, video decoded both ways.
// Then the script prints "KILL" and waits for a line on stdin: the caller SIGKILLs the doomed node and writes
// "killed <its Date.now() at the kill>" (BrowserNodesIT does; by hand, kill it and press Enter); times count
// from then. After it: D's client resumes through the proxy on the survivor as the same peer ("joined" with
// resumed: true, same peerId, the survivor's TURN URI; S sees no leave), and the call comes back within
// BACK_MS: relay/relay again, D's local relay candidate now on the survivor's relay, video frames increasing
// both ways. Prints "TIMINGS connect=.. resume=.. back=.. total=.." (ms).
//
// The media path through the dead relay is gone, so the call comes back only through an ICE restart with the
// iceServers the new node handed out: signaling.js reports them as fresh credentials (onCredentials) when a
// resumed "joined" names other relays, and the demo page restarts ICE on that as it does for fresh
// credentials (the offerer restarts; the answerer asks it to). The script checks that this is what happened.
//
// Exit 0 on success, 1 with a reason (and the pages' logs) on failure, 2 on bad usage. Bounded: TOTAL_MS.
// Launch flags: chromium.mjs (../shared/BROWSER-TESTS.md: every packet stays on loopback).
import readline from 'node:readline';
import { launch, checkBase, printPageLogs } from './chromium.mjs';
import { startFailoverProxy } from './failover-proxy.mjs';

const TOTAL_MS = 150_000;
const CALL_MS = 45_000;          // pages loaded to a relayed call with video (generous on a loaded machine)
const KILL_MS = 30_000;          // for the caller to kill the node and say so
const RESUME_MS = 20_000;        // kill to the resumed "joined" on the survivor
const BACK_MS = 45_000;          // kill to the call relayed through the survivor with video both ways
const FLOW_MS = 2_000;           // window in which frames must keep increasing
const MIN_FRAMES = 10;           // at least this many new frames in FLOW_MS (the fake camera sends ~30/s)

function nodeArgs(base, turn, range) {
  const m = /^(\d+)-(\d+)$/.exec(range || '');
  if (!checkBase(base) || !(Number(turn) > 0) || !m) return null;
  return { base, turn: Number(turn), min: Number(m[1]), max: Number(m[2]) };
}
const survivor = nodeArgs(...process.argv.slice(2, 5));
const doomed = nodeArgs(...process.argv.slice(5, 8));
if (!survivor || !doomed) {
  console.error('usage: node browser-nodes.mjs <survivor http://127.0.0.1:port> <TURN udp port> <relay min-max>'
    + ' <doomed http://127.0.0.1:port> <TURN udp port> <relay min-max>  (loopback only)');
  process.exit(2);
}
survivor.name = 'survivor';
doomed.name = 'doomed';

let browser;
let closeBrowser = async () => {};
let proxy;
const logs = {};
const pages = {};
const joinedFrames = [];   // page D's "joined" messages as received on its WebSockets
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const t0 = Date.now();
const step = (text) => console.log(`  [${((Date.now() - t0) / 1000).toFixed(1)} s] ${text}`);

async function cleanup() {
  await closeBrowser();
  try { if (proxy) proxy.close(); } catch { /* gone */ }
}

let failing = false;
async function fail(reason) {
  if (failing) return new Promise(() => {}); // the first failure reports and exits
  failing = true;
  console.error('FAIL: ' + reason);
  await printPageLogs(pages, logs, 80);
  if (proxy) console.error('proxied connections: ' + JSON.stringify(proxy.connections.map((c) => [c.at - t0, c.backend])));
  await cleanup();
  process.exit(1);
}

const watchdog = setTimeout(() => fail(`did not finish within ${TOTAL_MS / 1000} s`), TOTAL_MS);
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => fail('stopped by ' + signal));

/** Lines from stdin, for the caller's "killed". */
const input = [];
let inputWaiter = null;
let inputClosed = false;
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => { input.push(line); if (inputWaiter) inputWaiter(); });
rl.on('close', () => { inputClosed = true; if (inputWaiter) inputWaiter(); });
async function nextLine(ms) {
  const deadline = Date.now() + ms;
  while (input.length === 0 && !inputClosed && Date.now() < deadline) {
    await new Promise((r) => { inputWaiter = r; setTimeout(r, 100); });
    inputWaiter = null;
  }
  return input.length ? input.shift() : null;
}

async function openDemo(side, url) {
  logs[side] = [];
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('console', (m) => logs[side].push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs[side].push(`pageerror: ${e.message}`));
  page.on('websocket', (ws) => {
    logs[side].push(`websocket ${ws.url()}`);
    ws.on('close', () => logs[side].push(`websocket closed ${ws.url()}`));
    ws.on('framereceived', ({ payload }) => {
      let msg;
      try { msg = JSON.parse(payload); } catch { return; }
      if (msg.type !== 'joined') return;
      const turn = (msg.iceServers || []).flatMap((s) => [].concat(s.urls)).filter((u) => u.startsWith('turn'));
      joinedFrames.push({ side, at: Date.now(), url: ws.url(), peerId: msg.peerId, resumed: !!msg.resumed, turn });
    });
  });
  pages[side] = page;
  await page.goto(url, { timeout: 30_000 });
  await page.waitForFunction(() => window.demo !== undefined, null, { timeout: 30_000 });
  return page;
}

/** The call as the demo page's getStats reading has it: the pair's candidates (TURN URL too), frames decoded. */
function path(page) {
  return page.evaluate(() => window.demo.stats());
}

/** A relay candidate on {@code node}'s relay: its relayed port in the node's range (and, local, its TURN URL). */
function onRelayOf(candidate, node, local) {
  return !!candidate && candidate.type === 'relay' && candidate.address === '127.0.0.1'
    && candidate.port >= node.min && candidate.port <= node.max
    && (!local || (candidate.relayProtocol === 'udp' && candidate.url === `turn:127.0.0.1:${node.turn}?transport=udp`));
}

/** Both pages connected with D's local relay on {@code dNode} and S's on the survivor's, each seeing the other's. */
function callOn(s, d, dNode) {
  return s && d && s.connectionState === 'connected' && d.connectionState === 'connected'
    && onRelayOf(s.local, survivor, true) && onRelayOf(s.remote, dNode, false)
    && onRelayOf(d.local, dNode, true) && onRelayOf(d.remote, survivor, false);
}

/** Polls until the call is up on {@code dNode}'s relay for D with frames decoded both ways after {@code since}. */
async function waitForCall(S, D, dNode, ms, what, since = { s: 0, d: 0 }) {
  const deadline = Date.now() + ms;
  let last = {};
  for (;;) {
    last = { s: await path(S), d: await path(D) };
    if (callOn(last.s, last.d, dNode) && last.s.framesDecoded > since.s && last.d.framesDecoded > since.d) return last;
    if (Date.now() > deadline) await fail(`${what}: no relayed call on the expected relays within ${ms / 1000} s: `
      + JSON.stringify(last));
    await sleep(250);
  }
}

/** Frames keep coming both ways over FLOW_MS on the same path. */
async function videoFlows(S, D, dNode, what) {
  const a = { s: await path(S), d: await path(D) };
  await sleep(FLOW_MS);
  const b = { s: await path(S), d: await path(D) };
  const gained = { s: b.s.framesDecoded - a.s.framesDecoded, d: b.d.framesDecoded - a.d.framesDecoded };
  if (!callOn(b.s, b.d, dNode) || gained.s < MIN_FRAMES || gained.d < MIN_FRAMES) {
    await fail(`${what}: video did not flow both ways (frames gained in ${FLOW_MS} ms: ${JSON.stringify(gained)}): `
      + JSON.stringify(b));
  }
  return gained;
}

const describe = (p) => `local ${p.local.type} ${p.local.address}:${p.local.port} via ${p.local.url}, `
  + `remote ${p.remote.type} ${p.remote.address}:${p.remote.port}`;

try {
  proxy = await startFailoverProxy([{ name: 'doomed', port: Number(new URL(doomed.base).port) },
    { name: 'survivor', port: Number(new URL(survivor.base).port) }]);
  ({ browser, close: closeBrowser } = await launch());
  step(`proxy 127.0.0.1:${proxy.port} -> doomed ${doomed.base}, then survivor ${survivor.base}; Chromium up`);

  const S = await openDemo('S', `${survivor.base}/?relay=1&transport=udp`);
  const room = await S.evaluate(() => window.demo.create().then((j) => j.room));
  const D = await openDemo('D', `http://127.0.0.1:${proxy.port}/?relay=1&transport=udp&room=${room}`);
  const peerId = (page) => page.waitForFunction(() => window.demo.client.peerId, null, { timeout: 30_000 })
    .then((h) => h.jsonValue());
  const [sPeer, dPeer] = [await peerId(S), await peerId(D)];
  step(`S (${sPeer}) created room ${room} on the survivor; D (${dPeer}) joined through the proxy`);
  const routed = proxy.connections.map((c) => c.backend);
  if (routed.length === 0 || routed.some((b) => b !== 'doomed')) await fail(`D's connections went to ${routed}`);
  const dJoined = joinedFrames.find((j) => j.side === 'D');
  if (!dJoined || dJoined.resumed || dJoined.url !== `ws://127.0.0.1:${proxy.port}/ws/v1`
      || JSON.stringify(dJoined.turn) !== JSON.stringify([`turn:127.0.0.1:${doomed.turn}?transport=udp`])) {
    await fail(`D's first joined: ${JSON.stringify(dJoined)}`);
  }

  const callStarted = Date.now();
  const before = await waitForCall(S, D, doomed, CALL_MS, 'before the kill');
  const connectedIn = Date.now() - callStarted;
  const flowBefore = await videoFlows(S, D, doomed, 'before the kill');
  console.log(`PASS before: relay-only call across nodes in ${connectedIn} ms; S ${describe(before.s)}; `
    + `D ${describe(before.d)}; frames in ${FLOW_MS} ms: S ${flowBefore.s}, D ${flowBefore.d}`);

  const framesAtKill = { s: (await path(S)).framesDecoded, d: (await path(D)).framesDecoded };
  const sEventsBefore = (await S.evaluate(() => window.demo.events.slice())).length;
  const restartsAtKill = await S.evaluate(() => window.demo.restarts) + await D.evaluate(() => window.demo.restarts);
  const killAskedAt = Date.now();
  console.log('KILL');
  const answer = await nextLine(KILL_MS);
  if (answer === null) await fail(`no answer on stdin within ${KILL_MS / 1000} s`);
  // "killed <epoch ms>" from the caller: when it sent SIGKILL (by hand, any line: when KILL was printed)
  const said = Number((/^killed (\d+)$/.exec(answer) || [])[1]);
  const killedAt = said >= killAskedAt && said <= Date.now() ? said : killAskedAt;
  step(`doomed node killed ${Date.now() - killedAt} ms ago (${answer})`);

  // D resumes on the survivor, through the proxy, as the same peer
  let resumed = null;
  while (!resumed && Date.now() - killedAt < RESUME_MS) {
    resumed = joinedFrames.find((j) => j.side === 'D' && j.at >= killedAt);
    if (!resumed) await sleep(50);
  }
  if (!resumed) await fail(`D did not resume within ${RESUME_MS / 1000} s`);
  const resumeMs = resumed.at - killedAt;
  const after = proxy.connections.filter((c) => c.at >= killedAt).map((c) => c.backend);
  if (!resumed.resumed || resumed.peerId !== dPeer || resumed.url !== dJoined.url
      || JSON.stringify(resumed.turn) !== JSON.stringify([`turn:127.0.0.1:${survivor.turn}?transport=udp`])
      || after.length === 0 || after.some((b) => b !== 'survivor')) {
    await fail(`D's joined after the kill: ${JSON.stringify(resumed)} (expected resumed as ${dPeer} with the `
      + `survivor's TURN URI); connections since the kill went to ${JSON.stringify(after)}`);
  }
  step(`D resumed on the survivor as ${resumed.peerId} (resumed: true) ${resumeMs} ms after the kill`);

  // the call comes back relayed by the survivor, video increasing both ways
  const back = await waitForCall(S, D, survivor, BACK_MS - (Date.now() - killedAt), 'after the kill', framesAtKill);
  const backMs = Date.now() - killedAt;
  const flowAfter = await videoFlows(S, D, survivor, 'after the kill');
  const dReport = await D.evaluate(() => window.demo.events.slice());
  const restarts = await S.evaluate(() => window.demo.restarts) + await D.evaluate(() => window.demo.restarts);
  if (!dReport.includes('fresh TURN credentials') || restarts - restartsAtKill < 1) {
    await fail(`no ICE restart after the move: D's events ${JSON.stringify(dReport)}, restarts ${restarts}`);
  }
  const sEvents = (await S.evaluate(() => window.demo.events.slice())).slice(sEventsBefore);
  if (sEvents.some((e) => e.startsWith('presence'))) await fail(`S saw ${JSON.stringify(sEvents)}`);
  const dEvents = await D.evaluate(() => window.demo.events.slice());
  if (!dEvents.includes('signaling reconnecting') || !dEvents.includes('signaling resumed')) {
    await fail(`D's page did not show the reconnect: ${JSON.stringify(dEvents)}`);
  }
  if (await D.evaluate(() => window.demo.client.peerId) !== dPeer) await fail('D\'s peer id changed');
  console.log(`PASS after: D resumed on the survivor as the same peer ${resumeMs} ms after the kill, the demo `
    + `page restarted ICE (${restarts - restartsAtKill}x), call back relay-only at ${backMs} ms; `
    + `S ${describe(back.s)}; D ${describe(back.d)}; `
    + `frames in ${FLOW_MS} ms: S ${flowAfter.s}, D ${flowAfter.d}; S saw no leave`);
  console.log(`TIMINGS connect=${connectedIn} resume=${resumeMs} back=${backMs} `
    + `total=${Date.now() - t0}`);
  clearTimeout(watchdog);
  await cleanup();
  process.exit(0);
} catch (e) {
  await fail(e && e.stack ? e.stack : String(e));
}
