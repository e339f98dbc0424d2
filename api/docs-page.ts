/** A self-contained docs page (no CDN: the engine runs offline) rendered from the OpenAPI document. */
export function renderDocsPage(doc: {
  info: { title: string; version: string };
  paths: Record<string, Record<string, Op>>;
}): string {
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const rows: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const params = (op.parameters ?? []).map((p) => `${esc(p.name)} <small>(${p.in})</small>`).join(', ');
      const body = op.requestBody
        ? '<details><summary>body</summary><pre>' +
          esc(JSON.stringify(op.requestBody.content['application/json']?.schema, null, 2)) +
          '</pre></details>'
        : '';
      rows.push(
        `<tr><td class="m ${method}">${method.toUpperCase()}</td><td><code>${esc(path)}</code><div>${esc(op.summary)}</div>${body}</td>` +
          `<td>${esc(op['x-required-role'])}</td><td>${params}</td><td>${Object.keys(op.responses).join(' ')}</td></tr>`,
      );
    }
  }
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(doc.info.title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}.m{font-weight:700}
.get{color:#0a6}.post{color:#06c}.put,.patch{color:#a60}.delete{color:#c00}pre{background:#f6f6f6;padding:.5rem}</style>
</head><body><h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Errors: <code>{"error":{"code","message","details"}}</code>.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>Role</th><th>Parameters</th><th>Responses</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></body></html>`;
}

interface Op {
  summary: string;
  'x-required-role': string;
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, unknown>;
}
