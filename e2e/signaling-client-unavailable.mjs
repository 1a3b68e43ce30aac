// signaling.js in Node against a scripted fake server (loopback only), for what a real server rarely does on
// demand: the room store (Redis) is unavailable while a member resumes.
//
//   node e2e/signaling-client-unavailable.mjs <path to signaling.js>
//
// The member joins, its socket is cut, and the server answers its next resumes with `unavailable` before it
// accepts one. The client must keep its seat and its outbox (resume again with the same token; no fresh join;
// a signal sent meanwhile arrives after the resume, once), and must back off between attempts instead of
// hammering the server. Prints PASS or FAIL and exits 0 or 1; bounded by a watchdog.
import { WebSocketServer, WebSocket } from 'ws';
import { pathToFileURL } from 'node:url';

const UNAVAILABLE_ANSWERS = 3;
const watchdog = setTimeout(() => finish(false, 'watchdog: not done within 30 s'), 30_000);

globalThis.WebSocket = WebSocket;
globalThis.addEventListener = () => {}; // no pagehide in Node

const received = []; // every client message, in order: {at, msg}
let resumes = 0;
let socketNo = 0;
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
await new Promise((r) => wss.once('listening', r));

const joined = (msg, resumed) => JSON.stringify({ type: 'joined', ref: msg.ref, room: 'ABCD', peerId: 'p1', token: 'resume-token-1',
  resumed, presence: {}, iceServers: [], ttl: 600, expiresAt: Date.now() + 600_000, heartbeatInterval: 30_000,
  rate: 20, burst: 40, received: 0 });

wss.on('connection', (ws) => {
  const n = ++socketNo;
  ws.on('message', (data) => {
    const msg = JSON.parse(data);
    received.push({ at: Date.now(), socket: n, msg });
    if (msg.type === 'join') {
      ws.send(joined(msg, false));
      if (n === 1) setTimeout(() => ws.terminate(), 50); // the network drops: no close frame
    } else if (msg.type === 'resume') {
      resumes++;
      if (resumes <= UNAVAILABLE_ANSWERS) {
        ws.send(JSON.stringify({ type: 'error', ref: msg.ref, code: 'unavailable', message: 'the room store is unavailable' }));
      } else {
        ws.send(joined(msg, true));
      }
    } else if (msg.type === 'signal' && msg.ref != null) {
      ws.send(JSON.stringify({ type: 'ack', ref: msg.ref, received: msg.seq }));
    } else if (msg.type === 'heartbeat') {
      ws.send(JSON.stringify({ type: 'heartbeat', ref: msg.ref }));
    }
  });
});

const { SignalingClient } = await import(pathToFileURL(process.argv[2]).href);
const client = new SignalingClient({ base: `http://127.0.0.1:${wss.address().port}` });
const errors = [];
client.onError((e) => errors.push(e.code));
await client.joinRoom('ABCD', { name: 'Ann' });
await until(() => client.status !== 'joined', 5000, 'the client did not notice the cut');
const sent = client.sendSignal({ n: 1 }); // while the seat is away: kept in the outbox
await until(() => client.status === 'joined' && resumes > UNAVAILABLE_ANSWERS, 20_000, 'no resume after the store came back');
await Promise.race([sent, sleep(5000).then(() => { throw new Error('the signal sent while away was not acknowledged'); })]);

const types = received.map((r) => r.msg.type);
const joins = types.filter((t) => t === 'join').length;
const signals = received.filter((r) => r.msg.type === 'signal');
const resumeTimes = received.filter((r) => r.msg.type === 'resume').map((r) => r.at);
const gaps = resumeTimes.slice(1).map((t, i) => t - resumeTimes[i]);
if (joins !== 1) finish(false, `expected one join (the seat kept), saw ${joins}: ${types.join(',')}`);
if (resumeTimes.length !== UNAVAILABLE_ANSWERS + 1) finish(false, `expected ${UNAVAILABLE_ANSWERS + 1} resumes, saw ${resumeTimes.length}`);
if (new Set(received.filter((r) => r.msg.type === 'resume').map((r) => r.msg.token)).size !== 1) finish(false, 'resumed with another token');
if (signals.length !== 1 || signals[0].msg.payload.n !== 1) finish(false, `the signal arrived ${signals.length} times`);
if (signals[0].socket !== socketNo) finish(false, 'the signal was written before the resume succeeded');
// Back-off: the attempts after an unavailable answer wait longer each time (by design 125-250 ms, 250-500 ms,
// 500-1000 ms: doubling, jittered by up to half).
if (!(gaps[gaps.length - 1] >= 250 && gaps[gaps.length - 1] > gaps[0])) finish(false, `no back-off between resumes: ${gaps.join(', ')} ms`);
finish(true, `seat kept across ${UNAVAILABLE_ANSWERS} unavailable answers (resume gaps ${gaps.join(', ')} ms), `
  + `the signal sent meanwhile arrived once after the resume; errors seen by the app: ${errors.join(',') || 'none'}`);

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

async function until(test, ms, what) {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) finish(false, what);
    await sleep(20);
  }
}

function finish(ok, message) {
  console.log((ok ? 'PASS ' : 'FAIL ') + message);
  clearTimeout(watchdog);
  try { client.closedByUs = true; client.ws && client.ws.close(); } catch { /* not there yet */ }
  wss.close();
  process.exit(ok ? 0 : 1);
}
