"use strict";
// Fills in the camera's facts from /api/status once a second.
(function () {
  const name = document.getElementById("name");
  const facts = document.getElementById("facts");
  async function poll() {
    try {
      const r = await fetch("api/status", { cache: "no-store" });
      const st = await r.json();
      const cam = st.cameras[0];
      name.textContent = cam.name;
      document.title = cam.name + " · framecast";
      const parts = [cam.state];
      if (cam.width) parts.push(cam.width + "×" + cam.height);
      if (cam.state === "running") parts.push(cam.fps.toFixed(1) + " fps");
      parts.push(cam.viewers + (cam.viewers === 1 ? " viewer" : " viewers"));
      if (cam.last_error && cam.state !== "running") parts.push(cam.last_error);
      facts.textContent = parts.join(" · ");
    } catch (e) {
      facts.textContent = "server unreachable";
    }
  }
  poll();
  setInterval(poll, 1000);
})();
