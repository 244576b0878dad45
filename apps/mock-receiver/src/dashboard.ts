import type { ReceivedRequest } from './receiver.js';

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

function verdict(signature: ReceivedRequest['signature']): { text: string; css: string } {
  if (signature.valid === null) return { text: 'not checked', css: 'muted' };
  return signature.valid ? { text: 'valid', css: 'ok' } : { text: `invalid: ${signature.error}`, css: 'bad' };
}

function answer(record: ReceivedRequest): { text: string; css: string } {
  if (record.outcome === 'pending') return { text: `waiting (delay ${record.delay_ms}ms)`, css: 'muted' };
  if (record.outcome === 'timeout') return { text: 'timeout (no answer)', css: 'bad' };
  if (record.outcome === 'reset') return { text: 'connection reset', css: 'bad' };
  const status = record.response_status ?? 0;
  const delay = record.delay_ms > 0 ? ` after ${record.delay_ms}ms` : '';
  return { text: `${status}${delay}`, css: status >= 200 && status < 300 ? 'ok' : 'bad' };
}

function prettyBody(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

function renderRow(record: ReceivedRequest): string {
  const sig = verdict(record.signature);
  const ans = answer(record);
  const event = [record.event_type, record.event_id].filter(Boolean).join(' ') || '-';
  const headers = Object.entries(record.headers)
    .map(([name, value]) => `${name}: ${[value].flat().join(', ')}`)
    .join('\n');
  return `<tr>
<td>${escapeHtml(record.received_at)}</td>
<td>${escapeHtml(`${record.method} ${record.path}${record.query}`)}</td>
<td>${escapeHtml(event)}</td>
<td class="${sig.css}">${escapeHtml(sig.text)}</td>
<td class="${ans.css}">${escapeHtml(ans.text)}</td>
<td><details><summary>${escapeHtml(record.id)}</summary><pre>${escapeHtml(headers)}</pre><pre>${escapeHtml(prettyBody(record.body))}</pre></details></td>
</tr>`;
}

/**
 * The live page at GET /_mock. The first render is done here; then a small script polls
 * /_mock/requests and rebuilds the table with textContent only, so nothing a sender puts in a
 * header or body can become markup.
 */
export function renderDashboard(
  history: readonly ReceivedRequest[],
  behaviors: { global: string; paths: Record<string, string> },
  checkingSignatures: boolean,
): string {
  const rows = [...history].reverse().map(renderRow).join('\n');
  const behaviorText = [
    `global: ${behaviors.global || 'status 200'}`,
    ...Object.entries(behaviors.paths).map(([path, spec]) => `${path}: ${spec}`),
  ].join(' · ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>acme-mock-receiver</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #ddd; vertical-align: top; }
pre { background: #f6f6f6; padding: .5rem; white-space: pre-wrap; word-break: break-all; margin: .25rem 0; }
.ok { color: #17803d; } .bad { color: #b42318; } .muted { color: #777; }
</style>
</head>
<body>
<h1>acme-mock-receiver</h1>
<p>Behavior: <span id="behavior">${escapeHtml(behaviorText)}</span>. Signatures: ${checkingSignatures ? 'checked' : 'not checked (no --secret)'}.
<span id="count">${history.length}</span> request(s), newest first; refreshes every second.</p>
<table>
<thead><tr><th>Received</th><th>Request</th><th>Event</th><th>Signature</th><th>Answer</th><th>Details</th></tr></thead>
<tbody id="requests">
${rows}
</tbody>
</table>
<script>
(() => {
  const cell = (text, css) => { const td = document.createElement('td'); td.textContent = text; if (css) td.className = css; return td; };
  const pre = (text) => { const p = document.createElement('pre'); p.textContent = text; return p; };
  const pretty = (body) => { try { return JSON.stringify(JSON.parse(body), null, 2); } catch { return body; } };
  const verdict = (s) => s.valid === null ? ['not checked', 'muted'] : s.valid ? ['valid', 'ok'] : ['invalid: ' + s.error, 'bad'];
  const answer = (r) => r.outcome === 'pending' ? ['waiting (delay ' + r.delay_ms + 'ms)', 'muted']
    : r.outcome === 'timeout' ? ['timeout (no answer)', 'bad']
    : r.outcome === 'reset' ? ['connection reset', 'bad']
    : [r.response_status + (r.delay_ms > 0 ? ' after ' + r.delay_ms + 'ms' : ''), r.response_status < 300 ? 'ok' : 'bad'];
  const open = new Set();
  async function refresh() {
    try {
      const res = await fetch('/_mock/requests', { cache: 'no-store' });
      const { data } = await res.json();
      const tbody = document.getElementById('requests');
      open.clear();
      tbody.querySelectorAll('details[open] summary').forEach((s) => open.add(s.textContent));
      const rows = data.slice().reverse().map((r) => {
        const tr = document.createElement('tr');
        tr.append(cell(r.received_at), cell(r.method + ' ' + r.path + r.query),
          cell([r.event_type, r.event_id].filter(Boolean).join(' ') || '-'),
          cell(...verdict(r.signature)), cell(...answer(r)));
        const details = document.createElement('details');
        const summary = document.createElement('summary');
        summary.textContent = r.id;
        details.open = open.has(r.id);
        const headers = Object.entries(r.headers).map(([k, v]) => k + ': ' + [v].flat().join(', ')).join('\\n');
        details.append(summary, pre(headers), pre(pretty(r.body)));
        const td = document.createElement('td');
        td.append(details);
        tr.append(td);
        return tr;
      });
      tbody.replaceChildren(...rows);
      document.getElementById('count').textContent = String(data.length);
    } catch {}
  }
  setInterval(refresh, 1000);
})();
</script>
</body>
</html>
`;
}
