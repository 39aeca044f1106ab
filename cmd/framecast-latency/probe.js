// probe.js runs in framecast's page before the page's own scripts (CDP's
// Page.addScriptToEvaluateOnNewDocument) and watches the real players:
// for the <video> (WebRTC) each picture presented, through
// requestVideoFrameCallback; for the <img> (MJPEG) each new picture, looked
// for at every animation frame. For each it keeps the wall-clock time and
// the mean luma of the stamp's cells (see code.go), which Go decodes. It
// also notes when the page's first status answer reached its code, when
// the WebRTC player made its peer connection, when ICE
// gathering ended and the connection came up, and when the MJPEG player
// set its <img>'s source. Nothing in it changes what the page does.
(() => {
  if (window.__lat) return;
  const COLS = 20, ROWS = 7; // code.go's cols and codeRows
  const L = (window.__lat = { origin: performance.timeOrigin, t: {}, frames: [], pcs: [], max: 4000 });
  const mark = (k) => {
    if (!(k in L.t)) L.t[k] = performance.now();
  };

  const PC = window.RTCPeerConnection;
  if (PC) {
    window.RTCPeerConnection = class extends PC {
      constructor(...a) {
        super(...a);
        mark("pc");
        L.pcs.push(this);
        this.addEventListener("icegatheringstatechange", () => {
          if (this.iceGatheringState === "complete") mark("gathered");
        });
        this.addEventListener("connectionstatechange", () => {
          if (this.connectionState === "connected") mark("connected");
        });
        this.addEventListener("track", () => mark("track"));
      }
    };
  }

  // The page's status request: when its answer reaches the page's code.
  const fetch0 = window.fetch;
  window.fetch = function (...a) {
    const p = fetch0.apply(this, a);
    if (String(a[0]).includes("api/status")) p.then(() => mark("statusJS"), () => {});
    return p;
  };

  const canvas = document.createElement("canvas");
  const g = canvas.getContext("2d", { willReadFrequently: true });
  // cells returns the mean luma of the inner half of each cell of the
  // code, row by row, from a picture w pixels wide, or null.
  function cells(src, w, h) {
    const cell = w / COLS, ch = Math.min(h, Math.ceil(cell * ROWS));
    if (!w || cell < 4) return null;
    if (canvas.width !== w || canvas.height !== ch) {
      canvas.width = w;
      canvas.height = ch;
    }
    g.drawImage(src, 0, 0, w, ch, 0, 0, w, ch);
    const d = g.getImageData(0, 0, w, ch).data;
    const out = [];
    for (let r = 0; r < ROWS; r++) {
      for (let c = 0; c < COLS; c++) {
        const x0 = Math.floor(cell * (c + 0.25)), x1 = Math.floor(cell * (c + 0.75));
        const y0 = Math.floor(cell * (r + 0.25)), y1 = Math.floor(cell * (r + 0.75));
        let sum = 0, n = 0;
        for (let y = y0; y < y1; y++) {
          for (let x = x0; x < x1; x++) {
            const i = (y * w + x) * 4;
            sum += 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
            n++;
          }
        }
        out.push(Math.round(sum / n));
      }
    }
    return out;
  }

  function watchVideo(v) {
    const onFrame = (now, md) => {
      const at = Date.now(), perf = performance.now();
      if (L.frames.length < L.max) {
        L.frames.push({
          at, perf, cells: cells(v, v.videoWidth, v.videoHeight),
          recv: md.receiveTime ?? null, pres: md.presentationTime ?? null,
          proc: md.processingDuration ?? null, rtp: md.rtpTimestamp ?? null,
        });
      }
      v.requestVideoFrameCallback(onFrame);
    };
    v.requestVideoFrameCallback(onFrame);
  }

  function watchImage(img) {
    let last = "";
    const onAnimationFrame = () => {
      requestAnimationFrame(onAnimationFrame);
      if (!img.complete || !img.naturalWidth || L.frames.length >= L.max) return;
      const at = Date.now(), perf = performance.now();
      const c = cells(img, img.naturalWidth, img.naturalHeight);
      const key = c ? c.join() : "";
      if (key === last) return;
      last = key;
      L.frames.push({ at, perf, cells: c });
    };
    requestAnimationFrame(onAnimationFrame);
    new MutationObserver(() => {
      if (img.getAttribute("src")) mark("src");
    }).observe(img, { attributes: true, attributeFilter: ["src"] });
  }

  document.addEventListener("DOMContentLoaded", () => {
    mark("dom");
    const v = document.getElementById("live-video"), img = document.getElementById("live");
    if (v && v.requestVideoFrameCallback) watchVideo(v);
    if (img) watchImage(img);
  });

  // stats sums the inbound video statistics of the page's connections.
  L.stats = async () => {
    const out = {};
    for (const pc of L.pcs) {
      if (pc.connectionState === "closed") continue;
      (await pc.getStats()).forEach((s) => {
        if (s.type !== "inbound-rtp" || s.kind !== "video") return;
        for (const k of ["jitterBufferDelay", "jitterBufferTargetDelay", "jitterBufferMinimumDelay", "jitterBufferEmittedCount",
          "totalDecodeTime", "totalProcessingDelay", "totalAssemblyTime", "framesDecoded", "framesDropped", "framesReceived",
          "freezeCount", "packetsLost", "nackCount", "pliCount"]) {
          out[k] = (out[k] || 0) + (s[k] || 0);
        }
      });
    }
    return out;
  };
})();
