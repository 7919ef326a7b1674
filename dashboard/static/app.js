// The loadlab dashboard: lists sweeps from the server's event stream and
// shows the chosen one; when its results change (a new version), it
// fetches the sweep again and the figures' URLs change with the version.
'use strict';

const $ = (sel) => document.querySelector(sel);
const state = { id: null, version: null, detail: null };

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k);
  return e;
}

function status(msg) { $('#status').textContent = msg || ''; }

async function fetchOK(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(url + ': ' + r.status + ' ' + (await r.text()).trim());
  return r;
}

function q(params) { return new URLSearchParams(params).toString(); }

function fmt(x, digits) { return x === null || x === undefined ? '–' : Number(x).toPrecision(digits || 3); }

function duration(s) {
  if (s < 0) return '';
  if (s < 90) return Math.round(s) + ' s';
  if (s < 5400) return Math.round(s / 60) + ' min';
  return (s / 3600).toFixed(1) + ' h';
}

function renderList(list) {
  const ul = $('#sweeps');
  ul.replaceChildren();
  if (list.length === 0) ul.append(el('li', { class: 'empty', text: 'no sweep directories yet (a directory with spec.yaml)' }));
  for (const s of list) {
    const li = el('li', { 'data-id': s.id }, s.name || s.dir,
      el('small', { text: s.error ? s.error : `${s.done}/${s.total} points · ${s.state}` }));
    if (s.id === state.id) li.classList.add('on');
    li.addEventListener('click', () => show(s.id));
    ul.append(li);
  }
}

function renderProgress(d) {
  $('#bar').max = Math.max(d.total, 1);
  $('#bar').value = d.done;
  $('#progress').textContent = `${d.done}/${d.total} points, ${d.state}`;
  $('#eta').textContent = d.state === 'running' && d.eta >= 0 ? `about ${duration(d.eta)} left` : '';
}

function renderFigures(d) {
  const box = $('#figures');
  box.setAttribute('data-version', d.version);
  box.replaceChildren();
  if (!d.figures || d.figures.length === 0) box.append(el('p', { class: 'hint', text: 'no figures yet: they appear with the first point' }));
  for (const name of d.figures || []) {
    const src = 'api/figure?' + q({ id: d.id, name: name, v: d.version });
    box.append(el('a', { href: src, target: '_blank', title: name }, el('img', { src: src, alt: name })));
  }
}

function renderTable(d) {
  const t = $('#table');
  t.replaceChildren(el('tr', {}, ...['workload', 'policy', 'load', 'n', 'mean response', '± 95%', 'p99'].map((h) => el('th', { text: h }))));
  for (const r of d.table || []) {
    t.append(el('tr', {}, ...[r.workload, r.policy, r.load, r.n, fmt(r.mean), fmt(r.half, 2), fmt(r.p99)].map((v) => el('td', { text: String(v) }))));
  }
}

function renderForm(d) {
  const metric = $('#metric');
  if (metric.options.length === 0) {
    for (const m of d.metrics) metric.append(el('option', { value: m.name, text: m.label + ' (' + m.name + ')' }));
    metric.value = 'mean_response';
  }
  const boxes = (id, name, values) => {
    const div = $(id);
    const checked = new Set([...div.querySelectorAll('input:checked')].map((i) => i.value));
    const fresh = div.children.length === 0;
    div.replaceChildren();
    for (const v of values) {
      const input = el('input', { type: 'checkbox', name: name, value: String(v) });
      input.checked = fresh || checked.has(String(v));
      div.append(el('label', {}, input, ' ' + v));
    }
  };
  boxes('#policies', 'policy', d.policies);
  boxes('#loads', 'load', d.loads);
}

async function show(id) {
  const first = id !== state.id;
  state.id = id;
  for (const li of document.querySelectorAll('#sweeps li')) li.classList.toggle('on', li.dataset.id === id);
  try {
    const d = await (await fetchOK('api/sweep?' + q({ id: id }))).json();
    if (state.id !== id) return;
    state.version = d.version;
    state.detail = d;
    $('#main').hidden = false;
    $('#name').replaceChildren(d.name + ' ', el('small', { text: d.dir }));
    $('#spec').textContent = d.spec;
    if (first) {
      $('#metric').replaceChildren();
      $('#policies').replaceChildren();
      $('#loads').replaceChildren();
      $('#drawn').replaceChildren();
      $('#report').textContent = 'The report is written when this tab opens.';
    }
    renderProgress(d);
    renderFigures(d);
    renderTable(d);
    renderForm(d);
    status('');
  } catch (e) {
    status(e.message);
  }
}

for (const b of document.querySelectorAll('#tabs button')) {
  b.addEventListener('click', async () => {
    for (const o of document.querySelectorAll('#tabs button')) o.classList.toggle('on', o === b);
    for (const s of document.querySelectorAll('main section')) s.hidden = s.id !== 'tab-' + b.dataset.tab;
    if (b.dataset.tab === 'report' && state.id) {
      $('#report').textContent = 'writing the report…';
      try {
        $('#report').textContent = await (await fetchOK('api/report?' + q({ id: state.id }))).text();
      } catch (e) {
        $('#report').textContent = e.message;
      }
    }
  });
}

$('#compare').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const params = new URLSearchParams(new FormData($('#compare')));
  params.set('id', state.id);
  params.set('v', state.version);
  const img = el('img', { src: 'api/draw?' + params.toString(), alt: params.get('metric') });
  $('#drawn').prepend(el('a', { href: img.src, target: '_blank' }, img));
});

const events = new EventSource('api/events');
events.addEventListener('sweeps', (ev) => {
  const list = JSON.parse(ev.data);
  renderList(list);
  const want = state.id || (location.hash && decodeURIComponent(location.hash.slice(1))) || (list[0] && list[0].id);
  const cur = list.find((s) => s.id === want);
  if (cur && !cur.error && (cur.id !== state.id || cur.version !== state.version)) show(cur.id);
});
events.addEventListener('error', () => status('reconnecting to the server…'));
events.addEventListener('open', () => status(''));

// The live views. Of a watched cluster (--join): a table of the newest
// sample and the queue of each agent over time. Of a scraped run
// (--scrape): a map of the nodes with arrows for the jobs migrated between
// them lately, a table of the newest sample, each node's queue and the
// jobs completed and failed per second over time.
const palette = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d', '#666666'];
const svgNS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, text) {
  const e = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function num(x) { return Number.isInteger(x) ? String(x) : x.toPrecision(3); }

// lineChart draws series over the samples' times into the SVG c; a series
// is {color, dash, value: (sample, i) => number, or null where it has none}.
function lineChart(c, samples, series, caption) {
  const W = +c.getAttribute('width'), H = +c.getAttribute('height'), L = 36, B = 20;
  c.replaceChildren();
  const t0 = samples[0].time, t1 = Math.max(samples[samples.length - 1].time, t0 + 1);
  const maxY = Math.max(1, ...series.flatMap((sr) => samples.map(sr.value)).filter((v) => v !== null));
  const x = (t) => L + ((W - L - 6) * (t - t0)) / (t1 - t0);
  const y = (v) => H - B - ((H - B - 8) * v) / maxY;
  c.append(svg('line', { x1: L, y1: y(0), x2: W - 6, y2: y(0), stroke: '#999' }));
  c.append(svg('line', { x1: L, y1: y(0), x2: L, y2: 8, stroke: '#999' }));
  const label = (tx, ty, text) => c.append(svg('text', { x: tx, y: ty, 'font-size': 10, 'text-anchor': 'end' }, text));
  label(L - 4, y(maxY) + 4, num(maxY));
  label(L - 4, y(0) + 4, '0');
  label(W - 6, H - 4, `${caption} over the last ${(t1 - t0).toFixed(0)} s`);
  for (const sr of series) {
    const pts = samples.map((s, i) => { const v = sr.value(s, i); return v === null ? null : `${x(s.time)},${y(v)}`; }).filter(Boolean);
    const line = svg('polyline', { points: pts.join(' '), fill: 'none', stroke: sr.color, 'stroke-width': 1.5 });
    if (sr.dash) line.setAttribute('stroke-dasharray', sr.dash);
    c.append(line);
  }
}

// queueSeries is a series per node named in the samples: its queue.
function queueSeries(samples) {
  const names = [...new Set(samples.flatMap((s) => s.nodes.map((n) => n.name)))];
  return names.map((name, i) => ({
    color: palette[i % palette.length],
    value: (s) => { const n = s.nodes.find((m) => m.name === name); return n ? n.queue : null; },
  }));
}

// nodeTable fills the table t: a header row, then a row per node: its
// name, its queue with a bar, then the cells rest gives of it.
function nodeTable(t, headers, nodes, rest) {
  const maxQ = Math.max(1, ...nodes.map((n) => n.queue));
  t.replaceChildren(el('tr', {}, ...headers.map((h) => el('th', { text: h }))));
  nodes.forEach((n, i) => {
    const bar = el('span', { class: 'bar', style: `width:${(4 * n.queue) / maxQ}em;background:${palette[i % palette.length]}` });
    const row = el('tr', { 'data-node': n.name }, el('td', { text: n.name }),
      el('td', { class: 'queue' }, bar, String(n.queue)), ...rest(n).map((v) => el('td', { text: v })));
    if (n.status === 'failed') row.classList.add('failed');
    t.append(row);
  });
}

function pct(x) { return x < 0 ? '–' : (100 * x).toFixed(0) + '%'; }
function secs(x) { return x < 0 ? '–' : x.toFixed(2) + ' s'; }

// follow keeps the samples of one live view: those the server has when
// the first event comes, then each event's.
function follow(name, url, render) {
  const v = { samples: [], fetched: false };
  events.addEventListener(name, async (ev) => {
    if (!v.fetched) {
      v.fetched = true;
      try {
        v.samples = await (await fetchOK(url)).json();
      } catch (e) {
        status(e.message);
      }
    }
    const sample = JSON.parse(ev.data);
    const last = v.samples[v.samples.length - 1];
    if (!last || sample.time > last.time) v.samples.push(sample);
    if (v.samples.length > 300) v.samples.shift();
    render(v.samples);
  });
}

follow('nodes', 'api/nodes', (samples) => {
  const last = samples[samples.length - 1];
  $('#cluster').hidden = false;
  $('#cluster-note').textContent = `${last.nodes.length} agents, ${last.failed} failed, at ${last.time.toFixed(1)} s`;
  nodeTable($('#nodes'), ['agent', 'queue', 'status', 'running / servers', 'utilisation', 'gossip age'], last.nodes,
    (n) => [n.status, `${n.running} / ${n.servers}`, pct(n.utilization), secs(n.age)]);
  lineChart($('#queue-chart'), samples, [...queueSeries(samples), { color: '#b00', dash: '4 3', value: (s) => s.failed }],
    'queue per agent; dashed: failed agents');
});

// moveWindow is how far back, in seconds, the map's arrows sum migrations.
const moveWindow = 3;

// drawMap draws the nodes on a circle into the SVG c, each filled as busy
// as its utilisation, and an arrow per pair of nodes between which jobs
// moved, its width by their number.
function drawMap(c, nodes, moves) {
  const W = +c.getAttribute('width'), H = +c.getAttribute('height');
  const cx = W / 2, cy = H / 2, R = Math.min(W, H) / 2 - 40, r = 18;
  c.replaceChildren(svg('defs', {}));
  const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 8, refY: 5, markerWidth: 10, markerHeight: 10, markerUnits: 'userSpaceOnUse', orient: 'auto' });
  marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#243b55' }));
  c.firstChild.append(marker);
  const pos = {};
  nodes.forEach((n, i) => {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / nodes.length;
    pos[n.name] = [cx + R * Math.cos(a), cy + R * Math.sin(a)];
  });
  const maxJ = Math.max(1, ...moves.map((m) => m.jobs));
  for (const m of moves) {
    const a = pos[m.from], b = pos[m.to];
    if (!a || !b) continue;
    const d = Math.hypot(b[0] - a[0], b[1] - a[1]), ux = (b[0] - a[0]) / d, uy = (b[1] - a[1]) / d;
    const ox = -uy * 4, oy = ux * 4; // a→b and b→a side by side
    const line = svg('line', {
      class: 'move', 'data-from': m.from, 'data-to': m.to, 'marker-end': 'url(#arrow)',
      x1: a[0] + ux * r + ox, y1: a[1] + uy * r + oy, x2: b[0] - ux * (r + 3) + ox, y2: b[1] - uy * (r + 3) + oy,
      stroke: '#243b55', 'stroke-opacity': 0.7, 'stroke-width': 1 + (5 * m.jobs) / maxJ,
    });
    line.append(svg('title', {}, `${m.from} → ${m.to}: ${m.jobs} jobs in the last ${moveWindow} s`));
    c.append(line);
  }
  nodes.forEach((n, i) => {
    const [x, y] = pos[n.name];
    const g = svg('g', { class: 'node', 'data-node': n.name });
    g.append(svg('circle', { cx: x, cy: y, r: r, fill: palette[i % palette.length], 'fill-opacity': 0.15 + 0.85 * Math.max(0, n.utilization), stroke: palette[i % palette.length], 'stroke-width': 2 }));
    g.append(svg('text', { x: x, y: y + 4, 'font-size': 12, 'text-anchor': 'middle' }, String(n.queue)));
    g.append(svg('text', { x: x, y: y + r + 13, 'font-size': 11, 'text-anchor': 'middle', stroke: '#fff', 'stroke-width': 3, 'paint-order': 'stroke' }, n.name));
    g.append(svg('title', {}, `${n.name}: queue ${n.queue}, utilisation ${pct(n.utilization)}`));
    c.append(g);
  });
}

follow('run', 'api/run', (samples) => {
  const last = samples[samples.length - 1];
  $('#run').hidden = false;
  const recent = samples.filter((s) => s.time > last.time - moveWindow);
  const sum = {};
  for (const m of recent.flatMap((s) => s.moves)) {
    const k = m.from + '\u0000' + m.to;
    sum[k] = sum[k] || { from: m.from, to: m.to, jobs: 0 };
    sum[k].jobs += m.jobs;
  }
  const moves = Object.values(sum);
  $('#run-note').textContent = `${last.nodes.length} nodes at ${last.time.toFixed(1)} s; since the server began watching: ` +
    `${last.completed} jobs completed, ${last.failed} failed; ${last.failedAgents} agents failed now`;
  $('#run-errors').textContent = last.errors.join('; ');
  drawMap($('#node-map'), last.nodes, moves);
  nodeTable($('#run-nodes'), ['node', 'queue', 'running', 'utilisation', 'TLP', 'gossip age', 'age read', 'migrations'], last.nodes,
    (n) => [String(n.running), pct(n.utilization), n.tlp < 0 ? '–' : n.tlp.toFixed(2), secs(n.age), secs(n.readAge), String(n.migrations)]);
  lineChart($('#run-queue-chart'), samples, queueSeries(samples), 'queue per node');
  const perSecond = (f) => (s, i) => (i === 0 ? 0 : (s[f] - samples[i - 1][f]) / Math.max(1e-9, s.time - samples[i - 1].time));
  lineChart($('#jobs-chart'), samples, [{ color: '#1b9e77', value: perSecond('completed') }, { color: '#b00', dash: '4 3', value: perSecond('failed') }],
    'jobs completed (solid) and failed (dashed) per second');
});
