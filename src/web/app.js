// Fluss web dashboard: polls the JobManager's REST API every second and renders the cluster
// overview, the job list, and one job's graph, vertices, checkpoints and exceptions.
'use strict';

const POLL_MS = 1000;
const NO_WATERMARK = -9223372036854775808;
const $ = (sel) => document.querySelector(sel);

let route = { view: 'overview' };
let pollTimer = null;
let inFlight = false;

function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function fmtTime(ms) {
  if (!ms || ms < 0) return '–';
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function fmtDuration(ms) {
  if (ms === undefined || ms === null || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h ${m}m ${sec}s`;
  if (m > 0) return `${m}m ${sec}s`;
  return `${sec}s`;
}

function fmtCount(n) {
  if (n === undefined || n === null) return '–';
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)} K`;
  return String(Math.round(n));
}

function fmtBytes(n) {
  if (!n) return '0 B';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

async function api(path, init) {
  const res = await fetch(path, { cache: 'no-store', ...init });
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = { errors: [text] }; }
  if (!res.ok) {
    const err = new Error((body && body.errors && body.errors.join('; ')) || `${res.status} ${res.statusText}`);
    err.status = res.status;
    throw err;
  }
  return body;
}

function setConnection(ok, text) {
  const el = $('#conn');
  el.textContent = text;
  el.className = `status ${ok ? 'ok' : 'bad'}`;
}

// ------------------------------------------------------------------ routing

function parseRoute() {
  const h = location.hash.replace(/^#/, '') || '/';
  const m = /^\/jobs\/([0-9a-f]{32})$/.exec(h);
  if (m) return { view: 'job', jid: m[1] };
  if (h === '/taskmanagers') return { view: 'taskmanagers' };
  return { view: 'overview' };
}

function showView() {
  route = parseRoute();
  for (const v of ['overview', 'job', 'taskmanagers']) $(`#view-${v}`).hidden = route.view !== v;
  for (const a of document.querySelectorAll('[data-nav]')) {
    a.classList.toggle('active', a.dataset.nav === route.view || (route.view === 'job' && a.dataset.nav === 'overview'));
  }
  if (route.view !== 'job') $('#job-notice').hidden = true;
  refresh();
}

// ------------------------------------------------------------------ overview

function renderOverview(ov) {
  $('#version').textContent = `v${ov['fluss-version']}`;
  const cards = [
    ['Task Managers', ov.taskmanagers, ''],
    ['Task Slots', `${ov['slots-available']}<small> / ${ov['slots-total']} free</small>`, ''],
    ['Running Jobs', ov['jobs-running'], 'running'],
    ['Finished', ov['jobs-finished'], 'finished'],
    ['Cancelled', ov['jobs-cancelled'], ''],
    ['Failed', ov['jobs-failed'], ov['jobs-failed'] > 0 ? 'failed' : ''],
  ];
  $('#cluster-cards').innerHTML = cards
    .map(([label, value, cls]) => `<div class="card ${cls}"><div class="label">${label}</div><div class="value">${value}</div></div>`)
    .join('');
}

function taskBar(tasks) {
  const total = tasks.total || 1;
  const part = (n, cls) => (n > 0 ? `<span class="${cls}" style="width:${(100 * n) / total}%"></span>` : '');
  const other = tasks.created + tasks.scheduled + tasks.deploying + tasks.initializing;
  return `<div class="taskbar" title="${esc(JSON.stringify(tasks))}">${part(tasks.running, 'RUNNING')}${part(tasks.finished, 'FINISHED')}${part(tasks.canceled + tasks.canceling, 'CANCELED')}${part(tasks.failed, 'FAILED')}${part(other, 'other')}</div>`;
}

function renderJobs(list) {
  const tbody = $('#jobs-table tbody');
  $('#jobs-empty').hidden = list.jobs.length > 0;
  tbody.innerHTML = list.jobs
    .map((j) => `<tr class="clickable" data-jid="${j.jid}">
      <td><div class="jobname">${esc(j.name)}</div><div class="sub">${j.jid}</div></td>
      <td>${fmtTime(j['start-time'])}</td>
      <td>${fmtDuration(j.duration)}</td>
      <td>${taskBar(j.tasks)}</td>
      <td><span class="badge ${j.state}">${j.state}</span>${j['waiting-for-resources'] ? `<div class="sub">waiting for resources: needs ${j['waiting-for-resources'].needed} slots, ${j['waiting-for-resources'].available} available</div>` : ''}</td></tr>`)
    .join('');
}

// ------------------------------------------------------------------ job graph

const NODE_W = 250;
const NODE_H = 118;
const GAP_X = 90;
const GAP_Y = 36;

function layout(plan) {
  const level = new Map();
  const byId = new Map(plan.nodes.map((n) => [n.id, n]));
  const depth = (id, seen = new Set()) => {
    if (level.has(id)) return level.get(id);
    if (seen.has(id)) return 0;
    seen.add(id);
    const n = byId.get(id);
    const d = n && n.inputs.length ? 1 + Math.max(...n.inputs.map((i) => depth(i.id, seen))) : 0;
    level.set(id, d);
    return d;
  };
  plan.nodes.forEach((n) => depth(n.id));
  const columns = [];
  for (const n of plan.nodes) (columns[level.get(n.id)] ||= []).push(n);
  const maxRows = Math.max(1, ...columns.map((c) => (c ? c.length : 0)));
  const height = maxRows * NODE_H + (maxRows - 1) * GAP_Y + 40;
  const pos = new Map();
  columns.forEach((col, x) => {
    if (!col) return;
    const colH = col.length * NODE_H + (col.length - 1) * GAP_Y;
    col.forEach((n, i) => pos.set(n.id, { x: 20 + x * (NODE_W + GAP_X), y: (height - colH) / 2 + i * (NODE_H + GAP_Y) }));
  });
  const width = 40 + columns.length * NODE_W + (columns.length - 1) * GAP_X;
  return { pos, width, height };
}

function wrapName(name, maxChars) {
  const words = name.split(/(?<=\s->\s)|\s+/).filter(Boolean);
  const lines = [];
  let cur = '';
  for (const w of words) {
    const next = cur ? `${cur} ${w}` : w;
    if (next.length > maxChars && cur) { lines.push(cur); cur = w; } else cur = next;
  }
  if (cur) lines.push(cur);
  if (lines.length > 2) { lines.length = 2; lines[1] = `${lines[1].slice(0, maxChars - 1)}…`; }
  return lines;
}

function pctBar(x, y, w, label, msPerSecond, cls) {
  const frac = Math.max(0, Math.min(1, (msPerSecond || 0) / 1000));
  const color = cls === 'bp' ? (frac > 0.5 ? '#d64545' : frac > 0.1 ? '#e0a21b' : '#2e9d5b') : '#2f7de1';
  return `<text class="small" x="${x}" y="${y + 8}">${label}</text>
    <rect x="${x + 58}" y="${y}" width="${w - 100}" height="8" rx="4" fill="#e9eef4"/>
    <rect x="${x + 58}" y="${y}" width="${Math.max(0, (w - 100) * frac)}" height="8" rx="4" fill="${color}"/>
    <text class="small" x="${x + w - 6}" y="${y + 8}" text-anchor="end">${Math.round(frac * 100)}%</text>`;
}

function renderGraph(job) {
  const svg = $('#job-graph');
  const { pos, width, height } = layout(job.plan);
  const vertices = new Map(job.vertices.map((v) => [v.id, v]));
  let edges = '';
  let nodes = '';
  for (const n of job.plan.nodes) {
    const to = pos.get(n.id);
    for (const input of n.inputs) {
      const from = pos.get(input.id);
      if (!from) continue;
      const x1 = from.x + NODE_W;
      const y1 = from.y + NODE_H / 2;
      const x2 = to.x - 4;
      const y2 = to.y + NODE_H / 2;
      const mx = (x1 + x2) / 2;
      edges += `<path class="edge" d="M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}" marker-end="url(#arrow)"/>`;
      const label = input.ship_strategy;
      const lw = label.length * 7 + 12;
      edges += `<rect class="edge-label-bg" x="${mx - lw / 2}" y="${(y1 + y2) / 2 - 9}" width="${lw}" height="18" rx="9"/>
        <text class="edge-label" x="${mx}" y="${(y1 + y2) / 2 + 4}" text-anchor="middle">${esc(label)}</text>`;
    }
  }
  for (const n of job.plan.nodes) {
    const { x, y } = pos.get(n.id);
    const v = vertices.get(n.id) || { name: n.description, parallelism: n.parallelism, status: 'CREATED', metrics: {} };
    const m = v.metrics || {};
    const lines = wrapName(v.name, 34);
    const dy = lines.length === 1 ? -8 : 0;
    const title = lines
      .map((line, i) => `<text class="title" x="${x + 14}" y="${y + 20 + i * 15}">${esc(line)}</text>`)
      .join('');
    nodes += `<g class="node ${v.status}" data-vertex="${n.id}">
      <title>${esc(v.name)}</title>
      <rect class="box" x="${x}" y="${y}" width="${NODE_W}" height="${NODE_H}" rx="8"/>
      <rect class="stripe" x="${x}" y="${y}" width="5" height="${NODE_H}" rx="2"/>
      ${title}
      <text class="small" x="${x + 14}" y="${y + 56 + dy}">Parallelism ${v.parallelism} · ${v.status}</text>
      <text x="${x + 14}" y="${y + 74 + dy}">In <tspan font-weight="650">${fmtCount(m['read-records'])}</tspan>  ·  Out <tspan font-weight="650">${fmtCount(m['write-records'])}</tspan></text>
      ${pctBar(x + 14, y + 84 + dy, NODE_W - 14, 'Busy', m['busy-time-ms-per-second'], 'busy')}
      ${pctBar(x + 14, y + 100 + dy, NODE_W - 14, 'Backpr.', m['backpressured-time-ms-per-second'], 'bp')}
    </g>`;
  }
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.innerHTML = `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#9aa9bb"/></marker></defs>${edges}${nodes}`;
}

function meter(msPerSecond, kind) {
  const frac = Math.max(0, Math.min(1, (msPerSecond || 0) / 1000));
  const cls = kind === 'bp' ? (frac > 0.5 ? 'high' : frac > 0.1 ? 'low' : 'ok') : '';
  return `<div class="meter"><div class="track"><div class="fill ${cls}" style="width:${frac * 100}%"></div></div><span class="pct">${Math.round(frac * 100)}%</span></div>`;
}

/** Per-subtask statistics of one checkpoint: full and checkpointed size, sync/async time, alignment, persisted channel state. */
async function showCheckpointDetails(job, id) {
  const details = await api(`/jobs/${job.jid}/checkpoints/details/${id}`);
  const rows = [];
  for (const vid of Object.keys(details.tasks)) {
    const v = await api(`/jobs/${job.jid}/checkpoints/details/${id}/subtasks/${vid}`);
    const name = job.vertices?.find((x) => x.id === vid)?.name ?? vid;
    for (const s of v.subtasks) {
      rows.push(s.status !== 'completed'
        ? `<tr><td>${esc(name)}</td><td>${s.index}</td><td colspan="6">${s.status}</td></tr>`
        : `<tr><td>${esc(name)}</td><td>${s.index}</td><td class="num">${fmtBytes(s.state_size)}</td><td class="num">${fmtBytes(s.checkpointed_size)}</td>
          <td class="num">${fmtDuration(s.checkpoint.sync)}</td><td class="num">${fmtDuration(s.checkpoint.async)}</td>
          <td class="num">${fmtDuration(s.alignment.duration)}</td><td class="num">${fmtBytes(s.alignment.persisted)}</td></tr>`);
    }
  }
  $('#checkpoint-details').innerHTML = `<h3>Checkpoint ${id}</h3><table class="table"><thead><tr><th>Vertex</th><th>Subtask</th><th class="num">State Size</th>
    <th class="num">Checkpointed</th><th class="num">Sync</th><th class="num">Async</th><th class="num">Alignment</th><th class="num">Persisted</th></tr></thead>
    <tbody>${rows.join('')}</tbody></table>`;
}

function renderJob(job, checkpoints, exceptions) {
  $('#job-name').textContent = job.name;
  $('#job-name-crumb').textContent = job.name;
  $('#job-id').textContent = job.jid;
  const state = $('#job-state');
  state.textContent = job.state;
  state.className = `badge ${job.state}`;
  $('#job-start').textContent = fmtTime(job['start-time']);
  $('#job-duration').textContent = fmtDuration(job.duration);
  const terminal = ['FINISHED', 'FAILED', 'CANCELED', 'SUSPENDED'].includes(job.state);
  $('#btn-cancel').disabled = terminal || job.state === 'CANCELLING';
  $('#btn-savepoint').disabled = terminal;
  $('#btn-savepoint').title = job['checkpointing-enabled'] ? 'Trigger a savepoint' : 'Checkpointing is not enabled for this job';
  // The adaptive scheduler's WaitingForResources state: the job's lower bounds do not fit the slots.
  const waiting = job['waiting-for-resources'];
  const waitingEl = $('#job-waiting');
  waitingEl.hidden = !waiting;
  waitingEl.textContent = waiting ? `Waiting for resources: needs ${waiting.needed} slots, ${waiting.available} available (since ${fmtTime(waiting.since)})` : '';
  renderGraph(job);

  $('#vertices-table tbody').innerHTML = job.vertices
    .map((v) => {
      const m = v.metrics || {};
      return `<tr><td><div class="jobname">${esc(v.name)}</div><div class="sub">${v.id}</div></td>
        <td class="num">${v.parallelism}</td>
        <td class="num">${fmtCount(m['read-records'])}</td>
        <td class="num">${fmtCount(m['write-records'])}</td>
        <td class="num">${fmtCount(m['read-records-per-second'])}</td>
        <td class="num">${fmtCount(m['write-records-per-second'])}</td>
        <td>${meter(m['busy-time-ms-per-second'], 'busy')}</td>
        <td>${meter(m['backpressured-time-ms-per-second'], 'bp')}</td>
        <td><span class="badge ${v.status}">${v.status}</span></td></tr>`;
    })
    .join('');

  const c = checkpoints.counts;
  $('#cp-counts').textContent = `completed ${c.completed} · failed ${c.failed} · in progress ${c.in_progress}${job['checkpointing-enabled'] ? '' : ' · checkpointing disabled'}`;
  $('#checkpoints-empty').hidden = checkpoints.history.length > 0;
  $('#checkpoints-table tbody').innerHTML = checkpoints.history
    .map((h) => `<tr class="clickable" data-checkpoint="${h.id}" title="Subtask details"><td>${h.id}</td><td><span class="badge ${h.status}">${h.status}</span></td><td>${h.checkpoint_type}</td>
      <td>${fmtTime(h.trigger_timestamp)}</td><td class="num">${fmtDuration(h.end_to_end_duration)}</td>
      <td class="num">${fmtBytes(h.state_size)}</td><td class="num">${fmtBytes(h.checkpointed_size)}</td>
      <td class="num">${fmtDuration(h.alignment_duration)}</td><td class="num">${fmtBytes(h.persisted_data)}</td>
      <td class="num">${h.num_acknowledged_subtasks}/${h.num_subtasks}</td></tr>`)
    .join('');
  for (const row of document.querySelectorAll('#checkpoints-table tr[data-checkpoint]')) {
    row.onclick = () => showCheckpointDetails(job, Number(row.dataset.checkpoint)).catch(() => undefined);
  }

  const entries = exceptions.exceptionHistory.entries;
  $('#exceptions').innerHTML = entries.length === 0
    ? '<p class="empty">No exceptions.</p>'
    : entries
        .map((e) => `<div class="exception"><div><span class="name">${esc(e.exceptionName)}</span> <span class="when">${fmtTime(e.timestamp)}${e.taskName ? ` · ${esc(e.taskName)}` : ''}${e.location ? ` · ${esc(e.location)}` : ''}</span></div><pre>${esc(e.stacktrace)}</pre></div>`)
        .join('');
}

function renderTaskManagers(tms) {
  $('#tm-empty').hidden = tms.taskmanagers.length > 0;
  const now = Date.now();
  $('#tm-table tbody').innerHTML = tms.taskmanagers
    .map((t) => `<tr><td class="sub">${t.id}</td><td>${esc(t.path)}</td><td class="num">${t.slotsNumber}</td><td class="num">${t.freeSlots}</td>
      <td>${fmtTime(t.lastHeartbeat)} <span class="hint">(${fmtDuration(Math.max(0, now - t.lastHeartbeat))} ago)</span></td></tr>`)
    .join('');
}

// ------------------------------------------------------------------ actions

function notice(text, kind) {
  const el = $('#job-notice');
  el.textContent = text;
  el.className = `notice ${kind || ''}`;
  el.hidden = false;
}

async function cancelJob() {
  if (route.view !== 'job') return;
  if (!confirm('Cancel this job?')) return;
  try {
    await api(`/jobs/${route.jid}?mode=cancel`, { method: 'PATCH' });
    notice('Cancellation requested.', 'info');
  } catch (e) {
    notice(`Cancel failed: ${e.message}`, 'error');
  }
  refresh();
}

async function triggerSavepoint() {
  if (route.view !== 'job') return;
  try {
    const res = await api(`/jobs/${route.jid}/savepoints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ 'cancel-job': false }) });
    notice(`Savepoint triggered${res && res['request-id'] ? ` (request ${res['request-id']})` : ''}.`, 'info');
  } catch (e) {
    notice(`Savepoint not taken: ${e.message}`, 'error');
  }
}

// ------------------------------------------------------------------ polling

async function refresh() {
  if (inFlight) return;
  inFlight = true;
  try {
    const ov = await api('/overview');
    renderOverview(ov);
    if (route.view === 'overview') renderJobs(await api('/jobs/overview'));
    else if (route.view === 'taskmanagers') renderTaskManagers(await api('/taskmanagers'));
    else if (route.view === 'job') {
      const jid = route.jid;
      try {
        const [job, checkpoints, exceptions] = await Promise.all([api(`/jobs/${jid}`), api(`/jobs/${jid}/checkpoints`), api(`/jobs/${jid}/exceptions`)]);
        if (route.view === 'job' && route.jid === jid) renderJob(job, checkpoints, exceptions);
        if (route.view === 'job' && route.jid === jid && typeof refreshScaling === 'function') await refreshScaling(jid, job);
      } catch (e) {
        if (e.status === 404) notice(`Job ${jid} is not known to this JobManager.`, 'error');
        else throw e;
      }
    }
    setConnection(true, 'connected');
  } catch (e) {
    setConnection(false, e.status ? `error ${e.status}` : 'JobManager unreachable');
  } finally {
    inFlight = false;
  }
}

document.addEventListener('DOMContentLoaded', () => {
  $('#jobs-table tbody').addEventListener('click', (ev) => {
    const row = ev.target.closest('tr[data-jid]');
    if (row) location.hash = `#/jobs/${row.dataset.jid}`;
  });
  $('#btn-cancel').addEventListener('click', cancelJob);
  $('#btn-savepoint').addEventListener('click', triggerSavepoint);
  window.addEventListener('hashchange', showView);
  showView();
  pollTimer = setInterval(refresh, POLL_MS);
});
