"use strict";
// LL-HLS player for framecast's H.264 cameras, for when WebRTC cannot
// connect: Safari and iOS play the playlist natively, other browsers
// through hls.js (assets/vendor/hls.min.js, fetched the first time it is
// needed). Its state and retries are FramecastPlayer's (player.js);
// engine says what plays.
window.FramecastHLS = class extends window.FramecastPlayer {
  constructor(video, onchange) {
    super(onchange);
    this.video = video;
    this.hls = null;
    this.engine = ""; // "native" or "hls.js" once started
    video.addEventListener("playing", () => this.playing());
    video.addEventListener("error", () => {
      if (this.url && this.engine === "native") this.fail();
    });
  }
  async start() {
    clearTimeout(this.timer);
    this.end();
    const url = this.url;
    const v = this.video;
    // Safari and iOS play LL-HLS best themselves; elsewhere the browser's
    // own HLS only when hls.js cannot run (no Media Source Extensions).
    const canNative = !!v.canPlayType("application/vnd.apple.mpegurl");
    const apple = canNative && (navigator.vendor || "").startsWith("Apple");
    let Hls = null;
    if (!apple) {
      try {
        Hls = await loadHlsJs();
      } catch (e) {
        // The browser's own HLS may still play.
      }
      if (url !== this.url) return; // closed or reopened meanwhile
    }
    if (apple || (canNative && !(Hls && Hls.isSupported()))) {
      this.engine = "native";
      v.src = url;
    } else if (Hls && Hls.isSupported()) {
      this.engine = "hls.js";
      // No worker: the page's policy allows scripts from the server only.
      const hls = new Hls({ lowLatencyMode: true, enableWorker: false, backBufferLength: 10 });
      this.hls = hls;
      hls.on(Hls.Events.ERROR, (_, data) => {
        if (data.fatal && hls === this.hls) this.fail();
      });
      hls.loadSource(url);
      hls.attachMedia(v);
    } else {
      this.fail(); // neither: nothing here plays HLS
      return;
    }
    v.play().catch(() => {});
    this.onchange();
  }
  end() {
    this.engine = "";
    if (this.hls) this.hls.destroy();
    this.hls = null;
    if (this.video.getAttribute("src") !== null) {
      this.video.removeAttribute("src");
      this.video.load();
    }
  }
};

// loadHlsJs loads hls.js once, on first use: most pages never need it.
let hlsJs = null;
function loadHlsJs() {
  if (!hlsJs) {
    hlsJs = new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = "assets/vendor/hls.min.js";
      s.onload = () => resolve(window.Hls);
      s.onerror = () => {
        hlsJs = null;
        reject(new Error("hls.js did not load"));
      };
      document.head.append(s);
    });
  }
  return hlsJs;
}
