"use strict";
// framecast's page: one camera large, or a grid of all cameras; facts from
// /api/status; snapshot download; fullscreen; reconnection with backoff.
// Plain JavaScript with no build step and no inline code, so a
// Content-Security-Policy of 'self' allows it.
(function () {
  const STRINGS = {
    en: {
      allCameras: "All cameras",
      camerasN: "{n} cameras",
      failedN: "{n} failed",
      resolution: "Resolution",
      fps: "Frame rate",
      viewers: "Viewers",
      age: "Frame age",
      transport: "Transport",
      playOver: "Play over",
      auto: "Auto",
      noRTC: "This browser has no WebRTC",
      failedRTC: "WebRTC could not connect",
      failedHLS: "LL-HLS could not connect",
      failedBoth: "WebRTC and LL-HLS could not connect",
      ageNote: "Frame age: time from the capture of the newest frame to the server's status answer. Network delay to this browser is not included.",
      snapshot: "Snapshot",
      fullscreen: "Fullscreen",
      exitFullscreen: "Exit fullscreen",
      statusLink: "Status (JSON)",
      recordingsLink: "Recordings",
      connecting: "Connecting…",
      live: "Live",
      idle: "Idle",
      starting: "Starting camera…",
      startingDetail: "Waiting for the first picture.",
      reconnecting: "Reconnecting…",
      serverLost: "Lost the connection to the server. Trying again in {s} s.",
      streamLost: "The video stream stopped. Trying again in {s} s.",
      retrying: "Trying again now…",
      failed: "Camera failed",
      retryingItself: "framecast retries by itself.",
      saved: "Saved {file}",
      snapFailed: "Snapshot failed: {err}",
      altLive: "Live picture from camera {name}",
      secUnit: "s",
      minUnit: "min",
      useOpen: "Use elsewhere",
      useTitle: "Use this camera elsewhere",
      close: "Close",
      useIntro: "Addresses of {name} for other apps and pages, as this browser reaches the server.",
      useIntroToken: "These addresses carry the token this page was opened with: anyone who has them can watch {name}.",
      tokenLabel: "Token",
      tokenHelp: "Apps that cannot send a password can use one of this camera's tokens (tokens: under the camera in framecast.yaml) instead. Type it here to put it in the addresses below; it stays in this browser.",
      streamURL: "Stream (MJPEG)",
      snapshotURL: "Snapshot (JPEG)",
      hlsURL: "LL-HLS (VLC, Safari, HLS players)",
      whepURL: "WebRTC (WHEP clients)",
      homeAssistant: "Home Assistant (configuration.yaml)",
      octoPrint: "OctoPrint (config.yaml)",
      frigate: "Frigate (config.yml)",
      imgTag: "Web page (<img>)",
      copy: "Copy",
      copyWhat: "Copy: {what}",
      copied: "Copied: {what}",
      copyFailed: "Could not copy. The text is selected: press Ctrl+C.",
    },
    ko: {
      allCameras: "모든 카메라",
      camerasN: "카메라 {n}대",
      failedN: "{n}대 오류",
      resolution: "해상도",
      fps: "프레임 속도",
      viewers: "시청자",
      age: "프레임 경과",
      transport: "전송 방식",
      playOver: "재생 방식",
      auto: "자동",
      noRTC: "이 브라우저에는 WebRTC가 없음",
      failedRTC: "WebRTC로 연결하지 못함",
      failedHLS: "LL-HLS로 연결하지 못함",
      failedBoth: "WebRTC와 LL-HLS로 연결하지 못함",
      ageNote: "프레임 경과: 가장 최근 프레임을 촬영한 때부터 서버가 상태를 응답할 때까지의 시간입니다. 이 브라우저까지의 네트워크 지연은 포함되지 않습니다.",
      snapshot: "스냅샷",
      fullscreen: "전체 화면",
      exitFullscreen: "전체 화면 끝내기",
      statusLink: "상태 (JSON)",
      recordingsLink: "녹화",
      connecting: "연결하는 중…",
      live: "실시간",
      idle: "대기",
      starting: "카메라 시작 중…",
      startingDetail: "첫 화면을 기다리고 있습니다.",
      reconnecting: "다시 연결하는 중…",
      serverLost: "서버와의 연결이 끊어졌습니다. {s}초 후에 다시 시도합니다.",
      streamLost: "영상 스트림이 멈췄습니다. {s}초 후에 다시 시도합니다.",
      retrying: "지금 다시 시도하고 있습니다…",
      failed: "카메라 오류",
      retryingItself: "framecast가 자동으로 다시 시도합니다.",
      saved: "{file} 저장됨",
      snapFailed: "스냅샷 실패: {err}",
      altLive: "{name} 카메라의 실시간 화면",
      secUnit: "초",
      minUnit: "분",
      useOpen: "다른 곳에서 보기",
      useTitle: "이 카메라를 다른 곳에서 사용하기",
      close: "닫기",
      useIntro: "다른 앱과 웹 페이지에서 쓸 {name} 카메라의 주소입니다. 이 브라우저가 서버에 접속한 주소를 기준으로 합니다.",
      useIntroToken: "이 주소에는 이 페이지를 연 토큰이 들어 있습니다. 주소를 가진 사람은 누구나 {name} 카메라를 볼 수 있습니다.",
      tokenLabel: "토큰",
      tokenHelp: "비밀번호를 보낼 수 없는 앱은 이 카메라의 토큰(framecast.yaml에서 카메라의 tokens:)을 대신 쓸 수 있습니다. 여기에 입력하면 아래 주소에 들어갑니다. 입력한 값은 이 브라우저 밖으로 나가지 않습니다.",
      streamURL: "스트림 (MJPEG)",
      snapshotURL: "스냅샷 (JPEG)",
      hlsURL: "LL-HLS (VLC, Safari, HLS 플레이어)",
      whepURL: "WebRTC (WHEP 클라이언트)",
      homeAssistant: "Home Assistant (configuration.yaml)",
      octoPrint: "OctoPrint (config.yaml)",
      frigate: "Frigate (config.yml)",
      imgTag: "웹 페이지 (<img>)",
      copy: "복사",
      copyWhat: "복사: {what}",
      copied: "복사됨: {what}",
      copyFailed: "복사하지 못했습니다. 글자가 선택되어 있으니 Ctrl+C를 누르세요.",
    },
  };

  // The first of the browser's languages that the page speaks, else English.
  const lang = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"])
    .map((l) => String(l).toLowerCase().split("-")[0])
    .find((l) => l in STRINGS) || "en";

  function t(key, vars) {
    let s = STRINGS[lang][key] ?? STRINGS.en[key] ?? key;
    for (const k in vars || {}) s = s.split("{" + k + "}").join(String(vars[k]));
    return s;
  }
  const num1 = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const num0 = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });

  function formatAge(ms) {
    if (ms < 1000) return num0.format(ms) + " ms";
    if (ms < 60000) return num1.format(ms / 1000) + " " + t("secUnit");
    return num0.format(Math.floor(ms / 60000)) + " " + t("minUnit");
  }

  // backoff is the status poll's wait before retry n, the players' own.
  const backoff = window.FramecastPlayer.backoff;

  const $ = (id) => document.getElementById(id);
  const el = {
    title: $("title"), badge: $("badge"), badgeText: $("badge-text"),
    grid: $("grid"), tiles: $("tiles"), view: $("view"), stage: $("stage"),
    screen: $("screen"), live: $("live"), overlayTitle: $("overlay-title"),
    overlayDetail: $("overlay-detail"), overlayNote: $("overlay-note"), size: $("f-size"), fps: $("f-fps"),
    viewers: $("f-viewers"), age: $("f-age"), video: $("live-video"), transport: $("f-transport"), why: $("f-why"), bar: $("bar"), back: $("back"), snap: $("snap"),
    full: $("full"), fullLabel: $("full-label"), ageNote: $("age-note"), version: $("version"), toast: $("toast"),
    pickFact: $("pick-fact"), pick: $("pick"), useOpen: $("use-open"), use: $("use"), useClose: $("use-close"), useIntro: $("use-intro"),
    useToken: $("use-token"), useTokenInput: $("use-token-input"), useList: $("use-list"), useStatus: $("use-status"),
  };

  // pageToken is the ?token= this page was opened with, if any: the page's
  // own requests carry it, and so do the addresses it gives to copy.
  const pageToken = new URLSearchParams(location.search).get("token") || "";

  // camURL is the relative URL of a camera's stream or snapshot, so it
  // stays right under any path prefix a reverse proxy adds.
  function camURL(name, what, query) {
    const q = new URLSearchParams(query || {});
    if (pageToken) q.set("token", pageToken);
    const qs = q.toString();
    return "cam/" + encodeURIComponent(name) + "/" + what + (qs ? "?" + qs : "");
  }

  // A Player shows one camera in an <img>, as an MJPEG stream or as
  // snapshots refreshed every couple of seconds. Chromium fires "load" once
  // per src, on the first picture, and nothing when a stream ends; a stream
  // that stops is found by the status poll failing or by watchStall.
  class Player extends window.FramecastPlayer {
    constructor(img, onchange) {
      super(onchange);
      this.img = img;
      this.snapshots = false;
      img.addEventListener("load", () => this.onLoad());
      img.addEventListener("error", () => this.fail());
    }
    open(url, snapshots) {
      this.snapshots = !!snapshots;
      super.open(url);
    }
    start() {
      clearTimeout(this.timer);
      // A new URL each time, so no cache or old connection answers.
      this.img.src = this.url + (this.url.includes("?") ? "&" : "?") + "r=" + Date.now().toString(36);
      this.sample = null;
      this.changed = false;
      delete this.img.dataset.watch;
      this.lastChange = Date.now();
    }
    close() {
      super.close();
      // Removing the <img> would keep its stream open: clearing src ends it.
      this.img.removeAttribute("src");
    }
    onLoad() {
      if (!this.url) return;
      this.lastChange = Date.now();
      if (this.snapshots) this.timer = setTimeout(() => this.start(), 2000);
      this.playing();
    }
    // watchStall samples the picture; a stream whose picture has changed
    // before but not for a while, although the camera runs, is restarted.
    // A camera showing a still scene never counts as stalled. The <img>
    // gets data-watch="armed" once its picture was seen to move.
    watchStall(cam) {
      if (!this.url || this.snapshots || !this.loaded || this.lost) return;
      const s = samplePicture(this.img);
      if (s === null) return;
      const now = Date.now();
      if (this.sample !== null && s !== this.sample && !this.changed) {
        this.changed = true;
        this.img.dataset.watch = "armed";
      }
      if (s !== this.sample) {
        this.sample = s;
        this.lastChange = now;
        return;
      }
      // Several frame times without a change, and never under 8 s.
      const limit = cam && cam.fps > 0 ? Math.max(8000, 3000 / cam.fps) : Infinity;
      if (this.changed && now - this.lastChange > limit && cam.state === "running") {
        this.lost = true;
        this.retryAt = now;
        this.start();
        this.onchange();
      }
    }
  }

  // The ways the page plays an H.264 camera, in the order Auto tries them.
  const TRANSPORTS = ["webrtc", "hls", "mjpeg"];
  const MODES = ["auto", ...TRANSPORTS];

  // A Chain plays one camera in an <img> and (for an H.264 camera) a
  // <video>: an MJPEG camera as MJPEG; an H.264 camera over the transport
  // chosen (see modeFromPage), or on Auto over the first of WebRTC, LL-HLS
  // and MJPEG (JPEGs the server decodes) that plays. A transport that
  // fails before its first picture hands over to the next; one that played
  // and broke, or the last, is tried again with the players' backoff.
  // It reads like a player: loaded, lost, retryAt.
  class Chain {
    constructor(img, video, onchange) {
      this.img = img;
      this.video = video;
      const changed = () => {
        this.advance();
        onchange();
      };
      this.players = { mjpeg: new Player(img, changed) };
      if (video) {
        this.players.webrtc = new window.FramecastWebRTC(video, changed);
        this.players.hls = new window.FramecastHLS(video, changed);
      }
      this.order = ["mjpeg"];
      this.i = 0;
      this.failed = []; // transports that failed before they played
      this.noRTC = false; // Auto left WebRTC out: the browser has none
    }
    get kind() {
      return this.order[this.i];
    }
    get player() {
      return this.players[this.kind];
    }
    get loaded() {
      return this.player.loaded;
    }
    get lost() {
      return this.player.lost;
    }
    get retryAt() {
      return this.player.retryAt;
    }
    // open plays camera name: opts.h264 for an H.264 camera, opts.mode one
    // of MODES (or "tile": Auto without LL-HLS), opts.snapshots and
    // opts.fps for its MJPEG.
    open(name, opts) {
      this.close();
      this.name = name;
      this.opts = opts;
      const mode = opts.h264 && this.video ? opts.mode : "mjpeg";
      const auto = mode === "auto" || mode === "tile";
      this.order = mode === "auto" ? TRANSPORTS.slice() : mode === "tile" ? ["webrtc", "mjpeg"] : [mode];
      this.noRTC = auto && typeof RTCPeerConnection === "undefined";
      if (this.noRTC) this.order.shift();
      this.i = 0;
      this.failed = [];
      this.play();
    }
    play() {
      const kind = this.kind;
      this.img.hidden = kind !== "mjpeg";
      if (this.video) this.video.hidden = kind === "mjpeg";
      const o = this.opts;
      if (kind === "webrtc") this.player.open(camURL(this.name, "whep"));
      else if (kind === "hls") this.player.open(camURL(this.name, "hls/index.m3u8"));
      else this.player.open(o.snapshots ? camURL(this.name, "snapshot") : camURL(this.name, "stream", o.fps ? { fps: o.fps } : {}), o.snapshots);
    }
    // advance moves to the next transport once the current one failed
    // without ever playing (a network that lets no UDP through, a browser
    // that cannot play HLS), unless the server is away, which no other
    // transport would reach either.
    advance() {
      const p = this.player;
      if (!p.lost || p.loaded || this.i >= this.order.length - 1 || app.online === false) return;
      p.close();
      this.failed.push(this.kind);
      this.i++;
      this.play();
    }
    close() {
      for (const p of Object.values(this.players)) p.close();
    }
    // reconnect starts again after the server came back: from the first
    // transport, as the last ones may have failed only for its absence.
    reconnect() {
      if (!this.player.url) return; // closed (a tab in the background)
      if (this.i === 0) return this.player.reconnect();
      this.player.close();
      this.i = 0;
      this.failed = [];
      this.play();
    }
    watchStall(cam) {
      this.player.watchStall(cam);
    }
    // transport names what plays.
    transport() {
      if (this.kind === "webrtc") return "WebRTC · H.264";
      if (this.kind === "hls") return "LL-HLS · H.264" + (this.player.engine ? " (" + this.player.engine + ")" : "");
      return "MJPEG";
    }
    // why says why Auto fell back to what plays, or "".
    why() {
      const s = [];
      if (this.noRTC) s.push(t("noRTC"));
      if (this.failed.length) s.push(t(this.failed.length === 2 ? "failedBoth" : this.failed[0] === "webrtc" ? "failedRTC" : "failedHLS"));
      return s.join(" · ");
    }
  }

  // modeFromPage is how the viewer wants H.264 cameras played: ?transport=
  // (for a kiosk or an iframe), else the last choice made on this page
  // (kept in this browser), else Auto.
  const MODE_KEY = "framecast.transport";
  function modeFromPage() {
    let q = (new URLSearchParams(location.search).get("transport") || "").toLowerCase();
    if (q === "ll-hls" || q === "llhls") q = "hls";
    if (MODES.includes(q)) return q;
    try {
      const m = localStorage.getItem(MODE_KEY);
      if (MODES.includes(m)) return m;
    } catch (e) {
      // Storage may be off (a private window, an iframe's policy).
    }
    return "auto";
  }

  const sampler = document.createElement("canvas");
  sampler.width = 24;
  sampler.height = 18;
  const sampleCtx = sampler.getContext("2d", { willReadFrequently: true });
  // samplePicture returns a hash of a tiny copy of the image, or null.
  function samplePicture(img) {
    if (!img.naturalWidth) return null;
    try {
      sampleCtx.drawImage(img, 0, 0, sampler.width, sampler.height);
      const d = sampleCtx.getImageData(0, 0, sampler.width, sampler.height).data;
      let h = 2166136261;
      for (let i = 0; i < d.length; i++) h = Math.imul(h ^ d[i], 16777619);
      return h >>> 0;
    } catch (e) {
      return null;
    }
  }

  const app = {
    cams: new Map(), // name → the camera's latest status
    order: [], // camera names as the server lists them
    online: null, // null until the first status answer
    failures: 0, // status polls failed in a row
    nextPoll: 0,
    view: null, // the camera shown large, "" for the grid, null before routing
    main: new Chain(el.live, el.video, () => render()), // plays the camera shown large
    mode: modeFromPage(), // one of MODES
    tiles: new Map(), // name → {li, link, img, player, ...}
  };

  // Status polling: once a second, with backoff while the server is away.
  async function poll() {
    let ok = false;
    try {
      const ctrl = new AbortController();
      const limit = setTimeout(() => ctrl.abort(), 5000);
      const r = await fetch(pageToken ? "api/status?token=" + encodeURIComponent(pageToken) : "api/status", { cache: "no-store", signal: ctrl.signal });
      const st = r.ok ? await r.json() : null;
      clearTimeout(limit);
      if (st && Array.isArray(st.cameras)) {
        ok = true;
        onStatus(st);
      }
    } catch (e) {
      // Handled below: the server is unreachable.
    }
    if (!ok) onLost();
    const delay = ok ? 1000 : backoff(app.failures - 1);
    app.nextPoll = Date.now() + delay;
    setTimeout(poll, delay);
  }

  function onStatus(st) {
    const wasOffline = app.online === false;
    app.online = true;
    app.failures = 0;
    const names = st.cameras.map((c) => c.name);
    const changed = names.join("\n") !== app.order.join("\n");
    app.cams = new Map(st.cameras.map((c) => [c.name, c]));
    app.order = names;
    el.version.textContent = st.version ? "· framecast " + st.version : "";
    if (wasOffline) {
      // The server is back: its old streams are gone, open new ones.
      if (app.view) app.main.reconnect();
      for (const tile of app.tiles.values()) tile.player.reconnect();
    }
    if (changed) {
      if (app.view === "") buildTiles(); // the list changed under the grid
      route();
    }
    render();
  }

  function onLost() {
    app.online = false;
    app.failures++;
    render();
  }

  // Routing: #/cam/NAME shows one camera; anything else the grid, or the
  // only camera when there is one.
  function route(userAction) {
    if (!app.order.length) return;
    const m = /^#\/cam\/(.+)$/.exec(location.hash);
    let name = m ? safeDecode(m[1]) : "";
    if (!app.cams.has(name)) name = "";
    if (!name && app.order.length === 1) name = app.order[0];
    if (name === app.view) return;
    app.view = name;
    if (name) {
      closeTiles();
      el.grid.hidden = true;
      el.view.hidden = false;
      el.ageNote.hidden = false;
      el.live.alt = t("altLive", { name });
      openMain(name);
    } else {
      closeMain();
      el.view.hidden = true;
      el.grid.hidden = false;
      el.ageNote.hidden = true;
      buildTiles();
    }
    render();
    if (userAction) el.title.focus();
  }

  // openMain plays camera name large (see Chain).
  function openMain(name) {
    const cam = app.cams.get(name);
    app.main.open(name, { h264: !!cam && cam.codec === "h264", mode: app.mode });
  }

  function closeMain() {
    app.main.close();
  }

  function safeDecode(s) {
    try {
      return decodeURIComponent(s);
    } catch (e) {
      return "";
    }
  }

  function closeTiles() {
    for (const tile of app.tiles.values()) tile.player.close();
    app.tiles.clear();
    el.tiles.replaceChildren();
  }

  // buildTiles makes one tile per camera. Chromium opens at most six
  // connections to a server over HTTP/1.1, so up to four tiles stream and
  // more show snapshots, leaving room for the status poll.
  function buildTiles() {
    closeTiles();
    const snapshots = app.order.length > 4;
    for (const name of app.order) {
      const li = document.createElement("li");
      const link = document.createElement("a");
      link.className = "tile";
      link.href = "#/cam/" + encodeURIComponent(name);
      const thumb = document.createElement("div");
      thumb.className = "thumb";
      // An H.264 camera plays over WebRTC or LL-HLS in a <video>, or
      // as MJPEG in an <img> (see Chain).
      const cam = app.cams.get(name);
      const h264 = !!cam && cam.codec === "h264";
      const img = document.createElement("img");
      img.alt = t("altLive", { name });
      let video = null;
      if (h264) {
        video = document.createElement("video");
        video.setAttribute("aria-label", t("altLive", { name }));
      }
      const overlay = document.createElement("div");
      overlay.className = "overlay";
      const spin = document.createElement("span");
      spin.className = "spinner";
      spin.setAttribute("aria-hidden", "true");
      const odetail = document.createElement("p");
      odetail.className = "overlay-detail";
      // The tile's badge names its state; the overlay adds the error.
      overlay.append(spin, odetail);
      const badge = document.createElement("span");
      badge.className = "badge";
      const dot = document.createElement("span");
      dot.className = "dot";
      dot.setAttribute("aria-hidden", "true");
      const btext = document.createElement("span");
      badge.append(dot, btext);
      thumb.append(...(video ? [video, img] : [img]), overlay, badge);
      const info = document.createElement("div");
      info.className = "tile-info";
      const nm = document.createElement("span");
      nm.className = "tile-name";
      nm.textContent = name;
      const facts = document.createElement("span");
      facts.className = "tile-facts";
      info.append(nm, facts);
      link.append(thumb, info);
      li.append(link);
      el.tiles.append(li);
      const tile = { li, link, img, video, odetail, facts, badge, btext };
      app.tiles.set(name, tile);
      tile.player = new Chain(img, video, () => render());
      // On Auto a tile skips LL-HLS: a few hls.js players would take the
      // browser's six connections to the server, the status poll's too.
      const mode = app.mode === "auto" ? "tile" : app.mode;
      tile.player.open(name, { h264, mode, snapshots, fps: 10 });
    }
    layoutTiles();
  }

  // layoutTiles picks the number of columns that makes the tiles largest
  // while all of them fit the window. Every tile is 4:3 plus its line of
  // text, whatever its camera's shape. Only tiles that would be narrower
  // than about 130 px take the full column and let the grid scroll.
  function layoutTiles() {
    const n = app.tiles.size;
    if (!n || el.grid.hidden) return;
    const W = el.tiles.clientWidth - 4;
    const H = el.grid.clientHeight - 8;
    const gap = parseFloat(getComputedStyle(el.tiles).columnGap) || 0;
    // The tallest line of text, as a row is as tall as its tallest tile.
    let info = 0;
    for (const e of el.tiles.querySelectorAll(".tile-info")) info = Math.max(info, e.offsetHeight + 2);
    info = info || 48;
    const minW = Math.min(W, 9 * parseFloat(getComputedStyle(document.documentElement).fontSize));
    let best = { cols: 1, w: W };
    let bestFit = -1;
    for (let cols = 1; cols <= n; cols++) {
      const rows = Math.ceil(n / cols);
      const colW = (W - gap * (cols - 1)) / cols;
      if (cols > 1 && colW < minW) break;
      const fitW = ((H - gap * (rows - 1)) / rows - info) * 4 / 3;
      const w = Math.min(colW, fitW);
      if (w > bestFit) {
        bestFit = w;
        // Tiles too small to fit all at once take the full column and scroll.
        best = { cols, w: w < minW ? colW : w };
      }
    }
    el.tiles.style.setProperty("--cols", String(best.cols));
    el.tiles.style.setProperty("--tile-w", Math.floor(best.w) + "px");
  }
  new ResizeObserver(() => layoutTiles()).observe(el.grid);

  // layoutView puts the bar under the picture or beside it, whichever
  // shows the picture larger, and makes the bar under it as wide as the
  // picture, so the facts are next to it either way. The bar's height is
  // measured while it is under the picture and remembered for the choice.
  let barBelowH = 0;
  function layoutView() {
    const W = el.view.clientWidth;
    const H = el.view.clientHeight;
    if (!W || !H) return;
    const cs = getComputedStyle(el.view);
    const ar = parseFloat(cs.getPropertyValue("--ar")) || 4 / 3;
    const gap = parseFloat(cs.rowGap) || 0;
    const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
    const sideW = (parseFloat(cs.getPropertyValue("--side-w")) || 15) * rem;
    if (el.view.dataset.layout !== "side") barBelowH = el.bar.offsetHeight;
    const barH = barBelowH || 4 * rem;
    const below = Math.min(W / ar, H - barH - gap);
    const side = Math.min(H, (W - sideW - gap) / ar);
    // A little in favour of the current choice, so it does not flip back
    // and forth as the bar's height changes with its contents.
    const bias = el.view.dataset.layout === "side" ? 0.98 : 1.02;
    const layout = side > below * bias ? "side" : "below";
    el.view.dataset.layout = layout;
    if (layout === "below") el.view.style.setProperty("--pic-w", Math.floor(Math.min(W, below * ar)) + "px");
  }
  new ResizeObserver(() => layoutView()).observe(el.view);

  // failing says whether the camera failed and has not sent a frame
  // since: failed and waiting to retry, or starting again after a failure.
  // Its stream shows the no-signal card then, never a live picture.
  function failing(cam) {
    if (!cam || cam.state === "failed") return !!cam;
    if (cam.state !== "starting" || !cam.last_error_at) return false;
    return !cam.last_frame || Date.parse(cam.last_error_at) >= Date.parse(cam.last_frame);
  }

  // captured says whether the camera ever sent a frame, so its size and
  // rate are its own and not the no-signal card's.
  const captured = (cam) => !!cam && cam.frames_captured > 0 && cam.width > 0;

  // stateOf is what a viewer should be told about one camera.
  function stateOf(cam, player) {
    if (app.online === false) return "reconnecting";
    if (failing(cam)) return "failed";
    // A new stream to a camera that is still starting waits for its first
    // frame like any other.
    if (player.lost) return cam && cam.state !== "running" ? "starting" : "reconnecting";
    if (!player.loaded) return "starting";
    return "live";
  }

  function retryIn(player) {
    const at = app.online === false ? app.nextPoll : player.retryAt;
    return Math.ceil((at - Date.now()) / 1000);
  }

  function render() {
    if (app.view === null) {
      setBadge(el.badge, el.badgeText, app.online === false ? "reconnecting" : "starting");
      el.overlayTitle.textContent = app.online === false ? t("reconnecting") : t("connecting");
      el.stage.dataset.state = app.online === false ? "reconnecting" : "starting";
      return;
    }
    if (app.view) renderView(app.view);
    else renderGrid();
  }

  function renderView(name) {
    const cam = app.cams.get(name);
    const p = app.main;
    const rtc = p.kind !== "mjpeg"; // in the <video>
    const state = stateOf(cam, p);
    document.title = name + " · framecast";
    el.title.textContent = name;
    el.back.hidden = app.order.length < 2;
    setBadge(el.badge, el.badgeText, state);
    el.stage.dataset.state = state;
    const picW = rtc ? el.video.videoWidth : el.live.naturalWidth;
    const picH = rtc ? el.video.videoHeight : el.live.naturalHeight;
    el.screen.classList.toggle("nopic", !p.loaded || !picW);
    const arW = picW || (cam && cam.width);
    const arH = picH || (cam && cam.height);
    if (arW && arH && el.view.style.getPropertyValue("--ar") !== String(arW / arH)) {
      el.view.style.setProperty("--ar", String(arW / arH));
      layoutView();
    }
    let title = "";
    let detail = "";
    let note = "";
    if (state === "reconnecting") {
      title = t("reconnecting");
      const s = retryIn(p);
      detail = s > 0 ? t(app.online === false ? "serverLost" : "streamLost", { s: num0.format(s) }) : t("retrying");
    } else if (state === "failed") {
      // The error is told here only: the no-signal card under it carries
      // none, and a long one wraps and scrolls inside the picture.
      title = t("failed");
      detail = cam.last_error || "";
      note = t(cam.state === "starting" ? "retrying" : "retryingItself");
    } else if (state === "starting") {
      title = t("starting");
      detail = t("startingDetail");
    }
    setText(el.overlayTitle, title);
    setText(el.overlayDetail, detail);
    setText(el.overlayNote, note);
    // A long error scrolls; the keyboard reaches it then.
    const scrolls = el.overlayDetail.scrollHeight > el.overlayDetail.clientHeight + 1;
    if (scrolls) el.overlayDetail.tabIndex = 0;
    else el.overlayDetail.removeAttribute("tabindex");
    // The size is the camera's, never the no-signal card's.
    setText(el.size, captured(cam) ? cam.width + "×" + cam.height : "–");
    // Figures from before the server went away would be stale.
    const fresh = cam && app.online !== false;
    setText(el.fps, fresh && cam.state === "running" && state === "live" ? num1.format(cam.fps) + " fps" : "–");
    setText(el.viewers, fresh ? num0.format(cam.viewers) : "–");
    setText(el.age, fresh && cam.frame_age_ms != null ? formatAge(cam.frame_age_ms) : "–");
    // Only a live picture is worth saving; the server would answer with
    // the no-signal card or an error otherwise.
    // An H.264 camera's JPEG comes from the server's decoder (ffmpeg); a
    // server without one answers 503 saying so, and the toast tells it.
    el.snap.disabled = state !== "live";
    setText(el.transport, p.transport());
    const why = p.why();
    setText(el.why, why);
    el.why.hidden = !why;
    el.pickFact.hidden = !(cam && cam.codec === "h264");
    if (el.pick.value !== app.mode) el.pick.value = app.mode;
  }

  function renderGrid() {
    document.title = t("allCameras") + " · framecast";
    el.title.textContent = t("allCameras");
    let worst = "live";
    let failed = 0;
    const rank = { live: 0, starting: 1, failed: 2, reconnecting: 3 };
    for (const [name, tile] of app.tiles) {
      const cam = app.cams.get(name);
      const state = stateOf(cam, tile.player);
      if (rank[state] > rank[worst]) worst = state;
      if (state === "failed") failed++;
      tile.link.dataset.state = state;
      tile.img.classList.toggle("loaded", tile.player.loaded && tile.player.kind === "mjpeg");
      if (tile.video) tile.video.classList.toggle("loaded", tile.player.loaded && tile.player.kind !== "mjpeg");
      setBadge(tile.badge, tile.btext, state);
      setText(tile.odetail, state === "failed" && cam.last_error ? cam.last_error : "");
      const parts = [];
      if (captured(cam)) parts.push(cam.width + "×" + cam.height);
      if (state === "live" && cam.state === "running") parts.push(num1.format(cam.fps) + " fps");
      setText(tile.facts, parts.join(" · "));
    }
    el.badge.dataset.state = worst;
    let text = t("camerasN", { n: num0.format(app.tiles.size) });
    if (worst === "reconnecting") text = t("reconnecting");
    else if (failed) text += " · " + t("failedN", { n: num0.format(failed) });
    setText(el.badgeText, text);
  }

  function setBadge(badge, text, state) {
    badge.dataset.state = state;
    setText(text, t(state));
  }

  // setText changes text only when it differs, so screen readers are not
  // told the same thing every second.
  function setText(node, s) {
    if (node.textContent !== s) node.textContent = s;
  }

  // Snapshot: fetch the current JPEG and save it under a time-stamped name.
  async function snapshot() {
    const name = app.view;
    if (!name || el.snap.disabled) return;
    el.snap.disabled = true;
    try {
      const r = await fetch(camURL(name, "snapshot"), { cache: "no-store" });
      if (!r.ok) throw new Error((await r.text()).trim() || "HTTP " + r.status);
      const blob = await r.blob();
      const file = fileName(r.headers.get("Content-Disposition"), name);
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = file;
      a.hidden = true;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 30000);
      el.screen.classList.remove("flash");
      void el.screen.offsetWidth; // restarts the flash animation
      el.screen.classList.add("flash");
      toast(t("saved", { file }));
    } catch (e) {
      toast(t("snapFailed", { err: e.message }));
    } finally {
      el.snap.disabled = false;
      render();
    }
  }

  // fileName takes the server's time-stamped name, else makes one.
  function fileName(disposition, name) {
    const m = /filename="?([^";]+)"?/i.exec(disposition || "");
    const f = m ? m[1].replace(/[^\w.-]+/g, "_") : "";
    if (/\.jpe?g$/i.test(f)) return f;
    const d = new Date();
    const p = (n) => String(n).padStart(2, "0");
    const stamp = "" + d.getFullYear() + p(d.getMonth() + 1) + p(d.getDate()) + "-" + p(d.getHours()) + p(d.getMinutes()) + p(d.getSeconds());
    return name.replace(/[^\w.-]+/g, "_") + "-" + stamp + ".jpg";
  }

  let toastTimer = 0;
  function toast(msg) {
    el.toast.textContent = msg;
    el.toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.toast.hidden = true; }, 4000);
  }

  // Fullscreen: the button, double-click on the picture, or the F key.
  const canFullscreen = !!(el.stage.requestFullscreen || el.stage.webkitRequestFullscreen);
  el.full.hidden = !canFullscreen;
  function toggleFullscreen() {
    const fs = document.fullscreenElement || document.webkitFullscreenElement;
    if (fs) {
      (document.exitFullscreen || document.webkitExitFullscreen).call(document);
    } else if (canFullscreen) {
      const r = (el.stage.requestFullscreen || el.stage.webkitRequestFullscreen).call(el.stage);
      if (r && r.catch) r.catch(() => {});
    }
  }
  function onFullscreenChange() {
    const fs = document.fullscreenElement || document.webkitFullscreenElement;
    el.fullLabel.textContent = t(fs ? "exitFullscreen" : "fullscreen");
  }
  document.addEventListener("fullscreenchange", onFullscreenChange);
  document.addEventListener("webkitfullscreenchange", onFullscreenChange);
  el.full.addEventListener("click", toggleFullscreen);
  el.stage.addEventListener("dblclick", toggleFullscreen);
  el.snap.addEventListener("click", snapshot);
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || !app.view || el.use.open) return;
    if (e.target.closest && e.target.closest("input, textarea, select")) return;
    if (e.key === "f" || e.key === "F") toggleFullscreen();
    else if (e.key === "s" || e.key === "S") snapshot();
  });
  window.addEventListener("hashchange", () => {
    if (el.use.open) el.use.close();
    route(true);
  });

  // The transport picker (H.264 cameras): the choice holds for every
  // camera of this browser's page, and replaces a ?transport= the page
  // was opened with, so reloading keeps it.
  el.pick.addEventListener("change", () => {
    if (!MODES.includes(el.pick.value)) return;
    app.mode = el.pick.value;
    try {
      localStorage.setItem(MODE_KEY, app.mode);
    } catch (e) {
      // Kept for this page only.
    }
    const u = new URL(location.href);
    if (u.searchParams.has("transport")) {
      u.searchParams.delete("transport");
      history.replaceState(history.state, "", u.href);
    }
    if (app.view) openMain(app.view);
    render();
  });

  // "Use this camera elsewhere": absolute addresses of the camera, made
  // from this page's own address (so a reverse proxy's prefix and host are
  // in them), to copy into other apps. They hold no secret the viewer did
  // not have: the token this page was opened with, or one typed here.
  function absURL(rel, token) {
    const u = new URL(rel, document.baseURI);
    u.username = "";
    u.password = "";
    u.hash = "";
    if (token) u.searchParams.set("token", token);
    else u.searchParams.delete("token");
    return u.href;
  }
  const yamlString = (s) => JSON.stringify(s); // a JSON string is a YAML one
  const htmlAttr = (s) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

  function renderUse() {
    const name = app.view;
    const cam = app.cams.get(name);
    if (!name) return;
    const typed = el.useTokenInput.value.trim();
    const token = pageToken || typed;
    el.useIntro.textContent = t(pageToken ? "useIntroToken" : "useIntro", { name });
    el.useToken.hidden = !!pageToken || !(cam && cam.tokens);
    const stream = absURL(camURL(name, "stream"), token);
    const snap = absURL(camURL(name, "snapshot"), token);
    const key = name.replace(/[^A-Za-z0-9_-]+/g, "_") || "camera";
    const items = [
      ["stream", t("streamURL"), stream],
      ["snapshot", t("snapshotURL"), snap],
      ["homeassistant", t("homeAssistant"),
        "camera: [{platform: mjpeg, name: " + yamlString(name) + ", mjpeg_url: " + yamlString(stream) + ", still_image_url: " + yamlString(snap) + "}]"],
      ["octoprint", t("octoPrint"),
        "plugins: {classicwebcam: {stream: " + yamlString(stream) + ", snapshot: " + yamlString(snap) + "}}"],
      ["frigate", t("frigate"),
        "cameras: {" + key + ": {ffmpeg: {input_args: preset-http-mjpeg-generic, inputs: [{path: " + yamlString(stream) + ", roles: [detect]}]}}}"],
      ["img", t("imgTag"), '<img src="' + htmlAttr(stream) + '" alt="' + htmlAttr(name) + '">'],
    ];
    // An H.264 camera's own video, for players (VLC, Safari, hls.js, an
    // HTTP cache) and WebRTC (WHEP) clients, after its MJPEG ones.
    if (cam && cam.codec === "h264") {
      items.splice(2, 0,
        ["hls", t("hlsURL"), absURL(camURL(name, "hls/index.m3u8"), token)],
        ["whep", t("whepURL"), absURL(camURL(name, "whep"), token)]);
    }
    const rows = [];
    for (const [id, label, text] of items) {
      const li = document.createElement("li");
      li.className = "use-item";
      li.dataset.use = id;
      const head = document.createElement("div");
      head.className = "use-row";
      const lab = document.createElement("span");
      lab.className = "use-label";
      lab.textContent = label;
      const btn = document.createElement("button");
      btn.type = "button";
      btn.className = "button use-copy";
      btn.textContent = t("copy");
      btn.setAttribute("aria-label", t("copyWhat", { what: label }));
      const code = document.createElement("code");
      code.className = "use-code";
      code.textContent = text;
      btn.addEventListener("click", () => copy(text, code, label));
      head.append(lab, btn);
      li.append(head, code);
      rows.push(li);
    }
    el.useList.replaceChildren(...rows);
  }

  async function copy(text, code, label) {
    let ok = false;
    try {
      // Plain http on a LAN has no clipboard API; the older way below
      // works there.
      if (!navigator.clipboard || !window.isSecureContext) throw new Error("no clipboard");
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch (e) {
      const range = document.createRange();
      range.selectNodeContents(code);
      const sel = getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      try {
        ok = document.execCommand("copy");
      } catch (e2) {
        ok = false;
      }
    }
    el.useStatus.textContent = ok ? t("copied", { what: label }) : t("copyFailed");
  }

  el.useOpen.addEventListener("click", () => {
    if (!app.view) return;
    el.useStatus.textContent = "";
    renderUse();
    el.use.showModal();
  });
  el.useClose.addEventListener("click", () => el.use.close());
  el.useTokenInput.addEventListener("input", renderUse);
  // A click on the backdrop (outside the dialog's box) closes it too.
  el.use.addEventListener("click", (e) => {
    if (e.target !== el.use) return;
    const r = el.use.getBoundingClientRect();
    if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) el.use.close();
  });

  // A tab left in the background stops its streams after a minute, so a
  // forgotten tab does not keep the camera running.
  let hiddenTimer = 0;
  let paused = false;
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) {
      hiddenTimer = setTimeout(() => {
        paused = true;
        closeMain();
        closeTiles();
      }, 60000);
      return;
    }
    clearTimeout(hiddenTimer);
    if (paused) {
      paused = false;
      if (app.view) openMain(app.view);
      else if (app.view === "") buildTiles();
      render();
    }
  });

  // Once a second: the countdown while reconnecting, and the stall check.
  setInterval(() => {
    if (app.online) {
      if (app.view) app.main.watchStall(app.cams.get(app.view));
      for (const [name, tile] of app.tiles) tile.player.watchStall(app.cams.get(name));
    }
    render();
  }, 1000);

  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-label]")) node.setAttribute("aria-label", t(node.dataset.i18nLabel));
  el.title.tabIndex = -1;
  el.age.parentElement.title = t("ageNote");
  render();
  poll();
})();
