/** The debugger page's stylesheet (inlined in the page; allowed by its hash in the CSP). */
export const pageStyle = String.raw`
:root { color-scheme: light dark; --line: #8884; --muted: #888; --ok: #1a7f37; --bad: #cf222e; --wait: #9a6700; --off: #6e7781; --chip: #8881; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; }
header { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; padding: 10px 16px; border-bottom: 1px solid var(--line); }
header h1 { font-size: 16px; margin: 0 12px 0 0; }
nav { display: flex; gap: 4px; }
nav button { border: 1px solid var(--line); background: none; padding: 4px 12px; border-radius: 4px; cursor: pointer; font: inherit; color: inherit; }
nav button[aria-selected="true"] { background: #8883; font-weight: 600; }
#live-status { margin-left: auto; color: var(--muted); }
#live-status[data-state="live"] { color: var(--ok); }
#live-status[data-state="error"] { color: var(--bad); }
#notice { padding: 6px 16px; min-height: 1.4em; color: var(--muted); overflow-wrap: anywhere; }
#notice[data-kind="error"] { color: var(--bad); }
.view { padding: 0 16px 16px; }
form#search { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: end; margin: 4px 0 8px; }
form#search label { display: flex; flex-direction: column; gap: 2px; font-size: 12px; color: var(--muted); }
form#search input { width: 16em; font: 13px ui-monospace, monospace; padding: 3px 6px; }
button, select, input { font: inherit; }
#list { max-height: 48vh; overflow-y: auto; overflow-x: hidden; border: 1px solid var(--line); border-radius: 6px; }
table { width: 100%; border-collapse: collapse; table-layout: auto; }
th, td { text-align: left; vertical-align: top; padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: normal; overflow-wrap: anywhere; }
th { position: sticky; top: 0; background: Canvas; font-size: 12px; color: var(--muted); font-weight: 600; }
td.when { white-space: nowrap; font-variant-numeric: tabular-nums; }
td.id, .mono { font-family: ui-monospace, monospace; font-size: 12px; }
.event-map td { white-space: pre-line; }
#rows tr { cursor: pointer; }
#rows tr:hover, #rows tr[aria-selected="true"] { background: #8882; }
.chips { display: flex; flex-wrap: wrap; gap: 4px; }
.chip { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; background: var(--chip); border: 1px solid currentColor; white-space: nowrap; }
.state-delivered { color: var(--ok); }
.state-dead, .state-rejected, .state-error { color: var(--bad); }
.state-retry, .state-pending, .state-inflight, .state-paused { color: var(--wait); }
.state-dropped { color: var(--off); }
.state { font-weight: 600; }
.more { display: flex; gap: 12px; align-items: center; padding: 6px 0; color: var(--muted); }
#rejections { margin: 4px 0 10px; border: 1px solid var(--line); border-radius: 6px; padding: 4px 10px; }
#rejections summary { cursor: pointer; }
#rejections[data-count="0"] summary { color: var(--muted); }
#rejections table td:nth-child(2) { color: var(--bad); font-weight: 600; }
#detail { padding: 8px 0; }
#detail h2 { font-size: 15px; overflow-wrap: anywhere; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 6px 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.delivery, .integration { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin: 12px 0; }
.delivery h3, .integration h2 { margin: 0 0 6px; font-size: 14px; display: flex; flex-wrap: wrap; gap: 12px; align-items: center; }
.integration h2 { font-size: 15px; }
.attempt { border-top: 1px dashed var(--line); padding-top: 6px; margin-top: 6px; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 8px 0; }
pre { margin: 4px 0 8px; padding: 8px; background: #8881; border-radius: 4px; overflow: auto; max-height: 320px; white-space: pre-wrap; overflow-wrap: anywhere; }
summary { cursor: pointer; color: var(--muted); }
.empty { color: var(--muted); padding: 16px; }
.hint { color: var(--muted); font-size: 12px; }
dialog { max-width: 36em; border: 1px solid var(--line); border-radius: 8px; }
dialog p { overflow-wrap: anywhere; }
`;
