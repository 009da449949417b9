/**
 * The dashboard's page and stylesheet. They are strings in a module (not files beside it) so the
 * TypeScript build carries them into `dist/` with no copy step; the behaviour is in `browser/`.
 */

const VIEWS: ReadonlyArray<[id: string, label: string]> = [
  ['overview', 'Overview'],
  ['verdicts', 'Verdicts'],
  ['verifications', 'Verifications'],
  ['account', 'Account'],
  ['faults', 'Faults'],
];

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AMS v2 emulator dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/_emulator/ui/style.css">
<script type="module" src="/_emulator/ui/js/main.js"></script>
</head>
<body>
<header class="top">
  <h1>ams-v2-emulator <span class="sub">dashboard</span></h1>
  <span id="health" class="pill" role="status">connecting…</span>
  <span id="mode" class="meta"></span>
  <span id="updated" class="meta"></span>
</header>
<nav class="tabs" role="tablist" aria-label="Views">
${VIEWS.map(([id, label], i) => `  <a role="tab" id="tab-${id}" href="#${id}" aria-controls="view-${id}" aria-selected="${i === 0}">${label}</a>`).join('\n')}
</nav>
<main>
${VIEWS.map(([id, label], i) => `  <section id="view-${id}" role="tabpanel" aria-labelledby="tab-${id}"${i === 0 ? '' : ' hidden'}><h2 class="visually-hidden">${label}</h2><div class="body"></div></section>`).join('\n')}
</main>
<noscript><p class="notice">The dashboard needs JavaScript; every view is also JSON under /_emulator/ (see the README).</p></noscript>
</body>
</html>
`;

export const DASHBOARD_CSS = `
:root {
  --bg: #f6f7f9; --panel: #fff; --ink: #1d2330; --muted: #5d6677; --line: #dde1e8;
  --accent: #1f5fbf; --ok: #1b7f3b; --ok-bg: #e3f4e8; --bad: #b3261e; --bad-bg: #fbe6e4;
  --warn: #8a5a00; --warn-bg: #fff3d6; --na: #5d6677; --na-bg: #eceff3;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
.top { display: flex; align-items: center; gap: 14px; padding: 10px 20px; background: #182234; color: #fff; }
.top h1 { font-size: 16px; margin: 0; font-weight: 600; }
.top .sub { font-weight: 400; opacity: .7; }
.top .meta { color: #c8d0de; font-size: 13px; }
.pill { padding: 2px 10px; border-radius: 999px; font-size: 12px; font-weight: 600; background: var(--na-bg); color: var(--na); }
.pill.ok { background: var(--ok-bg); color: var(--ok); } .pill.bad { background: var(--bad-bg); color: var(--bad); }
.tabs { display: flex; gap: 2px; padding: 0 16px; background: #fff; border-bottom: 1px solid var(--line); }
.tabs a { padding: 10px 14px; color: var(--muted); text-decoration: none; border-bottom: 3px solid transparent; }
.tabs a[aria-selected="true"] { color: var(--ink); border-bottom-color: var(--accent); font-weight: 600; }
main { padding: 16px 20px 40px; max-width: 1400px; }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, tr:focus-visible, summary:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
h3 { font-size: 15px; margin: 18px 0 8px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.stat .n { font-size: 24px; font-weight: 600; } .stat .l { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0; }
.facts dt { color: var(--muted); } .facts dd { margin: 0; font-family: var(--mono); font-size: 13px; word-break: break-all; }
table { width: 100%; border-collapse: collapse; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; background: #fafbfc; }
#requests td:first-child { white-space: nowrap; }
td.clip { max-width: 240px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.toolbar select { max-width: 320px; }
td.mono, .mono { font-family: var(--mono); font-size: 12.5px; word-break: break-all; }
tr.err td { background: var(--bad-bg); } tr.flash td { background: #fff3b0; }
tr.clickable { cursor: pointer; } tr.clickable:hover td { background: #f0f4fb; } tr.selected td { background: #e4ecfa; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 4px; font-size: 12px; font-weight: 600; background: var(--na-bg); color: var(--na); margin: 0 4px 4px 0; }
.badge.passed, .badge.verified, .badge.info { background: var(--ok-bg); color: var(--ok); }
.badge.failed, .badge.error { background: var(--bad-bg); color: var(--bad); }
.badge.inconclusive, .badge.unverifiable, .badge.warning, .badge.pending { background: var(--warn-bg); color: var(--warn); }
.toolbar { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; margin: 0 0 10px; }
.toolbar .spacer { flex: 1; }
button { font: inherit; padding: 5px 12px; border-radius: 6px; border: 1px solid #b9c1ce; background: #fff; color: var(--ink); cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { color: var(--bad); border-color: #e2b4b0; }
button:disabled { opacity: .5; cursor: default; }
input, select { font: inherit; padding: 4px 8px; border: 1px solid #b9c1ce; border-radius: 6px; background: #fff; }
.verdict { padding: 14px 16px; border-radius: 8px; font-size: 15px; font-weight: 600; margin-bottom: 12px; }
.verdict.pass { background: var(--ok-bg); color: var(--ok); } .verdict.fail { background: var(--bad-bg); color: var(--bad); }
.verdict .counts { font-weight: 400; font-size: 13px; color: var(--ink); margin-top: 4px; }
.finding { border-left: 4px solid var(--line); }
.finding.error { border-left-color: var(--bad); } .finding.warning { border-left-color: #d9a300; }
.finding .msg { margin: 6px 0; }
.muted { color: var(--muted); }
.cards { display: grid; gap: 12px; }
.vcard h4 { margin: 0 0 6px; font-size: 14px; display: flex; gap: 8px; align-items: baseline; flex-wrap: wrap; }
.evidence { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 14px; margin-top: 10px; }
@media (max-width: 900px) { .evidence { grid-template-columns: 1fr; } }
.hex { font-family: var(--mono); font-size: 12px; background: #f4f6f9; border: 1px solid var(--line); border-radius: 6px; padding: 8px; white-space: pre; overflow-x: auto; margin: 4px 0 0; }
.hypotheses { list-style: none; padding: 0; margin: 4px 0 0; }
.hypotheses li { padding: 2px 8px; border-radius: 4px; font-family: var(--mono); font-size: 12.5px; }
.hypotheses li.explains { background: var(--ok-bg); color: var(--ok); font-weight: 700; }
.bar { display: flex; height: 18px; border-radius: 4px; overflow: hidden; border: 1px solid var(--line); margin-top: 4px; }
.bar span { display: block; min-width: 2px; }
.bar .good { background: #3fa760; } .bar .wrong { background: #d9534f; }
.legend { font-size: 12px; color: var(--muted); }
.pager { display: flex; gap: 8px; align-items: center; margin: 8px 0; }
.split { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; }
@media (max-width: 1000px) { .split { grid-template-columns: 1fr; } }
video { width: 100%; max-height: 360px; background: #000; border-radius: 6px; }
.timeline { display: flex; gap: 6px; flex-wrap: wrap; }
.notice { padding: 10px; background: var(--warn-bg); }
.error-text { color: var(--bad); }
`;
