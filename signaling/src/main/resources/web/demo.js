// Two-party video call over turnbridge signaling. ?relay=1 forces iceTransportPolicy 'relay';
// ?transport=udp|tcp|tls keeps only the TURN URIs of that transport (turn:...?transport=udp,
// turn:...?transport=tcp, turns:), to try one way through a firewall; ?room=CODE joins at once.
// ?token-url=URL: with jwt or api-key access, the page asks URL (your app's endpoint, answering
// {"token": "..."}; ?room=CODE is appended once the room is known) for an access token before every call
// to the server. Without it the page sends no token (open access, as scripts/run starts the server).
// window.demo exposes the state for tests.
import { SignalingClient, createRoom, renewIceServers } from '/signaling.js';

const params = new URLSearchParams(location.search);
const policy = params.get('relay') === '1' ? 'relay' : 'all';
const transport = ['udp', 'tcp', 'tls'].includes(params.get('transport')) ? params.get('transport') : null;
const $ = (id) => document.getElementById(id);
const show = (id, text) => { $(id).textContent = text; };
const events = [];
function log(text) {
  events.push(text);
  $('log').textContent += new Date().toISOString().slice(11, 23) + ' ' + text + '\n';
}

const tokenUrl = params.get('token-url');
/** A fresh access token from ?token-url= (naming the room when there is one), or null without it. */
async function accessToken(room) {
  if (!tokenUrl) return null;
  const url = new URL(tokenUrl, location.href);
  if (room) url.searchParams.set('room', room);
  const res = await fetch(url);
  if (!res.ok) throw new Error('token endpoint answered ' + res.status);
  return (await res.json()).token;
}

const client = new SignalingClient({ ack: true, token: () => accessToken(client.room) });
let pc = null;
let localStream = null;
let pendingCandidates = [];
let usedIceServers = [];
let remotePeer = null;   // the one other side of this two-party call
let offerer = false;     // whether this side made the first offer (and so makes the ICE restarts)
let restarts = 0;

let reconnecting = false;
client.onStatus((s) => {
  show('signaling', s === 'reconnecting' ? 'reconnecting...' : s);
  // the reconnect is visible: "signaling reconnecting", then "signaling resumed"
  if (s === 'reconnecting' && !reconnecting) { reconnecting = true; log('signaling reconnecting'); }
  if (s === 'joined' && reconnecting) { reconnecting = false; log('signaling resumed'); }
});
client.onError((e) => log('error ' + e.code + ': ' + e.message));
client.onPresenceState((state) => show('peers', Object.keys(state).join(', ') || '-'));
client.onPresenceJoin((id, meta, { before } = {}) => {
  log('presence join ' + id);
  show('peers', Object.keys(client.getPresence()).join(', '));
  // Whoever was there first makes the offer; a page that took its seat back after a reload offers too.
  if (id !== client.peerId && !before) call(id);
});
client.onPresenceLeave((id) => {
  log('presence leave ' + id);
  show('peers', Object.keys(client.getPresence()).join(', ') || '-');
  if (id !== client.peerId) hangupPeer();
});
/** The transport a STUN/TURN URI uses: udp, tcp or tls (turns:), or null for STUN. */
function uriTransport(url) {
  const scheme = url.slice(0, Math.max(0, url.indexOf(':'))).toLowerCase();
  if (scheme === 'turns') return 'tls';
  if (scheme !== 'turn') return null;
  const query = /[?&]transport=(udp|tcp)\b/i.exec(url);
  return query ? query[1].toLowerCase() : 'udp';   // RFC 7065: turn: without a transport means UDP
}

/** iceServers with only the TURN URIs of ?transport= (all of them without it); empty entries dropped. */
function selectTransport(iceServers) {
  if (!transport) return iceServers;
  return iceServers
    .map((s) => ({ ...s, urls: [].concat(s.urls).filter((u) => uriTransport(u) === transport) }))
    .filter((s) => s.urls.length > 0);
}

// Fresh credentials keep a long call relayed only through an ICE restart (see renewIceServers): the offerer
// restarts at once; the answerer takes the new configuration and asks the offerer for a restart.
client.onCredentials((all) => {
  log('fresh TURN credentials');
  renewIce(selectTransport(all)).catch((e) => log('ICE restart failed: ' + e));
});

async function renewIce(iceServers) {
  if (!pc || !remotePeer) return;
  const offer = await renewIceServers(pc, iceServers, { offerer });
  if (offer) {
    restarts++;
    await client.sendSignal({ type: 'offer', sdp: offer.sdp }, { to: remotePeer });
    log('ICE restart offer sent');
  } else if (!offerer && iceServers) {
    await client.sendSignal({ type: 'restart' }, { to: remotePeer });
  }
}
client.onSignal(async (msg, from) => {
  try {
    if (msg.type === 'restart') {
      if (offerer && from === remotePeer) await renewIce(null);
    } else if (msg.type === 'offer') {
      if (pc && pc.remoteDescription && fingerprint(pc.remoteDescription.sdp) !== fingerprint(msg.sdp)) {
        log('new call from ' + from + ' (the other page reloaded)');
        hangupPeer();
      }
      remotePeer = from;
      await ensurePeerConnection(from);
      await pc.setRemoteDescription(msg);
      await flushCandidates();
      await pc.setLocalDescription(await pc.createAnswer());
      await client.sendSignal({ type: 'answer', sdp: pc.localDescription.sdp }, { to: from });
    } else if (msg.type === 'answer') {
      await pc.setRemoteDescription(msg);
      await flushCandidates();
    } else if (msg.type === 'candidate') {
      if (pc && pc.remoteDescription) await pc.addIceCandidate(msg.candidate);
      else pendingCandidates.push(msg.candidate);
    }
  } catch (e) {
    log('signal handling failed: ' + e);
  }
});

/** The DTLS fingerprint of an SDP: it changes with a new page, not with an ICE restart. */
function fingerprint(sdp) {
  const m = /a=fingerprint:(\S+ \S+)/.exec(sdp || '');
  return m ? m[1] : null;
}

async function flushCandidates() {
  for (const c of pendingCandidates.splice(0)) await pc.addIceCandidate(c);
}

async function media() {
  if (!localStream) {
    localStream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    $('local').srcObject = localStream;
  }
  return localStream;
}

async function ensurePeerConnection(peerId) {
  if (pc) return pc;
  const iceServers = selectTransport(await client.getIceServers());
  if (transport && iceServers.length === 0) log('no ' + transport + ' TURN URI among the ICE servers');
  pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: policy });
  client.watchCall(pc, peerId);   // the call's ICE outcome goes to the server's success figure, once
  usedIceServers = iceServers.map((s) => [].concat(s.urls)).flat();
  show('policy', policy + (transport ? ' (' + transport + ')' : ''));
  for (const track of (await media()).getTracks()) pc.addTrack(track, localStream);
  pc.onicecandidate = (e) => {
    if (e.candidate) client.sendSignal({ type: 'candidate', candidate: e.candidate.toJSON() }).catch(() => {});
  };
  pc.onicecandidateerror = (e) => log('ICE candidate error ' + e.errorCode + ' ' + e.errorText + ' ' + e.url);
  pc.onconnectionstatechange = () => {
    show('connection', pc.connectionState);
    log('connection ' + pc.connectionState);
    if (pc.connectionState === 'connected') describePath().then((p) => show('path', p));
  };
  pc.ontrack = (e) => { $('remote').srcObject = e.streams[0]; };
  return pc;
}

async function call(peerId) {
  remotePeer = peerId;
  offerer = true;
  await ensurePeerConnection(peerId);
  await pc.setLocalDescription(await pc.createOffer());
  await client.sendSignal({ type: 'offer', sdp: pc.localDescription.sdp }, { to: peerId });
  log('offer sent to ' + peerId);
}

function hangupPeer() {
  if (pc) pc.close();
  pc = null;
  remotePeer = null;
  offerer = false;
  pendingCandidates = [];
  $('remote').srcObject = null;
  show('connection', 'closed');
  show('path', '-');
}

/** The selected candidate pair and inbound video, from getStats(). */
async function stats() {
  if (!pc) return null;
  const report = await pc.getStats();
  let pair = null;
  let framesDecoded = 0;
  report.forEach((s) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) pair = report.get(s.selectedCandidatePairId);
    if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded += s.framesDecoded || 0;
  });
  if (!pair) report.forEach((s) => { if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s; });
  const local = pair && report.get(pair.localCandidateId);
  const remote = pair && report.get(pair.remoteCandidateId);
  const candidate = (c) => c && { type: c.candidateType, address: c.address, port: c.port,
    relayProtocol: c.relayProtocol, url: c.url };
  return {
    connectionState: pc.connectionState,
    localCandidateType: local ? local.candidateType : null,
    remoteCandidateType: remote ? remote.candidateType : null,
    relayProtocol: local ? local.relayProtocol || null : null,
    local: candidate(local),     // where: address, relayed port, the TURN URL a relay candidate came from
    remote: candidate(remote),
    framesDecoded,
  };
}

async function describePath() {
  const s = await stats();
  if (!s || !s.localCandidateType) return 'unknown';
  const relayed = s.localCandidateType === 'relay' || s.remoteCandidateType === 'relay';
  return (relayed ? 'relayed' : 'direct') + ' (' + s.localCandidateType + ' -> ' + s.remoteCandidateType
    + (s.relayProtocol ? ', ' + s.relayProtocol : '') + ')';
}

async function join(code) {
  code = code.trim().toUpperCase();
  // join first: a reloaded page takes its seat back before the camera is up (the call needs it only later)
  const joined = await client.joinRoom(code, { name: 'guest-' + Math.random().toString(36).slice(2, 6) });
  await media();
  show('room', joined.room);
  $('code').value = joined.room;
  $('hangup').disabled = false;
  history.replaceState(null, '', '?' + new URLSearchParams({ ...Object.fromEntries(params), room: joined.room }));
  log((joined.resumed ? 'took the seat back as ' : 'joined as ') + joined.peerId);
  return joined;
}

async function create() {
  const room = await createRoom({ token: () => accessToken(null) });
  log('created room ' + room.code);
  return join(room.code);
}

$('create').onclick = () => create().catch((e) => log('create failed: ' + e.message));
$('join').onclick = () => join($('code').value).catch((e) => log('join failed: ' + e.message));
$('hangup').onclick = () => { hangupPeer(); client.close(); $('hangup').disabled = true; };
show('policy', policy + (transport ? ' (' + transport + ')' : ''));

window.demo = {
  client, create, join, stats, events,
  get pc() { return pc; },
  get iceUrls() { return usedIceServers; },   // the URIs this page's RTCPeerConnection was given
  get restarts() { return restarts; },         // ICE restarts this side offered after fresh credentials
  get turnCredential() {                       // the TURN credential the page holds now (tests)
    const turn = pc && pc.getConfiguration().iceServers.find((s) => s.username);
    return turn ? { username: turn.username, credential: turn.credential } : null;
  },
};
if (params.get('room')) join(params.get('room')).catch((e) => log('join failed: ' + e.message));
