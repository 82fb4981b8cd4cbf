// One trial (/trial.html?id=…): where it stands, its spec and error, per-epoch curves, artefacts (PR curve, results,
// batches…), the tail of its log and its events. Refreshes until the trial is final.
'use strict';

(() => {
  const { api, optional, esc, isNum, fmt, when, chart, curveOption } = YS;
  const $ = id => document.getElementById(id);
  const id = new URLSearchParams(location.search).get('id');
  const final = s => s === 'succeeded' || s === 'failed' || s === 'cancelled';
  const knobsText = k => !k ? '' : typeof k === 'string' ? k : Object.keys(k).sort().map(n => `${n}=${k[n]}`).join(' ');
  const shown = new Map(); // artefact name → blob URL (an <img> cannot send the token, so each is fetched once)
  let done = false, specShown = false, lastEpochs = -1;

  function renderSummary(t) {
    document.title = `YoloSweep trial ${t.id}`;
    $('trial-id').textContent = t.id;
    $('trial-state').innerHTML = `<span class="state ${esc(t.state)}">${esc(t.state)}</span>`;
    $('trial-config').textContent = [t.sweep, t.model, t.scale, knobsText(t.knobs), 'seed ' + t.seed].filter(Boolean).join(' · ');
    $('back').href = '/?sweep=' + encodeURIComponent(t.sweep);
    const m = t.metrics || {};
    const rows = [
      ['sweep', `<a href="/?sweep=${encodeURIComponent(t.sweep)}">${esc(t.sweep)}</a>`],
      ['model', esc(t.model)], ['scale', esc(t.scale)], ['knobs', esc(knobsText(t.knobs)) || '<span class="muted">none</span>'], ['seed', esc(t.seed)],
      ['state', `<span class="state ${esc(t.state)}">${esc(t.state)}</span>`], ['attempt', esc(t.attempt)],
      ['epochs', `${esc(t.epochs_done)}${isNum(t.epochs) ? ' / ' + t.epochs : ''}`], ['host', esc(t.host_id || '')],
      ['created', esc(when(t.created_at))], ['finished', esc(when(t.finished_at))],
    ];
    if (t.metrics) rows.push(
      ['mAP50-95', `<b>${fmt(m.map50_95)}</b>`], ['mAP50', fmt(m.map50)], ['precision / recall', `${fmt(m.precision)} / ${fmt(m.recall)}`],
      ['params', isNum(m.params) ? (m.params / 1e6).toFixed(2) + ' M' : ''], ['GFLOPs', fmt(m.gflops, 1)], ['latency', fmt(m.latency_ms, 2) + ' ms'],
      ['train time', fmt(m.train_seconds, 1) + ' s'], ['images / s', fmt(m.images_per_second, 1)]);
    rows.push(['folder', esc(t.artifacts || '') || '<span class="muted">not reported (yet)</span>']);
    $('summary').innerHTML = rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('');
    $('error-section').hidden = !t.error;
    $('error').textContent = t.error || '';
  }

  function renderCurves(epochs) {
    const box = $('curves');
    $('curves-note').textContent = epochs.length ? `${epochs.length} epoch(s) reported` : '';
    if (!epochs.length) { box.innerHTML = '<div class="empty">no epoch reported yet</div>'; return; }
    const losses = [...new Set(epochs.flatMap(e => Object.keys(e.losses || {})))].sort();
    const line = (name, colour, get) => ({ name, colour, points: epochs.filter(e => isNum(get(e))).map(e => ({ epoch: e.epoch, mean: get(e) })) });
    const charts = [
      ['accuracy', 'mAP per epoch', 'mAP', [line('mAP50-95', '#1f77b4', e => e.map50_95), line('mAP50', '#ff7f0e', e => e.map50), line('fitness', '#2ca02c', e => e.fitness)]],
      ['losses', losses.some(l => l.startsWith('val/')) ? 'losses per epoch (validation dashed)' : 'train losses per epoch', 'loss',
        losses.map(l => Object.assign(line(l, YS.colourOf('loss ' + l.replace(/^val\//, '')), e => (e.losses || {})[l]), { dashed: l.startsWith('val/') }))],
      ['lr', 'learning rate per epoch', 'lr', [line('lr', '#9467bd', e => e.lr)]],
    ];
    if (!box.querySelector('.chart')) box.innerHTML = charts.map(([k]) => `<div class="chart" id="curve-${k}" data-chart="curve"></div>`).join('');
    for (const [k, title, y, lines] of charts) {
      const option = curveOption(title, y, lines, { band: false });
      option.legend = { top: 24, type: 'scroll' };
      option.grid.top = 56;
      chart($('curve-' + k)).setOption(option, { notMerge: true });
    }
  }

  async function showImage(file, figure) {
    if (!shown.has(file.name)) {
      const r = await api(`/trials/${encodeURIComponent(id)}/artifacts/${file.name.split('/').map(encodeURIComponent).join('/')}`, { raw: true });
      shown.set(file.name, URL.createObjectURL(await r.blob()));
    }
    const img = figure.querySelector('img');
    if (img.src !== shown.get(file.name)) img.src = shown.get(file.name);
  }

  async function renderArtifacts(listing) {
    const gallery = $('gallery'), list = $('files');
    if (!listing) { $('artifacts-note').textContent = 'not available from this server'; return; }
    const files = listing.files || [];
    $('artifacts-note').textContent = (listing.folder ? listing.folder + ' — ' : '') + (listing.note || `${files.length} file(s)`);
    const images = files.filter(f => f.kind === 'image');
    // Well-known plots first (PR curve, results), then the rest by name.
    const rank = n => ['PR_curve.png', 'results.png', 'F1_curve.png', 'P_curve.png', 'R_curve.png', 'confusion_matrix.png'].indexOf(n.split('/').pop());
    images.sort((a, b) => ((rank(a.name) + 1 || 99) - (rank(b.name) + 1 || 99)) || a.name.localeCompare(b.name));
    for (const f of images) {
      let fig = [...gallery.children].find(x => x.dataset.name === f.name);
      if (!fig) {
        fig = document.createElement('figure');
        fig.dataset.name = f.name;
        fig.innerHTML = `<img alt="${esc(f.name)}"><figcaption>${esc(f.name)} · ${(f.size / 1024).toFixed(0)} KiB</figcaption>`;
        fig.querySelector('img').onclick = () => window.open(shown.get(f.name), '_blank', 'noopener');
        gallery.appendChild(fig);
      }
      await showImage(f, fig);
    }
    if (!images.length) gallery.innerHTML = '<div class="empty">no images in the trial’s folder</div>';
    const texts = files.filter(f => f.kind === 'text');
    list.innerHTML = texts.map(f => `<li><a href="#" data-name="${esc(f.name)}">${esc(f.name)}</a> <span class="muted">${(f.size / 1024).toFixed(1)} KiB</span></li>`).join('');
  }

  $('files').onclick = async e => {
    const a = e.target.closest('a[data-name]');
    if (!a) return;
    e.preventDefault();
    const view = $('file-view');
    try {
      const r = await api(`/trials/${encodeURIComponent(id)}/artifacts/${a.dataset.name.split('/').map(encodeURIComponent).join('/')}`, { raw: true });
      view.textContent = await r.text();
    } catch (err) { view.textContent = err.message; }
    view.hidden = false;
  };

  function renderLog(log) {
    if (!log) { $('log').textContent = 'no log (yet)'; $('log-note').textContent = ''; return; }
    $('log-note').textContent = `${log.file}, last ${log.lines.length} line(s)${log.truncated ? ' of ' + (log.size / 1024).toFixed(0) + ' KiB' : ''}`;
    const pre = $('log');
    const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.textContent = log.lines.length ? log.lines.join('\n') : '(empty)';
    if (atEnd) pre.scrollTop = pre.scrollHeight;
  }

  function renderEvents(events) {
    $('events').tBodies[0].innerHTML = events.map(e =>
      `<tr><td class="t">${esc(when(e.at))}</td><td class="t">${esc(e.kind)}</td><td>${esc(e.token)}</td><td class="t">${esc(e.host_id || '')}</td><td class="t">${esc(e.detail || '')}</td></tr>`).join('');
  }

  async function refresh() {
    if (!id) { $('trial-id').textContent = '(no id: open /trial.html?id=TRIAL)'; done = true; return; }
    if (done) return;
    const t = await api('/trials/' + encodeURIComponent(id));
    renderSummary(t);
    const [spec, epochs, listing, log, events] = await Promise.all([
      specShown ? null : optional(`/trials/${encodeURIComponent(id)}/spec`),
      api(`/trials/${encodeURIComponent(id)}/metrics`),
      optional(`/trials/${encodeURIComponent(id)}/artifacts`),
      optional(`/trials/${encodeURIComponent(id)}/log?tail=200`),
      optional(`/trials/${encodeURIComponent(id)}/events`),
    ]);
    if (spec) { $('spec').textContent = JSON.stringify(spec, null, 2); specShown = true; }
    if (epochs.length !== lastEpochs) { renderCurves(epochs); lastEpochs = epochs.length; }
    await renderArtifacts(listing);
    renderLog(log);
    renderEvents(events || []);
    done = final(t.state); // a final trial changes no more: stop polling it
  }

  const tick = YS.poll(refresh, 4000);
  YS.setupTokenButton(() => { done = false; specShown = false; lastEpochs = -1; tick(); });
})();
