/** The debugger page's stylesheet (inlined in the page; allowed by its hash in the CSP). */
export const pageStyle = String.raw`
:root { color-scheme: light dark; --line: #8884; --muted: #888; --ok: #1a7f37; --bad: #cf222e; --wait: #9a6700; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; }
header { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; padding: 10px 16px; border-bottom: 1px solid var(--line); }
header h1 { font-size: 16px; margin: 0 12px 0 0; }
header label { display: flex; gap: 6px; align-items: center; }
#live-status { margin-left: auto; color: var(--muted); }
#live-status[data-state="live"] { color: var(--ok); }
#live-status[data-state="error"] { color: var(--bad); }
#notice { padding: 6px 16px; min-height: 1em; color: var(--muted); }
#notice[data-kind="error"] { color: var(--bad); }
main { display: grid; grid-template-columns: minmax(520px, 1fr) 1.4fr; gap: 0; height: calc(100vh - 90px); }
#list { overflow: auto; border-right: 1px solid var(--line); }
#list table { width: 100%; border-collapse: collapse; }
#list th, #list td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 220px; }
#list tbody tr { cursor: pointer; }
#list tbody tr:hover, #list tbody tr[aria-selected="true"] { background: #8882; }
#detail { overflow: auto; padding: 8px 16px; }
#detail h2 { font-size: 15px; word-break: break-all; }
.state { font-weight: 600; }
.state-delivered { color: var(--ok); }
.state-dead, .state-rejected { color: var(--bad); }
.state-retry, .state-pending, .state-inflight { color: var(--wait); }
.delivery { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin: 12px 0; }
.delivery h3 { margin: 0 0 6px; font-size: 14px; display: flex; gap: 12px; align-items: center; }
.attempt { border-top: 1px dashed var(--line); padding-top: 6px; margin-top: 6px; }
pre { margin: 4px 0 8px; padding: 8px; background: #8881; border-radius: 4px; overflow: auto; max-height: 320px; white-space: pre-wrap; word-break: break-all; }
summary { cursor: pointer; color: var(--muted); }
.empty { color: var(--muted); padding: 16px; }
`;
