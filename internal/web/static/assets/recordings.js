// The recordings page: lists a camera's recordings by day and hour (in the
// browser's time zone), plays an MP4 recording in a <video>, a timelapse
// hour as a strip of pictures, and downloads either.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  let cam = '';
  let kind = '';
  let timer = 0;

  function size(n) {
    if (n >= 1 << 30) return (n / (1 << 30)).toFixed(1) + ' GiB';
    if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1) + ' MiB';
    if (n >= 1 << 10) return Math.round(n / (1 << 10)) + ' KiB';
    return n + ' B';
  }

  function length(s) {
    const m = Math.floor(s / 60);
    const sec = Math.floor(s % 60);
    return m + ':' + String(sec).padStart(2, '0');
  }

  function fileURL(f, download) {
    // Paths are YYYY-MM-DD/HH/HH-MM-SS.ext: nothing to escape but the camera.
    return 'api/cameras/' + encodeURIComponent(cam) + '/recordings/' + f.path + (download ? '?download=1' : '');
  }

  function el(tag, props, children) {
    const e = document.createElement(tag);
    Object.assign(e, props || {});
    for (const c of children || []) e.append(c);
    return e;
  }

  async function getJSON(url) {
    const r = await fetch(url, { cache: 'no-store' });
    if (!r.ok) throw new Error(url + ': ' + r.status + ' ' + (await r.text()).trim());
    return r.json();
  }

  async function start() {
    const pick = $('camera');
    let cams;
    try {
      cams = (await getJSON('api/status')).cameras.filter((c) => c.record);
    } catch (e) {
      $('summary').textContent = String(e.message);
      return;
    }
    if (cams.length === 0) {
      $('summary').textContent = 'No camera records. Set record.mode: continuous for a camera in framecast.yaml.';
      pick.disabled = true;
      return;
    }
    for (const c of cams) pick.append(el('option', { value: c.name, textContent: c.name }));
    const want = new URLSearchParams(location.search).get('camera');
    if (want && cams.some((c) => c.name === want)) pick.value = want;
    pick.addEventListener('change', () => {
      history.replaceState(null, '', '?camera=' + encodeURIComponent(pick.value));
      load(pick.value);
    });
    load(pick.value);
  }

  async function load(name) {
    cam = name;
    stop();
    $('player').hidden = true;
    let body;
    try {
      body = await getJSON('api/cameras/' + encodeURIComponent(name) + '/recordings');
    } catch (e) {
      $('summary').textContent = String(e.message);
      return;
    }
    kind = body.kind;
    const files = body.files || [];
    const total = files.reduce((n, f) => n + f.size, 0);
    $('summary').textContent = files.length === 0 ? 'Nothing recorded yet.'
      : files.length + (kind === 'mp4' ? ' recordings, ' : ' pictures, ') + size(total) + ', since ' + new Date(files[0].time).toLocaleString();
    render(files);
  }

  // render lists the files newest first, grouped by day and hour.
  function render(files) {
    const days = new Map();
    for (const f of files.slice().reverse()) {
      const t = new Date(f.time);
      const day = t.toLocaleDateString(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' });
      const hour = String(t.getHours()).padStart(2, '0') + ':00';
      if (!days.has(day)) days.set(day, new Map());
      const hours = days.get(day);
      if (!hours.has(hour)) hours.set(hour, []);
      hours.get(hour).push(f);
    }
    const out = $('days');
    out.replaceChildren();
    let first = true;
    for (const [day, hours] of days) {
      out.append(el('h2', { textContent: day }));
      for (const [hour, list] of hours) {
        const bytes = list.reduce((n, f) => n + f.size, 0);
        const secs = list.reduce((n, f) => n + (f.seconds || 0), 0);
        const what = kind === 'mp4' ? list.length + ' files, ' + length(secs) : list.length + ' pictures';
        const summary = el('summary', { textContent: hour + ' · ' + what + ' · ' + size(bytes) });
        const details = el('details', { open: first }, [summary]);
        first = false;
        if (kind !== 'mp4') {
          const play = el('button', { type: 'button', className: 'button', textContent: 'Play this hour' });
          play.addEventListener('click', () => playStrip(list.slice().reverse()));
          details.append(play);
        }
        const ul = el('ul');
        for (const f of list) ul.append(item(f));
        details.append(ul);
        out.append(details);
      }
    }
  }

  function item(f) {
    const t = new Date(f.time).toLocaleTimeString();
    const meta = size(f.size) + (kind === 'mp4' ? ' · ' + length(f.seconds || 0) : '');
    const play = el('button', { type: 'button', className: 'button', textContent: 'Play' });
    play.addEventListener('click', () => {
      if (kind === 'mp4') {
        playVideo(f);
      } else {
        stop();
        $('strip').replaceChildren();
        showPicture(f);
      }
    });
    const dl = el('a', { className: 'button', href: fileURL(f, true), textContent: 'Download' });
    return el('li', {}, [el('span', { textContent: t }), el('span', { className: 'meta', textContent: meta }), play, dl]);
  }

  function stop() {
    clearInterval(timer);
    timer = 0;
    const v = $('video');
    v.pause();
  }

  function showPlayer(f) {
    $('player').hidden = false;
    $('now').textContent = new Date(f.time).toLocaleString();
    const dl = $('download');
    dl.href = fileURL(f, true);
    dl.hidden = false;
  }

  function playVideo(f) {
    stop();
    const v = $('video');
    $('picture').hidden = true;
    $('strip').replaceChildren();
    v.hidden = false;
    v.src = fileURL(f, false);
    showPlayer(f);
    v.play().catch(() => {}); // a browser that wants a click first shows its controls
  }

  function showPicture(f) {
    $('video').hidden = true;
    const img = $('picture');
    img.hidden = false;
    img.src = fileURL(f, false);
    img.alt = new Date(f.time).toLocaleString();
    showPlayer(f);
    for (const s of $('strip').children) s.setAttribute('aria-current', String(s.dataset.path === f.path));
  }

  // playStrip shows an hour's pictures as a strip, and plays them in turn,
  // ten a second.
  function playStrip(list) {
    stop();
    const strip = $('strip');
    strip.replaceChildren();
    for (const f of list) {
      const thumb = el('img', { src: fileURL(f, false), alt: new Date(f.time).toLocaleTimeString(), loading: 'lazy' });
      thumb.dataset.path = f.path;
      thumb.addEventListener('click', () => {
        stop();
        showPicture(f);
      });
      strip.append(thumb);
    }
    let i = 0;
    showPicture(list[0]);
    timer = setInterval(() => {
      i++;
      if (i >= list.length) {
        stop();
        return;
      }
      showPicture(list[i]);
    }, 100);
  }

  start();
})();
