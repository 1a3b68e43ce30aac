// Headless Chromium pages whose signaling is the real supabase-js 2.119.0 (UMD bundle served from a loopback
// static server: no CDN) against turnbridge's Supabase Realtime front-end:
//   call:  two supabase-js pages run the snippet and a relay-only video call with iceServers from
//          GET /realtime/v1/ice-servers (relay/relay pair, decoded frames); then one tab closes and the other
//          sees the presence leave;
//   mixed: one supabase-js page and one signaling.js page complete the same call in one room.
// Usage: JWT_SECRET=... ANON_KEY=... node supabase-browser.mjs http://127.0.0.1:<signaling port>
// The server needs signaling.allowed-origins to admit the static server's origin (the IT sets "*").
// Exit 0 when every check passed. Launch flags: ../shared/BROWSER-TESTS.md (every packet stays on loopback).
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { launch, checkBase } from './chromium.mjs';

const BASE = process.argv[2];
const { JWT_SECRET, ANON_KEY } = process.env;
if (!checkBase(BASE) || !JWT_SECRET || !ANON_KEY) {
  console.error('usage: JWT_SECRET=... ANON_KEY=... node supabase-browser.mjs http://127.0.0.1:<port>');
  process.exit(2);
}
const TOTAL_MS = 150_000;
setTimeout(() => { console.log('FAIL: out of time'); process.exit(1); }, TOTAL_MS).unref();

let failures = 0;
function check(ok, what, detail = '') {
  console.log(`${ok ? 'PASS' : 'FAIL'} ${what}${detail ? ': ' + detail : ''}`);
  if (!ok) failures++;
}
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
function jwt(sub) {
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, aud: 'authenticated', iat: now - 60, exp: now + 600 })}`;
  return `${body}.${createHmac('sha256', JWT_SECRET).update(body).digest('base64url')}`;
}
async function createRoom(token) {
  const res = await fetch(`${BASE}/api/rooms`, { method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ visibility: 'public' }) });
  if (!res.ok) throw new Error(`POST /api/rooms: ${res.status} ${await res.text()}`);
  return (await res.json()).code;
}

const here = new URL('.', import.meta.url);
const files = {
  '/': ['text/html', readFileSync(new URL('supabase-page.html', here))],
  '/supabase.js': ['text/javascript', readFileSync(new URL('node_modules/@supabase/supabase-js/dist/umd/supabase.js', here))],
};
const server = createServer((req, res) => {
  const f = files[new URL(req.url, 'http://x').pathname];
  if (!f) { res.writeHead(404).end(); return; }
  res.writeHead(200, { 'Content-Type': f[0] }).end(f[1]);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const PAGE = `http://127.0.0.1:${server.address().port}/`;

const { browser, close } = await launch();
async function page() {
  const context = await browser.newContext();
  const p = await context.newPage();
  p.on('pageerror', (e) => console.log(`page error: ${e.message}`));
  await p.goto(PAGE);
  return p;
}
const show = (r) => `${r.local}/${r.remote} over ${r.relayProtocol}, ${r.frames} frames`;
const relayed = (r) => r.local === 'relay' && r.remote === 'relay' && r.frames > 0;

try {
  // two supabase-js pages
  {
    const room = await createRoom(jwt('call-alice'));
    const [a, b] = [await page(), await page()];
    const t0 = Date.now();
    const [ra, rb] = await Promise.all([
      a.evaluate((o) => window.runSupabase(o), { base: BASE, anon: ANON_KEY, token: jwt('call-alice'), roomId: room,
        userId: 'call-alice', offerer: true }),
      b.evaluate((o) => window.runSupabase(o), { base: BASE, anon: ANON_KEY, token: jwt('call-bob'), roomId: room,
        userId: 'call-bob', offerer: false }),
    ]);
    console.log(`CALL_MS supabase ${Date.now() - t0}`);
    check(relayed(ra) && relayed(rb), 'supabase-js pages: relay-only call with decoded video', `${show(ra)}; ${show(rb)}`);
    const seen = await a.evaluate(() => window.presenceSeen.joins.map((p) => p.user_id));
    check(seen.includes('call-bob'), 'supabase-js pages: presence join', JSON.stringify(seen));
    await b.context().close(); // the tab closes
    const left = await a.waitForFunction(() => window.presenceSeen.leaves.some((p) => p.user_id === 'call-bob'),
      null, { timeout: 10000 }).then(() => true, () => false);
    check(left, 'supabase-js pages: leave seen when the other tab closes');
    await a.context().close();
  }
  // one supabase-js page, one signaling.js page
  {
    const room = await createRoom(jwt('mixed-carol'));
    const [a, b] = [await page(), await page()];
    const [ra, rb] = await Promise.all([
      a.evaluate((o) => window.runSupabase(o), { base: BASE, anon: ANON_KEY, token: jwt('mixed-carol'), roomId: room,
        userId: 'mixed-carol', offerer: true }),
      b.evaluate((o) => window.runSignaling(o), { base: BASE, token: jwt('mixed-dave'), roomId: room,
        userId: 'mixed-dave' }),
    ]);
    check(relayed(ra) && relayed(rb), 'mixed room (supabase-js + signaling.js): relay-only call with decoded video',
      `${show(ra)}; ${show(rb)}`);
    const seenBySupabase = await a.evaluate(() => window.presenceSeen.joins.map((p) => p.user_id));
    const seenBySignaling = await b.evaluate(() => window.presenceSeen.joins.map((p) => p.user_id));
    check(seenBySupabase.includes('mixed-dave') && seenBySignaling.includes('mixed-carol'),
      'mixed room: presence seen both ways', `${JSON.stringify(seenBySupabase)} ${JSON.stringify(seenBySignaling)}`);
    await a.context().close();
    await b.context().close();
  }
  // round trips between two pages through the server, supabase-js broadcasts vs our own protocol's signals
  // (printed, not asserted: no timed checks in tests)
  for (const kind of ['supabase', 'signaling']) {
    const room = await createRoom(jwt(`rtt-${kind}-a`));
    const [a, b] = [await page(), await page()];
    await b.evaluate((o) => window.pingPong(o), { kind, base: BASE, anon: ANON_KEY, token: jwt(`rtt-${kind}-b`),
      roomId: room, userId: `rtt-${kind}-b`, ping: false, n: 0 });
    const times = await a.evaluate((o) => window.pingPong(o), { kind, base: BASE, anon: ANON_KEY,
      token: jwt(`rtt-${kind}-a`), roomId: room, userId: `rtt-${kind}-a`, ping: true, n: 30 });
    const sorted = [...times].sort((x, y) => x - y);
    const q = (f) => sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))].toFixed(2);
    check(times.length === 30, `${kind}: 30 round trips`);
    console.log(`LATENCY ${kind} round trip over ${times.length}: median ${q(0.5)} ms, p90 ${q(0.9)} ms, max ${q(1)} ms`);
    await a.context().close();
    await b.context().close();
  }
} catch (e) {
  check(false, 'browser scenario', e.stack || String(e));
} finally {
  await close();
  server.close();
}
console.log(failures === 0 ? 'PASS: supabase-js in Chromium against turnbridge' : `FAIL: ${failures} checks failed`);
process.exit(failures === 0 ? 0 : 1);
