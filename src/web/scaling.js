// Fluss dashboard: the Scaling panel of a job — its resource requirements, its parallelism over
// time per vertex (every rescale, with what triggered it) and the autoscaler's decisions with
// their inputs. Reads GET /jobs/:jid/resource-requirements, /rescales and /autoscaler.
'use strict';

function scalingEsc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

async function scalingGet(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  return res.ok ? res.json() : undefined;
}

/** Renders the Scaling panel of job `jid` with the vertices of `job` (GET /jobs/:jid). */
async function refreshScaling(jid, job) {
  const panel = document.querySelector('#scaling');
  if (!panel) return;
  const [requirements, rescales, autoscaler] = await Promise.all([
    scalingGet(`/jobs/${jid}/resource-requirements`),
    scalingGet(`/jobs/${jid}/rescales`),
    scalingGet(`/jobs/${jid}/autoscaler`),
  ]);
  const names = Object.fromEntries(job.vertices.map((v) => [v.id, v.name]));
  const time = (ms) => new Date(ms).toLocaleTimeString();
  const bounds = requirements
    ? job.vertices
        .map((v) => {
          const b = requirements[v.id]?.parallelism;
          return `<tr><td>${scalingEsc(v.name)}</td><td class="num">${v.parallelism}</td><td class="num">${b ? `${b.lowerBound} – ${b.upperBound}` : ''}</td></tr>`;
        })
        .join('')
    : '';
  const changes = (rescales?.rescales ?? [])
    .slice()
    .reverse()
    .map((r) => {
      const moved = Object.keys(r.to).filter((id) => r.from[id] !== r.to[id]).map((id) => `${scalingEsc(names[id] ?? id)}: ${r.from[id]} → ${r.to[id]}`);
      return `<tr><td>${time(r.timestamp)}</td><td>${scalingEsc(r.trigger)}</td><td>${moved.join('<br>')}</td><td class="num">${r.durationMs} ms</td><td class="num">${r.checkpointId}</td></tr>`;
    })
    .join('');
  const decisions = (autoscaler?.decisions ?? [])
    .slice()
    .reverse()
    .flatMap((d) =>
      d.vertices.map(
        (v) => `<tr><td>${time(d.timestamp)}</td><td>${scalingEsc(v.vertexName)}: ${v.parallelism} → ${v.recommended}</td>
          <td class="num">${v.targetInputRate}/s</td><td class="num">${v.trueProcessingRatePerSubtask}/s</td><td class="num">${v.busy}</td>
          <td>${scalingEsc(v.reason)}</td><td>${scalingEsc(d.outcome)}</td></tr>`,
      ),
    )
    .join('');
  panel.innerHTML = `
    <table class="table"><thead><tr><th>Vertex</th><th class="num">Parallelism</th><th class="num">Bounds</th></tr></thead><tbody>${bounds}</tbody></table>
    <h3>Parallelism over time</h3>
    ${changes ? `<table class="table"><thead><tr><th>When</th><th>Trigger</th><th>Change</th><th class="num">Took</th><th class="num">Checkpoint</th></tr></thead><tbody>${changes}</tbody></table>` : '<p class="empty">No rescales.</p>'}
    <h3>Autoscaler ${autoscaler?.enabled ? '' : '(disabled)'}</h3>
    ${decisions ? `<table class="table"><thead><tr><th>When</th><th>Decision</th><th class="num">Target rate</th><th class="num">True rate / subtask</th><th class="num">Busy</th><th>Why</th><th>Outcome</th></tr></thead><tbody>${decisions}</tbody></table>` : '<p class="empty">No decisions.</p>'}`;
}
