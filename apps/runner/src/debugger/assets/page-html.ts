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
  <nav aria-label="Views">
    <button type="button" id="tab-events" data-view="events" aria-selected="true">Events</button>
    <button type="button" id="tab-integrations" data-view="integrations" aria-selected="false">Integrations</button>
  </nav>
  <span id="live-status" data-testid="live-status">connecting…</span>
</header>
<div id="notice" role="status" data-testid="notice"></div>
<section id="view-events" class="view">
  <form id="search" role="search">
    <label>Message id <input id="search-message-id" name="message_id" autocomplete="off" spellcheck="false"></label>
    <label>User id or anonymous id <input id="search-user" name="user" autocomplete="off" spellcheck="false"></label>
    <label>Event name <input id="search-event" name="event" autocomplete="off" placeholder="e.g. Order Completed"></label>
    <label>Integration <select id="filter-integration"><option value="">all</option></select></label>
    <label>State <select id="filter-state"><option value="">all</option></select></label>
    <button type="submit" id="search-go">Search</button>
    <button type="button" id="search-clear">Clear</button>
    <button type="button" id="replay-dead">Replay dead-lettered…</button>
  </form>
  <details id="rejections" data-testid="rejections" data-count="0">
    <summary id="rejections-title">No rejected ingest requests since the runner started</summary>
    <table>
      <thead><tr><th>When</th><th>Status</th><th>Path</th><th>Source</th><th>Reason</th><th>Client</th></tr></thead>
      <tbody id="rejection-rows"></tbody>
    </table>
  </details>
  <div id="list">
    <table>
      <thead><tr><th>Received</th><th>Event</th><th>User</th><th>Source</th><th>Integrations</th><th>Message id</th></tr></thead>
      <tbody id="rows"></tbody>
    </table>
    <div id="empty" class="empty">No events yet. Send one to the collector; it shows up here live.</div>
  </div>
  <div class="more"><span id="more-note" data-testid="more-note"></span><button type="button" id="more" hidden>Search older events</button></div>
  <section id="detail" data-testid="detail"><div class="empty">Select an event to see what each integration received and answered.</div></section>
</section>
<section id="view-integrations" class="view" hidden>
  <div id="integrations" data-testid="integrations"></div>
</section>
<dialog id="confirm" data-testid="confirm">
  <p id="confirm-text" data-testid="confirm-text"></p>
  <div class="actions">
    <button type="button" id="confirm-ok" data-testid="confirm-ok">Re-send</button>
    <button type="button" id="confirm-cancel" data-testid="confirm-cancel">Cancel</button>
  </div>
</dialog>
<script type="module">${pageScript}</script>
</body>
</html>
`;
