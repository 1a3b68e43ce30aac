// Signaling load client for scripts/bench-signaling: an independent client written from
// docs/signaling-protocol.md with the `ws` package (not our signaling.js), driving a running server.
//
//   node e2e/bench-signaling.mjs --url http://127.0.0.1:<port>[,http://127.0.0.1:<port2>] [options]
//
//   --url U[,U2...]       signaling base URLs (loopback only); rooms are created on the first, and the k-th member
//                         of a room connects to URL k % count (several nodes sharing a registry: with two, each
//                         room of two has one member on each node, so every signal crosses nodes)
//   --clients N           WebSocket clients (default 100)
//   --rooms R             rooms (default N/2); members are spread evenly, capacity ceil(N/R)
//   --rates A,B,...       offered signal rates, signals/s over all clients, one measured phase each (default 200)
//   --duration S          seconds per phase (default 10)
//   --warmup S            seconds at the first rate before measuring, not counted (default 0)
//   --payload-bytes B     size of each signal's payload JSON, about an ICE candidate (default 256)
//   --sources K           spread client sockets over source addresses 127.0.0.2 .. 127.0.0.(K+1) (default 1)
//   --connect-parallel P  connections being set up at once (default 200)
//   --settle S            seconds idle after the last join before the memory sample (default 3)
//   --server-pids P,...   server processes whose CPU (/proc/<pid>/stat) and RSS (/proc/<pid>/status) are read
//   --redis-pids P,...    the Redis the servers share (--registry redis): its CPU is reported in rows of its own
//   --jcmd                also sample the servers' live heap after a full GC (jcmd <pid> GC.run; GC.heap_info)
//   --jfr PREFIX          record each server with Java Flight Recorder during the warm-up and measured phases,
//                         into PREFIX-<node>.jfr (jcmd JFR.start before the warm-up, JFR.stop after the last)
//   --jfc FILE            the JFR settings for --jfr (default: profile)
//   --wait-idle S         before each phase, wait up to S s for the rest of the machine (every process but the
//                         servers and this client) to use under a quarter of a core (shared machines; default 0)
//   --deadline S          watchdog: exit 3 if the whole run takes longer (default 600)
//
// Every signal carries the sender's index, its per-sender number and the send time (performance.now(): sender and
// receiver live in this one process, so one clock). Each member gets every other member's signals (room
// broadcast), so a phase expects sent x (members - 1) deliveries. A phase's rates and CPU figures are taken at
// most 5 s after its last send; what arrives later is reported as late, and what has not arrived 30 s after the
// last phase is lost. Heartbeats follow the server's heartbeatInterval. Prints one `| metric | value |` row per figure and
// exits 0, or 1 with a reason (connect or join failed, server errors, lost or duplicated signals), 2 on bad
// usage, 3 on the watchdog.
import WebSocket from 'ws';
import http from 'node:http';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { performance, monitorEventLoopDelay } from 'node:perf_hooks';

const opts = parseArgs(process.argv.slice(2));
const urls = opts.url.split(',').map((u) => new URL(u));
for (const u of urls) {
  if (u.protocol !== 'http:' || !/^127\.\d+\.\d+\.\d+$/.test(u.hostname)) usage(`not a loopback http URL: ${u}`);
}
const CLIENTS = int(opts.clients ?? 100, 'clients', 2);
const ROOMS = int(opts.rooms ?? Math.floor(CLIENTS / 2), 'rooms', 1);
const RATES = String(opts.rates ?? '200').split(',').map((r) => int(r, 'rates', 1));
const DURATION_S = num(opts.duration ?? 10, 'duration');
const WARMUP_S = num(opts.warmup ?? 0, 'warmup');
const PAYLOAD_BYTES = int(opts['payload-bytes'] ?? 256, 'payload-bytes', 64);
const SOURCES = int(opts.sources ?? 1, 'sources', 1);
const PARALLEL = int(opts['connect-parallel'] ?? 200, 'connect-parallel', 1);
const SETTLE_S = num(opts.settle ?? 3, 'settle');
const PIDS = opts['server-pids'] ? String(opts['server-pids']).split(',').map((p) => int(p, 'server-pids', 1)) : [];
const REDIS_PIDS = opts['redis-pids'] ? String(opts['redis-pids']).split(',').map((p) => int(p, 'redis-pids', 1)) : [];
const JCMD = opts.jcmd === true;
const DEADLINE_S = num(opts.deadline ?? 600, 'deadline');
const WAIT_IDLE_S = num(opts['wait-idle'] ?? 0, 'wait-idle');
const JFR = opts.jfr ?? null;
const JFC = opts.jfc ?? 'profile';
if (JFR && !PIDS.length) usage('--jfr needs --server-pids');
const CAPACITY = Math.ceil(CLIENTS / ROOMS);
if (CAPACITY < 2 || CAPACITY > 16) usage(`clients/rooms gives ${CAPACITY} members per room (expected: 2..16)`);
if (SOURCES > 250) usage('sources: at most 250 (127.0.0.2 .. 127.0.0.251)');
const DRAIN_MS = 5000;  // a phase's figures are taken this long after its last send at the latest
const LATE_MS = 30_000; // after the last phase, how long late signals may still arrive before they count as lost
const HZ = 100; // USER_HZ: /proc/<pid>/stat counts CPU in 1/100 s on Linux

const rows = [];
const row = (metric, value) => { rows.push([metric, String(value)]); };
let failures = [];

const watchdog = setTimeout(() => {
  console.error(`bench-signaling client: watchdog: still running after ${DEADLINE_S} s, giving up`);
  process.exit(3);
}, DEADLINE_S * 1000);

// --- /proc figures -------------------------------------------------------------------------------------------
function cpuTicks(pid) { // utime + stime of every thread
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}
function rssKb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}
function busyTicks() { // user + nice + system of the whole machine
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  return Number(f[1]) + Number(f[2]) + Number(f[3]);
}
const loadavg = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
function heapUsedKb(pid) { // live heap after a full collection
  execFileSync('jcmd', [String(pid), 'GC.run'], { timeout: 60_000, stdio: ['ignore', 'ignore', 'pipe'] });
  const info = execFileSync('jcmd', [String(pid), 'GC.heap_info'], { timeout: 60_000, encoding: 'utf8' });
  const m = /used (\d+)K/.exec(info);
  if (!m) throw new Error(`jcmd GC.heap_info: no 'used' figure for ${pid}`);
  return Number(m[1]);
}
const sum = (f, pids = PIDS) => pids.reduce((a, p) => a + f(p), 0);
function jfr(command, args) {
  PIDS.forEach((pid, n) => execFileSync('jcmd', [String(pid), command, 'name=bench', ...args(n + 1)],
    { timeout: 60_000, stdio: ['ignore', 'ignore', 'pipe'] }));
}

// --- HTTP: room creation -------------------------------------------------------------------------------------
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
function createRoom() {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ capacity: CAPACITY });
    const req = http.request(new URL('/api/rooms', urls[0]), {
      method: 'POST', agent, timeout: 30_000,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        if (res.statusCode !== 201) return reject(new Error(`POST /api/rooms: ${res.statusCode} ${text.slice(0, 200)}`));
        try { resolve(JSON.parse(text).code); } catch (e) { reject(e); }
      });
    });
    req.on('timeout', () => req.destroy(new Error('POST /api/rooms timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

async function pool(count, parallel, task) { // runs task(0..count-1), at most `parallel` at once
  let next = 0;
  const worker = async () => { while (next < count) { const i = next++; await task(i); } };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
}

// --- members -------------------------------------------------------------------------------------------------
const members = new Array(CLIENTS); // { ws, room, peerId, index, joined, lastSeen: Map(sender -> n) }
const roomOf = (i) => i % ROOMS; // members of a room are spread over the index range (and so over sources)
const nodeOf = (i) => Math.floor(i / ROOMS) % urls.length; // the k-th member of each room goes to node k % nodes
let serverErrors = new Map(); // error code -> count
let unexpectedCloses = 0;
let closingAll = false;
// per-phase delivery bookkeeping, by the phase number each signal carries
const phases = []; // { latencies: number[], received, dup, reordered, expected, ... }
let idleCore = 0; // server CPU (cores) with every client idle: heartbeats and timers

function handle(m, raw) {
  let msg;
  try { msg = JSON.parse(raw); } catch { failures.push('a server message is not JSON'); return; }
  switch (msg.type) {
    case 'signal': {
      const p = msg.payload;
      if (!p || p.k !== 'bench') return;
      const now = performance.now();
      const ph = phases[p.p];
      if (!ph) { failures.push(`a signal of an unknown phase: ${p.p}`); return; }
      const last = m.lastSeen.get(p.s) ?? 0;
      if (p.n <= last) { ph.dup++; return; }
      if (p.n !== last + 1) ph.reordered++;
      m.lastSeen.set(p.s, p.n);
      ph.received++;
      ph.latencies.push(now - p.t);
      return;
    }
    case 'joined':
      m.peerId = msg.peerId;
      m.heartbeatMs = msg.heartbeatInterval;
      return;
    case 'presence_state':
      if (m.peerId && !m.joined) { m.joined = true; m.onJoined(); }
      return;
    case 'error':
      serverErrors.set(msg.code, (serverErrors.get(msg.code) ?? 0) + 1);
      if (!m.joined && m.onJoinFailed) m.onJoinFailed(new Error(`join refused: ${msg.code} ${msg.message ?? ''}`));
      return;
    default:
      return; // presence_diff, heartbeat, credentials
  }
}

function connect(i, code) {
  return new Promise((resolve, reject) => {
    const base = urls[nodeOf(i)];
    const localAddress = `127.0.0.${2 + (i % SOURCES)}`;
    const ws = new WebSocket(`ws://${base.host}/ws/v1`, { localAddress, perMessageDeflate: false, handshakeTimeout: 30_000 });
    const m = { ws, index: i, room: code, peerId: null, joined: false, lastSeen: new Map(), heartbeatMs: 25_000 };
    const timer = setTimeout(() => { ws.terminate(); reject(new Error(`client ${i}: not joined within 60 s`)); }, 60_000);
    m.onJoined = () => { clearTimeout(timer); resolve(m); };
    m.onJoinFailed = (e) => { clearTimeout(timer); ws.terminate(); reject(e); };
    ws.on('open', () => ws.send(JSON.stringify({ type: 'join', room: code, ref: 'j' })));
    ws.on('message', (data) => handle(m, data.toString()));
    ws.on('error', (e) => { if (!m.joined) { clearTimeout(timer); reject(new Error(`client ${i} (${localAddress}): ${e.message}`)); } });
    ws.on('close', (code) => { if (!closingAll) { unexpectedCloses++; if (!m.joined) { clearTimeout(timer); reject(new Error(`client ${i}: closed ${code} before joining`)); } } });
    members[i] = m;
  });
}

// heartbeats at the interval the server asked for, staggered; one timer for all clients
let heartbeatTimer = null;
function startHeartbeats() {
  const interval = members[0].heartbeatMs;
  let next = 0;
  const perTick = CLIENTS / (interval / 100);
  let due = 0;
  heartbeatTimer = setInterval(() => {
    due += perTick;
    for (; due >= 1; due--) {
      const m = members[next];
      next = (next + 1) % CLIENTS;
      if (m.ws.readyState === WebSocket.OPEN) m.ws.send('{"type":"heartbeat"}');
    }
  }, 100);
}

// --- one measured phase: `rate` signals/s for `seconds`, senders round-robin -----------------------------------
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pad = 'a'.repeat(PAYLOAD_BYTES);
const sendSeq = new Int32Array(CLIENTS);
let sender = 0;
const STRIDE = 7919; // a prime: consecutive sends come from members of different rooms
const measuredPhases = [];

/** The cores the rest of the machine used over 2 s: everything but the servers and this process. */
async function othersBusy() {
  const ours = () => sum(cpuTicks) + sum(cpuTicks, REDIS_PIDS);
  const b0 = busyTicks(), s0 = ours(), c0 = process.cpuUsage();
  await sleep(2000);
  const c = process.cpuUsage(c0);
  return ((busyTicks() - b0) - (ours() - s0)) / HZ / 2 - (c.user + c.system) / 1e6 / 2;
}

async function waitIdle() {
  if (WAIT_IDLE_S <= 0) return NaN;
  const until = performance.now() + WAIT_IDLE_S * 1000;
  for (;;) {
    const others = await othersBusy();
    if (others < 0.25 || performance.now() >= until) return others;
    console.error(`bench-signaling client: waiting for the machine: others use ${others.toFixed(2)} cores`);
  }
}

async function runPhase(rate, seconds, measured) {
  const others = measured ? await waitIdle() : NaN;
  const p = { id: phases.length, rate, latencies: [], received: 0, dup: 0, reordered: 0, expected: 0, late: 0, done: false };
  phases.push(p);
  const cpu0 = sum(cpuTicks), redis0 = sum(cpuTicks, REDIS_PIDS), busy0 = busyTicks(), client0 = process.cpuUsage();
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const start = performance.now();
  const end = start + seconds * 1000;
  let sent = 0;
  const template = (i, n, t) => `{"type":"signal","payload":{"k":"bench","p":${p.id},"s":${i},"n":${n},"t":${t},"x":"${pad}"}}`;
  // Sends what the schedule asks for up to now; a stalled event loop catches up in a burst, so the
  // achieved rate is reported beside the offered one.
  for (let now = start; now < end; now = performance.now()) {
    const target = Math.floor(((now - start) / 1000) * rate);
    for (; sent < target; sent++) {
      const i = sender;
      sender = (sender + STRIDE) % CLIENTS;
      sendSeq[i]++;
      p.expected += roomSize[roomOf(i)] - 1;
      members[i].ws.send(template(i, sendSeq[i], performance.now()));
    }
    await sleep(2);
  }
  const sendEnd = performance.now();
  const drainUntil = sendEnd + DRAIN_MS;
  while (p.received < p.expected && performance.now() < drainUntil) await sleep(20);
  p.done = true; // what arrives from now on is late: still counted as delivered, and its latency kept
  const wall = (performance.now() - start) / 1000;
  const cpu1 = sum(cpuTicks), redis1 = sum(cpuTicks, REDIS_PIDS), busy1 = busyTicks(), client1 = process.cpuUsage(client0);
  lag.disable();
  if (!measured) return;
  Object.assign(p, {
    sent, sendSeconds: (sendEnd - start) / 1000, wall, serverSeconds: (cpu1 - cpu0) / HZ, busy: (busy1 - busy0) / HZ,
    redisSeconds: (redis1 - redis0) / HZ,
    clientSeconds: (client1.user + client1.system) / 1e6, lagP99: lag.percentile(99) / 1e6, load: loadavg(),
    receivedInWindow: p.received, others,
  });
  measuredPhases.push(p);
}

function report(p) {
  const lat = Float64Array.from(p.latencies).sort();
  const q = (x) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(x * lat.length))].toFixed(2) : 'NaN');
  const lost = p.expected - p.received;
  const tag = `@ ${p.rate}/s`;
  row(`signals sent (achieved send rate /s) ${tag}`, `${p.sent} (${(p.sent / p.sendSeconds).toFixed(0)})`);
  row(`signals delivered ${tag}`, `${p.received} of ${p.expected}`);
  row(`signals lost ${tag}`, lost);
  row(`signals later than ${DRAIN_MS / 1000} s after the phase ${tag}`, p.received - p.receivedInWindow);
  row(`signals duplicated / out of order ${tag}`, `${p.dup} / ${p.reordered}`);
  row(`delivered signals/s ${tag}`, (p.receivedInWindow / p.sendSeconds).toFixed(0));
  row(`fan-out latency p50 / p90 / p99 / p99.9 / max (ms) ${tag}`,
    `${q(0.5)} / ${q(0.9)} / ${q(0.99)} / ${q(0.999)} / ${lat.length ? lat[lat.length - 1].toFixed(2) : 'NaN'}`);
  if (PIDS.length) {
    const perSignal = (cpu) => (p.receivedInWindow ? ((cpu * 1e6) / p.receivedInWindow).toFixed(1) : 'NaN');
    row(`server CPU per delivered signal (us) ${tag}`, perSignal(p.serverSeconds));
    row(`server CPU per delivered signal above idle (us) ${tag}`, perSignal(p.serverSeconds - idleCore * p.wall));
    row(`server CPU (% of one core) ${tag}`, ((p.serverSeconds / p.wall) * 100).toFixed(0));
  }
  if (REDIS_PIDS.length) {
    row(`Redis CPU per delivered signal (us) ${tag}`,
      p.receivedInWindow ? ((p.redisSeconds * 1e6) / p.receivedInWindow).toFixed(1) : 'NaN');
    row(`Redis CPU (% of one core) ${tag}`, ((p.redisSeconds / p.wall) * 100).toFixed(0));
  }
  row(`client CPU (% of one core) / event-loop delay p99 (ms) ${tag}`,
    `${((p.clientSeconds / p.wall) * 100).toFixed(0)} / ${p.lagP99.toFixed(1)}`);
  row(`machine busy (cores, all processes) ${tag}`, (p.busy / p.wall).toFixed(2));
  row(`load average at end ${tag}`, p.load);
  if (WAIT_IDLE_S > 0) row(`cores used by other processes before the phase ${tag}`, p.others.toFixed(2));
  if (lost !== 0) failures.push(`${lost} signals lost at ${p.rate}/s`);
  if (p.dup !== 0) failures.push(`${p.dup} signals duplicated at ${p.rate}/s`);
  if (p.reordered !== 0) failures.push(`${p.reordered} signals out of order at ${p.rate}/s`);
}
const roomSize = new Int32Array(ROOMS);
for (let i = 0; i < CLIENTS; i++) roomSize[roomOf(i)]++;

// --- the run -------------------------------------------------------------------------------------------------
async function main() {
  row('clients / rooms / members per room', `${CLIENTS} / ${ROOMS} / ${CAPACITY}`);
  row('nodes (signaling URLs)', urls.length);
  const spanning = new Set();
  for (let i = 0; i < CLIENTS; i++) if (nodeOf(i) !== nodeOf(roomOf(i))) spanning.add(roomOf(i));
  row('rooms with members on more than one node', spanning.size);
  row('source addresses', `${SOURCES} (127.0.0.2 .. 127.0.0.${1 + SOURCES})`);
  row('load average at start', loadavg());

  let t = performance.now();
  const codes = new Array(ROOMS);
  await pool(ROOMS, 16, async (r) => { codes[r] = await createRoom(); });
  row('rooms created (s)', ((performance.now() - t) / 1000).toFixed(1));
  agent.destroy();

  await sleep(SETTLE_S * 1000);
  // with --jcmd the full GC comes first at both samples, so both RSS figures are taken after a collection
  const heap0 = PIDS.length && JCMD ? sum(heapUsedKb) : 0;
  const rss0 = PIDS.length ? sum(rssKb) : 0;

  t = performance.now();
  await pool(CLIENTS, PARALLEL, (i) => connect(i, codes[roomOf(i)]));
  const connectS = (performance.now() - t) / 1000;
  row('clients connected and joined (s, joins/s)', `${connectS.toFixed(1)}, ${(CLIENTS / connectS).toFixed(0)}`);
  startHeartbeats();

  await sleep(SETTLE_S * 1000);
  if (PIDS.length) {
    // what the idle clients cost: heartbeats and the server's timers, no signals
    const cpu0 = sum(cpuTicks), t0 = performance.now();
    await sleep(SETTLE_S * 1000);
    idleCore = ((sum(cpuTicks) - cpu0) / HZ) / ((performance.now() - t0) / 1000);
    row('server CPU with every client idle (% of one core)', (idleCore * 100).toFixed(1));
    const heap1 = JCMD ? sum(heapUsedKb) : 0;
    const rss1 = sum(rssKb);
    row('server RSS before / after connecting (MB)', `${(rss0 / 1024).toFixed(1)} / ${(rss1 / 1024).toFixed(1)}`);
    row('memory per idle connection, RSS delta (KB)', ((rss1 - rss0) / CLIENTS).toFixed(1));
    if (JCMD) row('memory per idle connection, live heap after GC (KB)', ((heap1 - heap0) / CLIENTS).toFixed(1));
  }

  // JFR starts before the warm-up: its own start-up work (class loading, buffers) would land in the first phase
  if (JFR) jfr('JFR.start', () => [`settings=${JFC}`]);
  if (WARMUP_S > 0) await runPhase(RATES[0], WARMUP_S, false);
  for (const rate of RATES) {
    await runPhase(rate, DURATION_S, true);
    await sleep(500);
  }
  if (JFR) jfr('JFR.stop', (n) => [`filename=${JFR}-${n}.jfr`]);
  // signals still on their way count as delivered (late) if they arrive within LATE_MS; then the rest is lost
  const until = performance.now() + LATE_MS;
  while (phases.some((p) => p.received < p.expected) && performance.now() < until) await sleep(50);
  for (const p of measuredPhases) report(p);
  const errs = [...serverErrors.entries()].map(([c, n]) => `${c} ${n}`).join(', ');
  row('server errors', errs || '0');
  row('unexpected closes', unexpectedCloses);
  if (serverErrors.size) failures.push(`server errors: ${errs}`);
  if (unexpectedCloses) failures.push(`${unexpectedCloses} sockets closed by the server`);
}

async function closeAll() {
  closingAll = true;
  clearInterval(heartbeatTimer);
  const open = members.filter((m) => m && m.ws.readyState === WebSocket.OPEN);
  for (const m of open) m.ws.close(1000);
  const until = performance.now() + 10_000;
  while (performance.now() < until && open.some((m) => m.ws.readyState !== WebSocket.CLOSED)) await sleep(50);
  for (const m of members) if (m && m.ws.readyState !== WebSocket.CLOSED) m.ws.terminate();
}

function print() {
  const w = Math.max(...rows.map((r) => r[0].length), 6);
  const v = Math.max(...rows.map((r) => r[1].length), 5);
  console.log(`| ${'metric'.padEnd(w)} | ${'value'.padEnd(v)} |`);
  console.log(`|${'-'.repeat(w + 2)}|${'-'.repeat(v + 2)}|`);
  for (const [k, val] of rows) console.log(`| ${k.padEnd(w)} | ${val.padEnd(v)} |`);
}

try {
  await main();
} catch (e) {
  failures.push(e.message);
}
await closeAll();
print();
clearTimeout(watchdog);
if (failures.length) {
  console.log(`FAIL: ${failures.join('; ')}`);
  process.exit(1);
}
console.log('PASS');
process.exit(0);

// --- arguments -----------------------------------------------------------------------------------------------
function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) usage(`unexpected argument: ${a}`);
    const key = a.slice(2);
    if (key === 'jcmd') { out.jcmd = true; continue; }
    if (i + 1 >= argv.length) usage(`${a} needs a value`);
    out[key] = argv[++i];
  }
  if (!out.url) usage('--url is required');
  return out;
}
function int(v, name, min) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) usage(`${name}: ${v} (expected: an integer >= ${min})`);
  return n;
}
function num(v, name) {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) usage(`${name}: ${v} (expected: a number >= 0)`);
  return n;
}
function usage(msg) {
  console.error(`bench-signaling client: ${msg}`);
  process.exit(2);
}
