// turnbridge signaling client (protocol v1 with sequenced delivery, see docs/signaling-protocol.md).
//
//   import { SignalingClient, createRoom } from 'https://turn.example.org/signaling.js';
//   const token = () => myApp.accessToken();       // jwt/api-key access: a JWT or join token (string or function)
//   const { code } = await createRoom({ token });  // the server this module came from
//   const client = new SignalingClient({ token }); // same server: ws(s)://<its host>/ws/v1
//   client.onSignal((payload, from) => ...);
//   client.onPresenceJoin((peerId, meta, { before }) => ...);   // before: was there before we joined
//   client.onPresenceLeave((peerId, meta) => ...);
//   const joined = await client.joinRoom(code, { name: 'Ann' });
//   const pc = new RTCPeerConnection({ iceServers: await client.getIceServers() });
//   client.watchCall(pc, peerId);                     // reports the call's ICE outcome once
//   client.sendSignal({ type: 'offer', sdp });
//
// Delivery is exactly-once across dropped and frozen connections: both sides number their messages and
// acknowledge what arrived; a resume on a new socket replays what the other side has not acknowledged. The
// client notices a dead socket itself (heartbeat replies stop) within a few seconds and resumes. The seat
// survives a reload of the tab: the resume token is kept in sessionStorage and a join carrying it takes the
// seat over, without the others seeing a leave and a join.

const PATH = '/ws/v1';
/** Where this module was loaded from: the server, for the WebSocket and the HTTP API alike. */
const MODULE_ORIGIN = new URL(import.meta.url).origin;
/** Unacknowledged outgoing signals kept for a resume (the server keeps as many for us). */
const OUTBOX_MAX = 512;
/** Liveness: a heartbeat this often, and its reply (or any message) expected within the timeout. */
const PING_MS = 4000;
const PONG_TIMEOUT_MS = 3000;
/** Received sequenced messages are acknowledged at most this often. */
const ACK_DELAY_MS = 250;
/** Close code for a page being hidden (reload or close): the server keeps the seat briefly for a reload. */
const PAGE_HIDDEN = 4010;
const STORAGE_PREFIX = 'turnbridge.seat.';
// A call report refused as rate_limited is tried again after the server's report interval (1 s), a few times.
const REPORT_RETRY_MS = 1100;
const REPORT_TRIES = 5;
/** A connected call's selected pair is read from getStats, which can lag the state change by a moment. */
const PAIR_TRIES = 20;
const PAIR_RETRY_MS = 100;

function baseOf(base) {
  return new URL(base || MODULE_ORIGIN);
}

/** An access token given as a string, or as a (possibly async) function returning one; null for none. */
async function resolveToken(token) {
  const t = typeof token === 'function' ? await token() : token;
  return t || null;
}

async function authHeaders(token, headers = {}) {
  const t = await resolveToken(token);
  return t ? { ...headers, Authorization: 'Bearer ' + t } : headers;
}

/**
 * Creates a room: resolves to {code, capacity, members, expiresAt, ttl, visibility}. With jwt or api-key
 * access pass {token}; visibility is 'private' (the default there: only you and tokens naming the room) or
 * 'public' (anyone with a valid token).
 */
export async function createRoom({ capacity, ttl, visibility, base, token } = {}) {
  const body = {};
  if (capacity !== undefined) body.capacity = capacity;
  if (ttl !== undefined) body.ttl = ttl;
  if (visibility !== undefined) body.visibility = visibility;
  const res = await fetch(new URL('/api/rooms', baseOf(base)), {
    method: 'POST', headers: await authHeaders(token, { 'Content-Type': 'application/json' }),
    body: JSON.stringify(body),
  });
  return answer(res);
}

/** Room info: resolves to {code, capacity, members, expiresAt, ttl}; rejects with {code:'room_not_found'}. */
export async function getRoom(code, { base, token } = {}) {
  return answer(await fetch(new URL('/api/rooms/' + encodeURIComponent(code), baseOf(base)),
    { headers: await authHeaders(token) }));
}

async function answer(res) {
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new SignalingError(body.code || 'http_' + res.status, body.message || res.statusText);
  return body;
}

export class SignalingError extends Error {
  constructor(code, message, ref) {
    super(code + ': ' + message);
    this.code = code;
    this.ref = ref;
  }
}

function storage() {
  try { return globalThis.sessionStorage || null; } catch (e) { return null; }
}

export class SignalingClient {
  /**
   * @param {object} [options]
   * @param {string} [options.base] the server's base URL (http(s)://host[:port]); default: where this module
   *                                came from. The WebSocket URL and the HTTP API both derive from it.
   * @param {string} [options.url]  the WebSocket URL, to override the derived one
   * @param {boolean} [options.self] receive your own signals back
   * @param {boolean} [options.ack]  sendSignal resolves once the server has fanned the message out
   * @param {string|function} [options.token] access token (jwt/api-key access), or a function returning one
   *   (called for every connection, so a reconnect gets a fresh token); sent as access_token= on the upgrade
   */
  constructor({ base, url, self = false, ack = true, token = null } = {}) {
    this.base = baseOf(base);
    this.url = url || (this.base.protocol === 'https:' ? 'wss://' : 'ws://') + this.base.host + PATH;
    this.accessToken = token;
    this.config = { self, ack, seq: true };
    this.handlers = { signal: [], join: [], leave: [], state: [], error: [], status: [], credentials: [] };
    this.pending = new Map();      // ref -> {resolve, reject, entry?} for requests and acked signals
    this.nextRef = 1;
    this.presence = {};
    this.room = null;
    this.peerId = null;
    this.token = null;
    this.ice = null;
    this.ws = null;
    this.closedByUs = false;
    this.attempt = 0;
    this.status = 'idle';
    this.lastSeq = 0;              // highest server seq received
    this.inboxAt = undefined;      // inbox position of the last signal received (several nodes)
    this.ackedSeq = 0;             // highest server seq acknowledged
    this.sendSeq = 0;              // last client seq assigned
    this.outbox = [];              // [{seq, msg, ref}] sent or waiting, until the server has them
    this.sentUpTo = 0;             // highest outbox seq written to the current socket
    this.control = [];             // call reports until the server acknowledges them: [{ref, msg, sent, tries}]
    this.joinedFresh = false;      // the current presence_state answers a fresh join (members were there before)
    this.tokens = 0;
    this.rate = 20;
    this.burst = 40;
    this.refilledAt = Date.now();
    addEventListener('pagehide', () => this.hide());
  }

  onSignal(fn) { this.handlers.signal.push(fn); return this; }
  onPresenceJoin(fn) { this.handlers.join.push(fn); return this; }
  onPresenceLeave(fn) { this.handlers.leave.push(fn); return this; }
  onPresenceState(fn) { this.handlers.state.push(fn); return this; }
  onError(fn) { this.handlers.error.push(fn); return this; }
  onStatus(fn) { this.handlers.status.push(fn); return this; }
  onCredentials(fn) { this.handlers.credentials.push(fn); return this; }

  /**
   * Joins a room by code; resolves to the joined message {peerId, presence, iceServers, resumed, ...}. After a
   * reload of the same tab it takes its old seat over (same peerId, resumed: true).
   */
  async joinRoom(code, meta = {}) {
    this.closedByUs = false;
    this.meta = meta;
    this.room = code;
    await this.connect();
    return this.joinMessage();
  }

  joinMessage() {
    const msg = { type: 'join', room: this.room, meta: this.meta, config: this.config };
    const saved = storage() && storage().getItem(STORAGE_PREFIX + String(this.room).toUpperCase());
    if (saved) msg.token = saved;
    this.resetDelivery();
    this.joinedFresh = true;
    return this.request(msg);
  }

  /**
   * Sends to everyone else in the room, or to one peer with {to: peerId}. Kept until the server has it, across
   * reconnects; with ack (the default) resolves once the server has fanned it out, and rejects when the server
   * dropped it (rate_limited, too_large, bad_message) or the session was lost.
   */
  sendSignal(payload, { to } = {}) {
    if (this.outbox.length >= OUTBOX_MAX) {
      return Promise.reject(new SignalingError('backlog', 'too many unacknowledged signals'));
    }
    const msg = { type: 'signal', payload, seq: ++this.sendSeq };
    if (to) msg.to = to;
    const entry = { seq: msg.seq, msg, ref: null };
    this.outbox.push(entry);
    let done = Promise.resolve();
    if (this.config.ack) {
      entry.ref = msg.ref = String(this.nextRef++);
      done = new Promise((resolve, reject) => this.pending.set(entry.ref, { resolve, reject, entry }));
    }
    this.pump();
    return done;
  }

  /**
   * Watches one call's RTCPeerConnection and reports its ICE outcome once (connected or failed, time to
   * connect, the selected pair's candidate types, the relay protocol, whether an ICE restart was needed), for
   * the server's connection-success figure. Both sides report; the server counts the call once.
   */
  watchCall(pc, peerId) {
    const started = Date.now();
    let first = null;
    let reported = false;
    const ufrags = () => {
      const l = /a=ice-ufrag:(\S+)/.exec((pc.localDescription && pc.localDescription.sdp) || '');
      const r = /a=ice-ufrag:(\S+)/.exec((pc.remoteDescription && pc.remoteDescription.sdp) || '');
      return l && r ? [l[1], r[1]].sort().join(':') : null;
    };
    const check = async () => {
      if (!first) first = ufrags();
      if (reported || !first) return;
      const state = pc.connectionState;
      if (state !== 'connected' && state !== 'failed') return;
      reported = true;
      const report = { type: 'call_report', call: first, with: peerId, outcome: state,
        iceRestart: ufrags() !== first };
      if (state === 'connected') {
        report.connectMs = Math.min(600000, Date.now() - started);
        // The stats can lag the state change; the call is counted even if it ends (a reload) meanwhile.
        let pair = null;
        for (let i = 0; i < PAIR_TRIES && !pair && pc.signalingState !== 'closed'; i++) {
          if (i > 0) await new Promise((r) => setTimeout(r, PAIR_RETRY_MS));
          pair = await selectedPair(pc).catch(() => null);
        }
        if (!pair) return; // closed before its stats named a pair: nothing true to report
        report.local = pair.local;
        report.remote = pair.remote;
        if (pair.local === 'relay') report.relayProtocol = pair.relayProtocol || 'udp';
      }
      const ref = 'report-' + this.nextRef++;
      this.control.push({ ref, msg: { ...report, ref }, sent: false, tries: 0 });
      this.pump();
    };
    pc.addEventListener('connectionstatechange', check);
    pc.addEventListener('signalingstatechange', check);
    return pc;
  }

  /** The current iceServers (credentials refreshed by the server before they expire). */
  async getIceServers() {
    if (this.ice) return this.ice.iceServers;
    const res = await fetch(new URL('/api/rooms/' + encodeURIComponent(this.room) + '/ice-servers', this.base),
      { headers: { Authorization: 'Bearer ' + this.token } });
    this.ice = await answer(res);
    return this.ice.iceServers;
  }

  /** Presence state: {peerId: meta}. */
  getPresence() { return { ...this.presence }; }

  /** Leaves the room; the connection stays open for another join. */
  async leave() {
    const res = await this.request({ type: 'leave' });
    this.forgetSeat();
    this.room = null;
    this.token = null;
    return res;
  }

  /** Leaves and closes: the others see the leave at once. */
  close() {
    this.closedByUs = true;
    this.stopTimers();
    this.forgetSeat();
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000, 'bye');
    this.setStatus('closed');
  }

  /** The page goes away (reload or tab closed): the server keeps the seat a few seconds for a reload. */
  hide() {
    this.closedByUs = true;
    this.stopTimers();
    if (this.ws && this.ws.readyState === WebSocket.OPEN) { // a call that just came up still counts
      for (const r of this.control) if (!r.sent) { r.sent = true; this.ws.send(JSON.stringify(r.msg)); }
    }
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close(PAGE_HIDDEN, 'page hidden');
    this.setStatus('closed');
  }

  async connect() {
    const token = await resolveToken(this.accessToken);
    const url = token ? this.url + (this.url.includes('?') ? '&' : '?') + 'access_token=' + encodeURIComponent(token)
      : this.url;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      this.ws = ws;
      this.sentUpTo = 0;
      this.tokens = this.burst; // the server's bucket is per connection and starts full
      this.refilledAt = Date.now();
      this.setStatus('connecting');
      ws.onopen = () => { if (ws === this.ws) { this.setStatus('open'); resolve(); } };
      ws.onmessage = (e) => { if (ws === this.ws) this.receive(JSON.parse(e.data)); };
      ws.onclose = (e) => {
        if (ws !== this.ws) return;
        const connecting = this.status === 'connecting';
        this.dropped(e.code);
        if (connecting) reject(new SignalingError('closed', 'could not connect'));
      };
    });
  }

  /** The current socket is gone (closed, or declared dead): requests fail, signals wait for the resume. */
  dropped(code) {
    this.stopTimers();
    this.ws = null;
    for (const [ref, p] of this.pending) {
      if (p.entry) continue; // a signal: kept in the outbox, resent after the resume
      this.pending.delete(ref);
      p.reject(new SignalingError('closed', 'connection closed'));
    }
    if (!this.closedByUs && this.room && code !== 4002) this.reconnectLater();
    else this.setStatus('closed');
  }

  /** No reply to a heartbeat: the socket froze (half-open). Abandon it and resume on a new one now. */
  dead() {
    const ws = this.ws;
    if (!ws) return;
    this.emit('error', new SignalingError('timeout', 'no heartbeat reply; reconnecting'));
    this.attempt = 0;
    this.dropped(4001);
    try { ws.close(4001, 'no heartbeat reply'); } catch (e) { /* already closing */ }
  }

  reconnectLater() {
    // Jittered, so that the members of a node that died do not all come back to the others at the same moment.
    const ceiling = this.attempt === 0 ? 250 : Math.min(5000, 250 * 2 ** (this.attempt - 1));
    const delay = this.attempt === 0 ? Math.random() * ceiling : ceiling * (0.5 + Math.random() / 2);
    this.attempt++;
    this.setStatus('reconnecting');
    clearTimeout(this.retry);
    this.retry = setTimeout(async () => {
      try {
        await this.connect();
        if (this.token) {
          try {
            this.joinedFresh = false;
            await this.request({ type: 'resume', token: this.token, seq: this.lastSeq, at: this.inboxAt });
            return;
          } catch (e) {
            if (e.code === 'closed' || e.code === 'unavailable') throw e;
          }
        }
        // The grace period passed (or the room is gone): join again as a new peer.
        this.forgetSeat();
        this.failOutbox('session_lost', 'the server forgot this peer; joined again');
        await this.joinMessage();
      } catch (e) {
        if (e.code === 'unavailable' && this.ws && !this.closedByUs) {
          // The server cannot reach its room store (Redis) now: keep the seat and the outbox, and try again on a
          // new socket with the usual back-off (onclose retries).
          this.ws.close(4000, 'server unavailable; retrying');
          return;
        }
        if (!this.closedByUs && (!this.ws || this.ws.readyState !== WebSocket.OPEN)) return; // onclose retries
        this.emit('error', e);
      }
    }, delay);
  }

  request(msg) {
    const ref = String(this.nextRef++);
    return new Promise((resolve, reject) => {
      this.pending.set(ref, { resolve, reject });
      try { this.send({ ...msg, ref }); } catch (e) { this.pending.delete(ref); reject(e); }
    });
  }

  send(msg) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) throw new SignalingError('closed', 'not connected');
    this.takeToken();
    this.ws.send(JSON.stringify(msg));
  }

  /** The server's per-connection rate, mirrored so that a burst of signals waits here instead of being dropped. */
  takeToken() {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.refilledAt) * this.rate * 0.9 / 1000);
    this.refilledAt = now;
    this.tokens -= 1;
  }

  /** Writes what the outbox and the control queue hold, as fast as the server's rate allows. */
  pump() {
    clearTimeout(this.pumpTimer);
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN || this.status !== 'joined') return;
    for (;;) {
      const next = this.outbox.find((e) => e.seq > this.sentUpTo);
      const report = next ? null : this.control.find((r) => !r.sent);
      if (!next && !report) return;
      const now = Date.now();
      const available = Math.min(this.burst, this.tokens + (now - this.refilledAt) * this.rate * 0.9 / 1000);
      if (available < 3) { // keep room for heartbeats and acks
        this.pumpTimer = setTimeout(() => this.pump(), Math.ceil(1000 / this.rate));
        return;
      }
      if (next) {
        this.sentUpTo = next.seq;
        this.send(next.msg);
      } else {
        report.sent = true;
        report.tries++;
        this.send(report.msg);
      }
    }
  }

  /**
   * The server's answer to a call report. A report stays queued until answered, so one written into a frozen
   * socket is sent again after the resume (the server counts a call once, whoever reports it how often).
   */
  reportAnswered(msg) {
    const i = msg.ref == null ? -1 : this.control.findIndex((r) => r.ref === msg.ref);
    if (i < 0) return false;
    const report = this.control[i];
    if (msg.type === 'error' && msg.code === 'rate_limited' && report.tries < REPORT_TRIES) {
      report.sent = false;
      clearTimeout(this.reportTimer);
      this.reportTimer = setTimeout(() => this.pump(), REPORT_RETRY_MS);
    } else {
      this.control.splice(i, 1);
    }
    return true;
  }

  /** The server has every signal up to {@code received}: forget them. */
  confirmed(received) {
    if (typeof received !== 'number') return;
    while (this.outbox.length && this.outbox[0].seq <= received) this.outbox.shift();
  }

  failOutbox(code, message) {
    for (const entry of this.outbox) {
      const p = entry.ref && this.pending.get(entry.ref);
      if (p) { this.pending.delete(entry.ref); p.reject(new SignalingError(code, message, entry.ref)); }
    }
    this.outbox = [];
  }

  resetDelivery() {
    this.lastSeq = 0;
    this.inboxAt = undefined;
    this.ackedSeq = 0;
    this.sendSeq = this.outbox.length ? this.sendSeq : 0;
    this.sentUpTo = 0;
  }

  settle(ref, value, error) {
    const p = ref != null && this.pending.get(String(ref));
    if (!p) return false;
    this.pending.delete(String(ref));
    if (p.entry) this.outbox = this.outbox.filter((e) => e !== p.entry || !error);
    if (error) p.reject(error); else p.resolve(value);
    return true;
  }

  startTimers(interval) {
    this.stopTimers();
    const every = Math.min(interval || PING_MS, PING_MS);
    this.lastHeard = Date.now();
    this.heartbeat = setInterval(() => {
      const sentAt = Date.now();
      try { this.send({ type: 'heartbeat' }); } catch (e) { return; }
      clearTimeout(this.pongTimer);
      this.pongTimer = setTimeout(() => { if (this.lastHeard < sentAt) this.dead(); }, PONG_TIMEOUT_MS);
    }, every);
  }

  stopTimers() {
    clearInterval(this.heartbeat);
    clearTimeout(this.pongTimer);
    clearTimeout(this.ackTimer);
    clearTimeout(this.pumpTimer);
    this.ackTimer = null;
  }

  /** Acknowledges received sequenced messages, at most every ACK_DELAY_MS. */
  scheduleAck() {
    if (this.ackTimer) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = null;
      if (this.lastSeq > this.ackedSeq) {
        try { this.send({ type: 'ack', seq: this.lastSeq }); this.ackedSeq = this.lastSeq; } catch (e) { /* later */ }
      }
    }, ACK_DELAY_MS);
  }

  saveSeat() {
    const s = storage();
    if (s && this.token && this.room) s.setItem(STORAGE_PREFIX + String(this.room).toUpperCase(), this.token);
  }

  forgetSeat() {
    const s = storage();
    if (s && this.room) s.removeItem(STORAGE_PREFIX + String(this.room).toUpperCase());
  }

  receive(msg) {
    this.lastHeard = Date.now();
    if (typeof msg.seq === 'number') {
      if (msg.seq <= this.lastSeq) return; // already delivered before a resume
      this.lastSeq = msg.seq;
      this.scheduleAck();
    }
    switch (msg.type) {
      case 'joined': {
        if (this.peerId && this.peerId !== msg.peerId) delete this.presence[this.peerId]; // our old self
        this.peerId = msg.peerId;
        this.token = msg.token;
        this.attempt = 0; // back-off restarts once a session is back, not when a socket merely opens
        this.room = msg.room;
        const relaysBefore = this.ice && turnUrls(this.ice.iceServers);
        this.ice = { iceServers: msg.iceServers, ttl: msg.ttl, expiresAt: msg.expiresAt };
        if (typeof msg.rate === 'number') { this.rate = msg.rate; this.burst = msg.burst; }
        this.tokens = Math.min(this.burst, this.tokens);
        if (msg.resumed && this.joinedFresh) this.joinedFresh = false; // a seat taken over: we come back
        this.confirmed(msg.received);
        this.sentUpTo = typeof msg.received === 'number' ? msg.received : 0;
        for (const r of this.control) r.sent = false; // a report written to a frozen socket may be lost
        this.saveSeat();
        this.startTimers(msg.heartbeatInterval);
        this.setStatus('joined');
        this.settle(msg.ref, msg);
        this.pump();
        // Resumed on another node (ours died, and its relay with it): its iceServers name another relay, and a
        // call relayed through the old one comes back only through an ICE restart with the new ones, which the
        // application does on 'credentials' as for fresh credentials (see renewIceServers).
        if (msg.resumed && relaysBefore && relaysBefore !== turnUrls(msg.iceServers)) {
          this.emit('credentials', msg.iceServers);
        }
        break;
      }
      case 'presence_state': {
        // Whoever is there now: report joins and leaves against what we knew, so a peer that came or went
        // while we were away is seen either way.
        const before = this.presence;
        const fresh = this.joinedFresh;
        this.joinedFresh = false;
        this.presence = { ...msg.state };
        for (const [id, meta] of Object.entries(msg.state)) {
          if (!(id in before) && id !== this.peerId) this.emit('join', id, meta, { before: fresh });
        }
        for (const id of Object.keys(before)) if (!(id in msg.state)) this.emit('leave', id, before[id]);
        this.emit('state', this.getPresence());
        break;
      }
      case 'presence_diff':
        for (const [id, meta] of Object.entries(msg.joins)) {
          if (id in this.presence) continue;
          this.presence[id] = meta;
          if (id !== this.peerId) this.emit('join', id, meta, { before: false });
        }
        for (const [id, meta] of Object.entries(msg.leaves)) {
          if (!(id in this.presence)) continue;
          delete this.presence[id];
          this.emit('leave', id, meta);
        }
        break;
      case 'signal':
        // With several nodes: where this signal sits in our inbox, so a resume on another node (ours died)
        // brings what came after it.
        if (typeof msg.at === 'string') this.inboxAt = msg.at;
        this.emit('signal', msg.payload, msg.from);
        break;
      case 'credentials':
        this.ice = { iceServers: msg.iceServers, ttl: msg.ttl, expiresAt: msg.expiresAt };
        this.emit('credentials', msg.iceServers);
        break;
      case 'ack':
      case 'heartbeat':
        if (this.reportAnswered(msg)) break;
        this.confirmed(msg.received);
        this.settle(msg.ref, msg);
        break;
      case 'left':
        this.settle(msg.ref, msg);
        break;
      case 'error': {
        if (this.reportAnswered(msg)) break;
        const err = new SignalingError(msg.code, msg.message, msg.ref);
        if (!this.settle(msg.ref, null, err)) this.emit('error', err);
        if (msg.code === 'room_expired') { this.forgetSeat(); this.room = null; }
        break;
      }
    }
  }

  setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    this.emit('status', status);
  }

  emit(kind, ...args) {
    for (const fn of this.handlers[kind]) {
      try { fn(...args); } catch (e) { console.error(e); }
    }
  }
}

/**
 * Renews a live call's TURN credentials (the `credentials` push, client.onCredentials). A browser keeps the
 * credentials an allocation was made with, and turnbridge refuses them once they expire (401 on every
 * request), so a new configuration alone does not keep a long call relayed: new candidates must be gathered,
 * with new allocations, which is an ICE restart. The side that made the call's first offer restarts (a new
 * offer with iceRestart); the other side only takes the new configuration, gathers with it when the restart
 * offer arrives, and should ask the offerer to restart when its own credentials are renewed (send a signal
 * the offerer answers by calling this). Resolves to the restart offer to send, or null when this side does
 * not offer. A restart asked for during another negotiation waits until that one is over.
 *
 *   client.onCredentials((iceServers) => renewIceServers(pc, iceServers, { offerer })
 *     .then((offer) => offer && client.sendSignal({ type: 'offer', sdp: offer.sdp }, { to: peerId })));
 */
export async function renewIceServers(pc, iceServers, { offerer }) {
  if (pc.signalingState === 'closed') return null;
  if (iceServers) pc.setConfiguration({ ...pc.getConfiguration(), iceServers });
  if (!offerer) return null;
  // One restart after another: two offers made before the first one's answer (both sides' credentials are
  // renewed together, so the offerer is asked twice at once) leave the sides on different ICE generations.
  const restart = (restartsInFlight.get(pc) || Promise.resolve()).then(() => restartIce(pc));
  restartsInFlight.set(pc, restart.catch(() => null));
  return restart;
}

/** Per connection, the last restart asked for; the next one starts after it. */
const restartsInFlight = new WeakMap();

async function restartIce(pc) {
  while (pc.signalingState !== 'stable') {
    if (pc.signalingState === 'closed') return null;
    await new Promise((resolve) => pc.addEventListener('signalingstatechange', resolve, { once: true }));
  }
  await pc.setLocalDescription(await pc.createOffer({ iceRestart: true }));
  return pc.localDescription;
}

/** The TURN URIs of an iceServers list, in one string that compares equal for the same relays. */
function turnUrls(iceServers) {
  return (iceServers || []).flatMap((s) => [].concat(s.urls)).filter((u) => /^turns?:/.test(u)).sort().join(' ');
}

/** The selected candidate pair's types and the local relay protocol, from getStats(); null before one is. */
async function selectedPair(pc) {
  const report = await pc.getStats();
  let pair = null;
  report.forEach((s) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) pair = report.get(s.selectedCandidatePairId);
  });
  if (!pair) report.forEach((s) => { if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s; });
  const local = pair && report.get(pair.localCandidateId);
  const remote = pair && report.get(pair.remoteCandidateId);
  if (!local || !remote) return null;
  return { local: local.candidateType, remote: remote.candidateType, relayProtocol: local.relayProtocol };
}
