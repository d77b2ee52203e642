// Injected into the Chromium page before the call page's own scripts (an init
// script), for bench/call-bench.mjs. It records, on window.__bench:
//   events  – every RTCPeerConnection's signaling, ICE and connection state changes,
//             with wall-clock times (ms)
//   frames  – for each remote video element, the wall-clock time of its first frame
//   g2g     – with stamp reading on: per received frame, the ms from the sender's
//             capture stamp to this frame's expected display time
// and, with stamping on, replaces the camera's video with a 1280x720 canvas at
// 24 fps that carries the capture time as the block code hc-bench-console reads
// (two rows of 16 blocks, 48 px in a 1280-wide frame, the low 16 bits of the time
// in ms and their complement).
//
// The page's code is not changed: the hooks wrap RTCPeerConnection and getUserMedia.
// eslint-disable-next-line no-unused-vars
function benchProbe({ stamp, readStamps }) {
  const B = {
    events: [], frames: [], g2g: [], bad: 0, localTracks: new Set(), hooked: new WeakSet(),
  };
  window.__bench = B;
  const wall = () => performance.timeOrigin + performance.now();

  const Original = window.RTCPeerConnection;
  let count = 0;
  window.RTCPeerConnection = class extends Original {
    constructor(...args) {
      super(...args);
      const pc = count++;
      const ev = (what) => B.events.push({ pc, what, t: wall() });
      ev('created');
      this.addEventListener('signalingstatechange', () => ev(`signaling-${this.signalingState}`));
      this.addEventListener('iceconnectionstatechange', () => ev(`ice-${this.iceConnectionState}`));
      this.addEventListener('connectionstatechange', () => ev(`connection-${this.connectionState}`));
      this.addEventListener('track', (e) => ev(`track-${e.track.kind}`));
    }
  };

  const CODE_BITS = 16;
  const BLOCK = 48;

  {
    const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (constraints) => {
      const real = await getUserMedia(constraints);
      for (const t of real.getVideoTracks())
        B.localTracks.add(t.id);
      if (!stamp || !constraints?.video)
        return real;
      const canvas = document.createElement('canvas');
      canvas.width = 1280;
      canvas.height = 720;
      const g = canvas.getContext('2d');
      let x = 0;
      const draw = () => {
        g.fillStyle = '#202020';
        g.fillRect(0, 0, 1280, 720);
        // Something moving, as a camera would show.
        x = (x + 8) % 1280;
        g.fillStyle = '#c0c0c0';
        g.beginPath();
        g.arc(x, 400, 80, 0, 2 * Math.PI);
        g.fill();
        const t = Math.floor(wall()) & 0xffff;
        for (let row = 0; row < 2; row++) {
          const word = row === 0 ? t : (~t & 0xffff);
          for (let bit = 0; bit < CODE_BITS; bit++) {
            g.fillStyle = (word >> (CODE_BITS - 1 - bit)) & 1 ? '#ebebeb' : '#101010';
            g.fillRect(bit * BLOCK, row * BLOCK, BLOCK, BLOCK);
          }
        }
      };
      draw();
      setInterval(draw, 1000 / 24);
      const video = canvas.captureStream(24).getVideoTracks()[0];
      B.localTracks.add(video.id);
      for (const t of real.getVideoTracks())
        t.stop();
      return new MediaStream([...real.getAudioTracks(), video]);
    };
  }

  // Remote videos: the first frame of each, and the stamps in every frame.
  const reader = document.createElement('canvas');
  reader.width = CODE_BITS * 8;
  reader.height = 16;
  const rg = reader.getContext('2d', { willReadFrequently: true });
  const hook = (video) => {
    B.hooked.add(video);
    const record = { first: null, frames: 0, width: 0 };
    B.frames.push(record);
    const onFrame = (now, meta) => {
      const shown = performance.timeOrigin + meta.expectedDisplayTime;
      record.frames++;
      record.width = meta.width;
      if (record.first === null)
        record.first = shown;
      if (readStamps) {
        const b = (meta.width * BLOCK) / 1280;
        rg.drawImage(video, 0, 0, CODE_BITS * b, 2 * b, 0, 0, CODE_BITS * 8, 16);
        const d = rg.getImageData(0, 0, CODE_BITS * 8, 16).data;
        const words = [0, 0];
        for (let row = 0; row < 2; row++) {
          for (let bit = 0; bit < CODE_BITS; bit++) {
            const i = ((row * 8 + 4) * CODE_BITS * 8 + bit * 8 + 4) * 4;
            words[row] = (words[row] << 1) | ((d[i] + d[i + 1] + d[i + 2]) / 3 > 128 ? 1 : 0);
          }
        }
        if ((words[0] ^ words[1]) === 0xffff) {
          const ms = Math.floor(shown);
          B.g2g.push((((ms & 0xffff) - words[0]) & 0xffff) + (shown - ms));
        } else {
          B.bad++;
        }
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  };
  setInterval(() => {
    for (const video of document.querySelectorAll('video')) {
      if (B.hooked.has(video) || !(video.srcObject instanceof MediaStream))
        continue;
      const tracks = video.srcObject.getVideoTracks();
      if (tracks.length === 0 || tracks.some((t) => B.localTracks.has(t.id)))
        continue;
      hook(video);
    }
  }, 50);
}
