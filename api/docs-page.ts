/**
 * The docs page: Swagger UI, served from the project's own dependencies (no CDN: the engine runs offline),
 * renders /openapi.json with "Try it out" and the bearer token (Authorize). Without JavaScript, a table of
 * the routes rendered here from the same document.
 */
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
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)} — API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<style>body{margin:0}.fallback{font:14px system-ui,sans-serif;margin:2rem;color:#222}
.fallback table{border-collapse:collapse;width:100%}.fallback td,.fallback th{border-bottom:1px solid #ddd;
padding:.4rem;text-align:left;vertical-align:top}.m{font-weight:700}pre{background:#f6f6f6;padding:.5rem}</style>
</head><body>
<div id="swagger-ui"></div>
<noscript><div class="fallback"><h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Errors: <code>{"error":{"code","message","details"}}</code>.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>Role</th><th>Parameters</th><th>Responses</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div></noscript>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/docs-init.js"></script>
</body></html>`;
}

interface Op {
  summary: string;
  'x-required-role': string;
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, unknown>;
}
