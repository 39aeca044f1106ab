"use strict";
// FramecastPlayer is what every player of the page shares (MJPEG in an
// <img>, WebRTC and LL-HLS in a <video>): its state and its one retry rule.
// A player says how it plays in start and how it stops in end, and calls
// playing() when a picture shows and fail() when it breaks; fail tries
// again after 0.5 s, doubling to 10 s while it keeps failing. Loaded
// before webrtc.js, hlsplayer.js and app.js, which build on it.
window.FramecastPlayer = class FramecastPlayer {
  // backoff is the wait before retry number n (from 0).
  static backoff(n) {
    return Math.min(500 * 2 ** n, 10000);
  }
  constructor(onchange) {
    this.onchange = onchange;
    this.url = "";
    this.loaded = false; // a picture from the current source has shown
    this.lost = false; // it broke; a retry is on its way
    this.errors = 0; // failures since the last picture
    this.timer = 0;
    this.retryAt = 0;
  }
  open(url) {
    this.url = url;
    this.loaded = false;
    this.lost = false;
    this.errors = 0;
    this.start();
  }
  start() {}
  end() {}
  playing() {
    if (!this.url) return;
    this.loaded = true;
    this.lost = false;
    this.errors = 0;
    this.onchange();
  }
  fail() {
    if (!this.url) return;
    this.end();
    this.lost = true;
    const d = FramecastPlayer.backoff(this.errors++);
    this.retryAt = Date.now() + d;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.start(), d);
    this.onchange();
  }
  close() {
    clearTimeout(this.timer);
    this.url = "";
    this.loaded = false;
    this.end();
  }
  // reconnect starts again now, after the server came back.
  reconnect() {
    if (!this.url) return;
    this.lost = true;
    this.errors = 0;
    this.start();
  }
  watchStall() {}
};
