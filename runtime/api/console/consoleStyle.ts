// The console's style sheet (served at /console/app.css): system fonts, colours with WCAG AA contrast,
// a layout that reflows from 1280 px down to a 390 px phone (tables scroll inside their own box).
export const consoleCss = `
:root { --fg: #1b1f24; --muted: #4a5360; --bg: #f6f7f9; --card: #fff; --line: #d4d8de; --accent: #0b5cad; --bad: #a4161a; --good: #1f6f3a; --warn: #7a4d00; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible, select:focus-visible, main:focus-visible { outline: 3px solid #f0b400; outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: #fff; padding: .5em; }
.skip:focus { left: .5em; }
.top { display: flex; flex-wrap: wrap; align-items: center; gap: .5em 1.5em; padding: .6em 1.2em; background: #14213d; color: #fff; }
.top a { color: #fff; text-decoration: none; padding: .2em .1em; }
.top a[aria-current="page"] { border-bottom: 3px solid #f0b400; }
.brand { font-weight: 700; font-size: 1.15em; }
.top ul { list-style: none; display: flex; flex-wrap: wrap; gap: .3em 1.2em; margin: 0; padding: 0; }
main { max-width: 72em; margin: 0 auto; padding: 1em 1.2em 3em; }
h1 { font-size: 1.5em; margin: .4em 0 .6em; }
h1, h2, h3, h4, p, dd { overflow-wrap: anywhere; }
td { overflow-wrap: break-word; }
h2 { font-size: 1.15em; margin: 1.4em 0 .5em; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 1em; margin: 0 0 1em; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; background: var(--card); }
th, td { text-align: left; padding: .45em .7em; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.state { display: inline-block; padding: .05em .5em; border-radius: 1em; font-size: .85em; font-weight: 600; background: #e6e9ee; color: var(--fg); }
.state.COMPLETED { background: #dcefe2; color: var(--good); }
.state.NEEDS_ATTENTION, .state.REJECTED, .overdue { background: #f8dcdc; color: var(--bad); }
.state.CANCELLED { background: #eceff3; color: var(--muted); }
.state.AWAITING_APPROVAL { background: #fcefd2; color: var(--warn); }
.overdue { font-weight: 600; padding: 0 .3em; border-radius: 3px; }
form p { margin: .7em 0; }
label { display: block; font-weight: 600; margin-bottom: .2em; }
.hint { color: var(--muted); font-size: .9em; margin: .1em 0 .3em; }
input[type=text], textarea, select { width: 100%; max-width: 40em; font: inherit; padding: .4em .5em; border: 1px solid #7b8594; border-radius: 4px; background: #fff; color: var(--fg); }
textarea { min-height: 8em; font-family: ui-monospace, monospace; }
button { font: inherit; padding: .45em 1em; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
button.danger { background: var(--bad); border-color: var(--bad); }
button:disabled { opacity: .6; cursor: default; }
.actions { display: flex; flex-wrap: wrap; gap: .5em; align-items: center; }
.error { color: var(--bad); font-weight: 600; white-space: pre-wrap; }
.ok { color: var(--good); font-weight: 600; }
.pager { display: flex; gap: .5em; margin-top: .8em; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3em 1em; margin: 0; }
dl.facts dt { color: var(--muted); font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
iframe.certificate { width: 100%; height: 40em; border: 1px solid var(--line); background: #fff; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(10em, 1fr)); gap: .6em; }
.figure { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .6em .8em; }
.figure b { display: block; font-size: 1.5em; }
@media (max-width: 600px) {
  body { font-size: 14px; }
  main { padding: .6em .7em 2em; }
  dl.facts { grid-template-columns: 1fr; }
  th, td { padding: .35em .45em; }
}
@media print { .top, .actions, nav { display: none; } body { background: #fff; } }
`;
