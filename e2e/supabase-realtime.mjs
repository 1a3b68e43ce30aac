// supabase-js 2.119.0 (the real npm package) against turnbridge's Supabase Realtime front-end, in Node.
// Usage: node --experimental-websocket supabase-realtime.mjs <http://127.0.0.1:port>
// Env: JWT_SECRET (the server's signaling.jwt.secret, HS256), ANON_KEY (one of signaling.supabase.anon-keys).
// Prints PASS/FAIL lines; exits 0 only when every check passed. Talks to loopback only.
import { createClient as supabaseCreateClient } from '@supabase/supabase-js';
import { createHmac } from 'node:crypto';

const BASE = process.argv[2];
const SUPABASE_URL = BASE;
const SUPABASE_ANON_KEY = process.env.ANON_KEY;
const SECRET = process.env.JWT_SECRET;
if (!BASE || !SUPABASE_ANON_KEY || !SECRET) {
  console.error('usage: JWT_SECRET=... ANON_KEY=... node supabase-realtime.mjs <base-url>');
  process.exit(2);
}

// Node 22 has a global WebSocket, Node 20 with --experimental-websocket; an older Node gets the ws package as
// realtime-js's transport (a client option, outside the snippet).
const TRANSPORT = typeof WebSocket === 'undefined' ? (await import('ws')).WebSocket : undefined;
const realtimeOptions = (vsn) => ({ ...(vsn ? { vsn } : {}), ...(TRANSPORT ? { transport: TRANSPORT } : {}) });
/** supabase-js's createClient, with the transport above when this Node needs one. */
function createClient(url, key, options = {}) {
  return supabaseCreateClient(url, key, { ...options, realtime: { ...realtimeOptions(), ...(options.realtime || {}) } });
}

let failures = 0;
function check(ok, what, detail = '') {
  console.log(`${ok ? 'PASS' : 'FAIL'} ${what}${detail ? ': ' + detail : ''}`);
  if (!ok) failures++;
}

const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
function jwt(sub, { expiresIn = 600 } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, aud: 'authenticated', role: 'authenticated',
    iat: now - 60, exp: now + expiresIn })}`;
  return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
}

async function createRoom(token, visibility) {
  const res = await fetch(`${BASE}/api/rooms`, { method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ visibility }) });
  if (res.status !== 201 && res.status !== 200) throw new Error(`POST /api/rooms: ${res.status} ${await res.text()}`);
  return (await res.json()).code;
}

/** Resolves with the value once pred() is truthy, or rejects after ms. */
function until(pred, ms, what) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      const v = pred();
      if (v) return resolve(v);
      if (Date.now() - t0 > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

/**
 * One member running the snippet verbatim. The only change an app makes is the client's URL, key and,
 * for users signed in elsewhere (Supabase Auth), the accessToken option that hands their JWT to realtime.
 */
function member(name, userId, roomId, { vsn, extra = (c) => c } = {}) {
  const log = { name, statuses: [], signals: [], joins: [], leaves: [], chats: [], connected: false };
  const handle = (payload) => log.signals.push(payload);
  const onConnected = () => { log.connected = true; };
  const options = { accessToken: async () => jwt(userId) };
  if (vsn) options.realtime = { vsn };
  // --- the snippet, verbatim from here ---
  const supabase = createClient(SUPABASE_URL, SUPABASE_ANON_KEY, options);
  const ch = extra(supabase.channel(`room:${roomId}`)
    .on('broadcast', { event: 'webrtc-signal' }, (msg) => handle(msg.payload))
    .on('presence', { event: 'join' }, ({ newPresences }) => { log.joins.push(...newPresences); })
    .on('presence', { event: 'leave' }, ({ leftPresences }) => { log.leaves.push(...leftPresences); }))
    .subscribe((status) => { log.statuses.push(status); if (status === 'SUBSCRIBED') onConnected(); });
  // --- to here (track and send are awaited by the caller, as the snippet does after SUBSCRIBED) ---
  return { supabase, ch, log, userId };
}

/** The snippet in two clients, then every check of the issue on them. */
async function scenario(vsn, roomId, label) {
  const withChat = (c) => c.on('broadcast', { event: 'chat' }, ({ payload }) => a.log.chats.push(payload));
  const a = member('a', `alice-${label}`, roomId, { vsn, extra: (c) => c.on('broadcast', { event: 'chat' },
    ({ payload }) => a.log.chats.push(payload)) });
  const b = member('b', `bob-${label}`, roomId, { vsn, extra: (c) => c.on('broadcast', { event: 'chat' },
    ({ payload }) => b.log.chats.push(payload)) });
  void withChat;
  await until(() => a.log.connected && b.log.connected, 10000, 'SUBSCRIBED');
  check(true, `${label}: both clients SUBSCRIBED`);
  await a.ch.track({ user_id: a.userId });
  await b.ch.track({ user_id: b.userId });
  await until(() => a.log.joins.some((p) => p.user_id === b.userId) && b.log.joins.some((p) => p.user_id === a.userId),
    5000, 'presence joins').then(() => check(true, `${label}: presence join seen both ways`),
    (e) => check(false, `${label}: presence join seen both ways`, `${e.message} a=${JSON.stringify(a.log.joins)} b=${JSON.stringify(b.log.joins)}`));
  const offer = { type: 'offer', sdp: 'v=0 (offer from a)' };
  const sentA = await a.ch.send({ type: 'broadcast', event: 'webrtc-signal', payload: { type: 'offer', data: offer } });
  await until(() => b.log.signals.length === 1, 5000, 'offer at b').catch(() => {});
  check(sentA === 'ok' && b.log.signals[0]?.type === 'offer' && b.log.signals[0]?.data?.sdp === offer.sdp,
    `${label}: webrtc-signal a -> b`, JSON.stringify(b.log.signals));
  const answer = { type: 'answer', sdp: 'v=0 (answer from b)' };
  await b.ch.send({ type: 'broadcast', event: 'webrtc-signal', payload: { type: 'answer', data: answer } });
  await until(() => a.log.signals.length === 1, 5000, 'answer at a').catch(() => {});
  check(a.log.signals[0]?.type === 'answer', `${label}: webrtc-signal b -> a`, JSON.stringify(a.log.signals));
  // self: false (the default): nobody got its own signal back
  await new Promise((r) => setTimeout(r, 200));
  check(a.log.signals.length === 1 && b.log.signals.length === 1, `${label}: self:false, no echo`,
    `a=${a.log.signals.length} b=${b.log.signals.length}`);
  // a second event name on the same channel
  await b.ch.send({ type: 'broadcast', event: 'chat', payload: { text: 'hello from b' } });
  await until(() => a.log.chats.length === 1, 5000, 'chat at a').catch(() => {});
  check(a.log.chats[0]?.text === 'hello from b' && b.log.chats.length === 0, `${label}: chat event on the same channel`);

  // ack: true, self: true on a third client in the same room: send() resolves 'ok' only on the server's reply
  const c = (() => {
    const supabase = createClient(SUPABASE_URL, SUPABASE_ANON_KEY, { accessToken: async () => jwt(`carol-${label}`),
      ...(vsn ? { realtime: { vsn } } : {}) });
    const got = [];
    const ch = supabase.channel(`room:${roomId}`, { config: { broadcast: { ack: true, self: true } } })
      .on('broadcast', { event: 'webrtc-signal' }, ({ payload }) => got.push(payload));
    let subscribed = false;
    ch.subscribe((s) => { if (s === 'SUBSCRIBED') subscribed = true; });
    return { supabase, ch, got, subscribed: () => subscribed };
  })();
  await until(() => c.subscribed(), 10000, 'carol SUBSCRIBED');
  const t0 = performance.now();
  const acked = await c.ch.send({ type: 'broadcast', event: 'webrtc-signal', payload: { type: 'candidate', data: 1 } });
  const ackMs = performance.now() - t0;
  await until(() => c.got.length === 1 && a.log.signals.length === 2, 5000, 'self echo').catch(() => {});
  check(acked === 'ok' && c.got.length === 1 && a.log.signals.length === 2, `${label}: ack:true acknowledged, self:true echoed`,
    `send=${acked} self=${c.got.length} a=${a.log.signals.length}`);
  console.log(`ACK_MS ${label} ${ackMs.toFixed(2)}`);
  await c.supabase.removeChannel(c.ch);
  await c.supabase.realtime.disconnect();

  // leave on removeChannel
  const leavesBefore = a.log.leaves.length;
  await b.supabase.removeChannel(b.ch);
  await until(() => a.log.leaves.slice(leavesBefore).some((p) => p.user_id === b.userId), 5000, 'leave')
    .then(() => check(true, `${label}: leave seen on removeChannel`),
      (e) => check(false, `${label}: leave seen on removeChannel`, e.message));
  await b.supabase.realtime.disconnect();

  // leave when the other side's socket closes (a closed tab)
  const d = member('d', `dave-${label}`, roomId, { vsn });
  await until(() => d.log.connected, 10000, 'dave SUBSCRIBED');
  await d.ch.track({ user_id: d.userId });
  await until(() => a.log.joins.some((p) => p.user_id === d.userId), 5000, 'dave join').catch(() => {});
  const leaves2 = a.log.leaves.length;
  await d.supabase.realtime.disconnect(); // the socket closes without a phx_leave, as when a tab closes
  await until(() => a.log.leaves.slice(leaves2).some((p) => p.user_id === d.userId), 5000, 'leave on close')
    .then(() => check(true, `${label}: leave seen when the socket closes`),
      (e) => check(false, `${label}: leave seen when the socket closes`, e.message));
  await a.supabase.realtime.disconnect();
}

/** Subscribes once and returns the first non-SUBSCRIBED status with its error, or SUBSCRIBED. */
async function firstStatus(client, topic, config) {
  // supabase-js fetches the token asynchronously: a join sent before it arrives carries none (refused with
  // "sign in first" and retried by the client). Awaiting setAuth() first makes the first join carry it.
  await client.realtime.setAuth();
  return await new Promise((resolve) => {
    const ch = client.channel(topic, config ? { config } : undefined);
    const timer = setTimeout(() => resolve({ status: 'NONE' }), 12000);
    ch.subscribe((status, err) => { clearTimeout(timer); resolve({ status, err, ch }); });
  });
}

async function refusals(publicRoom) {
  // a wrong apikey: the socket is refused (401 Invalid API key, as Supabase's gateway answers) and REST says so
  const wrong = createClient(SUPABASE_URL, 'not-the-anon-key-0123456789', { accessToken: async () => jwt('mallory') });
  const r1 = await firstStatus(wrong, `room:${publicRoom}`);
  check(r1.status === 'CHANNEL_ERROR', 'wrong apikey: channel refused', `${r1.status} ${r1.err?.message ?? ''}`);
  await wrong.removeAllChannels();
  await wrong.realtime.disconnect();
  const res = await fetch(`${BASE}/realtime/v1/api/broadcast`, { method: 'POST',
    headers: { apikey: 'not-the-anon-key-0123456789', 'Content-Type': 'application/json' },
    body: JSON.stringify({ messages: [{ topic: `room:${publicRoom}`, event: 'x', payload: {} }] }) });
  const body = await res.json().catch(() => ({}));
  check(res.status === 401 && body.message === 'Invalid API key', 'wrong apikey: REST says Invalid API key',
    `${res.status} ${JSON.stringify(body)}`);
  const viaClient = createClient(SUPABASE_URL, 'not-the-anon-key-0123456789');
  const err = await viaClient.channel(`room:${publicRoom}`).httpSend('x', {}).then(() => null, (e) => e);
  check(err?.message === 'Invalid API key', 'wrong apikey: httpSend rejects with Invalid API key', err?.message);
  // httpSend with the right key and a member's token is delivered (202)
  const ok = createClient(SUPABASE_URL, SUPABASE_ANON_KEY, { accessToken: async () => jwt('alice-v2') });
  await ok.realtime.setAuth();
  const sent = await ok.channel(`room:${publicRoom}`).httpSend('chat', { text: 'over REST' }).then((r) => r, (e) => e);
  check(sent?.success === true, 'httpSend delivered (202)', sent?.message ?? JSON.stringify(sent));

  // an expired JWT
  const expired = createClient(SUPABASE_URL, SUPABASE_ANON_KEY, { accessToken: async () => jwt('erin', { expiresIn: -120 }) });
  const r2 = await firstStatus(expired, `room:${publicRoom}`);
  check(r2.status === 'CHANNEL_ERROR' && r2.err?.message === 'InvalidJWTToken: Token has expired',
    'expired JWT: channel refused', `${r2.status} ${r2.err?.message ?? ''}`);
  await expired.removeAllChannels();
  await expired.realtime.disconnect();

  // a private room with a stranger's JWT
  const owner = jwt('owner-frank');
  const privateRoom = await createRoom(owner, 'private');
  const stranger = createClient(SUPABASE_URL, SUPABASE_ANON_KEY, { accessToken: async () => jwt('stranger-gina') });
  const r3 = await firstStatus(stranger, `room:${privateRoom}`, { private: true });
  const expected = `Unauthorized: You do not have permissions to read from this Channel topic: room:${privateRoom}`;
  check(r3.status === 'CHANNEL_ERROR' && r3.err?.message === expected, 'private room, stranger: refused',
    `${r3.status} ${r3.err?.message ?? ''}`);
  await stranger.removeAllChannels();
  await stranger.realtime.disconnect();
  const ownerClient = createClient(SUPABASE_URL, SUPABASE_ANON_KEY, { accessToken: async () => owner });
  const r4 = await firstStatus(ownerClient, `room:${privateRoom}`, { private: true });
  check(r4.status === 'SUBSCRIBED', 'private room, its creator: admitted', r4.status);
  await ownerClient.removeAllChannels();
  await ownerClient.realtime.disconnect();
}

/** channel.send before the channel is joined goes over REST (POST /realtime/v1/api/broadcast). */
async function restSend(roomId) {
  const a = member('a', 'rest-alice', roomId);
  await until(() => a.log.connected, 10000, 'SUBSCRIBED');
  const sender = createClient(SUPABASE_URL, SUPABASE_ANON_KEY, { accessToken: async () => jwt('rest-bob') });
  const ch = sender.channel(`room:${roomId}`);
  const warn = console.warn;
  console.warn = () => {}; // supabase-js warns that send() falls back to REST
  const result = await ch.send({ type: 'broadcast', event: 'webrtc-signal', payload: { type: 'offer', data: 'rest' } });
  console.warn = warn;
  await until(() => a.log.signals.length === 1, 5000, 'rest broadcast').catch(() => {});
  check(result === 'ok' && a.log.signals[0]?.data === 'rest', 'REST broadcast (send before subscribe) delivered',
    `${result} ${JSON.stringify(a.log.signals)}`);
  await sender.removeAllChannels();
  await a.supabase.realtime.disconnect();
}

try {
  const room = await createRoom(jwt('alice-v2'), 'public');
  await scenario(undefined, room, 'vsn 2.0.0');
  // vsn 1.0.0 on a room created by the first join (implicit rooms)
  await scenario('1.0.0', `implicit-${Date.now()}`, 'vsn 1.0.0');
  await refusals(room);
  await restSend(room);
} catch (e) {
  check(false, 'scenario', e.stack);
}
console.log(failures === 0 ? 'PASS: supabase-js against turnbridge' : `FAIL: ${failures} checks failed`);
process.exit(failures === 0 ? 0 : 1);
