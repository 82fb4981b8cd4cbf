namespace YoloSweep.Silo.Web;

/// <summary>
/// The web leaderboard: one static page that reads the JSON API with the client token (kept in the browser's
/// localStorage, or passed once as #token=…) and draws the table and SVG plots itself. No build step, no framework.
/// </summary>
public static class LeaderboardPage
{
    public const string Html = """
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>YoloSweep leaderboard</title>
<style>
 body{font:14px system-ui,sans-serif;margin:24px;color:#222} h1{font-size:20px} table{border-collapse:collapse;margin:12px 0}
 th,td{padding:4px 8px;border-bottom:1px solid #ddd;text-align:right} th{background:#f4f4f4;cursor:pointer} td.l,th.l{text-align:left}
 .pareto{font-weight:bold;color:#0a6} .neg{color:#c33} .pos{color:#0a6} svg{border:1px solid #ddd;margin:8px 8px 0 0;background:#fff}
 #plots{display:flex;flex-wrap:wrap} .muted{color:#888}
</style></head>
<body>
<h1>YoloSweep leaderboard</h1>
<div>Sweep: <select id="sweep"><option value="">(all sweeps)</option></select>
 <span id="status" class="muted"></span> <button id="token">set token</button></div>
<table id="board"><thead></thead><tbody></tbody></table>
<div id="plots"><svg id="gflops" width="460" height="320"></svg><svg id="latency" width="460" height="320"></svg><svg id="curves" width="460" height="320"></svg></div>
<script>
const m = location.hash.match(/token=([^&]+)/); if (m) { localStorage.ysToken = decodeURIComponent(m[1]); history.replaceState(null, '', location.pathname); }
document.getElementById('token').onclick = () => { const t = prompt('Client token'); if (t) { localStorage.ysToken = t; load(); } };
async function api(path) {
  const r = await fetch('/api/v1' + path, { headers: { Authorization: 'Bearer ' + (localStorage.ysToken || '') } });
  if (r.status === 401) throw new Error('set the client token (button above, or open the page with #token=…)');
  if (!r.ok) throw new Error((await r.json()).error || r.status);
  return r.json();
}
const f = (x, d = 4) => x == null ? '' : Number(x).toFixed(d);
const esc = s => String(s).replace(/[&<>"]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
function table(rows) {
  const cols = ['rank','model','scale','knobs','seeds','mAP50-95','mAP50','Δ mAP50-95','params (M)','GFLOPs','latency ms','train s','pareto'];
  document.querySelector('#board thead').innerHTML = '<tr>' + cols.map((c, i) => `<th class="${i > 0 && i < 4 ? 'l' : ''}">${c}</th>`).join('') + '</tr>';
  document.querySelector('#board tbody').innerHTML = rows.map(r => `<tr>
    <td>${r.rank}</td><td class="l">${esc(r.model)}</td><td class="l">${esc(r.scale)}</td><td class="l">${esc(r.knobs)}</td><td>${r.seeds}</td>
    <td>${f(r.map50_95.mean)} ± ${f(r.map50_95.std)}</td><td>${f(r.map50.mean)} ± ${f(r.map50.std)}</td>
    <td class="${r.delta_map50_95 < 0 ? 'neg' : 'pos'}">${r.delta_map50_95 == null ? '' : (r.delta_map50_95 >= 0 ? '+' : '') + f(r.delta_map50_95)}</td>
    <td>${f(r.params / 1e6, 2)}</td><td>${f(r.gflops, 1)}</td><td>${f(r.latency_ms, 1)}</td><td>${f(r.train_seconds, 0)}</td>
    <td class="pareto">${r.pareto_gflops ? 'GFLOPs ' : ''}${r.pareto_latency ? 'latency' : ''}</td></tr>`).join('');
}
function axes(svg, title, xs, ys, xl, yl) {
  const W = svg.width.baseVal.value, H = svg.height.baseVal.value, P = 44;
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)], [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = x => P + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * (W - 2 * P), sy = y => H - P - (y1 > y0 ? (y - y0) / (y1 - y0) : 0.5) * (H - 2 * P);
  let g = `<text x="${W / 2}" y="16" text-anchor="middle" font-weight="bold">${title}</text>
    <line x1="${P}" y1="${H - P}" x2="${W - P}" y2="${H - P}" stroke="#999"/><line x1="${P}" y1="${P / 2}" x2="${P}" y2="${H - P}" stroke="#999"/>
    <text x="${W / 2}" y="${H - 8}" text-anchor="middle">${xl}</text><text x="12" y="${H / 2}" transform="rotate(-90 12 ${H / 2})" text-anchor="middle">${yl}</text>
    <text x="${P}" y="${H - P + 14}" font-size="10">${f(x0, 2)}</text><text x="${W - P}" y="${H - P + 14}" font-size="10" text-anchor="end">${f(x1, 2)}</text>
    <text x="${P - 4}" y="${H - P}" font-size="10" text-anchor="end">${f(y0, 3)}</text><text x="${P - 4}" y="${P / 2 + 8}" font-size="10" text-anchor="end">${f(y1, 3)}</text>`;
  return { sx, sy, g };
}
function pareto(svg, rows, key, flag, label) {
  if (!rows.length) { svg.innerHTML = ''; return; }
  const { sx, sy, g } = axes(svg, 'mAP50-95 vs ' + label + ' (Pareto front)', rows.map(r => r[key]), rows.map(r => r.map50_95.mean), label, 'mAP50-95');
  const front = rows.filter(r => r[flag]).sort((a, b) => a[key] - b[key]);
  svg.innerHTML = g + `<polyline fill="none" stroke="#0a6" stroke-width="2" points="${front.map(r => sx(r[key]) + ',' + sy(r.map50_95.mean)).join(' ')}"/>` +
    rows.map(r => `<circle cx="${sx(r[key])}" cy="${sy(r.map50_95.mean)}" r="5" fill="${r[flag] ? '#0a6' : '#888'}"><title>${esc(r.model + ' ' + r.scale + ' ' + r.knobs)}</title></circle>`).join('');
}
async function curves(svg, sweep) {
  if (!sweep) { svg.innerHTML = ''; return; }
  const trials = (await api('/trials?sweep=' + encodeURIComponent(sweep) + '&state=succeeded')).slice(0, 40);
  const series = await Promise.all(trials.map(async t => ({ t, e: await api('/trials/' + t.id + '/metrics') })));
  const pts = series.flatMap(s => s.e); if (!pts.length) { svg.innerHTML = ''; return; }
  const { sx, sy, g } = axes(svg, 'mAP50-95 per epoch', pts.map(p => p.epoch), pts.map(p => p.map50_95), 'epoch', 'mAP50-95');
  const color = s => 'hsl(' + (parseInt(s.t.id.slice(0, 4), 16) % 360) + ',60%,45%)';
  svg.innerHTML = g + series.map(s => `<polyline fill="none" stroke="${color(s)}" points="${s.e.map(p => sx(p.epoch) + ',' + sy(p.map50_95)).join(' ')}"><title>${esc(s.t.model + ' ' + s.t.scale + ' seed ' + s.t.seed)}</title></polyline>`).join('');
}
async function load() {
  const status = document.getElementById('status');
  try {
    const sel = document.getElementById('sweep'), current = sel.value;
    const sweeps = await api('/sweeps');
    sel.innerHTML = '<option value="">(all sweeps)</option>' + sweeps.map(s => `<option ${s.name === current ? 'selected' : ''}>${esc(s.name)}</option>`).join('');
    const rows = await api('/leaderboard' + (sel.value ? '?sweep=' + encodeURIComponent(sel.value) : ''));
    table(rows);
    pareto(document.getElementById('gflops'), rows, 'gflops', 'pareto_gflops', 'GFLOPs');
    pareto(document.getElementById('latency'), rows, 'latency_ms', 'pareto_latency', 'latency (ms)');
    await curves(document.getElementById('curves'), sel.value);
    const s = sweeps.find(x => x.name === sel.value);
    status.textContent = s ? `${s.status}: ${s.finished}/${s.total} trials final` : `${sweeps.length} sweep(s)`;
  } catch (e) { status.textContent = e.message; }
}
document.getElementById('sweep').onchange = load;
load(); setInterval(load, 5000);
</script>
</body></html>
""";
}
