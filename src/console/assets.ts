/**
 * The console's stylesheet, served from the daemon itself (/assets/console.css): no CDN, since shops
 * run the console behind firewalls. Plain CSS, readable on a phone (tables scroll sideways).
 */
export const CONSOLE_CSS = `
:root { --fg: #1d2330; --muted: #5b6475; --line: #d9dee7; --bg: #f6f7fa; --card: #fff; --accent: #1f5fbf;
  --bad: #b42318; --warn: #a15c00; --good: #1a7f37; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { background: #18202e; color: #fff; padding: .5rem 1rem; display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: center; }
header a, header button.link { color: #dfe6f3; text-decoration: none; }
header a.here { color: #fff; font-weight: 600; border-bottom: 2px solid #7fb0ff; }
header .brand { font-weight: 700; color: #fff; margin-right: .5rem; }
header nav { display: flex; flex-wrap: wrap; gap: .25rem .9rem; flex: 1 1 auto; }
header .me { display: flex; gap: .75rem; align-items: center; font-size: .9em; color: #b8c2d6; }
main { padding: 1rem; max-width: 1200px; margin: 0 auto; }
h1 { font-size: 1.35rem; margin: .25rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: .75rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .75rem 1rem; }
.card .n { font-size: 1.6rem; font-weight: 700; }
.card .l { color: var(--muted); font-size: .9em; }
.scroll { overflow-x: auto; background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .85em; color: var(--muted); font-weight: 600; white-space: nowrap; }
tr:last-child td { border-bottom: 0; }
td.mono, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85em; word-break: break-all; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: .8em; font-weight: 600; background: #e8ecf3; white-space: nowrap; }
.badge.active, .badge.up, .badge.applied, .badge.ok, .badge.succeeded { background: #dcf5e3; color: var(--good); }
.badge.expiring, .badge.held, .badge.setting-up, .badge.mismatch, .badge.observe { background: #fff1d6; color: var(--warn); }
.badge.suspended, .badge.refunded, .badge.none, .badge.revoked { background: #eceef2; color: var(--muted); }
.badge.banned, .badge.down, .badge.problem, .badge.failed { background: #fde4e1; color: var(--bad); }
form.inline { display: inline-flex; gap: .4rem; align-items: center; flex-wrap: wrap; margin: .2rem .4rem .2rem 0; }
form.stack { display: grid; gap: .5rem; max-width: 40rem; }
form.stack label { display: grid; gap: .15rem; }
form.stack label:has(input[type=checkbox]) { display: flex; gap: .4rem; align-items: center; }
form.stack p { margin: .25rem 0; }
textarea { font: .85em ui-monospace, SFMono-Regular, Menlo, monospace; padding: .35rem .55rem; border: 1px solid var(--line); border-radius: 6px; width: 100%; }
a.button { display: inline-block; font: inherit; padding: .35rem .55rem; border: 1px solid var(--accent); border-radius: 6px; background: var(--accent); color: #fff; text-decoration: none; margin: .2rem .4rem .2rem 0; }
a.button.quiet { background: #fff; color: var(--fg); }
a.button.danger { background: var(--bad); border-color: var(--bad); }
ul.inbounds { margin: 0; padding-left: 1.1rem; }
input, select, button { font: inherit; padding: .35rem .55rem; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
input[type=number] { width: 6em; }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
button.danger { background: var(--bad); border-color: var(--bad); }
button.quiet { background: #fff; color: var(--fg); }
button.link { background: none; border: 0; padding: 0; cursor: pointer; }
.filters { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-bottom: .75rem; }
.tabs a { margin-right: .75rem; }
.flash { background: #e7f0ff; border: 1px solid #b7cdf5; padding: .5rem .75rem; border-radius: 6px; margin-bottom: 1rem; }
.error { background: #fde4e1; border-color: #f3b4ab; }
.muted { color: var(--muted); }
.qr svg { width: 160px; height: 160px; background: #fff; }
.key { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .75rem 1rem; margin-bottom: .75rem; }
.key dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem .75rem; margin: .5rem 0; }
.key dt { color: var(--muted); }
.key dd { margin: 0; }
.timeline { width: 100%; height: auto; max-height: 12rem; background: #eef1f6; border-radius: 6px; margin-bottom: .5rem; }
.timeline rect.span { fill: #8fb4ef; }
.timeline rect.span.admin { fill: #6fbf86; }
.timeline rect.span.trial { fill: #e9b949; }
.timeline rect.span.promo { fill: #b48ce0; }
.timeline rect.span.import { fill: #7fc7c9; }
.timeline rect.span.cancelled { fill: #c9ced8; }
.timeline line.now { stroke: #b42318; stroke-width: 2; vector-effect: non-scaling-stroke; }
.login { max-width: 28rem; margin: 3rem auto; }
@media (max-width: 640px) { main { padding: .6rem; } th, td { padding: .35rem .4rem; } }
`;
