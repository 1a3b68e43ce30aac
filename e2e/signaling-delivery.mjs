// End-to-end, issue 10: signaling that survives real networks, in headless Chromium against turnbridge.
//
//   node e2e/signaling-delivery.mjs http://127.0.0.1:<signaling port> <proxy port> <app port>
//
// The demo pages talk to the server through a TCP proxy on <proxy port> that the script freezes (half-open:
// both ends stay up, nothing passes). Every call is relay-only over UDP TURN. Scenarios:
//   frozen-call    a call is up; both signaling sockets freeze; 20 signals sent into the frozen socket arrive
//                  exactly once after the clients notice (heartbeat replies stop) and resume; the call stays up,
//                  the pages show "signaling reconnecting" / "signaling resumed", nobody sees a leave.
//   frozen-offer   both sockets freeze as soon as the offer has gone out; the call still comes up by itself.
//   reload         B reloads its tab mid-call: it takes its seat back (same peer id, no leave/join at A) and
//                  the call comes back.
//   away-join      (issue 10, defect 1) an app page's socket freezes; meanwhile a second member joins; after the
//                  resume the first page reports the join (the old client only reported leaves).
//   away-leave     (defect 2) a page's network is cut for longer than the resume grace; meanwhile the other
//                  member leaves; the page joins again as a new peer and reports that leave.
//   cross-origin   an app served from http://127.0.0.1:<app port> (an allowed origin) imports
//                  <server>/signaling.js, creates a room, joins from two pages and exchanges a signal through
//                  the server's base URL; the same app from another port (not an allowed origin) cannot.
// It prints "CALLS <n>": the calls it made, which the server's turnbridge_calls_total must have counted.
// Exit 0 on success, 1 with a reason and the pages' logs on failure, 2 on bad usage. Bounded: 600 s (the calls take seconds each on an idle machine; the bounds allow for a loaded one).
import http from 'node:http';
import { launch } from './chromium.mjs';
import { startProxy } from './freezing-proxy.mjs';

const TOTAL_MS = 600_000;
const CALL_MS = 60_000;
const RESUME_MS = 45_000;
/** signaling.resume-grace of the server under test (BrowserDeliveryIT sets it). */
const GRACE_MS = 60_000;

const base = process.argv[2];
const proxyPort = Number(process.argv[3]);
const appPort = Number(process.argv[4]);
if (!base || !/^http:\/\/127\.0\.0\.1:\d+$/.test(base) || !(proxyPort > 0) || !(appPort > 0)) {
  console.error('usage: node signaling-delivery.mjs http://127.0.0.1:<port> <proxy port> <app port>  (loopback only)');
  process.exit(2);
}
const serverPort = Number(new URL(base).port);

let browser;
let cleanupBrowser = async () => {};
let proxy;
let app;
let refusedApp;
const logs = {};
const pages = {};
let calls = 0;

async function cleanup() {
  await cleanupBrowser();
  try { if (proxy) proxy.close(); } catch { /* gone */ }
  try { if (app) app.close(); } catch { /* gone */ }
  try { if (refusedApp) refusedApp.close(); } catch { /* gone */ }
}

async function fail(reason) {
  console.error('FAIL: ' + reason);
  for (const [side, page] of Object.entries(pages)) {
    try {
      const events = await Promise.race([page.evaluate(() => (window.demo ? window.demo.events.slice() : [])),
        new Promise((r) => setTimeout(() => r([]), 1000))]);
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
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const t0 = Date.now();
const step = (text) => console.log(`  [${((Date.now() - t0) / 1000).toFixed(1)} s] ${text}`);

async function openPage(side, url) {
  logs[side] = [];
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('console', (m) => logs[side].push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs[side].push(`pageerror: ${e.message}`));
  pages[side] = page;
  await page.goto(url, { timeout: 30_000 });
  return page;
}

async function openDemo(side, url) {
  const page = await openPage(side, url);
  await page.waitForFunction(() => window.demo !== undefined, null, { timeout: 30_000 });
  return page;
}

async function closePages(...sides) {
  // A call report stays in its page until the server answers it (after a resume, a rate limit): let the
  // answers come before the pages go, or the call the script counted may never reach the server.
  await Promise.all(sides.map((side) => pages[side] && pages[side].waitForFunction(
    () => !(window.demo && window.demo.client) || window.demo.client.control.length === 0, null,
    { timeout: 10_000 }).catch(() => {})));
  for (const side of sides) {
    const page = pages[side];
    delete pages[side];
    delete logs[side];
    if (page) await page.context().close().catch(() => {});
  }
}

const events = (page) => page.evaluate(() => window.demo.events.slice());
const peerId = (page) => page.waitForFunction(() => window.demo.client.peerId, null, { timeout: 30_000 })
  .then((h) => h.jsonValue());

async function until(what, ms, test) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await test();
    if (value) return value;
    if (Date.now() > deadline) await fail(`${what} within ${ms / 1000} s`);
    await sleep(100);
  }
}

/** Both pages on a relay/relay pair over UDP with frames decoded; returns B's framesDecoded. */
async function relayedCall(a, b, what) {
  let last = {};
  await until(`${what}: no relayed call with decoded video: ${JSON.stringify(last)}`, CALL_MS, async () => {
    last = { a: await a.evaluate(() => window.demo.stats()), b: await b.evaluate(() => window.demo.stats()) };
    return Object.values(last).every((s) => s && s.localCandidateType === 'relay' && s.remoteCandidateType === 'relay'
      && s.relayProtocol === 'udp' && s.framesDecoded > 0);
  });
  return last.b.framesDecoded;
}

/** Records 'probe' signals a page receives. */
async function recordProbes(page) {
  await page.evaluate(() => {
    window.probes = [];
    window.demo.client.onSignal((p) => { if (p && p.type === 'probe') window.probes.push(p.n); });
  });
}

async function noLeaves(page, side) {
  const leaves = (await events(page)).filter((e) => e.startsWith('presence leave'));
  if (leaves.length) await fail(`page ${side} saw ${leaves.join(', ')}`);
}

async function frozenCall() {
  const started = Date.now();
  const url = `http://127.0.0.1:${proxyPort}/?relay=1&transport=udp`;
  const a = await openDemo('A1', url);
  const room = await a.evaluate(() => window.demo.create().then((j) => j.room));
  const b = await openDemo('B1', `${url}&room=${room}`);
  const [aPeer, bPeer] = [await peerId(a), await peerId(b)];
  step('frozen-call: pages joined');
  await relayedCall(a, b, 'frozen-call before the freeze');
  calls++;
  step('frozen-call: call up, freezing');
  await recordProbes(b);
  const frozenAt = Date.now();
  const frozen = proxy.freeze();
  if (frozen < 2) await fail(`only ${frozen} proxied connection(s) to freeze`);
  await a.evaluate(() => { for (let n = 1; n <= 20; n++) window.demo.client.sendSignal({ type: 'probe', n }).catch(() => {}); });
  const resumed = {};
  for (const [side, page] of [['A1', a], ['B1', b]]) {
    await until(`frozen-call: page ${side} did not resume`, RESUME_MS, async () => {
      const e = await events(page);
      return e.includes('signaling reconnecting') && e.includes('signaling resumed');
    });
    resumed[side] = Date.now() - frozenAt;
    step(`frozen-call: ${side} resumed`);
    const shown = await page.evaluate(() => document.getElementById('log').textContent);
    if (!shown.includes('signaling reconnecting') || !shown.includes('signaling resumed')) {
      await fail(`page ${side} does not show the reconnect`);
    }
  }
  const probes = await until('frozen-call: the 20 probes did not all arrive', 10_000, async () => {
    const p = await b.evaluate(() => window.probes.slice());
    return p.length >= 20 ? p : null;
  });
  await sleep(500);
  const finalProbes = await b.evaluate(() => window.probes.slice());
  const expected = Array.from({ length: 20 }, (_, i) => i + 1);
  if (JSON.stringify(finalProbes) !== JSON.stringify(expected)) {
    await fail(`frozen-call: probes arrived as ${JSON.stringify(finalProbes)} (after ${JSON.stringify(probes)})`);
  }
  if (await peerId(a) !== aPeer || await peerId(b) !== bPeer) await fail('frozen-call: a peer id changed');
  await noLeaves(a, 'A1');
  await noLeaves(b, 'B1');
  const frames = await b.evaluate(() => window.demo.stats().then((s) => s.framesDecoded));
  await sleep(1000);
  const later = await b.evaluate(() => window.demo.stats().then((s) => s.framesDecoded));
  if (!(later > frames)) await fail('frozen-call: video stopped');
  await closePages('A1', 'B1');
  console.log(`PASS frozen-call: resumed after ${resumed.A1} ms (A) and ${resumed.B1} ms (B) of a frozen socket; `
    + `20 of 20 signals sent into it arrived once, in order; no leave; video on (${Date.now() - started} ms)`);
}

async function frozenOffer() {
  const started = Date.now();
  const url = `http://127.0.0.1:${proxyPort}/?relay=1&transport=udp`;
  const a = await openDemo('A2', url);
  const room = await a.evaluate(() => window.demo.create().then((j) => j.room));
  // freeze the moment A's offer has gone out: B's answer and both sides' candidates go into frozen sockets
  const armed = a.waitForFunction(() => window.demo.events.some((e) => e.startsWith('offer sent')), null,
    { timeout: 40_000, polling: 5 }).then(() => true, () => false);
  const b = await openDemo('B2', `${url}&room=${room}`);
  if (!(await armed)) await fail('frozen-offer: A sent no offer');
  const frozen = proxy.freeze();
  const frozenAt = Date.now();
  await relayedCall(a, b, 'frozen-offer');
  calls++;
  for (const [side, page] of [['A2', a], ['B2', b]]) {
    await until(`frozen-offer: page ${side} did not resume`, RESUME_MS, async () =>
      (await events(page)).includes('signaling resumed'));
  }
  await noLeaves(a, 'A2');
  await closePages('A2', 'B2');
  console.log(`PASS frozen-offer: ${frozen} sockets frozen right after the offer; relayed call up `
    + `${Date.now() - frozenAt} ms later (${Date.now() - started} ms)`);
}

async function reload() {
  const started = Date.now();
  const url = `${base}/?relay=1&transport=udp`;
  const a = await openDemo('A3', url);
  const room = await a.evaluate(() => window.demo.create().then((j) => j.room));
  const b = await openDemo('B3', `${url}&room=${room}`);
  const bPeer = await peerId(b);
  await relayedCall(a, b, 'reload before');
  calls++;
  step('reload: call up, reloading B');
  const aBefore = (await events(a)).length;
  const reloadedAt = Date.now();
  await b.reload({ timeout: 30_000 });
  await b.waitForFunction(() => window.demo !== undefined, null, { timeout: 30_000 });
  let bEvents = [];
  await until(`reload: B did not take its seat back (B's events: ${JSON.stringify(bEvents)})`, 30_000, async () => {
    bEvents = await events(b);
    return bEvents.includes('took the seat back as ' + bPeer) || bEvents.some((e) => e.startsWith('joined as'));
  });
  if (!bEvents.includes('took the seat back as ' + bPeer)) {
    await fail(`reload: B joined as a new peer ${Date.now() - reloadedAt} ms after the reload: ${JSON.stringify(bEvents)}`);
  }
  step(`reload: B took its seat back ${Date.now() - reloadedAt} ms after the reload began`);
  await relayedCall(a, b, 'reload after');
  calls++;
  const aEvents = (await events(a)).slice(aBefore);
  if (aEvents.some((e) => e.startsWith('presence'))) {
    await fail(`reload: A saw presence changes ${JSON.stringify(aEvents.filter((e) => e.startsWith('presence')))}`);
  }
  await closePages('A3', 'B3');
  console.log(`PASS reload: B reloaded and took its seat back as ${bPeer}; A saw no leave or join; the call came `
    + `back (${Date.now() - started} ms)`);
}

/** The app another origin serves: it imports signaling.js from the turnbridge server. */
function appPage() {
  return `<!doctype html><meta charset=utf-8><title>app</title><script type=module>
    window.result = (async () => {
      const params = new URLSearchParams(location.search);
      const server = params.get('server') || '${base}';
      const { SignalingClient, createRoom, getRoom } = await import(server + '/signaling.js');
      const code = params.get('room') || (await createRoom()).code;
      const info = await getRoom(code);
      const client = new SignalingClient();
      window.received = [];
      window.presence = [];
      client.onSignal((p, from) => window.received.push(p));
      client.onPresenceJoin((id) => window.presence.push('join ' + id));
      client.onPresenceLeave((id) => window.presence.push('leave ' + id));
      const joined = await client.joinRoom(code, { name: 'app' });
      const ice = await client.getIceServers();
      window.client = client;
      return { code, url: client.url, capacity: info.capacity, peerId: joined.peerId, ice: ice.length };
    })().catch((e) => ({ error: String(e && e.message || e) }));
  </script>`;
}

const presence = (page) => page.evaluate(() => window.presence.slice());

async function appMember(side, query) {
  const page = await openPage(side, `http://127.0.0.1:${appPort}/?${query}`);
  const r = await page.evaluate(() => window.result);
  if (r.error) await fail(`page ${side}: ${r.error}`);
  return [page, r];
}

async function awayJoin() {
  const started = Date.now();
  const [a, ra] = await appMember('away-A', `server=http://127.0.0.1:${proxyPort}`);
  proxy.freeze();
  const [b, rb] = await appMember('away-B', `room=${ra.code}`);
  await until(`away-join: A never reported B's join (${JSON.stringify(await presence(a))})`, RESUME_MS, async () =>
    (await presence(a)).includes('join ' + rb.peerId));
  const seen = await presence(a);
  if (seen.filter((e) => e === 'join ' + rb.peerId).length !== 1) await fail(`away-join: A saw ${JSON.stringify(seen)}`);
  await closePages('away-A', 'away-B');
  console.log(`PASS away-join: B joined while A's socket was frozen; A reported the join once after its resume `
    + `(${Date.now() - started} ms)`);
}

async function awayLeave() {
  const started = Date.now();
  const [a, ra] = await appMember('gone-A', `server=http://127.0.0.1:${proxyPort}`);
  const [b, rb] = await appMember('gone-B', `room=${ra.code}`);
  await until('away-leave: A did not see B join', 10_000, async () => (await presence(a)).includes('join ' + rb.peerId));
  proxy.cut(GRACE_MS + 4000); // A's network is down for longer than the resume grace
  await b.evaluate(() => window.client.close());
  await until(`away-leave: A never reported B's leave (${JSON.stringify(await presence(a))})`, GRACE_MS + RESUME_MS,
    async () => (await presence(a)).includes('leave ' + rb.peerId));
  const peer = await a.evaluate(() => window.client.peerId);
  if (peer === ra.peerId) await fail('away-leave: A kept its peer id past the grace');
  await closePages('gone-A', 'gone-B');
  console.log(`PASS away-leave: B left while A was cut off past the grace; A joined again as ${peer} and reported `
    + `the leave (${Date.now() - started} ms)`);
}

async function crossOrigin() {
  const started = Date.now();
  const a = await openPage('app-A', `http://127.0.0.1:${appPort}/`);
  const ra = await a.evaluate(() => window.result);
  if (ra.error) await fail(`cross-origin: the app at 127.0.0.1:${appPort} could not use signaling.js: ${ra.error}`);
  const expectedWs = `ws://127.0.0.1:${serverPort}/ws/v1`;
  if (ra.url !== expectedWs) await fail(`cross-origin: WebSocket URL ${ra.url}, expected ${expectedWs}`);
  const b = await openPage('app-B', `http://127.0.0.1:${appPort}/?room=${ra.code}`);
  const rb = await b.evaluate(() => window.result);
  if (rb.error || rb.code !== ra.code || !(rb.ice > 0)) await fail(`cross-origin: second page ${JSON.stringify(rb)}`);
  await b.evaluate(() => window.client.sendSignal({ type: 'hello' }));
  await until('cross-origin: the signal did not arrive', 5000, () =>
    a.evaluate(() => window.received.some((p) => p.type === 'hello')));
  const other = `http://127.0.0.1:${refusedApp.address().port}`;
  const refused = await openPage('app-refused', `${other}/`);
  const rr = await refused.evaluate(() => window.result);
  if (!rr.error) await fail(`cross-origin: ${other} is not allowed but could import: ${JSON.stringify(rr)}`);
  await closePages('app-A', 'app-B', 'app-refused');
  console.log(`PASS cross-origin: http://127.0.0.1:${appPort} imported ${base}/signaling.js, created room, joined `
    + `twice, exchanged a signal over ${expectedWs}; ${other} (not allowed) was refused (${rr.error}) `
    + `(${Date.now() - started} ms)`);
}

try {
  proxy = await startProxy(serverPort, proxyPort);
  const serveApp = (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(appPage());
  };
  app = http.createServer(serveApp);
  await new Promise((resolve, reject) => { app.once('error', reject); app.listen(appPort, '127.0.0.1', resolve); });
  refusedApp = http.createServer(serveApp);
  await new Promise((resolve) => refusedApp.listen(0, '127.0.0.1', resolve));
  ({ browser, close: cleanupBrowser } = await launch());
  const only = (process.env.SCENARIOS || 'frozen-call,frozen-offer,reload,away-join,away-leave,cross-origin')
    .split(',');
  const started = Date.now();
  if (only.includes('frozen-call')) await frozenCall();
  if (only.includes('frozen-offer')) await frozenOffer();
  if (only.includes('reload')) await reload();
  if (only.includes('away-join')) await awayJoin();
  if (only.includes('away-leave')) await awayLeave();
  if (only.includes('cross-origin')) await crossOrigin();
  console.log(`CALLS ${calls}`);
  console.log(`PASS: ${only.join(', ')} in ${Date.now() - started} ms`);
  clearTimeout(watchdog);
  await cleanup();
  process.exit(0);
} catch (e) {
  await fail(e && e.stack ? e.stack : String(e));
}
