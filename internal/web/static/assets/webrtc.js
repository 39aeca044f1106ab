"use strict";
// WHEP player for framecast's H.264 cameras: it sends the browser's offer
// to the camera's whep URL, plays the answer's video track in a muted,
// inline <video>, and ends the session (DELETE) when closed. Its state and
// retries are FramecastPlayer's (player.js).
window.FramecastWebRTC = class extends window.FramecastPlayer {
  constructor(video, onchange) {
    super(onchange);
    this.video = video;
    this.pc = null;
    this.session = ""; // the URL that ends the session
    this.frames = 0; // pictures shown, counted by requestVideoFrameCallback
    video.muted = true;
    video.playsInline = true;
    video.autoplay = true;
    video.addEventListener("playing", () => this.playing());
    const count = () => {
      this.frames++;
      video.requestVideoFrameCallback(count);
    };
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(count);
  }
  async start() {
    clearTimeout(this.timer);
    this.end();
    if (typeof RTCPeerConnection === "undefined") return this.fail(); // chosen in a browser without WebRTC
    const url = this.url;
    const pc = new RTCPeerConnection();
    this.pc = pc;
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.ontrack = (e) => {
      this.video.srcObject = e.streams[0] || new MediaStream([e.track]);
      this.video.play().catch(() => {});
    };
    pc.onconnectionstatechange = () => {
      if (pc !== this.pc) return;
      if (pc.connectionState === "failed" || pc.connectionState === "closed") this.fail();
    };
    try {
      // The offer goes at once, without the browser's ICE candidates:
      // browsers hide their addresses behind mDNS names that framecast
      // does not resolve, and it learns the browser's address from its
      // connectivity checks instead, over UDP or TCP. Waiting for the
      // gathering to end delayed a new viewer's first picture by 0.1 s on
      // a quiet machine, up to 0.5 s on a busy one (docs/BENCHMARKS.md,
      // "Latency in Chromium").
      await pc.setLocalDescription(await pc.createOffer());
      const r = await fetch(url, { method: "POST", headers: { "Content-Type": "application/sdp" }, body: pc.localDescription.sdp });
      if (r.status !== 201) throw new Error(r.status + " " + (await r.text()));
      const loc = r.headers.get("Location");
      if (pc !== this.pc) {
        if (loc) this.del(new URL(loc, new URL(url, location.href)).href);
        return;
      }
      if (loc) this.session = new URL(loc, new URL(url, location.href)).href;
      await pc.setRemoteDescription({ type: "answer", sdp: await r.text() });
    } catch (e) {
      if (pc === this.pc) this.fail();
    }
  }
  del(session) {
    const u = new URL(session);
    const token = new URLSearchParams(location.search).get("token");
    if (token) u.searchParams.set("token", token);
    fetch(u.href, { method: "DELETE", keepalive: true }).catch(() => {});
  }
  // end closes the peer connection and ends its session on the server.
  end() {
    if (this.session) this.del(this.session);
    this.session = "";
    if (this.pc) this.pc.close();
    this.pc = null;
    this.video.srcObject = null;
  }
};
