// SPDX-License-Identifier: GPL-3.0-or-later
//
// The preflight's network test: a real WebRTC loopback through the media
// server (docs/waiting-room.md: `echo-test` with an SDP offer → `echo-answer`,
// trickle with target "echo", `echo-stop`). The browser sends its camera and
// microphone (or, without them, a synthetic picture and tone) for about five
// seconds and reads getStats() once a second; preflight.js turns the samples
// into round-trip time, jitter, loss, bitrate and the ICE candidate type.

import { extractSample, summarizeNetworkTest } from './preflight.js';
import { SignalingClient, SignalingError, defaultSignalingUrl } from './signaling.js';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A moving synthetic picture and a quiet tone, for a patient without devices. */
function syntheticTracks(width, height) {
  const tracks = [];
  const stops = [];
  try {
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const g = canvas.getContext('2d');
    let frame = 0;
    const timer = setInterval(() => {
      frame++;
      g.fillStyle = `hsl(${(frame * 7) % 360} 60% 45%)`;
      g.fillRect(0, 0, width, height);
      g.fillStyle = '#fff';
      g.fillRect((frame * 11) % width, (frame * 5) % height, width / 8, height / 8);
    }, 1000 / 24);
    stops.push(() => clearInterval(timer));
    tracks.push(canvas.captureStream(24).getVideoTracks()[0]);
  } catch {
    // No canvas capture: test with audio alone.
  }
  try {
    const ctx = new AudioContext();
    const oscillator = ctx.createOscillator();
    const gain = ctx.createGain();
    gain.gain.value = 0.05;
    const destination = ctx.createMediaStreamDestination();
    oscillator.connect(gain).connect(destination);
    oscillator.start();
    stops.push(() => ctx.close());
    tracks.push(destination.stream.getAudioTracks()[0]);
  } catch {
    // No WebAudio: test with video alone.
  }
  return { tracks: tracks.filter(Boolean), stop: () => stops.forEach((f) => f()) };
}

function preferVp8(transceiver) {
  try {
    const codecs = RTCRtpSender.getCapabilities?.('video')?.codecs;
    if (!codecs || typeof transceiver.setCodecPreferences !== 'function')
      return;
    const vp8 = codecs.filter((c) => /vp8/i.test(c.mimeType));
    if (vp8.length)
      transceiver.setCodecPreferences([...vp8, ...codecs.filter((c) => !/vp8/i.test(c.mimeType))]);
  } catch {
    // The browser's own order, then.
  }
}

/**
 * Runs the test. Options:
 *   token       – the patient token from the first check-in
 *   stream      – the preview's MediaStream (its tracks are cloned), or null
 *   maxBitrate  – the video cap in bps (what the call will send at most)
 *   durationMs  – how long to measure once connected (default 5000)
 *   width, height – the synthetic picture's size when there is no camera
 *   url         – the signaling URL (default this page's)
 *   onProgress  – ({phase: 'connecting'|'measuring', fraction})
 *   onQueueEvent – (type, message) for the waiting room's `admitted` and
 *                 `removed`, which reach every socket of the patient, this one too
 * Resolves { summary, samples, error }: summary is summarizeNetworkTest()'s
 * result, { failed: true } when no media flowed; error says why it failed.
 */
export async function runNetworkTest({
  token, stream = null, maxBitrate = 2500000, durationMs = 5000,
  width = 640, height = 480, url = defaultSignalingUrl(), onProgress = () => {}, onQueueEvent = () => {},
} = {}) {
  const signaling = new SignalingClient(url);
  const samples = [];
  let pc = null;
  let synthetic = null;
  const clones = [];
  try {
    onProgress({ phase: 'connecting', fraction: 0 });
    for (const type of ['admitted', 'removed'])
      signaling.on(type, (message) => onQueueEvent(type, message));
    await signaling.connect();
    await signaling.authenticate(token);

    let tracks = (stream?.getTracks() ?? []).filter((t) => t.readyState === 'live').map((t) => t.clone());
    clones.push(...tracks);
    if (!tracks.some((t) => t.kind === 'video') || !tracks.some((t) => t.kind === 'audio')) {
      synthetic = syntheticTracks(width, height);
      for (const t of synthetic.tracks) {
        if (!tracks.some((have) => have.kind === t.kind))
          tracks = [...tracks, t];
      }
    }
    for (const t of tracks)
      t.enabled = true;

    pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    const local = new MediaStream(tracks);
    for (const track of tracks) {
      if (track.kind === 'video')
        preferVp8(pc.addTransceiver(track, { direction: 'sendrecv', streams: [local], sendEncodings: [{ maxBitrate }] }));
      else
        pc.addTransceiver(track, { direction: 'sendrecv', streams: [local] });
    }
    let canTrickle = false;
    const pending = [];
    pc.onicecandidate = (event) => {
      const c = event.candidate;
      const candidate = c ? { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex } : null;
      if (canTrickle)
        signaling.notify('trickle', { target: 'echo', candidate });
      else
        pending.push(candidate);
    };
    signaling.on('trickle', (message) => {
      if (message.target === 'echo' && pc)
        pc.addIceCandidate(message.candidate ?? null).catch(() => {});
    });
    const connected = new Promise((resolve, reject) => {
      pc.onconnectionstatechange = () => {
        if (pc.connectionState === 'connected')
          resolve();
        else if (pc.connectionState === 'failed')
          reject(new SignalingError({ error: 'ice-failed', message: 'no media path to the media server' }));
      };
    });

    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const answer = await signaling.request('echo-test', { sdp: pc.localDescription.sdp }, { timeoutMs: 15000 });
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    canTrickle = true;
    for (const candidate of pending.splice(0))
      signaling.notify('trickle', { target: 'echo', candidate });

    let timer;
    await Promise.race([
      connected,
      new Promise((resolve, reject) => {
        timer = setTimeout(() => reject(new SignalingError({ error: 'ice-timeout', message: 'the media path did not open within 10 s' })), 10000);
      }),
    ]).finally(() => clearTimeout(timer));

    const start = performance.now();
    for (;;) {
      const report = await pc.getStats();
      const now = performance.now();
      samples.push(extractSample([...report.values()].map((s) => ({ ...s })), now));
      const elapsed = now - start;
      onProgress({ phase: 'measuring', fraction: Math.min(1, elapsed / durationMs) });
      if (elapsed >= durationMs)
        break;
      await sleep(1000);
    }
    return { summary: summarizeNetworkTest(samples), samples, error: null };
  } catch (error) {
    const summary = samples.length >= 2 ? summarizeNetworkTest(samples) : { failed: true };
    return { summary, samples, error };
  } finally {
    if (signaling.isOpen)
      await signaling.request('echo-stop', {}, { timeoutMs: 2000 }).catch(() => {});
    signaling.close(1000, 'network test done');
    if (pc) {
      pc.onicecandidate = null;
      pc.onconnectionstatechange = null;
      pc.close();
    }
    for (const track of clones)
      track.stop();
    synthetic?.stop();
  }
}
