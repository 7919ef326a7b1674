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
