// SPDX-License-Identifier: GPL-3.0-or-later
//
// A call in a Housecall room, as the patient web app and the browser tests
// run it: camera and microphone, one publishing RTCPeerConnection (VP8 with
// three simulcast encodings, or one H.264 stream), one receiving
// RTCPeerConnection per remote participant, and the signaling of
// docs/protocol.md. It survives a dropped WebSocket (reconnect with backoff,
// authenticate and join again, republish) and a media-server restart
// (`media-restarted`: every peer connection is made again).
//
// Every asynchronous step checks that the connection and media "epoch" it
// started in is still current, so a late reply from before a reconnect or a
// restart never touches the peer connections of the new one.

import { t } from './i18n.js';
import { inputFromStats, reasonKey, score } from './network-quality.js';
import { Emitter, SignalingClient, SignalingError, defaultSignalingUrl } from './signaling.js';

/** The publisher's simulcast encodings, lowest first (docs/protocol.md, Media). */
export const SIMULCAST_ENCODINGS = Object.freeze([
  Object.freeze({ rid: 'l', scaleResolutionDownBy: 4, maxBitrate: 150000 }),
  Object.freeze({ rid: 'm', scaleResolutionDownBy: 2, maxBitrate: 500000 }),
  Object.freeze({ rid: 'h', maxBitrate: 1500000 }),
]);

/** Close codes after which reconnecting cannot help (docs/protocol.md). */
const FINAL_CLOSE_CODES = new Map([
  [4401, 'authentication-failed'],
  [4403, 'token-revoked'],
  [4409, 'removed'],
  [4410, 'room-completed'],
  [4412, 'duplicate-identity'],
]);

/** Errors from authenticate/join after which reconnecting cannot help. */
const FINAL_ERROR_CODES = new Set([
  20101, 20102, 20103, 20104, 20105, 20106, 20107, 20108, 20109, 20110, 20111, 20112, 20113,
  20114, 20115, 20116, 20117, 20118, 53105, 53106, 53118, 20404,
]);

/** docs/errors.md: the media server is (re)starting; try again in a moment. */
const MEDIA_UNAVAILABLE = 53500;

const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000, 8000];
const RECONNECT_MAX_DELAY_MS = 10000;
const RECONNECT_MAX_ATTEMPTS = 30;
const SUBSCRIBE_RETRY_DELAYS_MS = [300, 700, 1500, 3000, 5000];
const PUBLISH_RETRY_DELAYS_MS = [300, 700, 1500, 3000, 5000, 8000];
const PING_INTERVAL_MS = 20000;
/** After media-restarted, how long to wait for a remote's track-published
 * before trying to subscribe to it anyway. */
const RESUBSCRIBE_FALLBACK_MS = 3000;

/** Network quality (docs/protocol.md): a sample of getStats() every 2 s,
 * scored over the last two intervals, reported to the server. */
const NQ_INTERVAL_MS = 2000;
const NQ_WINDOW_SAMPLES = 2;
/** A report unanswered this long counts as missed; this many missed in a row
 * and the socket is taken for dead (a cut link leaves TCP hanging). */
const NQ_REPORT_TIMEOUT_MS = 3500;
const NQ_MISSED_REPORTS_DEAD = 2;
/** A peer connection "disconnected" this long is rebuilt (a new transport,
 * so a new ICE negotiation), as a "failed" one is at once. */
const ICE_DISCONNECTED_GRACE_MS = 4000;
/** Audio-only fallback: this many samples in a row at level ≤ 1 stop the
 * video; it is tried again after a pause that doubles each time it fails. */
const AUDIO_ONLY_AFTER_SAMPLES = 2;
const VIDEO_RETRY_FIRST_MS = 10000;
const VIDEO_RETRY_MAX_MS = 120000;
/** Video that comes back and fails again within this long counts as a failed retry. */
const VIDEO_RETRY_PROBATION_MS = 20000;
/** How long a resumed video has for the bandwidth estimate to catch up: from
 * the audio-only rate it grows by some 8 % a second, so from 40 kbit/s to a
 * phone's 1 Mbit/s takes about 40 s. Meanwhile only loss sends it back. */
const VIDEO_RAMP_UP_MS = 45000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function candidateJson(candidate) {
  if (candidate === null)
    return null;
  return { candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex };
}

function closePc(pc) {
  if (!pc)
    return;
  pc.onconnectionstatechange = null;
  pc.onicecandidate = null;
  pc.ontrack = null;
  pc.onconnectionstatechange = null;
  try {
    pc.close();
  } catch {
    // already closed
  }
}

/**
 * Options: token, room (unique name or SID), url (signaling URL; default
 * this page's /v1/signal), width/height/fps (capture; default 1280x720@24),
 * audio/video (capture them at all; default true), micEnabled/cameraEnabled
 * (start with the track enabled; default true), stage (an element that
 * receives the video tiles; optional), degradationPreference (passed to the
 * video sender), simulcast (default true; only for VP8 rooms),
 * audioProcessing (echo cancellation, noise suppression and gain control;
 * default true — the tests turn it off so a steady test tone is not taken
 * for noise), simulcastEncodings (the VP8 simulcast encodings, lowest first;
 * default SIMULCAST_ENCODINGS), singleEncodingMaxBitrate (the cap of the
 * one encoding sent without simulcast; default the top layer's),
 * audioDeviceId/videoDeviceId (the preferred microphone and camera).
 *
 * Events: 'state' (state), 'joined' (the joined message), 'published' (the
 * published message), 'subscribed' (participant SID), 'participants' (),
 * 'dominant-speaker' (SID or null), 'media-restarted', 'reconnecting'
 * ({attempt, delayMs}), 'ended' ({reason, code, message}: message is the
 * provider's text when reason is 'removed'), 'error' (Error), 'log' (text),
 * 'network-quality' (this.networkQuality: the local level), 'remote-network-quality'
 * (a remote's SID: its remote.networkQuality changed), 'audio-only' (boolean:
 * the video was stopped, or resumed, for a weak connection).
 */
export class Call extends Emitter {
  #conn = null;          // {signaling, id}: the current WebSocket session
  #connCounter = 0;
  #mediaEpoch = 0;       // bumped when every peer connection is dropped
  #publisher = null;     // {pc, epoch, canTrickle, pending}
  #pubChain = Promise.resolve();
  #pubGen = 0;
  #leaving = false;
  #pingTimer = null;
  #reconnecting = false;
  #nqTimer = null;
  #nqSamples = [];        // [{send: {id, report}|null, recv: Map SID → {id, report}}], oldest first
  #nqBusy = false;
  #nqMissed = 0;
  #nqLowSamples = 0;
  #videoRetryMs = VIDEO_RETRY_FIRST_MS;
  #videoRetryAt = 0;
  #videoResumedAt = 0;

  constructor(options = {}) {
    super();
    if (!options.token)
      throw new TypeError('a token is required');
    if (!options.room)
      throw new TypeError('a room is required');
    this.options = {
      url: defaultSignalingUrl(),
      width: 1280,
      height: 720,
      fps: 24,
      audio: true,
      video: true,
      micEnabled: true,
      cameraEnabled: true,
      simulcast: true,
      audioProcessing: true,
      degradationPreference: undefined,
      stage: null,
      simulcastEncodings: SIMULCAST_ENCODINGS,
      singleEncodingMaxBitrate: undefined,
      audioDeviceId: undefined,
      videoDeviceId: undefined,
      ...options,
    };
    this.state = 'idle';
    this.localStream = null;
    this.room = null;           // joined.room
    this.self = null;           // joined.participant
    this.published = null;      // the last published reply
    this.remotes = new Map();   // SID → remote
    this.dominantSpeaker = null;
    this.mediaRestarts = 0;
    this.reconnects = 0;
    this.lastError = null;
    this.publishError = null;
    this.removedMessage = null;
    this.networkQuality = null;  // {level, reason, audio: {send, recv}, video: {…}, input}
    this.audioOnly = false;      // video stopped because the connection is too weak
  }

  get signaling() {
    return this.#conn?.signaling ?? null;
  }

  /** The publishing peer connection, or null (for diagnostics and tests). */
  get publisherPc() {
    return this.#publisher?.pc ?? null;
  }

  // ---------------------------------------------------------------- helpers

  #log(text) {
    this.emit('log', text);
    console.debug(`[call] ${text}`);
  }

  #setState(state) {
    if (this.state === state)
      return;
    this.state = state;
    this.#log(`state ${state}`);
    this.emit('state', state);
  }

  #fail(error) {
    this.lastError = error;
    this.#log(`error: ${error.code ? `${error.code} ${error.error}: ` : ''}${error.message}`);
    this.emit('error', error);
  }

  #isCurrent(conn, epoch) {
    return conn === this.#conn && (epoch === undefined || epoch === this.#mediaEpoch) && !this.#leaving;
  }

  get #isH264() {
    return /h\.?264/i.test(this.room?.video_codec ?? '');
  }

  get #hasAudio() {
    return (this.localStream?.getAudioTracks().length ?? 0) > 0;
  }

  get #hasVideo() {
    return (this.localStream?.getVideoTracks().length ?? 0) > 0;
  }

  // ------------------------------------------------------------ life cycle

  /**
   * Gets the camera and microphone, connects, authenticates, joins and
   * publishes. Resolves { joined, published }; rejects with a
   * SignalingError if authenticate, join or the first publish fails (the
   * socket then stays open, so the caller can still see the room).
   */
  async start() {
    if (this.state !== 'idle')
      throw new Error(`start() in state ${this.state}`);
    this.#setState('connecting');
    try {
      await this.#getMedia();
      const joined = await this.#connect();
      this.#startMedia(joined);
      const published = await this.#pubChain.then(() => {
        if (this.published === null)
          throw this.publishError ?? new Error('not published');
        return this.published;
      });
      return { joined, published };
    } catch (error) {
      if (error !== this.lastError)
        this.#fail(error);
      if (this.state === 'connecting') {
        // Nothing to stay for: the socket closes and the devices are released.
        this.#leaving = true;
        this.#conn?.signaling.close(1000, 'start failed');
        for (const track of this.localStream?.getTracks() ?? [])
          track.stop();
        this.#setState('failed');
      }
      throw error;
    }
  }

  async #getMedia() {
    const { audio, video, width, height, fps, audioDeviceId, videoDeviceId } = this.options;
    const processing = this.options.audioProcessing;
    if (!audio && !video) {
      this.localStream = new MediaStream();
      return;
    }
    const audioConstraints = { echoCancellation: processing, noiseSuppression: processing, autoGainControl: processing };
    const videoConstraints = { width: { ideal: width }, height: { ideal: height }, frameRate: { ideal: fps } };
    if (audioDeviceId)
      audioConstraints.deviceId = { ideal: audioDeviceId };
    if (videoDeviceId)
      videoConstraints.deviceId = { ideal: videoDeviceId };
    this.localStream = await navigator.mediaDevices.getUserMedia({
      audio: audio ? audioConstraints : false,
      video: video ? videoConstraints : false,
    });
    for (const track of this.localStream.getAudioTracks())
      track.enabled = this.options.micEnabled;
    for (const track of this.localStream.getVideoTracks()) {
      track.enabled = this.options.cameraEnabled;
      // Tell the encoder what kind of picture this is.
      if ('contentHint' in track)
        track.contentHint = 'motion';
    }
    this.#renderLocal();
  }

  /** Opens a socket, authenticates and joins. Resolves the joined message. */
  async #connect() {
    const signaling = new SignalingClient(this.options.url);
    const conn = { signaling, id: ++this.#connCounter };
    this.#conn = conn;
    this.#wire(conn);
    await signaling.connect();
    const auth = await signaling.authenticate(this.options.token);
    this.identity = auth.identity;
    this.role = auth.role;
    const joined = await signaling.join(this.options.room);
    if (conn !== this.#conn)
      throw new SignalingError({ error: 'superseded', message: 'a newer connection replaced this one' });
    this.#onJoined(joined);
    return joined;
  }

  #wire(conn) {
    const s = conn.signaling;
    const guard = (handler) => (message) => {
      if (conn === this.#conn)
        handler.call(this, message);
    };
    s.on('participant-connected', guard(this.#onParticipantConnected));
    s.on('participant-disconnected', guard(this.#onParticipantDisconnected));
    s.on('track-published', guard(this.#onTrackPublished));
    s.on('track-unpublished', guard(this.#onTrackUnpublished));
    s.on('participant-muted', guard(this.#onParticipantMuted));
    s.on('dominant-speaker-changed', guard(this.#onDominantSpeakerChanged));
    s.on('media-restarted', guard(this.#onMediaRestarted));
    s.on('room-completed', guard(this.#onRoomCompleted));
    // The provider removed us (from the room, or from the visit's waiting
    // room after admission): the call ends here, whether or not the server
    // closes the socket (4409) after it.
    s.on('removed', guard((message) => {
      this.removedMessage = message.message ?? null;
      this.#end('removed', 4409);
      s.close(1000, 'removed');
    }));
    s.on('trickle', guard(this.#onServerTrickle));
    s.on('network-quality-changed', guard((message) => this.#setRemoteNetworkQuality(message.participant?.sid, message)));
    s.on('server-error', guard((error) => this.#fail(error)));
    s.on('close', (info) => {
      if (conn === this.#conn)
        this.#onClose(info);
    });
  }

  #onJoined(joined) {
    this.room = joined.room;
    this.self = joined.participant;
    this.dominantSpeaker = joined.dominant_speaker ?? null;
    for (const remote of this.remotes.values())
      this.#dropRemote(remote);
    this.remotes.clear();
    for (const p of joined.participants ?? []) {
      if (p.sid === this.self.sid)
        continue;
      this.#addRemote(p);
    }
    this.#startPing();
    this.#startNetworkQuality();
    this.#setState('joined');
    this.emit('joined', joined);
    this.emit('participants');
    this.#updateDominantTiles();
  }

  /** Publishes, and subscribes to everybody who publishes. */
  #startMedia() {
    this.#queuePublish('join');
    for (const remote of this.remotes.values()) {
      if (remote.publishing)
        this.#queueSubscribe(remote, 'join');
    }
  }

  #startPing() {
    clearInterval(this.#pingTimer);
    const conn = this.#conn;
    this.#pingTimer = setInterval(() => {
      if (conn !== this.#conn || !conn.signaling.isOpen) {
        clearInterval(this.#pingTimer);
        return;
      }
      // No pong within the request timeout means a dead connection: closing
      // it starts a reconnect.
      conn.signaling.request('ping', {}, { timeoutMs: 15000 }).catch((error) => {
        if (error.error === 'timeout' && conn === this.#conn)
          conn.signaling.close(4000, 'ping timeout');
      });
    }, PING_INTERVAL_MS);
  }

  /** Leaves the room and releases the camera and microphone. */
  async leave() {
    if (this.#leaving)
      return;
    this.#leaving = true;
    clearInterval(this.#pingTimer);
    clearInterval(this.#nqTimer);
    const conn = this.#conn;
    if (conn?.signaling.isOpen) {
      try {
        await conn.signaling.request('leave', {}, { timeoutMs: 2000 });
      } catch {
        // Closing the socket leaves the room too.
      }
      conn.signaling.close(1000, 'left');
    }
    this.#closeAllMedia();
    for (const remote of this.remotes.values())
      this.#dropRemote(remote);
    this.remotes.clear();
    for (const track of this.localStream?.getTracks() ?? [])
      track.stop();
    this.#removeTile('local');
    this.#setState('ended');
    this.emit('ended', { reason: 'left' });
  }

  #end(reason, code) {
    if (this.state === 'ended')
      return;
    clearInterval(this.#pingTimer);
    clearInterval(this.#nqTimer);
    this.#closeAllMedia();
    for (const remote of this.remotes.values())
      this.#dropRemote(remote);
    this.remotes.clear();
    // The call is over: the camera and microphone go off.
    for (const track of this.localStream?.getTracks() ?? [])
      track.stop();
    this.emit('participants');
    this.#setState('ended');
    this.emit('ended', { reason, code, message: reason === 'removed' ? this.removedMessage : undefined });
  }

  // -------------------------------------------------------------- reconnect

  #onClose(info) {
    this.#log(`socket closed ${info.code} ${info.reason ?? ''}`);
    clearInterval(this.#pingTimer);
    if (this.#leaving || this.state === 'ended')
      return;
    if (FINAL_CLOSE_CODES.has(info.code)) {
      this.#end(FINAL_CLOSE_CODES.get(info.code), info.code);
      return;
    }
    if (this.state === 'connecting')
      return; // start() reports the failure itself.
    this.#reconnect();
  }

  async #reconnect() {
    if (this.#reconnecting)
      return;
    this.#reconnecting = true;
    this.#setState('reconnecting');
    this.#closeAllMedia();
    try {
      for (let attempt = 0; attempt < RECONNECT_MAX_ATTEMPTS && !this.#leaving && this.state !== 'ended'; attempt++) {
        const base = RECONNECT_DELAYS_MS[Math.min(attempt, RECONNECT_DELAYS_MS.length - 1)];
        const delayMs = Math.min(RECONNECT_MAX_DELAY_MS, Math.round(base * (0.8 + Math.random() * 0.4)));
        this.emit('reconnecting', { attempt: attempt + 1, delayMs });
        this.#log(`reconnecting in ${delayMs} ms (attempt ${attempt + 1})`);
        await sleep(delayMs);
        if (this.#leaving || this.state === 'ended')
          return;
        try {
          const joined = await this.#connect();
          this.reconnects++;
          this.#startMedia(joined);
          return;
        } catch (error) {
          this.#fail(error);
          this.#conn?.signaling.close(1000, 'retry');
          const closeCode = this.#conn?.signaling.closeInfo?.code;
          if (FINAL_ERROR_CODES.has(error.code) || FINAL_CLOSE_CODES.has(closeCode)) {
            this.#end(error.error ?? 'failed', closeCode);
            return;
          }
        }
      }
      if (!this.#leaving && this.state !== 'ended')
        this.#end('reconnect-failed');
    } finally {
      this.#reconnecting = false;
    }
  }

  // ------------------------------------------------------------- publishing

  #queuePublish(reason) {
    const gen = ++this.#pubGen;
    const conn = this.#conn;
    const epoch = this.#mediaEpoch;
    this.#pubChain = this.#pubChain.then(() => this.#publishWithRetry(conn, epoch, gen, reason));
    return this.#pubChain;
  }

  async #publishWithRetry(conn, epoch, gen, reason) {
    for (let attempt = 0; ; attempt++) {
      if (gen !== this.#pubGen || !this.#isCurrent(conn, epoch))
        return;
      try {
        await this.#publish(conn, epoch, reason);
        this.publishError = null;
        return;
      } catch (error) {
        this.publishError = error;
        this.#fail(error);
        // Only a media server that is (re)starting, or a reply that did not
        // come, is worth another try; anything else the server refused
        // outright, and a closed socket is the reconnect's business.
        const retriable = error.code === MEDIA_UNAVAILABLE || error.error === 'timeout';
        if (!retriable || attempt >= PUBLISH_RETRY_DELAYS_MS.length)
          return;
        await sleep(PUBLISH_RETRY_DELAYS_MS[attempt]);
      }
    }
  }

  #buildPublisherPc() {
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    const stream = this.localStream;
    const video = stream.getVideoTracks()[0];
    const audio = stream.getAudioTracks()[0];
    if (video) {
      const simulcast = !this.#isH264 && this.options.simulcast;
      const layers = this.options.simulcastEncodings;
      const sendEncodings = (simulcast
        ? layers.map((e) => ({ ...e }))
        : [{ maxBitrate: this.options.singleEncodingMaxBitrate ?? layers[layers.length - 1].maxBitrate }])
        .map((e) => (this.audioOnly ? { ...e, active: false } : e));
      const transceiver = pc.addTransceiver(video, { direction: 'sendonly', streams: [stream], sendEncodings });
      this.#preferCodec(transceiver, this.#isH264 ? 'video/H264' : 'video/VP8');
    }
    if (audio)
      pc.addTransceiver(audio, { direction: 'sendonly', streams: [stream] });
    return pc;
  }

  /** Puts @mime first in the offer, where the browser lets us. */
  #preferCodec(transceiver, mime) {
    try {
      const caps = RTCRtpSender.getCapabilities?.('video');
      if (!caps || typeof transceiver.setCodecPreferences !== 'function')
        return;
      const wanted = caps.codecs.filter((c) => c.mimeType.toLowerCase() === mime.toLowerCase());
      if (wanted.length === 0)
        return;
      const rest = caps.codecs.filter((c) => c.mimeType.toLowerCase() !== mime.toLowerCase());
      transceiver.setCodecPreferences([...wanted, ...rest]);
    } catch (error) {
      this.#log(`codec preference ignored: ${error.message}`);
    }
  }

  async #publish(conn, epoch, reason) {
    const signaling = conn.signaling;
    if (this.#publisher) {
      // A publisher from this same media epoch is still known to the server.
      const old = this.#publisher;
      this.#publisher = null;
      closePc(old.pc);
      if (old.epoch === epoch && old.conn === conn && old.published) {
        try {
          await signaling.request('unpublish', {}, { timeoutMs: 5000 });
        } catch (error) {
          this.#log(`unpublish before republishing: ${error.message}`);
        }
      }
    }
    if (!this.#isCurrent(conn, epoch))
      return;
    this.#log(`publishing (${reason})`);
    const pc = this.#buildPublisherPc();
    const pub = { pc, conn, epoch, canTrickle: false, pending: [], published: false };
    this.#publisher = pub;
    pc.onicecandidate = (event) => {
      const candidate = candidateJson(event.candidate);
      if (pub.canTrickle)
        signaling.notify('trickle', { target: 'publisher', candidate });
      else
        pub.pending.push(candidate);
    };
    pc.onconnectionstatechange = () => {
      this.#log(`publisher ${pc.connectionState}`);
      clearTimeout(pub.disconnectedTimer);
      if (pc.connectionState === 'failed' && this.#publisher === pub && this.#isCurrent(conn, epoch))
        this.#queuePublish('ice-failed');
      else if (pc.connectionState === 'disconnected') {
        pub.disconnectedTimer = setTimeout(() => {
          if (pc.connectionState === 'disconnected' && this.#publisher === pub && this.#isCurrent(conn, epoch))
            this.#queuePublish('ice-disconnected');
        }, ICE_DISCONNECTED_GRACE_MS);
      }
    };
    try {
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      await this.#applySenderParameters(pc);
      const reply = await signaling.request('publish', {
        sdp: pc.localDescription.sdp,
        audio: this.#hasAudio,
        video: this.#hasVideo,
      }, { timeoutMs: 20000 });
      if (this.#publisher !== pub || !this.#isCurrent(conn, epoch)) {
        closePc(pc);
        return;
      }
      pub.published = true;
      await pc.setRemoteDescription({ type: 'answer', sdp: reply.sdp });
      pub.canTrickle = true;
      for (const candidate of pub.pending.splice(0))
        signaling.notify('trickle', { target: 'publisher', candidate });
      this.published = reply;
      this.#log(`published (simulcast ${reply.simulcast}, ${reply.video_codec ?? '?'})`);
      this.emit('published', reply);
    } catch (error) {
      if (this.#publisher === pub) {
        this.#publisher = null;
        closePc(pc);
      }
      throw error;
    }
  }

  async #applySenderParameters(pc) {
    const pref = this.options.degradationPreference;
    if (!pref)
      return;
    for (const sender of pc.getSenders()) {
      if (sender.track?.kind !== 'video')
        continue;
      try {
        const params = sender.getParameters();
        params.degradationPreference = pref;
        await sender.setParameters(params);
      } catch (error) {
        this.#log(`degradationPreference ignored: ${error.message}`);
      }
    }
  }

  // ----------------------------------------------------------- subscribing

  #addRemote(p) {
    const remote = {
      sid: p.sid,
      identity: p.identity ?? p.sid,
      publishing: Boolean(p.publishing),
      simulcast: p.simulcast ?? true,
      audioMuted: Boolean(p.audio_muted),
      videoMuted: Boolean(p.video_muted),
      sub: null,               // {pc, epoch, conn, canTrickle, pending, substream}
      subGen: 0,
      subChain: Promise.resolve(),
      pinned: null,            // the layer configureSubscription() chose
      layer: null,             // the last configured layer
      fallbackTimer: null,
      tile: null,
      networkQuality: p.network_quality ?? null,   // {level, reason, audio_only, …} as reported
    };
    this.remotes.set(remote.sid, remote);
    this.#renderRemote(remote);
    return remote;
  }

  #dropRemote(remote) {
    remote.subGen++;
    clearTimeout(remote.fallbackTimer);
    if (remote.sub) {
      closePc(remote.sub.pc);
      remote.sub = null;
    }
    this.#removeTile(remote.sid);
  }

  #queueSubscribe(remote, reason) {
    const gen = ++remote.subGen;
    const conn = this.#conn;
    const epoch = this.#mediaEpoch;
    clearTimeout(remote.fallbackTimer);
    remote.subChain = remote.subChain.then(() => this.#subscribeWithRetry(remote, conn, epoch, gen, reason));
    return remote.subChain;
  }

  async #subscribeWithRetry(remote, conn, epoch, gen, reason) {
    for (let attempt = 0; ; attempt++) {
      if (gen !== remote.subGen || !this.#isCurrent(conn, epoch) || this.remotes.get(remote.sid) !== remote)
        return;
      try {
        await this.#subscribe(remote, conn, epoch, gen, reason);
        return;
      } catch (error) {
        this.#fail(error);
        if (attempt >= SUBSCRIBE_RETRY_DELAYS_MS.length || error.error === 'closed')
          return;
        await sleep(SUBSCRIBE_RETRY_DELAYS_MS[attempt]);
      }
    }
  }

  async #subscribe(remote, conn, epoch, gen, reason) {
    const signaling = conn.signaling;
    const sid = remote.sid;
    if (remote.sub) {
      const old = remote.sub;
      remote.sub = null;
      closePc(old.pc);
      if (old.conn === conn && old.epoch === epoch && old.subscribed) {
        try {
          await signaling.request('unsubscribe', { participant: sid }, { timeoutMs: 5000 });
        } catch (error) {
          this.#log(`unsubscribe before resubscribing ${sid}: ${error.message}`);
        }
      }
    }
    const current = () => gen === remote.subGen && this.#isCurrent(conn, epoch) && this.remotes.get(sid) === remote;
    if (!current())
      return;
    this.#log(`subscribing to ${remote.identity} (${reason})`);
    const offer = await signaling.request('subscribe', { participant: sid }, { timeoutMs: 20000 });
    if (!current())
      return;
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    const sub = { pc, conn, epoch, canTrickle: false, pending: [], subscribed: false, stream: new MediaStream() };
    remote.sub = sub;
    remote.layer = null;
    pc.onicecandidate = (event) => {
      const candidate = candidateJson(event.candidate);
      if (sub.canTrickle)
        signaling.notify('trickle', { target: sid, candidate });
      else
        sub.pending.push(candidate);
    };
    pc.ontrack = (event) => {
      sub.stream.addTrack(event.track);
      this.#attachRemoteMedia(remote);
    };
    pc.onconnectionstatechange = () => {
      this.#log(`subscription to ${remote.identity} ${pc.connectionState}`);
      clearTimeout(sub.disconnectedTimer);
      if (pc.connectionState === 'failed' && remote.sub === sub && current())
        this.#queueSubscribe(remote, 'ice-failed');
      else if (pc.connectionState === 'disconnected') {
        sub.disconnectedTimer = setTimeout(() => {
          if (pc.connectionState === 'disconnected' && remote.sub === sub && current())
            this.#queueSubscribe(remote, 'ice-disconnected');
        }, ICE_DISCONNECTED_GRACE_MS);
      }
    };
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      await signaling.request('subscribe-answer', { participant: sid, sdp: pc.localDescription.sdp }, { timeoutMs: 20000 });
      if (remote.sub !== sub || !current()) {
        closePc(pc);
        return;
      }
      sub.subscribed = true;
      sub.canTrickle = true;
      for (const candidate of sub.pending.splice(0))
        signaling.notify('trickle', { target: sid, candidate });
      this.#log(`subscribed to ${remote.identity}`);
      this.emit('subscribed', sid);
      this.#applyLayer(remote);
    } catch (error) {
      if (remote.sub === sub) {
        remote.sub = null;
        closePc(pc);
      }
      throw error;
    }
  }

  /** Candidates the server trickles to us (Janus normally puts its own in the SDP). */
  #onServerTrickle(message) {
    const target = message.target === 'publisher' ? this.#publisher : this.remotes.get(message.target)?.sub;
    if (!target?.pc)
      return;
    target.pc.addIceCandidate(message.candidate ?? null).catch((error) => this.#log(`addIceCandidate: ${error.message}`));
  }

  // ----------------------------------------------------------- layer choice

  /**
   * Picks the layer of @participantSid's video this browser receives:
   * substream 0 (low) … 2 (high), temporal 0–2, paused. The choice sticks
   * (it is applied again after a resubscription) and overrides the automatic
   * choice. Resolves the server's `configured` reply.
   */
  async configureSubscription(participantSid, { substream, temporal, paused } = {}) {
    const remote = this.remotes.get(participantSid);
    if (!remote)
      throw new Error(`no remote participant ${participantSid}`);
    const layer = {};
    if (substream !== undefined)
      layer.substream = substream;
    if (temporal !== undefined)
      layer.temporal = temporal;
    if (paused !== undefined)
      layer.paused = paused;
    remote.pinned = { ...(remote.pinned ?? {}), ...layer };
    const reply = await this.#conn.signaling.request('configure', { participant: participantSid, ...layer });
    remote.layer = { ...(remote.layer ?? {}), ...layer };
    return reply;
  }

  /** Releases a configureSubscription() choice: the automatic choice applies again. */
  unpinSubscription(participantSid) {
    const remote = this.remotes.get(participantSid);
    if (!remote)
      return;
    remote.pinned = null;
    this.#applyLayer(remote);
  }

  /**
   * The automatic choice, Twilio's "collaboration" profile: with two or more
   * remote videos, the dominant speaker's comes on the high substream and the
   * thumbnails on the low one; a lone remote video stays high.
   */
  #wantedLayer(remote) {
    if (remote.pinned)
      return remote.pinned;
    const videos = [...this.remotes.values()].filter((r) => r.sub);
    if (videos.length < 2 || remote.sid === this.dominantSpeaker)
      return { substream: 2 };
    return { substream: 0 };
  }

  #applyLayer(remote) {
    if (!remote.sub?.subscribed || this.#isH264 || remote.simulcast === false)
      return;
    const wanted = this.#wantedLayer(remote);
    const have = remote.layer ?? { substream: 2 };   // a subscription starts on the high substream
    const changed = Object.keys(wanted).some((k) => wanted[k] !== have[k]);
    if (!changed)
      return;
    remote.layer = { ...have, ...wanted };
    this.#conn.signaling.request('configure', { participant: remote.sid, ...wanted }).catch((error) => {
      remote.layer = null;
      this.#fail(error);
    });
  }

  #applyLayers() {
    for (const remote of this.remotes.values())
      this.#applyLayer(remote);
  }

  // ---------------------------------------------------------------- events

  #onParticipantConnected(message) {
    const p = message.participant;
    if (!p?.sid || p.sid === this.self?.sid || this.remotes.has(p.sid))
      return;
    this.#addRemote({ ...p, publishing: false });
    this.emit('participants');
  }

  #onParticipantDisconnected(message) {
    const remote = this.remotes.get(message.participant?.sid);
    if (!remote)
      return;
    this.#dropRemote(remote);
    this.remotes.delete(remote.sid);
    if (this.dominantSpeaker === remote.sid)
      this.dominantSpeaker = null;
    this.emit('participants');
    this.#applyLayers();
  }

  #onTrackPublished(message) {
    const p = message.participant;
    if (!p?.sid || p.sid === this.self?.sid)
      return;
    const remote = this.remotes.get(p.sid) ?? this.#addRemote(p);
    remote.publishing = true;
    if (message.simulcast !== undefined)
      remote.simulcast = Boolean(message.simulcast);
    this.emit('participants');
    // A new publication replaces whatever we were receiving from it.
    this.#queueSubscribe(remote, 'track-published');
  }

  #onTrackUnpublished(message) {
    const remote = this.remotes.get(message.participant?.sid);
    if (!remote)
      return;
    remote.publishing = false;
    remote.subGen++;
    clearTimeout(remote.fallbackTimer);
    if (remote.sub) {
      closePc(remote.sub.pc);
      remote.sub = null;
    }
    this.#attachRemoteMedia(remote);
    this.emit('participants');
    this.#applyLayers();
  }

  #onParticipantMuted(message) {
    const remote = this.remotes.get(message.participant?.sid);
    if (!remote)
      return;
    if (message.audio_muted !== undefined)
      remote.audioMuted = Boolean(message.audio_muted);
    if (message.video_muted !== undefined)
      remote.videoMuted = Boolean(message.video_muted);
    this.#renderRemote(remote);
    this.emit('participants');
  }

  #onDominantSpeakerChanged(message) {
    this.dominantSpeaker = message.participant ?? null;
    this.#log(`dominant speaker ${this.dominantSpeaker}`);
    this.#updateDominantTiles();
    this.emit('dominant-speaker', this.dominantSpeaker);
    this.#applyLayers();
  }

  /** The media server restarted: every peer connection is gone. */
  #onMediaRestarted() {
    this.mediaRestarts++;
    this.#log('media restarted: publishing and subscribing again');
    this.emit('media-restarted');
    this.#closeAllMedia();
    const conn = this.#conn;
    const epoch = this.#mediaEpoch;
    this.#queuePublish('media-restarted');
    for (const remote of this.remotes.values()) {
      if (!remote.publishing)
        continue;
      // The others republish too, and each new publication is announced
      // with track-published (which subscribes). If none comes, try anyway.
      remote.fallbackTimer = setTimeout(() => {
        if (this.#isCurrent(conn, epoch) && remote.sub === null && remote.publishing)
          this.#queueSubscribe(remote, 'media-restarted');
      }, RESUBSCRIBE_FALLBACK_MS);
    }
  }

  #onRoomCompleted() {
    this.#end('room-completed', 4410);
  }

  /** Closes every peer connection; a new media epoch starts. */
  #closeAllMedia() {
    this.#mediaEpoch++;
    this.#pubGen++;
    if (this.#publisher) {
      closePc(this.#publisher.pc);
      this.#publisher = null;
    }
    this.published = null;
    for (const remote of this.remotes.values()) {
      remote.subGen++;
      clearTimeout(remote.fallbackTimer);
      if (remote.sub) {
        closePc(remote.sub.pc);
        remote.sub = null;
      }
      remote.layer = null;
      this.#attachRemoteMedia(remote);
    }
  }


  // -------------------------------------------------------- network quality

  #startNetworkQuality() {
    if (this.#nqTimer !== null)
      return;
    this.#nqTimer = setInterval(() => {
      if (this.#nqBusy || this.state === 'ended' || this.state === 'failed')
        return;
      this.#nqBusy = true;
      this.#sampleNetworkQuality().catch((error) => this.#log(`network quality: ${error.message}`))
        .finally(() => { this.#nqBusy = false; });
    }, NQ_INTERVAL_MS);
  }

  /** What the video sender tries to send: the sum of its active encodings' caps. */
  #expectedVideoBps() {
    const sender = this.#publisher?.pc.getSenders().find((s) => s.track?.kind === 'video');
    if (!sender || !sender.track?.enabled || this.audioOnly)
      return 0;
    const encodings = sender.getParameters().encodings ?? [];
    return encodings.filter((e) => e.active !== false).reduce((sum, e) => sum + (e.maxBitrate ?? 0), 0);
  }

  async #sampleNetworkQuality() {
    const pub = this.#publisher;
    const sample = { send: null, recv: new Map() };
    if (pub?.published)
      sample.send = { pc: pub.pc, report: await pub.pc.getStats() };
    for (const remote of this.remotes.values()) {
      if (remote.sub?.subscribed)
        sample.recv.set(remote.sid, { pc: remote.sub.pc, report: await remote.sub.pc.getStats() });
    }
    this.#nqSamples.push(sample);
    while (this.#nqSamples.length > NQ_WINDOW_SAMPLES + 1)
      this.#nqSamples.shift();
    const before = this.#nqSamples[0];

    const transportUp = (pc) => pc && ['connected', 'completed'].includes(pc.iceConnectionState);
    const connected = this.state === 'joined' && (this.signaling?.isOpen ?? false) &&
      (!pub || !pub.published || transportUp(pub.pc));
    const hasVideo = this.#hasVideo && this.cameraEnabled && !this.audioOnly;
    const expected = { video: this.#expectedVideoBps() };
    const active = { audio: this.#hasAudio && this.micEnabled, video: hasVideo };
    const input = inputFromStats({
      connected,
      // Snapshots of the same peer connection only: a republish starts afresh.
      send: sample.send && before.send?.pc === sample.send.pc ? { before: before.send.report, after: sample.send.report } : null,
      recv: [...sample.recv.entries()]
        .filter(([sid, now]) => before.recv.get(sid)?.pc === now.pc)
        .map(([sid, now]) => ({ before: before.recv.get(sid).report, after: now.report })),
      expected,
      active,
    });
    const result = score(input);
    // Nothing measured yet (the first sample of a peer connection): say nothing.
    const measured = !connected || before !== sample;
    if (!measured)
      return;
    const nq = { ...result, audio_only: this.audioOnly, input, expected, active };
    const changed = this.networkQuality?.level !== nq.level || this.networkQuality?.reason !== nq.reason;
    this.networkQuality = nq;
    this.#renderLocal();
    if (changed)
      this.#log(`network quality ${nq.level} (${nq.reason})`);
    this.emit('network-quality', nq);
    this.#adaptToNetwork(nq);
    this.#reportNetworkQuality(nq);
  }

  #reportNetworkQuality(nq) {
    const conn = this.#conn;
    if (this.state !== 'joined' || !conn?.signaling.isOpen)
      return;
    const fields = { level: nq.level, reason: nq.reason, audio: nq.audio, video: nq.video, audio_only: nq.audio_only };
    conn.signaling.request('network-quality', fields, { timeoutMs: NQ_REPORT_TIMEOUT_MS }).then((reply) => {
      if (conn !== this.#conn)
        return;
      this.#nqMissed = 0;
      for (const p of reply.participants ?? [])
        this.#setRemoteNetworkQuality(p.sid, p);
    }).catch((error) => {
      if (conn !== this.#conn)
        return;
      if (error.error === 'timeout' && ++this.#nqMissed >= NQ_MISSED_REPORTS_DEAD) {
        // The server stopped answering: a cut link leaves the socket open
        // for a long time; closing it starts the reconnect now.
        this.#log('the server stopped answering: reconnecting');
        this.#nqMissed = 0;
        conn.signaling.close(4000, 'no reply');
      } else if (error.error !== 'timeout' && error.error !== 'closed') {
        this.#log(`network-quality report refused: ${error.message}`);
      }
    });
  }

  #setRemoteNetworkQuality(sid, message) {
    const remote = this.remotes.get(sid);
    if (!remote || typeof message?.level !== 'number')
      return;
    const nq = { level: message.level, reason: message.reason ?? 'none', audio_only: Boolean(message.audio_only) };
    if (remote.networkQuality?.level === nq.level && remote.networkQuality?.reason === nq.reason &&
        remote.networkQuality?.audio_only === nq.audio_only)
      return;
    remote.networkQuality = nq;
    this.#renderRemote(remote);
    this.emit('remote-network-quality', sid);
  }

  /**
   * A patient whose connection is too weak for video (level ≤ 1 for two
   * samples in a row) goes audio-only: the video encodings stop, the audio
   * goes on. Video is tried again after a pause, doubled each time it fails.
   */
  #adaptToNetwork(nq) {
    const now = Date.now();
    if (!this.audioOnly) {
      // Right after video comes back the browser's bandwidth estimate is still
      // ramping up from the audio-only rate: only loss counts as weak then.
      const ramping = now - this.#videoResumedAt < VIDEO_RAMP_UP_MS &&
        (nq.reason === 'send-bandwidth' || nq.reason === 'latency' || nq.reason === 'jitter');
      const weak = nq.level === 1 && this.#hasVideo && this.cameraEnabled && !ramping;
      this.#nqLowSamples = weak ? this.#nqLowSamples + 1 : 0;
      if (this.#nqLowSamples >= AUDIO_ONLY_AFTER_SAMPLES) {
        if (now - this.#videoResumedAt < VIDEO_RETRY_PROBATION_MS)
          this.#videoRetryMs = Math.min(VIDEO_RETRY_MAX_MS, this.#videoRetryMs * 2);
        else
          this.#videoRetryMs = VIDEO_RETRY_FIRST_MS;
        this.#videoRetryAt = now + this.#videoRetryMs;
        this.#nqLowSamples = 0;
        this.#setAudioOnly(true);
      }
      return;
    }
    if (now >= this.#videoRetryAt && nq.level >= 4) {
      this.#videoResumedAt = now;
      this.#setAudioOnly(false);
    }
  }

  #setAudioOnly(on) {
    if (this.audioOnly === on)
      return;
    this.audioOnly = on;
    this.#log(on ? 'connection too weak: audio only' : 'trying video again');
    const sender = this.#publisher?.pc.getSenders().find((s) => s.track?.kind === 'video');
    if (sender) {
      const params = sender.getParameters();
      for (const encoding of params.encodings ?? [])
        encoding.active = !on;
      sender.setParameters(params).catch((error) => this.#log(`audio-only: ${error.message}`));
    }
    this.#renderLocal();
    this.emit('audio-only', on);
  }

  /** Stops sending video at once, as the fallback does (for tests and a
   * "save data" choice); null hands the choice back to the fallback. */
  setAudioOnly(on) {
    this.#setAudioOnly(Boolean(on));
    this.#videoRetryAt = on ? Infinity : 0;
  }

  /** The five bars and the sentence on a tile. */
  #renderNetworkQuality(tile, nq, whose, name) {
    let meter = tile.querySelector('.nq');
    if (!meter) {
      meter = document.createElement('span');
      meter.className = 'nq';
      meter.setAttribute('role', 'img');
      for (let i = 1; i <= 5; i++) {
        const bar = document.createElement('i');
        bar.dataset.bar = String(i);
        meter.append(bar);
      }
      const reason = document.createElement('span');
      reason.className = 'nq-reason';
      tile.querySelector('figcaption').append(meter, reason);
    }
    const reasonText = nq && nq.level >= 0 ? this.#reasonText(nq, whose, name) : '';
    meter.hidden = !nq || nq.level < 0;
    meter.dataset.level = nq ? String(nq.level) : '';
    meter.setAttribute('aria-label', nq ? t('nq.level', { level: nq.level }) : '');
    const reasonEl = tile.querySelector('.nq-reason');
    reasonEl.dataset.reason = nq?.reason ?? '';
    reasonEl.textContent = reasonText;
  }

  #reasonText(nq, whose, name) {
    const parts = [];
    // The reason only where it matters: below "good".
    const key = nq.level < 4 || nq.level === 0 ? reasonKey(nq.reason, whose) : null;
    if (key)
      parts.push(t(key, { name }));
    if (nq.audio_only)
      parts.push(t(whose === 'self' ? 'nq.self.audio-only' : 'nq.remote.audio-only', { name }));
    return parts.join(' · ');
  }

  // ----------------------------------------------------------------- mute

  /** Enables or disables the microphone track, and tells the room. */
  setMicEnabled(enabled) {
    for (const track of this.localStream?.getAudioTracks() ?? [])
      track.enabled = enabled;
    this.#sendMute({ audio: !enabled });
    this.#renderLocal();
  }

  /** Enables or disables the camera track, and tells the room. */
  setCameraEnabled(enabled) {
    for (const track of this.localStream?.getVideoTracks() ?? [])
      track.enabled = enabled;
    this.#sendMute({ video: !enabled });
    this.#renderLocal();
  }

  get micEnabled() {
    return this.localStream?.getAudioTracks().some((t) => t.enabled) ?? false;
  }

  get cameraEnabled() {
    return this.localStream?.getVideoTracks().some((t) => t.enabled) ?? false;
  }

  #sendMute(fields) {
    const signaling = this.#conn?.signaling;
    if (!signaling?.isOpen || this.state !== 'joined')
      return;
    signaling.request('mute', fields, { timeoutMs: 5000 }).catch((error) => this.#log(`mute: ${error.message}`));
  }

  // ---------------------------------------------------------------- stats

  /**
   * Resolves {
   *   inbound:  { <participant SID>: { identity, framesDecoded, frameWidth,
   *               frameHeight, framesPerSecond, bytesReceived, packetsLost,
   *               audioLevel, connectionState } },
   *   outbound: { <rid, or 'single'>: { frameWidth, frameHeight, framesSent,
   *               framesPerSecond, bytesSent, active, qualityLimitationReason } },
   *   outboundAudio: { bytesSent, packetsSent } | null,
   *   publisherState: the publisher's connectionState or null
   * }
   */
  async stats() {
    const result = { inbound: {}, outbound: {}, outboundAudio: null, publisherState: null };
    const pub = this.#publisher;
    if (pub) {
      result.publisherState = pub.pc.connectionState;
      const report = await pub.pc.getStats();
      for (const s of report.values()) {
        if (s.type === 'outbound-rtp' && s.kind === 'video') {
          result.outbound[s.rid ?? 'single'] = {
            frameWidth: s.frameWidth ?? 0,
            frameHeight: s.frameHeight ?? 0,
            framesSent: s.framesSent ?? 0,
            framesPerSecond: s.framesPerSecond ?? 0,
            bytesSent: s.bytesSent ?? 0,
            active: s.active,
            qualityLimitationReason: s.qualityLimitationReason,
            encoderImplementation: s.encoderImplementation,
          };
        } else if (s.type === 'outbound-rtp' && s.kind === 'audio') {
          result.outboundAudio = { bytesSent: s.bytesSent ?? 0, packetsSent: s.packetsSent ?? 0 };
        }
      }
    }
    for (const remote of this.remotes.values()) {
      const entry = {
        identity: remote.identity,
        framesDecoded: 0,
        frameWidth: 0,
        frameHeight: 0,
        framesPerSecond: 0,
        bytesReceived: 0,
        packetsLost: 0,
        audioLevel: null,
        connectionState: remote.sub?.pc.connectionState ?? null,
      };
      if (remote.sub) {
        const report = await remote.sub.pc.getStats();
        for (const s of report.values()) {
          if (s.type === 'inbound-rtp' && s.kind === 'video') {
            entry.framesDecoded += s.framesDecoded ?? 0;
            entry.frameWidth = s.frameWidth ?? entry.frameWidth;
            entry.frameHeight = s.frameHeight ?? entry.frameHeight;
            entry.framesPerSecond = s.framesPerSecond ?? entry.framesPerSecond;
            entry.bytesReceived += s.bytesReceived ?? 0;
            entry.packetsLost += s.packetsLost ?? 0;
          } else if (s.type === 'inbound-rtp' && s.kind === 'audio') {
            entry.audioLevel = s.audioLevel ?? null;
          }
        }
      }
      result.inbound[remote.sid] = entry;
    }
    return result;
  }

  // -------------------------------------------------------------- rendering
  //
  // Tiles are <figure class="tile"> elements in the stage: the local one
  // (muted, mirrored by CSS) and one per remote participant. The dominant
  // speaker's tile gets the class "dominant" (shown large by the CSS).

  #tile(key, label) {
    const stage = this.options.stage;
    if (!stage)
      return null;
    let tile = stage.querySelector(`[data-key="${key}"]`);
    if (!tile) {
      tile = document.createElement('figure');
      tile.className = 'tile';
      tile.dataset.key = key;
      const video = document.createElement('video');
      video.autoplay = true;
      video.playsInline = true;
      video.muted = true;
      const caption = document.createElement('figcaption');
      const name = document.createElement('span');
      name.className = 'name';
      const badges = document.createElement('span');
      badges.className = 'badges';
      caption.append(name, badges);
      tile.append(video, caption);
      if (key !== 'local') {
        const audio = document.createElement('audio');
        audio.autoplay = true;
        tile.append(audio);
      }
      stage.append(tile);
    }
    tile.querySelector('.name').textContent = label;
    return tile;
  }

  #removeTile(key) {
    this.options.stage?.querySelector(`[data-key="${key}"]`)?.remove();
  }

  #renderLocal() {
    const tile = this.#tile('local', t('tile.you'));
    if (!tile)
      return;
    tile.classList.add('local');
    const video = tile.querySelector('video');
    if (video.srcObject !== this.localStream)
      video.srcObject = this.localStream;
    video.setAttribute('aria-label', t('tile.your-camera'));
    tile.classList.toggle('camera-off', !this.cameraEnabled || this.audioOnly);
    tile.querySelector('.badges').textContent = this.micEnabled ? '' : t('tile.muted');
    this.#renderNetworkQuality(tile, this.networkQuality, 'self', '');
  }

  #renderRemote(remote) {
    const tile = this.#tile(remote.sid, remote.identity);
    if (!tile)
      return;
    tile.querySelector('video').setAttribute('aria-label', t('tile.video-of', { name: remote.identity }));
    const badges = [];
    if (remote.audioMuted)
      badges.push(t('tile.muted'));
    if (!remote.publishing)
      badges.push(t('tile.no-video'));
    tile.querySelector('.badges').textContent = badges.join(' · ');
    tile.classList.toggle('camera-off', remote.videoMuted || !remote.publishing || Boolean(remote.networkQuality?.audio_only));
    this.#renderNetworkQuality(tile, remote.networkQuality, 'remote', remote.identity);
  }

  #attachRemoteMedia(remote) {
    const tile = this.options.stage?.querySelector(`[data-key="${remote.sid}"]`);
    if (!tile)
      return;
    const video = tile.querySelector('video');
    const audio = tile.querySelector('audio');
    const stream = remote.sub?.stream ?? null;
    const videoStream = stream && stream.getVideoTracks().length ? new MediaStream(stream.getVideoTracks()) : null;
    const audioStream = stream && stream.getAudioTracks().length ? new MediaStream(stream.getAudioTracks()) : null;
    video.srcObject = videoStream;
    if (audio)
      audio.srcObject = audioStream;
    video.play?.().catch(() => {});
    audio?.play?.().catch(() => {});
    this.#renderRemote(remote);
  }

  #updateDominantTiles() {
    const stage = this.options.stage;
    if (!stage)
      return;
    const key = this.dominantSpeaker === this.self?.sid ? 'local' : this.dominantSpeaker;
    for (const tile of stage.querySelectorAll('.tile')) {
      const dominant = key !== null && tile.dataset.key === key;
      tile.classList.toggle('dominant', dominant);
      if (dominant)
        tile.setAttribute('aria-current', 'true');
      else
        tile.removeAttribute('aria-current');
    }
  }
}
