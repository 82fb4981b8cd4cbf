// What both pages share: the client token, API calls, the connection banner, formatting, chart helpers.
// Plain browser JavaScript, no build step; ECharts (echarts.min.js) is loaded before this file.
'use strict';

const YS = (() => {
  // The client token: given once as #token=… (the link `yolosweep run` prints), then kept in localStorage.
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.has('token')) {
    localStorage.setItem('ysToken', hash.get('token'));
    hash.delete('token');
    history.replaceState(null, '', location.pathname + location.search + (hash.toString() ? '#' + hash : ''));
  }
  const token = () => localStorage.getItem('ysToken') || '';

  class Disconnected extends Error {}
  class Unauthorized extends Error {}
  class HttpError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  /** GET /api/v1 + path as JSON (or the Response with raw). Throws Disconnected, Unauthorized or HttpError. */
  async function api(path, { raw = false } = {}) {
    let r;
    const headers = token() ? { Authorization: 'Bearer ' + token() } : {};
    try {
      r = await fetch('/api/v1' + path, { headers, cache: 'no-store' });
    } catch (e) {
      throw new Disconnected('the server cannot be reached');
    }
    if (r.status === 401 || r.status === 403) throw new Unauthorized('this server needs the client token');
    if (!r.ok) {
      let message = r.status + ' ' + r.statusText;
      try { message = (await r.json()).error || message; } catch (_) { /* not JSON */ }
      if (r.status === 502 || r.status === 503 || r.status === 504) throw new Disconnected(message);
      throw new HttpError(r.status, message);
    }
    return raw ? r : r.json();
  }

  /** Like api(), but a 404 answers null (an endpoint or object this server does not have). */
  async function optional(path) {
    try { return await api(path); } catch (e) { if (e instanceof HttpError && e.status === 404) return null; throw e; }
  }

  // The connection banner: the page keeps its last data and says when it is stale.
  function status(kind, text) {
    const el = document.getElementById('conn');
    if (!el) return;
    el.className = 'conn ' + kind;
    el.textContent = text;
    const button = document.getElementById('token');
    if (button) button.hidden = kind !== 'auth' && !token();
  }

  /**
   * Runs refresh() now and then every intervalMs (never two at once). A failed refresh leaves the page as it was and
   * shows why; the next one is tried all the same, so the page comes back by itself when the server does.
   */
  function poll(refresh, intervalMs) {
    let timer = null, running = false, again = false;
    async function tick() {
      clearTimeout(timer);
      if (running) { again = true; return; } // asked for while one runs (a new sweep chosen): right after it
      running = true;
      try {
        await refresh();
        status('ok', 'updated ' + new Date().toLocaleTimeString());
      } catch (e) {
        if (e instanceof Disconnected) status('down', 'disconnected, retrying… (' + e.message + ')');
        else if (e instanceof Unauthorized) status('auth', 'needs the client token: open the link with #token=…, or set it');
        else { status('error', 'error: ' + e.message); console.warn(e); }
      } finally {
        running = false;
        timer = setTimeout(tick, again ? 0 : intervalMs);
        again = false;
      }
    }
    tick();
    return tick;
  }

  function setupTokenButton(onChange) {
    const b = document.getElementById('token');
    if (!b) return;
    b.hidden = !token();
    b.onclick = () => {
      const t = prompt('Client token (YOLOSWEEP_CLIENT_TOKEN)', '');
      if (t !== null) { localStorage.setItem('ysToken', t.trim()); onChange(); }
    };
  }

  const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  const isNum = x => typeof x === 'number' && Number.isFinite(x);
  const fmt = (x, d = 4) => isNum(x) ? x.toFixed(d) : '';
  const signed = (x, d = 4) => isNum(x) ? (x > 0 ? '+' : x < 0 ? '−' : '±') + Math.abs(x).toFixed(d) : '';
  const pvalue = p => !isNum(p) ? '' : p < 0.001 ? '<0.001' : p.toFixed(3);
  const config = c => [c.model, c.scale, c.knobs].filter(Boolean).join(' ');
  const when = t => t ? new Date(t).toLocaleString() : '';

  // One colour per configuration, the same on every chart of a page (assigned in the order configs are first seen).
  const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf',
    '#393b79', '#e6550d', '#31a354', '#843c39', '#7b4173', '#3182bd', '#fd8d3c', '#74c476', '#de9ed6', '#636363'];
  const colours = new Map();
  const colourOf = key => {
    if (!colours.has(key)) colours.set(key, palette[colours.size % palette.length]);
    return colours.get(key);
  };

  // Charts: one ECharts instance per element, resized with the window.
  const charts = new Map();
  function chart(el) {
    if (!charts.has(el)) charts.set(el, echarts.init(el, null, { renderer: 'canvas' }));
    return charts.get(el);
  }
  function disposeCharts(container) {
    for (const [el, c] of charts) if (container.contains(el)) { c.dispose(); charts.delete(el); }
  }
  window.addEventListener('resize', () => { for (const c of charts.values()) c.resize(); });

  const axisCommon = {
    nameLocation: 'middle', nameTextStyle: { fontWeight: 'bold', color: '#333' },
    axisLine: { show: true, lineStyle: { color: '#888' } }, axisTick: { show: true },
    splitLine: { show: true, lineStyle: { color: '#e6e6e6' } }, axisLabel: { color: '#444' },
  };
  const valueAxis = (name, extra = {}) => Object.assign({ type: 'value', name, scale: true, nameGap: 30 }, axisCommon, extra);

  /**
   * Per-epoch curves of several lines on one chart: each line a mean with a shaded band (min–max) when there is one.
   * lines: [{ name, colour, dashed?, points: [{ epoch, mean, min?, max?, n? }] }].
   */
  function curveOption(title, yName, lines, { band = true } = {}) {
    const series = [];
    for (const line of lines) {
      const pts = line.points.filter(p => isNum(p.mean));
      const banded = band && pts.some(p => isNum(p.min) && isNum(p.max) && p.max > p.min);
      if (banded) {
        const upper = pts.map(p => [p.epoch, isNum(p.max) ? p.max : p.mean]);
        const lower = pts.map(p => [p.epoch, isNum(p.min) ? p.min : p.mean]);
        series.push({
          type: 'custom', name: line.name, silent: true, z: 1, clip: true, tooltip: { show: false },
          data: pts.map(p => [p.epoch, isNum(p.min) ? p.min : p.mean, isNum(p.max) ? p.max : p.mean]),
          encode: { x: 0, y: [1, 2] },
          renderItem: (params, api) => params.dataIndex !== 0 ? null : {
            type: 'polygon', silent: true,
            shape: { points: upper.map(p => api.coord(p)).concat(lower.slice().reverse().map(p => api.coord(p))) },
            style: { fill: line.colour, opacity: 0.16 },
          },
        });
      }
      series.push({
        type: 'line', name: line.name, z: 2, showSymbol: pts.length <= 1, symbolSize: 5, lineStyle: { width: 2, type: line.dashed ? 'dashed' : 'solid' },
        itemStyle: { color: line.colour }, color: line.colour,
        data: pts.map(p => ({ value: [p.epoch, p.mean], min: p.min, max: p.max, n: p.n })),
      });
    }
    return {
      animation: false,
      title: { text: title, left: 'center', top: 4, textStyle: { fontSize: 13 } },
      grid: { left: 64, right: 16, top: 34, bottom: 44 },
      tooltip: {
        trigger: 'axis', confine: true,
        formatter: items => {
          const rows = items.filter(i => i.seriesType === 'line').map(i => {
            const d = i.data || {};
            const range = isNum(d.min) && isNum(d.max) && d.max > d.min ? ` [${fmt(d.min)}, ${fmt(d.max)}]` : '';
            return `${i.marker}${esc(i.seriesName)}: <b>${fmt(i.value[1])}</b>${range}${d.n > 1 ? ` (n ${d.n})` : ''}`;
          });
          return items.length ? `epoch ${items[0].value[0]}<br>` + rows.join('<br>') : '';
        },
      },
      xAxis: valueAxis('epoch', { minInterval: 1, scale: false, min: 1, nameGap: 26 }),
      yAxis: valueAxis(yName, { nameGap: 48 }),
      series,
    };
  }

  return { api, optional, poll, status, setupTokenButton, esc, isNum, fmt, signed, pvalue, config, when, colourOf, chart, disposeCharts,
    valueAxis, curveOption, Disconnected, Unauthorized, HttpError };
})();
