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

// The live view of a watched cluster: a table of the newest sample and
// the queue of each agent over time.
const live = { samples: [], fetched: false };
const palette = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d', '#666666'];
const svgNS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs) {
  const e = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function renderNodes() {
  const last = live.samples[live.samples.length - 1];
  if (!last) return;
  $('#cluster').hidden = false;
  $('#cluster-note').textContent = `${last.nodes.length} agents, ${last.failed} failed, at ${last.time.toFixed(1)} s`;
  const t = $('#nodes');
  const maxQ = Math.max(1, ...last.nodes.map((n) => n.queue));
  t.replaceChildren(el('tr', {}, ...['agent', 'status', 'queue', 'running / servers', 'utilisation', 'gossip age'].map((h) => el('th', { text: h }))));
  last.nodes.forEach((n, i) => {
    const bar = el('span', { class: 'bar', style: `width:${(4 * n.queue) / maxQ}em;background:${palette[i % palette.length]}` });
    const row = el('tr', { 'data-node': n.name },
      el('td', { text: n.name }), el('td', { text: n.status }),
      el('td', { class: 'queue' }, bar, String(n.queue)),
      el('td', { text: `${n.running} / ${n.servers}` }),
      el('td', { text: (100 * n.utilization).toFixed(0) + '%' }),
      el('td', { text: n.age < 0 ? '–' : n.age.toFixed(2) + ' s' }));
    if (n.status === 'failed') row.classList.add('failed');
    t.append(row);
  });
  drawChart();
}

function drawChart() {
  const c = $('#queue-chart');
  const W = 640, H = 170, L = 36, B = 20;
  const s = live.samples;
  c.replaceChildren();
  const t0 = s[0].time, t1 = Math.max(s[s.length - 1].time, t0 + 1);
  const names = [...new Set(s.flatMap((x) => x.nodes.map((n) => n.name)))];
  const maxQ = Math.max(1, ...s.flatMap((x) => x.nodes.map((n) => n.queue)), ...s.map((x) => x.failed));
  const x = (t) => L + ((W - L - 6) * (t - t0)) / (t1 - t0);
  const y = (q) => H - B - ((H - B - 8) * q) / maxQ;
  c.append(svg('line', { x1: L, y1: y(0), x2: W - 6, y2: y(0), stroke: '#999' }));
  c.append(svg('line', { x1: L, y1: y(0), x2: L, y2: 8, stroke: '#999' }));
  const label = (tx, ty, text, anchor) => { const e = svg('text', { x: tx, y: ty, 'font-size': 10, 'text-anchor': anchor || 'end' }); e.textContent = text; c.append(e); };
  label(L - 4, y(maxQ) + 4, String(maxQ));
  label(L - 4, y(0) + 4, '0');
  label(W - 6, H - 4, `queue per agent over the last ${(t1 - t0).toFixed(0)} s; dashed: failed agents`);
  names.forEach((name, i) => {
    const pts = s.map((x1) => { const n = x1.nodes.find((m) => m.name === name); return n ? `${x(x1.time)},${y(n.queue)}` : null; }).filter(Boolean);
    c.append(svg('polyline', { points: pts.join(' '), fill: 'none', stroke: palette[i % palette.length], 'stroke-width': 1.5 }));
  });
  c.append(svg('polyline', { points: s.map((x1) => `${x(x1.time)},${y(x1.failed)}`).join(' '), fill: 'none', stroke: '#b00', 'stroke-dasharray': '4 3' }));
}

events.addEventListener('nodes', async (ev) => {
  if (!live.fetched) {
    live.fetched = true;
    try {
      live.samples = await (await fetchOK('api/nodes')).json();
    } catch (e) {
      status(e.message);
    }
  }
  const sample = JSON.parse(ev.data);
  const last = live.samples[live.samples.length - 1];
  if (!last || sample.time > last.time) live.samples.push(sample);
  if (live.samples.length > 300) live.samples.shift();
  renderNodes();
});
