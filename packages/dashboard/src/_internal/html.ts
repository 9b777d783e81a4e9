const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** The page shell: the app mounts into #app; asset URLs are relative, so the router can be mounted anywhere. */
export function indexHtml(o: { title: string; authEnabled: boolean }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(o.title)}</title>
<link rel="stylesheet" href="assets/app.css">
<script type="module" src="assets/app.js"></script>
</head>
<body data-auth="${o.authEnabled ? 'on' : 'off'}" data-title="${escapeHtml(o.title)}">
<div id="app"><noscript>The dashboard needs JavaScript. The JSON API is under <a href="api/info">api/</a>.</noscript></div>
</body>
</html>
`;
}
