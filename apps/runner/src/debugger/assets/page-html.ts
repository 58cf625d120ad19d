import { createHash } from 'node:crypto';
import { pageScript } from './page-script.js';
import { pageStyle } from './page-style.js';

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** Inline-only page: the CSP allows exactly these two blocks, and fetch/EventSource to this origin. */
export const pageCsp = [
  "default-src 'none'",
  `script-src ${sha256(pageScript)}`,
  `style-src ${sha256(pageStyle)}`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const pageHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Signal event debugger</title>
<style>${pageStyle}</style>
</head>
<body>
<header>
  <h1>Signal event debugger</h1>
  <label>Integration <select id="filter-integration"><option value="">all</option></select></label>
  <label>State <select id="filter-state"><option value="">all</option></select></label>
  <button type="button" id="replay-dead">Replay dead-lettered</button>
  <span id="live-status" data-testid="live-status">connecting…</span>
</header>
<div id="notice" role="status" data-testid="notice"></div>
<main>
  <div id="list">
    <table>
      <thead><tr><th>Updated</th><th>Event</th><th>Integration</th><th>State</th><th>Attempts</th><th>Message id</th></tr></thead>
      <tbody id="rows"></tbody>
    </table>
    <div id="empty" class="empty">No deliveries yet. Send an event to the collector; it shows up here live.</div>
  </div>
  <section id="detail" data-testid="detail"><div class="empty">Select an event to see what each integration received and answered.</div></section>
</main>
<script type="module">${pageScript}</script>
</body>
</html>
`;
