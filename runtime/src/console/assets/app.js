// Weir's console: a page of plain JavaScript over the worker's REST API (the same calls users
// script against) and /weir/v1 for live figures. Every URL is relative to the page, so the
// console works behind a proxy path; nothing is fetched from elsewhere.
'use strict';

const API = new URL('../', document.baseURI);
const REFRESH_MS = 5000;
const view = document.getElementById('view');
let timer = null;

// ---- small helpers -------------------------------------------------------------------------

/** An element with attributes (`on…` are listeners) and children (strings become text). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Replaces the children of `el` (null, undefined and false are left out). */
function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

/** Calls the API; resolves to the parsed body, or throws an Error with the API's message. */
async function api(method, path, body) {
  const init = { method, headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(new URL(path, API), init);
  const text = await response.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch (_) { parsed = text; }
  if (!response.ok) {
    const message = (parsed && parsed.message) || text || response.statusText;
    const error = new Error(`${response.status}: ${message}`);
    error.status = response.status;
    throw error;
  }
  return parsed;
}

const enc = encodeURIComponent;
const firstLine = (text) => (text || '').split('\n')[0];
const shortClass = (cls) => (cls || '').split('.').pop();

function notice(text, kind) {
  const box = document.getElementById('notice');
  box.className = kind || '';
  box.textContent = text || '';
}

function badge(state) {
  return h('span', { class: `badge ${String(state || 'unknown').toLowerCase()}` }, state || 'UNKNOWN');
}

function number(value, unit) {
  if (!Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  const scaled = abs >= 1e9 ? [value / 1e9, 'G'] : abs >= 1e6 ? [value / 1e6, 'M'] : abs >= 1e3 ? [value / 1e3, 'k'] : [value, ''];
  const digits = scaled[0] >= 100 || scaled[1] === '' && Number.isInteger(scaled[0]) ? 0 : 1;
  return `${scaled[0].toFixed(digits)}${scaled[1]}${unit || ''}`;
}

const FIELDS = ['read', 'written', 'bytes', 'failed', 'dropped', 'dead_lettered'];

/** Sums the samples of several tasks by interval (workers sample at their own instants):
 * one series per field. */
function sumSeries(tasks, interval = REFRESH_MS) {
  const byTime = new Map();
  for (const task of tasks) {
    for (const sample of task.samples) {
      const slot = Math.round(sample.at / interval);
      const sum = byTime.get(slot) || { at: slot * interval, read: 0, written: 0, bytes: 0, failed: 0, dropped: 0, dead_lettered: 0 };
      for (const field of FIELDS) sum[field] += sample[field] || 0;
      byTime.set(slot, sum);
    }
  }
  return [...byTime.values()].sort((a, b) => a.at - b.at);
}

/** A small line chart of `fields` of `series` (an SVG with a text alternative). */
function chart(series, fields, { width = 600, height = 120, label, unit } = {}) {
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', preserveAspectRatio: 'none' });
  const max = Math.max(1, ...series.flatMap((p) => fields.map((f) => p[f])));
  const n = Math.max(series.length - 1, 1);
  fields.forEach((field, i) => {
    const points = series.map((p, j) => `${((j / n) * width).toFixed(1)},${(height - 2 - (p[field] / max) * (height - 4)).toFixed(1)}`);
    if (points.length) svg.append(s('polyline', { points: points.join(' '), class: `line line${i}` }));
  });
  const last = series[series.length - 1];
  const summary = fields.map((f) => `${f} ${last ? number(last[f], unit) : 'no data'}`).join(', ');
  svg.append(Object.assign(s('title', {}), { textContent: `${label || ''}: ${summary}` }));
  return h('figure', {}, svg, h('figcaption', {}, label ? `${label}: ` : '', fields.map((f, i) => h('span', { class: `key key${i}` }, `${f} ${last ? number(last[f], unit) : '–'}`))));
}

function sparkline(series) {
  const svg = s('svg', { viewBox: '0 0 100 24', class: 'spark', 'aria-hidden': 'true', preserveAspectRatio: 'none' });
  const max = Math.max(1, ...series.map((p) => p.written));
  const n = Math.max(series.length - 1, 1);
  svg.append(s('polyline', { points: series.map((p, i) => `${(i / n) * 100},${23 - (p.written / max) * 22}`).join(' '), class: 'line line0' }));
  return svg;
}

function isFailed(status) {
  return status && (status.connector.state === 'FAILED' || status.tasks.some((t) => t.state === 'FAILED'));
}

// ---- routes --------------------------------------------------------------------------------

const routes = [
  [/^#\/?$/, overview, 'overview'],
  [/^#\/new$/, (m) => editor(null), 'new'],
  [/^#\/connectors\/([^/]+)$/, (m) => connectorPage(decodeURIComponent(m[1])), 'overview'],
  [/^#\/connectors\/([^/]+)\/edit$/, (m) => editor(decodeURIComponent(m[1])), 'overview'],
  [/^#\/plugins$/, plugins, 'plugins'],
  [/^#\/plugins\/(.+)$/, (m) => pluginPage(decodeURIComponent(m[1])), 'plugins'],
  [/^#\/cluster$/, cluster, 'cluster'],
];

async function route() {
  clearInterval(timer);
  timer = null;
  notice('');
  const hash = location.hash || '#/';
  for (const [pattern, render, section] of routes) {
    const match = hash.match(pattern);
    if (!match) continue;
    for (const link of document.querySelectorAll('nav a')) {
      if (link.dataset.section === section) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    try {
      await render(match);
    } catch (e) {
      fill(view, h('p', { class: 'error', role: 'alert' }, e.message));
    }
    return;
  }
  fill(view, h('p', {}, 'No such page. ', h('a', { href: '#/' }, 'Back to the connectors')));
}

/** Renders with `draw` now and again every few seconds while the page stays open. */
async function live(draw) {
  await draw();
  timer = setInterval(() => draw().catch((e) => notice(e.message, 'error')), REFRESH_MS);
}

// ---- overview ------------------------------------------------------------------------------

async function overview() {
  const filter = h('input', { type: 'search', id: 'filter', placeholder: 'Filter by name, plugin or state', 'aria-label': 'Filter connectors' });
  const table = h('div', { class: 'scroll' });
  const count = h('p', { class: 'muted' });
  fill(view, h('h1', {}, 'Connectors'), h('div', { class: 'toolbar' }, filter, h('a', { class: 'button', href: '#/new' }, 'New connector')), count, table);
  let rows = [];
  const paint = () => {
    const needle = filter.value.trim().toLowerCase();
    const shown = rows.filter((r) => !needle || r.text.includes(needle));
    count.textContent = `${shown.length} of ${rows.length} connectors`;
    fill(table, h('table', { class: 'connectors' },
      h('thead', {}, h('tr', {}, ['Name', 'Type', 'Plugin', 'State', 'Tasks', 'Records/s', ''].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, shown.map((r) => r.row))));
  };
  filter.addEventListener('input', paint);
  await live(async () => {
    const [connectors, history] = await Promise.all([
      api('GET', 'connectors?expand=status&expand=info'),
      api('GET', 'weir/v1/history?samples=24').catch(() => ({ tasks: [] })),
    ]);
    const names = Object.keys(connectors || {}).sort((a, b) => (isFailed(connectors[b].status) - isFailed(connectors[a].status)) || a.localeCompare(b));
    rows = names.map((name) => {
      const { info, status } = connectors[name];
      const series = sumSeries(history.tasks.filter((t) => t.connector === name), history.interval_ms);
      const last = series[series.length - 1];
      const failure = status && [status.connector, ...status.tasks].find((t) => t.state === 'FAILED');
      const plugin = shortClass(info && info.config['connector.class']);
      const row = h('tr', { class: isFailed(status) ? 'failed' : '' },
        h('td', {}, h('a', { href: `#/connectors/${enc(name)}` }, name), failure ? h('div', { class: 'error small' }, firstLine(failure.trace)) : null),
        h('td', {}, info ? info.type : ''),
        h('td', {}, plugin),
        h('td', {}, badge(status && status.connector.state)),
        h('td', {}, (status ? status.tasks : []).map((t) => badge(t.state))),
        h('td', { class: 'num' }, last ? number(last.written) : '–'),
        h('td', {}, sparkline(series)));
      return { row, text: `${name} ${plugin} ${status ? status.connector.state : ''}`.toLowerCase() };
    });
    paint();
  });
}

// ---- one connector -------------------------------------------------------------------------

async function act(label, method, path, question) {
  if (question && !window.confirm(question)) return false;
  try {
    await api(method, path);
    notice(`${label}: done`, 'ok');
    return true;
  } catch (e) {
    notice(`${label}: ${e.message}`, 'error');
    return false;
  }
}

async function connectorPage(name) {
  const base = `connectors/${enc(name)}`;
  const header = h('div');
  const actions = h('div', { class: 'toolbar', role: 'group', 'aria-label': 'Actions' });
  const tasks = h('section');
  const behind = h('section', { 'aria-live': 'polite' });
  const graphs = h('section', { class: 'graphs' });
  const figures = h('section');
  const offsets = h('section');
  const config = h('section');
  fill(view, header, actions, behind, graphs, tasks, figures, offsets, config);
  const refresh = () => route();
  const button = (label, method, path, question) =>
    h('button', { type: 'button', onclick: async () => { if (await act(label, method, path, question)) refresh(); } }, label);
  let drawnOffsetsFor = null;
  await live(async () => {
    const [info, status, history, metrics] = await Promise.all([
      api('GET', base),
      api('GET', `${base}/status`),
      api('GET', `weir/v1/connectors/${enc(name)}/history?samples=720`).catch(() => ({ tasks: [], interval_ms: REFRESH_MS })),
      fetch(new URL('metrics', API)).then((r) => r.text()).catch(() => ''),
    ]);
    fill(header, h('h1', {}, name, ' ', badge(status.connector.state)),
      h('p', { class: 'muted' }, `${info.type} · ${info.config['connector.class']} · on ${status.connector.worker_id}`),
      status.connector.trace ? h('details', {}, h('summary', { class: 'error' }, firstLine(status.connector.trace)), h('pre', {}, status.connector.trace)) : null);
    const state = status.connector.state;
    fill(actions, 
      state === 'PAUSED' || state === 'STOPPED' ? button('Resume', 'PUT', `${base}/resume`) : button('Pause', 'PUT', `${base}/pause`),
      state !== 'STOPPED' ? button('Stop', 'PUT', `${base}/stop`, `Stop ${name}? Its tasks are shut down until it is resumed.`) : null,
      button('Restart connector', 'POST', `${base}/restart`),
      button('Restart all tasks', 'POST', `${base}/restart?includeTasks=true`),
      button('Restart failed tasks', 'POST', `${base}/restart?includeTasks=true&onlyFailed=true`),
      h('a', { class: 'button', href: `#/connectors/${enc(name)}/edit` }, 'Edit config'),
      h('button', { type: 'button', class: 'danger', onclick: async () => {
        if (await act('Delete', 'DELETE', base, `Delete ${name}? Its config is removed; its offsets stay.`)) location.hash = '#/';
      } }, 'Delete'));
    const series = sumSeries(history.tasks, history.interval_ms);
    const span = (series.length * (history.interval_ms || REFRESH_MS)) / 1000;
    const spanText = span >= 120 ? `${Math.round(span / 60)} min` : `${Math.round(span)} s`;
    fill(graphs, h('h2', {}, `Throughput, last ${spanText}`),
      series.length ? h('div', { class: 'grid' },
        chart(series, ['read', 'written'], { label: 'Records/s', unit: '/s' }),
        chart(series, ['bytes'], { label: 'Bytes/s', unit: 'B/s' }),
        chart(series, ['failed', 'dropped', 'dead_lettered'], { label: 'Failed, dropped and dead-lettered per interval' }))
        : h('p', { class: 'muted' }, 'No samples yet.'),
      history.unreachable && history.unreachable.length ? h('p', { class: 'small error' }, `No figures from ${history.unreachable.join(', ')}.`) : null);
    fill(tasks, h('h2', {}, 'Tasks'), h('div', { class: 'scroll' }, h('table', { class: 'tasks' },
      h('thead', {}, h('tr', {}, ['Task', 'Worker', 'State', 'Trace', ''].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, status.tasks.map((t) => h('tr', {},
        h('td', {}, String(t.id)), h('td', {}, t.worker_id), h('td', {}, badge(t.state), autoRestart(t.auto_restart)),
        h('td', {}, t.trace ? h('details', {}, h('summary', {}, firstLine(t.trace)), h('pre', {}, t.trace)) : ''),
        h('td', {}, button(`Restart task ${t.id}`, 'POST', `${base}/tasks/${t.id}/restart`))))))));
    const own = connectorFigures(metrics, name);
    fill(figures, ...figuresTable(own));
    fill(behind, ...(info.type === 'sink' ? await sinkLag(name) : sourceProgress(own)));
    if (drawnOffsetsFor !== state) {
      drawnOffsetsFor = state;
      fill(offsets, ...await offsetsSection(base, state));
    }
    fill(config, h('h2', {}, 'Config'), h('pre', { class: 'config' }, JSON.stringify(info.config, null, 2)));
  });
}

/** Where a failed task stands in its automatic restarts (task.restart.policy), if anywhere. */
function autoRestart(restart) {
  if (!restart) return null;
  const of = restart.max_attempts === null ? '' : ` of ${restart.max_attempts}`;
  const text = restart.next_attempt_ms === null
    ? `gave up after ${restart.attempt} automatic restart${restart.attempt === 1 ? '' : 's'}`
    : `automatic restart ${restart.attempt}${of} at ${new Date(restart.next_attempt_ms).toLocaleTimeString()}`;
  return h('div', { class: 'small muted' }, text);
}

/** The connector's tasks' figures from this worker's /metrics: `[{name, task, value}]`. */
function connectorFigures(text, name) {
  const figures = [];
  const quoted = JSON.stringify(name).slice(1, -1);
  for (const line of text.split('\n')) {
    const match = line.match(/^weir_(\w+)\{connector="((?:[^"\\]|\\.)*)",task="(\d+)"\} (\S+)$/);
    if (match && match[2] === quoted) figures.push({ name: match[1], task: match[3], value: Number(match[4]) });
  }
  return figures;
}

function figuresTable(figures) {
  if (!figures.length) return [];
  return [h('h2', {}, 'Figures'), h('details', {}, h('summary', {}, `${figures.length} figures from this worker's tasks`),
    h('div', { class: 'scroll' }, h('table', {}, h('thead', {}, h('tr', {}, ['Figure', 'Task', 'Value'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, figures.map((f) => h('tr', {}, h('td', {}, f.name), h('td', {}, f.task), h('td', { class: 'num' }, number(f.value))))))))];
}

/** How far a source is behind, where it knows: a Postgres snapshot's progress and streaming
 * delay, a file's bytes left. */
function sourceProgress(figures) {
  const sum = (name) => figures.filter((f) => f.name === name).reduce((total, f) => total + f.value, 0);
  const has = (name) => figures.some((f) => f.name === name);
  const lines = [];
  if (has('postgres_snapshot_running') && sum('postgres_snapshot_running') > 0) {
    const total = sum('postgres_snapshot_tables_total');
    const left = sum('postgres_snapshot_tables_remaining');
    lines.push(`Snapshot running: ${number(sum('postgres_snapshot_rows_scanned'))} rows read, ${total - left} of ${total} tables done.`);
  }
  if (has('postgres_streaming_milliseconds_behind_source')) {
    lines.push(`Streaming ${number(sum('postgres_streaming_milliseconds_behind_source'))} ms behind the source.`);
  }
  if (has('file_bytes_remaining')) lines.push(`${number(sum('file_bytes_remaining'), 'B')} of the file left to read.`);
  return lines.length ? [h('h2', {}, 'Behind the source'), ...lines.map((l) => h('p', { class: 'behind' }, l))] : [];
}

/** A sink's consumer lag per partition, by its committed offsets. */
async function sinkLag(name) {
  let answer;
  try {
    answer = await api('GET', `weir/v1/connectors/${enc(name)}/lag`);
  } catch (e) {
    return [h('h2', {}, 'Consumer lag'), h('p', { class: 'muted' }, e.message)];
  }
  const partitions = answer.partitions || [];
  const total = partitions.reduce((sum, p) => sum + (p.lag || 0), 0);
  return [h('h2', {}, 'Consumer lag'), h('p', { class: 'behind' }, `${number(total)} records behind, by the committed offsets.`),
    h('div', { class: 'scroll' }, h('table', { class: 'lag' }, h('thead', {}, h('tr', {}, ['Topic', 'Partition', 'Committed', 'End', 'Lag'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, partitions.map((p) => h('tr', {}, h('td', {}, p.topic), h('td', { class: 'num' }, String(p.partition)),
        h('td', { class: 'num' }, p.committed === null ? 'none' : String(p.committed)), h('td', { class: 'num' }, String(p.end)),
        h('td', { class: 'num' }, p.lag === null ? '–' : String(p.lag)))))))];
}

/** Offsets per partition; editable once the connector is STOPPED (KIP-875). */
async function offsetsSection(base, state) {
  let current;
  try {
    current = await api('GET', `${base}/offsets`);
  } catch (e) {
    return [h('h2', {}, 'Offsets'), h('p', { class: 'muted' }, e.message)];
  }
  const list = current.offsets || [];
  const table = h('div', { class: 'scroll' }, h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Partition'), h('th', { scope: 'col' }, 'Offset'))),
    h('tbody', {}, list.map((o) => h('tr', {}, h('td', {}, h('code', {}, JSON.stringify(o.partition))), h('td', {}, h('code', {}, JSON.stringify(o.offset))))))));
  const parts = [h('h2', {}, 'Offsets'), list.length ? table : h('p', { class: 'muted' }, 'No offsets committed yet.')];
  if (state !== 'STOPPED') {
    parts.push(h('p', { class: 'muted' }, 'Stop the connector to edit or reset its offsets.'));
    return parts;
  }
  const editor = h('textarea', { id: 'offsets-editor', rows: 8, 'aria-label': 'Offsets to write, as JSON' }, JSON.stringify({ offsets: list }, null, 2));
  const preview = h('div', { class: 'preview', 'aria-live': 'polite' });
  const apply = h('button', { type: 'button', id: 'offsets-apply', disabled: true, onclick: async () => {
    try {
      const answer = await api('PATCH', `${base}/offsets`, JSON.parse(editor.value));
      notice(answer && answer.message ? answer.message : 'Offsets written', 'ok');
      route();
    } catch (e) {
      notice(`Offsets: ${e.message}`, 'error');
    }
  } }, 'Apply');
  const previewButton = h('button', { type: 'button', id: 'offsets-preview', onclick: () => {
    let wanted;
    try {
      wanted = JSON.parse(editor.value).offsets || [];
    } catch (e) {
      fill(preview, h('p', { class: 'error' }, `Not JSON: ${e.message}`));
      apply.disabled = true;
      return;
    }
    const key = (o) => JSON.stringify(o.partition);
    const before = new Map(list.map((o) => [key(o), o.offset]));
    const lines = wanted.map((o) => {
      const was = before.get(key(o));
      const now = o.offset === null ? 'reset (read from the start)' : JSON.stringify(o.offset);
      return h('li', {}, h('code', {}, key(o)), `: ${was === undefined ? 'none' : JSON.stringify(was)} → ${now}`);
    });
    fill(preview, h('p', {}, 'Applying writes these offsets; the connector reads from them once resumed:'), h('ul', {}, lines));
    apply.disabled = false;
  } }, 'Preview change');
  const reset = h('button', { type: 'button', class: 'danger', onclick: async () => {
    if (await act('Offsets reset', 'DELETE', `${base}/offsets`, 'Reset every offset? The connector starts from the beginning once resumed.')) route();
  } }, 'Reset all offsets');
  parts.push(h('label', { for: 'offsets-editor' }, 'Edit offsets (JSON, as PATCH /offsets takes them)'), editor, h('div', { class: 'toolbar' }, previewButton, apply, reset), preview);
  return parts;
}

// ---- create and edit -----------------------------------------------------------------------

/** A form built from the plugin's config definitions, kept in sync with a JSON editor. */
async function editor(existing) {
  const pluginsList = await api('GET', 'connector-plugins');
  let config = existing ? await api('GET', `connectors/${enc(existing)}/config`) : { name: '' };
  const heading = h('h1', {}, existing ? `Edit ${existing}` : 'New connector');
  const pluginSelect = h('select', { id: 'plugin', disabled: !!existing },
    h('option', { value: '' }, 'Choose a plugin…'),
    pluginsList.map((p) => h('option', { value: p.class }, `${shortClass(p.class)} (${p.type}${p.version ? `, ${p.version}` : ''})`)));
  const form = h('form', { id: 'config-form', novalidate: true });
  const json = h('textarea', { id: 'config-json', rows: 18, spellcheck: 'false', 'aria-label': 'Config as text' });
  const format = h('select', { id: 'config-format', 'aria-label': 'Text format' }, h('option', { value: 'json' }, 'JSON'), h('option', { value: 'yaml' }, 'YAML'));
  const summary = h('p', { id: 'validation', 'aria-live': 'polite' });
  let definitions = [];

  const setJson = () => { json.value = format.value === 'yaml' ? toYaml(config) : JSON.stringify(config, null, 2); };
  format.addEventListener('change', setJson);
  const fieldId = (name) => `key-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;

  const render = (validation) => {
    const values = new Map((validation ? validation.configs : []).map((c) => [c.value.name, c.value]));
    const groups = new Map();
    for (const def of definitions) {
      const group = def.group || 'Common';
      if (!groups.has(group)) groups.set(group, []);
      groups.get(group).push(def);
    }
    const sections = [];
    for (const [group, defs] of groups) {
      const fields = defs.sort((a, b) => a.order_in_group - b.order_in_group).map((def) => field(def, values.get(def.name)));
      sections.push(h('fieldset', {}, h('legend', {}, group), fields));
    }
    fill(form, ...sections);
  };

  const field = (def, value) => {
    const id = fieldId(def.name);
    const current = config[def.name];
    const recommended = (value && value.recommended_values) || [];
    const errors = (value && value.errors) || [];
    const describedBy = `${id}-doc${errors.length ? ` ${id}-errors` : ''}`;
    const common = { id, name: def.name, 'aria-describedby': describedBy, 'aria-invalid': errors.length ? 'true' : null };
    let input;
    if (def.type === 'BOOLEAN') {
      input = h('select', common, h('option', { value: '' }, `default (${def.default_value ?? 'none'})`), h('option', { value: 'true' }, 'true'), h('option', { value: 'false' }, 'false'));
      input.value = current ?? '';
    } else if (recommended.length && def.type !== 'LIST') {
      input = h('select', common, h('option', { value: '' }, def.default_value ? `default (${def.default_value})` : 'choose…'), recommended.map((r) => h('option', { value: r }, r)));
      if (current !== undefined && !recommended.includes(current)) input.append(h('option', { value: current }, current));
      input.value = current ?? '';
    } else {
      input = h('input', { ...common, type: def.type === 'PASSWORD' ? 'password' : 'text',
        placeholder: def.default_value ?? '', autocomplete: def.type === 'PASSWORD' ? 'new-password' : 'off', value: current ?? '' });
    }
    input.addEventListener('change', () => {
      if (input.value === '') delete config[def.name];
      else config[def.name] = input.value;
      setJson();
      if (def.name === 'transforms' || def.name === 'predicates' || def.name.endsWith('.type')) load();
    });
    const label = def.display_name && def.display_name !== def.name ? `${def.display_name} (${def.name})` : def.name;
    return h('div', { class: `field${errors.length ? ' invalid' : ''}` },
      h('label', { for: id }, label, def.required ? h('span', { class: 'required', title: 'required' }, ' *') : null),
      input,
      errors.length ? h('ul', { id: `${id}-errors`, class: 'errors' }, errors.map((e) => h('li', {}, e))) : null,
      h('small', { id: `${id}-doc` }, `${def.type}${def.default_value ? ` · default ${def.default_value}` : ''} · ${def.documentation || ''}`));
  };

  const validate = async () => {
    const plugin = pluginSelect.value || config['connector.class'];
    if (!plugin) return null;
    const answer = await api('PUT', `connector-plugins/${enc(plugin)}/config/validate`, { ...config, 'connector.class': plugin, name: config.name || 'unnamed' });
    definitions = answer.configs.map((c) => c.definition);
    render(answer);
    return answer;
  };
  const load = () => validate().catch((e) => notice(e.message, 'error'));

  pluginSelect.addEventListener('change', () => {
    config['connector.class'] = pluginSelect.value;
    setJson();
    load();
  });
  json.addEventListener('change', () => {
    try {
      const parsed = format.value === 'yaml' ? fromYaml(json.value) : JSON.parse(json.value);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('a config is a map of keys to values');
      config = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
      if (existing) config.name = existing;
      if (config['connector.class']) pluginSelect.value = config['connector.class'];
      nameInput.value = config.name || '';
      json.removeAttribute('aria-invalid');
      notice('');
      load();
    } catch (e) {
      json.setAttribute('aria-invalid', 'true');
      notice(`The ${format.value.toUpperCase()} does not parse: ${e.message}`, 'error');
    }
  });
  const validateButton = h('button', { type: 'button', id: 'validate', onclick: async () => {
    const answer = await validate().catch((e) => { notice(e.message, 'error'); return null; });
    if (!answer) return;
    summary.className = answer.error_count ? 'error' : 'ok';
    summary.textContent = answer.error_count ? `${answer.error_count} error${answer.error_count > 1 ? 's' : ''}: see the fields marked below.` : 'The config is valid.';
    if (answer.error_count) { const first = form.querySelector('[aria-invalid="true"]'); if (first) first.focus(); }
  } }, 'Validate');
  const saveButton = h('button', { type: 'button', id: 'save', class: 'primary', onclick: async () => {
    const answer = await validate().catch((e) => { notice(e.message, 'error'); return null; });
    if (!answer) return;
    if (answer.error_count) {
      summary.className = 'error';
      summary.textContent = `Not saved: ${answer.error_count} error${answer.error_count > 1 ? 's' : ''} below.`;
      return;
    }
    try {
      const name = existing || config.name;
      const { name: _, ...rest } = config;
      if (existing) await api('PUT', `connectors/${enc(existing)}/config`, { ...rest, name: existing });
      else await api('POST', 'connectors', { name, config: rest });
      location.hash = `#/connectors/${enc(name)}`;
    } catch (e) {
      notice(`Not saved: ${e.message}`, 'error');
    }
  } }, existing ? 'Save' : 'Create');

  const nameInput = h('input', { id: 'connector-name', value: config.name || existing || '', disabled: !!existing, autocomplete: 'off' });
  nameInput.addEventListener('input', () => { config.name = nameInput.value; setJson(); });
  if (existing) config.name = existing;
  fill(view, heading,
    h('div', { class: 'field' }, h('label', { for: 'connector-name' }, 'Name'), nameInput),
    h('div', { class: 'field' }, h('label', { for: 'plugin' }, 'Plugin'), pluginSelect),
    h('div', { class: 'editor' }, h('div', {}, form), h('div', {},
      h('div', { class: 'toolbar' }, h('label', { for: 'config-json' }, 'The config as text (edits here update the form)'), format), json)),
    h('div', { class: 'toolbar sticky' }, validateButton, saveButton, summary));
  if (config['connector.class']) pluginSelect.value = config['connector.class'];
  setJson();
  if (pluginSelect.value) await load();
}

// ---- YAML, as connector configs use it ----------------------------------------------------

const PLAIN_KEY = /^[A-Za-z0-9_.\-/]+$/;

/** A flat config as YAML: one `key: "value"` line per key (double quotes are JSON's). */
function toYaml(config) {
  return Object.entries(config)
    .map(([k, v]) => `${PLAIN_KEY.test(k) ? k : JSON.stringify(k)}: ${JSON.stringify(String(v))}`)
    .join('\n') + '\n';
}

/** One YAML scalar: double-quoted (JSON's escapes), single-quoted ('' for '), or plain. */
function yamlScalar(text) {
  const t = text.trim();
  if (t.startsWith('"')) return JSON.parse(t);
  if (t.startsWith("'")) {
    if (!t.endsWith("'") || t.length < 2) throw new Error(`unterminated quote: ${t}`);
    return t.slice(1, -1).replace(/''/g, "'");
  }
  return t.replace(/\s+#.*$/, '');
}

/** Parses what connector configs are written as in YAML: a flat map, or a map with `name` and
 * a `config` map indented under it (as in `weir worker --connector FILE`). */
function fromYaml(text) {
  const top = {};
  let block = null;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (!line.trim() || line.trim().startsWith('#')) return;
    const indented = /^\s/.test(line);
    const match = line.trim().match(/^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^:#]+?)\s*:(?:\s+(.*))?$/);
    if (!match || line.trim().startsWith('- ')) throw new Error(`line ${i + 1}: expected "key: value"`);
    const key = yamlScalar(match[1]);
    const value = match[2] === undefined ? '' : match[2];
    if (indented) {
      if (!block) throw new Error(`line ${i + 1}: only the keys under config may be indented`);
      block[key] = yamlScalar(value);
    } else if (key === 'config' && value.trim() === '') {
      block = {};
      top.config = block;
    } else {
      block = null;
      top[key] = yamlScalar(value);
    }
  });
  if (!top.config) return top;
  const { config, ...rest } = top;
  return { ...rest, ...config };
}

// ---- plugins and cluster -------------------------------------------------------------------

async function plugins() {
  const list = await api('GET', 'connector-plugins?connectorsOnly=false');
  fill(view, h('h1', {}, 'Plugins'), h('div', { class: 'scroll' }, h('table', {},
    h('thead', {}, h('tr', {}, ['Class', 'Type', 'Version'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, list.map((p) => h('tr', {}, h('td', {}, h('a', { href: `#/plugins/${enc(p.class)}` }, p.class)), h('td', {}, p.type), h('td', {}, p.version || '')))))));
}

async function pluginPage(plugin) {
  const keys = await api('GET', `connector-plugins/${enc(plugin)}/config`);
  const grants = keys.filter((k) => k.name.startsWith('wasm.'));
  fill(view, h('h1', {}, shortClass(plugin)), h('p', { class: 'muted' }, plugin),
    grants.length ? h('p', {}, 'Sandbox settings: ', grants.map((k) => h('code', {}, `${k.name}=${k.default_value ?? ''} `))) : null,
    h('div', { class: 'scroll' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Key', 'Type', 'Default', 'Importance', 'Documentation'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, keys.map((k) => h('tr', {}, h('td', {}, h('code', {}, k.name)), h('td', {}, k.type), h('td', {}, k.default_value ?? ''), h('td', {}, k.importance), h('td', {}, k.documentation)))))));
}

async function cluster() {
  await live(async () => {
    const [info, connectors] = await Promise.all([api('GET', ''), api('GET', 'connectors?expand=status')]);
    const group = info.group || {};
    const byWorker = new Map();
    for (const [name, { status }] of Object.entries(connectors || {})) {
      const add = (worker, what) => { if (!byWorker.has(worker)) byWorker.set(worker, []); byWorker.get(worker).push(what); };
      add(status.connector.worker_id, `${name} (connector, ${status.connector.state})`);
      for (const t of status.tasks) add(t.worker_id, `${name}-${t.id} (${t.state})`);
    }
    fill(view, h('h1', {}, 'Cluster'),
      h('p', {}, `Generation ${group.generation ?? '–'} · leader ${group.leader_url || 'unknown'} · Weir ${info.version}`),
      h('div', { class: 'scroll' }, h('table', {},
        h('thead', {}, h('tr', {}, ['Worker', 'Runs'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, [...byWorker.keys()].sort().map((worker) => h('tr', {}, h('td', {}, worker), h('td', {}, h('ul', { class: 'plain' }, byWorker.get(worker).map((w) => h('li', {}, w))))))))),
      h('h2', {}, 'Members'), h('ul', {}, (group.members || []).map((m) => h('li', {}, m, m === group.leader_url ? ' (leader)' : ''))));
  });
}

async function start() {
  try {
    const info = await api('GET', '');
    document.getElementById('worker').textContent = `worker ${info.group ? info.group.worker_id : ''} · Weir ${info.version}`;
  } catch (_) { /* still starting: the pages say so */ }
  window.addEventListener('hashchange', route);
  route();
}

start();
