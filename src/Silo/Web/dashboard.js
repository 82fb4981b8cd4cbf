// The sweep dashboard (/): sweep selector and trial counts, leaderboard, Pareto fronts, training curves per
// configuration, knob effects, the trials. Reads /api/v1 every few seconds; keeps its last data when the server is away.
'use strict';

(() => {
  const { api, optional, esc, isNum, fmt, signed, pvalue, config, when, colourOf, chart, disposeCharts, valueAxis, curveOption } = YS;
  const $ = id => document.getElementById(id);

  /** A sortable, filterable table: columns [{ key, label, text?, cls?, title?, value(r), render?(r), cellTitle?(r) }]. */
  class Table {
    constructor(table, columns, { filter, count, sort = null, empty = 'nothing yet' } = {}) {
      Object.assign(this, { table, columns, filter, count, sort, empty, rows: [] });
      table.tHead.innerHTML = '<tr>' + columns.map(c =>
        `<th class="sortable${c.text ? ' t' : ''}" data-key="${c.key}" title="${esc(c.title || 'sort by ' + c.label)}">${esc(c.label)}</th>`).join('') + '</tr>';
      table.tHead.onclick = e => {
        const th = e.target.closest('th');
        if (!th) return;
        const key = th.dataset.key;
        this.sort = this.sort && this.sort.key === key ? { key, dir: -this.sort.dir } : { key, dir: 1 };
        this.draw();
      };
      if (filter) filter.addEventListener('input', () => this.draw());
    }
    setRows(rows) { this.rows = rows; this.draw(); }
    static compare(a, b) {
      const missing = x => x === null || x === undefined || x === '' || (typeof x === 'number' && !Number.isFinite(x));
      if (missing(a) || missing(b)) return missing(a) === missing(b) ? 0 : missing(a) ? 1 : -1;
      if (typeof a === 'number' && typeof b === 'number') return a - b;
      return String(a).localeCompare(String(b), undefined, { numeric: true });
    }
    draw() {
      const terms = (this.filter ? this.filter.value : '').toLowerCase().split(/\s+/).filter(Boolean);
      const text = r => this.columns.map(c => {
        const v = c.value(r);
        return c.search ? c.search(r) : v === null || v === undefined ? '' : String(v);
      }).join(' ').toLowerCase();
      let rows = this.rows.filter(r => { const t = text(r); return terms.every(x => t.includes(x)); });
      if (this.sort) {
        const col = this.columns.find(c => c.key === this.sort.key);
        const dir = this.sort.dir;
        rows = rows.map((r, i) => [r, i]).sort(([a, i], [b, j]) => {
          const va = col.value(a), vb = col.value(b);
          const missing = x => x === null || x === undefined || x === '' || (typeof x === 'number' && !Number.isFinite(x));
          if (missing(va) || missing(vb)) return Table.compare(va, vb) || i - j; // missing values last either way
          return dir * Table.compare(va, vb) || i - j;
        }).map(([r]) => r);
      }
      for (const th of this.table.tHead.rows[0].cells)
        th.setAttribute('aria-sort', this.sort && th.dataset.key === this.sort.key ? (this.sort.dir > 0 ? 'ascending' : 'descending') : 'none');
      this.table.tBodies[0].innerHTML = rows.length
        ? rows.map(r => '<tr>' + this.columns.map(c => {
            const v = c.value(r);
            const html = c.render ? c.render(r) : esc(v ?? '');
            const title = c.cellTitle ? c.cellTitle(r) : '';
            return `<td class="${c.text ? 't ' : ''}${c.cls || ''}"${title ? ` title="${esc(title)}"` : ''}>${html}</td>`;
          }).join('') + '</tr>').join('')
        : `<tr><td class="t empty" colspan="${this.columns.length}">${esc(this.rows.length ? 'no row matches the filter' : this.empty)}</td></tr>`;
      if (this.count) this.count.textContent = this.rows.length ? `${rows.length} of ${this.rows.length}` : '';
    }
  }

  // --- the leaderboard -------------------------------------------------------------------------------------------
  // Δ as the statistics contract gives it ({mean, ci_low, ci_high, p_value, n, paired}); older servers sent a number.
  const delta = r => typeof r.delta_map50_95 === 'number' ? { mean: r.delta_map50_95 } : r.delta_map50_95 || null;
  const stat = s => typeof s === 'number' ? { mean: s } : s || {};
  const bound = x => (x < 0 ? '−' : '') + fmt(Math.abs(x), 3);
  const ci = s => isNum(s.ci_low) && isNum(s.ci_high) ? `[${bound(s.ci_low)}, ${bound(s.ci_high)}]` : '';
  const verdictRank = { better: 2, no_evidence: 1, worse: 0 };
  const verdictText = r => {
    if (!r.verdict) return '';
    if (r.verdict === 'no_evidence') { const d = delta(r); return 'no evidence' + (d && isNum(d.n) ? ` (n=${d.n})` : ''); }
    return r.verdict;
  };

  const boardColumns = [
    { key: 'rank', label: '#', value: r => r.rank, title: 'rank by mAP50-95 (mean over seeds)' },
    { key: 'model', label: 'model', text: true, value: r => r.model },
    { key: 'scale', label: 'scale', text: true, value: r => r.scale },
    { key: 'knobs', label: 'knobs', text: true, cls: 'knobs', value: r => r.knobs, render: r => esc(shortKnobs(r.model, r.knobs)), cellTitle: r => r.knobs,
      title: 'the knobs that vary between this model’s configurations (hover for all of them)' },
    { key: 'seeds', label: 'seeds', value: r => r.seeds, title: 'succeeded seeds' },
    { key: 'map50_95', label: 'mAP50-95 [95 % CI]', value: r => stat(r.map50_95).mean, title: 'mean ± std over seeds, and the 95 % confidence interval of the mean',
      render: r => { const s = stat(r.map50_95); return isNum(s.mean) ? `<b>${fmt(s.mean)}</b> ± ${fmt(s.std)} <span class="ci">${ci(s)}</span>` : ''; } },
    { key: 'map50', label: 'mAP50', value: r => stat(r.map50).mean, title: 'mean over seeds (hover: ± std and 95 % CI)',
      render: r => fmt(stat(r.map50).mean), cellTitle: r => { const s = stat(r.map50); return isNum(s.std) ? `± ${fmt(s.std)} ${ci(s)}` : ''; } },
    { key: 'delta', label: 'Δ mAP50-95', value: r => delta(r)?.mean, title: 'mAP50-95 minus the baseline model’s at the same scale, with its 95 % CI',
      render: r => { const d = delta(r); if (!d || !isNum(d.mean)) return '';
        return `<span class="${d.mean > 0 ? 'pos' : d.mean < 0 ? 'neg' : ''}">${signed(d.mean)}</span> <span class="ci">${ci(d)}</span>`; },
      cellTitle: r => { const d = delta(r); return d && r.baseline ? `vs ${r.baseline}` + (isNum(d.n) ? `, n ${d.n}` : '') + (d.paired ? ', paired by seed' : d.paired === false ? ', unpaired' : '') : ''; } },
    { key: 'p', label: 'p', value: r => delta(r)?.p_value, title: 'p-value of Δ mAP50-95', render: r => pvalue(delta(r)?.p_value) },
    { key: 'verdict', label: 'verdict', text: true, value: r => r.verdict ? verdictRank[r.verdict] : null, search: verdictText,
      title: 'better / worse than the baseline (the CI of Δ excludes 0), or no evidence either way (n pairs)',
      render: r => r.verdict ? `<span class="verdict ${esc(r.verdict)}">${esc(verdictText(r))}</span>` : '' },
    { key: 'failed', label: 'failed', value: r => r.failed_seeds, title: 'failed seeds of this configuration',
      render: r => isNum(r.failed_seeds) && r.failed_seeds > 0 ? `<span class="neg">${r.failed_seeds}</span>` : esc(r.failed_seeds ?? '') },
    { key: 'params', label: 'params M', value: r => isNum(r.params) ? r.params / 1e6 : null, render: r => isNum(r.params) ? fmt(r.params / 1e6, 2) : '' },
    { key: 'gflops', label: 'GFLOPs', value: r => r.gflops, render: r => fmt(r.gflops, 1) },
    { key: 'latency', label: 'latency ms', value: r => r.latency_ms, render: r => fmt(r.latency_ms, 2) },
    { key: 'train', label: 'train s', value: r => r.train_seconds, render: r => fmt(r.train_seconds, 1) },
    { key: 'pareto', label: 'Pareto', text: true, value: r => (r.pareto_gflops ? 2 : 0) + (r.pareto_latency ? 1 : 0) || null,
      search: r => (r.pareto_gflops ? 'pareto gflops ' : '') + (r.pareto_latency ? 'pareto latency' : ''),
      title: 'on the Pareto front of mAP50-95 against GFLOPs and/or latency',
      render: r => (r.pareto_gflops ? '<span class="flag">GFLOPs</span>' : '') + (r.pareto_latency ? '<span class="flag">latency</span>' : '') },
  ];

  const trialColumns = [
    { key: 'id', label: 'trial', text: true, value: t => t.id, render: t => `<a href="/trial.html?id=${encodeURIComponent(t.id)}">${esc(t.id)}</a>` },
    { key: 'model', label: 'model', text: true, value: t => t.model },
    { key: 'scale', label: 'scale', text: true, value: t => t.scale },
    { key: 'knobs', label: 'knobs', text: true, cls: 'knobs', value: t => knobsText(t.knobs), render: t => esc(shortKnobs(t.model, t.knobs)), cellTitle: t => knobsText(t.knobs) },
    { key: 'seed', label: 'seed', value: t => t.seed },
    { key: 'state', label: 'state', text: true, value: t => t.state, render: t => `<span class="state ${esc(t.state)}">${esc(t.state)}</span>` },
    { key: 'attempt', label: 'attempt', value: t => t.attempt },
    { key: 'epochs', label: 'epochs', value: t => t.epochs_done, render: t => `${t.epochs_done ?? ''}${isNum(t.epochs) ? ' / ' + t.epochs : ''}` },
    { key: 'map50_95', label: 'mAP50-95', value: t => t.map50_95 ?? t.metrics?.map50_95, render: t => fmt(t.map50_95 ?? t.metrics?.map50_95) },
    { key: 'map50', label: 'mAP50', value: t => t.map50 ?? t.metrics?.map50, render: t => fmt(t.map50 ?? t.metrics?.map50) },
    { key: 'host', label: 'host', text: true, value: t => t.host_id },
    { key: 'finished', label: 'finished', text: true, value: t => t.finished_at, render: t => esc(when(t.finished_at)) },
    { key: 'error', label: 'error', text: true, cls: 'err', value: t => t.error, cellTitle: t => t.error || '' },
  ];
  const knobsText = k => !k ? '' : typeof k === 'string' ? k : Object.keys(k).sort().map(n => `${n}=${k[n]}`).join(' ');

  // Labels show only the knobs that vary between a model's configurations in this sweep (the defaults every one of
  // them shares would repeat on every row); the full setting is in the tooltip, and filters match it.
  let varying = new Map();
  function learnKnobs(items) {
    const values = new Map();
    for (const it of items)
      for (const pair of knobsText(it.knobs).split(' ').filter(Boolean)) {
        const [name, value] = pair.split('=');
        if (!values.has(it.model)) values.set(it.model, new Map());
        const names = values.get(it.model);
        if (!names.has(name)) names.set(name, new Set());
        names.get(name).add(value);
      }
    varying = new Map([...values].map(([model, names]) => [model, new Set([...names].filter(([, v]) => v.size > 1).map(([n]) => n))]));
  }
  const shortKnobs = (model, knobs) => {
    const text = knobsText(knobs), keep = varying.get(model);
    return keep && keep.size ? text.split(' ').filter(p => keep.has(p.split('=')[0])).join(' ') : text;
  };
  const label = c => [c.model, c.scale, shortKnobs(c.model, c.knobs)].filter(Boolean).join(' ');

  const board = new Table($('board'), boardColumns, { filter: $('filter'), count: $('board-count'), sort: { key: 'rank', dir: 1 }, empty: 'no succeeded trials yet' });
  const trials = new Table($('trials'), trialColumns, { filter: $('trial-filter'), count: $('trials-count'), empty: 'no trials' });

  // --- Pareto fronts ---------------------------------------------------------------------------------------------
  function pareto(el, rows, key, flag, axisName) {
    const pts = rows.filter(r => isNum(r[key]) && isNum(stat(r.map50_95).mean));
    // Points in the right half are labelled on their left, so no label runs off the chart.
    const xs = pts.map(r => r[key]), mid = (Math.min(...xs) + Math.max(...xs)) / 2;
    const point = r => ({ value: [r[key], stat(r.map50_95).mean], row: r, label: { position: r[key] > mid ? 'left' : 'right' } });
    const text = { show: true, distance: 6, fontSize: 10, color: '#444', formatter: p => label(p.data.row) };
    const front = pts.filter(r => r[flag]).sort((a, b) => a[key] - b[key]);
    chart(el).setOption({
      animation: false,
      title: { text: `mAP50-95 vs ${axisName}`, left: 'center', top: 4, textStyle: { fontSize: 13 } },
      graphic: pts.length ? [] : [{ type: 'text', left: 'center', top: 'middle', style: { text: 'no succeeded configuration yet', fill: '#888', fontSize: 13 } }],
      legend: { top: 26, data: ['Pareto front', 'dominated'] },
      grid: { left: 70, right: 40, top: 58, bottom: 50 },
      tooltip: {
        trigger: 'item', confine: true,
        formatter: p => { const r = p.data.row; const s = stat(r.map50_95);
          return `<b>${esc(config(r))}</b><br>mAP50-95 ${fmt(s.mean)} ± ${fmt(s.std)}<br>${esc(axisName)} ${fmt(r[key], 2)}<br>seeds ${r.seeds}`; },
      },
      xAxis: valueAxis(axisName, { nameGap: 28 }),
      yAxis: valueAxis('mAP50-95', { nameGap: 52 }),
      series: [
        { type: 'scatter', name: 'dominated', data: pts.filter(r => !r[flag]).map(point), symbolSize: 9,
          itemStyle: { color: '#9aa3ad' }, label: text, labelLayout: { hideOverlap: true }, z: 2 },
        { type: 'line', name: 'Pareto front', data: front.map(point), symbol: 'circle', symbolSize: 12, showAllSymbol: true,
          lineStyle: { color: '#0a7d45', width: 2 }, itemStyle: { color: '#0a7d45' },
          label: Object.assign({}, text, { color: '#0a5a33', fontWeight: 'bold' }), labelLayout: { hideOverlap: true }, z: 3 },
      ],
    }, { notMerge: true });
  }

  // --- training curves -------------------------------------------------------------------------------------------
  const hidden = new Set();
  let lastCurves = [];
  const metricLabel = m => m === 'map50_95' ? 'mAP50-95' : m === 'map50' ? 'mAP50' : m === 'fitness' ? 'fitness' : m === 'lr' ? 'learning rate'
    : m.startsWith('loss/') ? (/^loss\/val[/_]/.test(m) ? 'val loss: ' + m.slice(9) : 'train loss: ' + m.slice(5)) : m;

  function renderCurves(configs) {
    lastCurves = configs;
    const box = $('curves'), legend = $('curve-legend');
    configs.forEach(c => colourOf(config(c)));
    if (!configs.length) {
      disposeCharts(box);
      box.innerHTML = '<div class="empty">no epochs reported yet</div>';
      legend.innerHTML = '';
      return;
    }
    legend.innerHTML = configs.map(c => { const name = config(c);
      return `<label class="${hidden.has(name) ? 'off' : ''}" data-name="${esc(name)}" title="${esc(`${name}: ${c.trials} trial(s), seeds ${(c.seeds || []).join(', ')}; click to hide or show`)}">` +
        `<span class="swatch" style="background:${colourOf(name)}"></span>${esc(label(c))} <span class="muted">(${c.trials})</span></label>`; }).join('');
    const metrics = [];
    for (const c of configs) for (const m of c.metrics || []) if (!metrics.includes(m) && m !== 'fitness' && m !== 'lr') metrics.push(m);
    const order = m => m === 'map50_95' ? 0 : m === 'map50' ? 1 : 2;
    metrics.sort((a, b) => order(a) - order(b));
    // One chart element per metric, kept across refreshes.
    for (const el of [...box.children]) if (!el.dataset.metric || !metrics.includes(el.dataset.metric)) { disposeCharts(el); el.remove(); }
    for (const m of metrics) {
      let el = [...box.children].find(x => x.dataset.metric === m);
      if (!el) { el = document.createElement('div'); el.className = 'chart'; el.dataset.metric = m; el.dataset.chart = 'curve'; box.appendChild(el); }
      const lines = configs.filter(c => !hidden.has(config(c))).map(c => ({
        name: label(c), colour: colourOf(config(c)),
        points: (c.epochs || []).filter(p => p.values && p.values[m]).map(p => ({ epoch: p.epoch, n: p.n, ...p.values[m] })),
      }));
      chart(el).setOption(curveOption(metricLabel(m) + ' per epoch', metricLabel(m), lines), { notMerge: true });
    }
    // Keep the order of the metrics.
    for (const m of metrics) box.appendChild([...box.children].find(x => x.dataset.metric === m));
  }
  $('curve-legend').onclick = e => {
    const label = e.target.closest('label');
    if (!label) return;
    const name = label.dataset.name;
    if (hidden.has(name)) hidden.delete(name); else hidden.add(name);
    renderCurves(lastCurves);
  };

  // --- knob effects ----------------------------------------------------------------------------------------------
  function renderKnobs(effects) {
    const box = $('knobs');
    disposeCharts(box);
    if (effects === null) { box.innerHTML = '<div class="empty">this server has no knob-effect statistics (GET /api/v1/knob-effects)</div>'; return; }
    if (!effects.length) { box.innerHTML = '<div class="empty">no knob varies in this sweep (or no trial of one has succeeded yet)</div>'; return; }
    box.innerHTML = effects.map((e, i) => `<div><div class="chart small" id="knob-${i}" data-chart="knob"></div>` +
      `<div class="muted" style="font-size:12px;margin-top:4px">${(e.deltas || []).map(d =>
        `${esc(d.from)}→${esc(d.to)}: Δ <span class="${d.mean > 0 ? 'pos' : d.mean < 0 ? 'neg' : ''}">${signed(d.mean)}</span> ` +
        `<span class="ci">${ci(d)}</span>${isNum(d.p_value) ? ' p ' + pvalue(d.p_value) : ''}${isNum(d.n) ? ` (n ${d.n}${d.paired ? ', paired' : ''})` : ''}` +
        (d.verdict ? ` <span class="verdict ${esc(d.verdict)}">${esc(d.verdict === 'no_evidence' ? 'no evidence' : d.verdict)}</span>` : '')).join('<br>')}</div></div>`).join('');
    effects.forEach((e, i) => {
      const values = e.values || [];
      const colour = colourOf(`${e.model} ${e.scale} ${e.knob}`);
      chart($('knob-' + i)).setOption({
        animation: false,
        title: { text: `${e.model} ${e.scale}: ${e.knob}`, left: 'center', top: 4, textStyle: { fontSize: 13 } },
        grid: { left: 64, right: 20, top: 34, bottom: 46 },
        tooltip: { trigger: 'axis', confine: true, formatter: items => { const v = values[items[0].dataIndex];
          return v ? `${esc(e.knob)} = ${esc(v.value)}<br>mAP50-95 <b>${fmt(v.mean)}</b> ${ci(v)}<br>n ${v.n ?? ''}` : ''; } },
        xAxis: Object.assign({}, valueAxis(e.knob, { nameGap: 28 }), { type: 'category', scale: false, data: values.map(v => String(v.value)) }),
        yAxis: valueAxis('mAP50-95', { nameGap: 50 }),
        series: [
          { type: 'custom', name: '95 % CI', itemStyle: { color: colour }, z: 1,
            data: values.map((v, j) => [j, isNum(v.ci_low) ? v.ci_low : v.mean, isNum(v.ci_high) ? v.ci_high : v.mean]),
            encode: { x: 0, y: [1, 2] },
            renderItem: (params, a) => {
              const lo = a.coord([a.value(0), a.value(1)]), hi = a.coord([a.value(0), a.value(2)]);
              const w = Math.min(12, a.size([1, 0])[0] * 0.2);
              const style = { stroke: colour, lineWidth: 1.6 };
              return { type: 'group', children: [
                { type: 'line', shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style },
                { type: 'line', shape: { x1: lo[0] - w, y1: lo[1], x2: lo[0] + w, y2: lo[1] }, style },
                { type: 'line', shape: { x1: hi[0] - w, y1: hi[1], x2: hi[0] + w, y2: hi[1] }, style },
              ] };
            } },
          { type: 'line', name: 'mean', data: values.map(v => v.mean), symbol: 'circle', symbolSize: 8, z: 2,
            lineStyle: { color: colour, width: 1.5, type: 'dashed' }, itemStyle: { color: colour },
            label: { show: true, position: 'right', fontSize: 10, color: '#555', formatter: p => isNum(values[p.dataIndex]?.n) ? 'n ' + values[p.dataIndex].n : '' } },
        ],
      }, { notMerge: true });
    });
  }

  // --- the refresh loop ------------------------------------------------------------------------------------------
  let current = new URLSearchParams(location.search).get('sweep');
  let signature = null, lastHeavy = 0, sweepNames = '';

  function renderCounts(s) {
    const c = s.counts || {};
    const n = k => c[k] || 0;
    const parts = [['pending', n('pending')], ['running', n('running') + n('leased')], ['failed', n('failed')], ['succeeded', n('succeeded')]];
    if (n('cancelled')) parts.push(['cancelled', n('cancelled')]);
    $('counts').innerHTML = parts.map(([k, v]) => `<span class="count ${k}" data-state="${k}">${k} <b>${v}</b></span>`).join('');
    const total = s.total ?? Object.values(c).reduce((a, b) => a + b, 0);
    const finished = s.finished ?? n('succeeded') + n('failed') + n('cancelled');
    $('progress').style.width = total ? (100 * finished / total).toFixed(1) + '%' : '0';
    $('sweep-status').textContent = `${s.status || ''}: ${finished}/${total} final`;
  }

  async function refresh() {
    const sweeps = await api('/sweeps');
    const names = sweeps.map(s => s.name);
    if (!current || !names.includes(current)) current = names.length ? names[names.length - 1] : null;
    const sel = $('sweep');
    if (names.join('\n') !== sweepNames || sel.value !== (current || '')) {
      sweepNames = names.join('\n');
      sel.innerHTML = sweeps.map(s => `<option value="${esc(s.name)}">${esc(s.name)} (${esc(s.status)})</option>`).join('');
      sel.value = current || '';
    }
    if (!current) {
      $('counts').innerHTML = ''; $('sweep-status').textContent = 'no sweeps yet';
      board.setRows([]); trials.setRows([]); renderCurves([]); renderKnobs([]);
      return;
    }
    const sweep = await api('/sweeps/' + encodeURIComponent(current));
    renderCounts(sweep);
    const counts = sweep.counts || {};
    const sig = current + JSON.stringify(counts);
    const running = (counts.running || 0) + (counts.leased || 0) > 0;
    if (sig === signature && !(running && Date.now() - lastHeavy > 9000)) return;
    const q = '?sweep=' + encodeURIComponent(current);
    const [board_, trialRows, curves, effects] = await Promise.all([
      api('/leaderboard' + q), api('/trials' + q), api('/sweeps/' + encodeURIComponent(current) + '/curves'), optional('/knob-effects' + q)]);
    signature = sig; lastHeavy = Date.now();
    // A configuration whose every seed failed has a row (its failed seeds) but no figures: none are shown or plotted.
    const rows = board_.map(r => r.seeds === 0
      ? Object.assign({}, r, { map50_95: null, map50: null, params: null, gflops: null, latency_ms: null, train_seconds: null }) : r);
    learnKnobs(trialRows);
    board.setRows(rows);
    const baselines = [...new Set(rows.map(r => r.baseline).filter(Boolean))];
    $('board-note').textContent = `${rows.length} configuration(s)` + (baselines.length ? `; Δ against ${baselines.join(', ')} at the same scale` : '');
    trials.setRows(trialRows);
    $('trials-note').textContent = `${trialRows.length} trial(s); click one for its curves, artefacts and log`;
    pareto($('pareto-gflops'), rows, 'gflops', 'pareto_gflops', 'GFLOPs');
    pareto($('pareto-latency'), rows, 'latency_ms', 'pareto_latency', 'latency (ms)');
    renderCurves(curves);
    renderKnobs(effects);
  }

  const tick = YS.poll(refresh, 3000);
  $('sweep').onchange = e => {
    current = e.target.value; signature = null;
    history.replaceState(null, '', '?sweep=' + encodeURIComponent(current));
    tick();
  };
  YS.setupTokenButton(() => { signature = null; tick(); });
})();
