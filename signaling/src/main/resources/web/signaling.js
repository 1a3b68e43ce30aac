// turnbridge signaling client (protocol v1, see docs/signaling-protocol.md).
//
//   import { SignalingClient, createRoom } from '/signaling.js';
//   const token = () => myApp.accessToken();       // jwt/api-key access: a JWT or join token (string or function)
//   const { code } = await createRoom({ token });
//   const client = new SignalingClient({ token });
//   client.onSignal((payload, from) => ...);
//   client.onPresenceJoin((peerId, meta) => ...);
//   client.onPresenceLeave((peerId, meta) => ...);
//   const joined = await client.joinRoom(code, { name: 'Ann' });
//   const pc = new RTCPeerConnection({ iceServers: await client.getIceServers() });
//   client.sendSignal({ type: 'offer', sdp });
//
// The client sends heartbeats, reconnects with back-off after a dropped connection and resumes its peer
// (same id, same membership, no presence leave/join) within the server's grace period.

const PATH = '/ws/v1';

function baseOf(base) {
  return base ? new URL(base, location.href) : new URL(location.href);
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

export class SignalingClient {
  /**
   * @param {object} [options]
   * @param {string} [options.url]  WebSocket URL; default ws(s)://<this host>/ws/v1
   * @param {boolean} [options.self] receive your own signals back
   * @param {boolean} [options.ack]  sendSignal resolves once the server has fanned the message out
   * @param {string|function} [options.token] access token (jwt/api-key access), or a function returning one
   *   (called for every connection, so a reconnect gets a fresh token); sent as access_token= on the upgrade
   */
  constructor({ url, self = false, ack = true, token = null } = {}) {
    const base = new URL(location.href);
    this.url = url || (base.protocol === 'https:' ? 'wss://' : 'ws://') + base.host + PATH;
    this.accessToken = token;
    this.config = { self, ack };
    this.handlers = { signal: [], join: [], leave: [], state: [], error: [], status: [], credentials: [] };
    this.pending = new Map();
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
    addEventListener('pagehide', () => this.close());
  }

  onSignal(fn) { this.handlers.signal.push(fn); return this; }
  onPresenceJoin(fn) { this.handlers.join.push(fn); return this; }
  onPresenceLeave(fn) { this.handlers.leave.push(fn); return this; }
  onPresenceState(fn) { this.handlers.state.push(fn); return this; }
  onError(fn) { this.handlers.error.push(fn); return this; }
  onStatus(fn) { this.handlers.status.push(fn); return this; }
  onCredentials(fn) { this.handlers.credentials.push(fn); return this; }

  /** Joins a room by code; resolves to the joined message {peerId, presence, iceServers, ...}. */
  async joinRoom(code, meta = {}) {
    this.closedByUs = false;
    this.meta = meta;
    this.room = code;
    await this.connect();
    return this.request({ type: 'join', room: code, meta, config: this.config });
  }

  /** Sends to everyone else in the room, or to one peer with {to: peerId}. */
  sendSignal(payload, { to } = {}) {
    const msg = { type: 'signal', payload };
    if (to) msg.to = to;
    if (this.config.ack) return this.request(msg);
    this.send(msg);
    return Promise.resolve();
  }

  /** The current iceServers (credentials refreshed by the server before they expire). */
  async getIceServers() {
    if (this.ice) return this.ice.iceServers;
    const res = await fetch(new URL('/api/rooms/' + encodeURIComponent(this.room) + '/ice-servers', location.href),
      { headers: { Authorization: 'Bearer ' + this.token } });
    this.ice = await answer(res);
    return this.ice.iceServers;
  }

  /** Presence state: {peerId: meta}. */
  getPresence() { return { ...this.presence }; }

  /** Leaves the room; the connection stays open for another join. */
  async leave() {
    const res = await this.request({ type: 'leave' });
    this.room = null;
    this.token = null;
    return res;
  }

  /** Leaves and closes; a closing tab does this through 'pagehide'. */
  close() {
    this.closedByUs = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.retry);
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000, 'bye');
    this.setStatus('closed');
  }

  async connect() {
    const token = await resolveToken(this.accessToken);
    const url = token ? this.url + (this.url.includes('?') ? '&' : '?') + 'access_token=' + encodeURIComponent(token)
      : this.url;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      this.ws = ws;
      this.setStatus('connecting');
      ws.onopen = () => { this.attempt = 0; this.setStatus('open'); resolve(); };
      ws.onmessage = (e) => this.receive(JSON.parse(e.data));
      ws.onclose = (e) => {
        clearInterval(this.heartbeat);
        if (ws !== this.ws) return;
        for (const [, p] of this.pending) p.reject(new SignalingError('closed', 'connection closed'));
        this.pending.clear();
        if (this.status === 'connecting') reject(new SignalingError('closed', 'could not connect'));
        if (!this.closedByUs && this.room && e.code !== 4002) this.reconnectLater();
        else this.setStatus('closed');
      };
    });
  }

  reconnectLater() {
    const delay = Math.min(5000, 250 * 2 ** this.attempt++);
    this.setStatus('reconnecting');
    this.retry = setTimeout(async () => {
      try {
        await this.connect();
        if (this.token) {
          try {
            await this.request({ type: 'resume', token: this.token });
            return;
          } catch (e) {
            if (e.code === 'closed') throw e;
          }
        }
        // The grace period passed (or the room is gone): join again as a new peer.
        this.presence = {};
        await this.request({ type: 'join', room: this.room, meta: this.meta, config: this.config });
      } catch (e) {
        if (!this.closedByUs && this.ws.readyState !== WebSocket.OPEN) return; // onclose schedules the next try
        this.emit('error', e);
      }
    }, delay);
  }

  request(msg) {
    const ref = String(this.nextRef++);
    return new Promise((resolve, reject) => {
      this.pending.set(ref, { resolve, reject });
      this.send({ ...msg, ref });
    });
  }

  send(msg) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) throw new SignalingError('closed', 'not connected');
    this.ws.send(JSON.stringify(msg));
  }

  settle(ref, value, error) {
    const p = ref != null && this.pending.get(String(ref));
    if (!p) return false;
    this.pending.delete(String(ref));
    if (error) p.reject(error); else p.resolve(value);
    return true;
  }

  receive(msg) {
    switch (msg.type) {
      case 'joined': {
        this.peerId = msg.peerId;
        this.token = msg.token;
        this.room = msg.room;
        this.ice = { iceServers: msg.iceServers, ttl: msg.ttl, expiresAt: msg.expiresAt };
        clearInterval(this.heartbeat);
        this.heartbeat = setInterval(() => { try { this.send({ type: 'heartbeat' }); } catch (e) { /* reconnecting */ } },
          msg.heartbeatInterval);
        this.setStatus('joined');
        this.settle(msg.ref, msg);
        break;
      }
      case 'presence_state': {
        const before = this.presence;
        this.presence = { ...msg.state };
        this.emit('state', this.getPresence());
        // After a fresh re-join, report who came and went while we were away.
        for (const id of Object.keys(before)) if (!(id in msg.state)) this.emit('leave', id, before[id]);
        break;
      }
      case 'presence_diff':
        for (const [id, meta] of Object.entries(msg.joins)) { this.presence[id] = meta; this.emit('join', id, meta); }
        for (const [id, meta] of Object.entries(msg.leaves)) { delete this.presence[id]; this.emit('leave', id, meta); }
        break;
      case 'signal':
        this.emit('signal', msg.payload, msg.from);
        break;
      case 'credentials':
        this.ice = { iceServers: msg.iceServers, ttl: msg.ttl, expiresAt: msg.expiresAt };
        this.emit('credentials', msg.iceServers);
        break;
      case 'ack':
      case 'left':
      case 'heartbeat':
        this.settle(msg.ref, msg);
        break;
      case 'error': {
        const err = new SignalingError(msg.code, msg.message, msg.ref);
        if (!this.settle(msg.ref, null, err)) this.emit('error', err);
        if (msg.code === 'room_expired') this.room = null;
        break;
      }
    }
  }

  setStatus(status) {
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
  if (pc.signalingState !== 'stable') {
    await new Promise((resolve) => {
      const done = () => {
        if (pc.signalingState === 'stable' || pc.signalingState === 'closed') {
          pc.removeEventListener('signalingstatechange', done);
          resolve();
        }
      };
      pc.addEventListener('signalingstatechange', done);
    });
    if (pc.signalingState === 'closed') return null;
  }
  await pc.setLocalDescription(await pc.createOffer({ iceRestart: true }));
  return pc.localDescription;
}
