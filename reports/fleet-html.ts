// The fleet as one self-contained HTML page for a CI artifact: no network access, no external
// file; summary, a host-by-check matrix coloured by status and sortable by any column, the most
// common blocking findings, the fixes, and the files set aside. Every text is escaped.
import { redactDeep } from "../src/text/redact.js";
import type { FleetReport } from "./fleet.js";

const esc = (text: unknown) =>
  String(text).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );

const SYMBOL: Record<string, string> = {
  pass: "✔",
  warn: "⚠",
  fail: "✖",
  skip: "–",
  error: "!",
  ready: "ready",
  blocked: "blocked",
  incomplete: "incomplete",
};
const RANK: Record<string, number> = {
  fail: 0,
  blocked: 0,
  error: 1,
  incomplete: 1,
  warn: 2,
  pass: 3,
  ready: 3,
  skip: 4,
};

export function fleetHtml(raw: FleetReport): string {
  const r = redactDeep(raw);
  const s = r.summary;
  const head = r.checks
    .map((c, i) => `<th data-col="${i + 2}" title="${esc(c.title)}"><span>${esc(c.id)}</span></th>`)
    .join("");
  const rows = r.hosts
    .map((h) => {
      const cells = r.checks
        .map((c) => {
          const st = h.checks[c.id];
          return st === undefined
            ? `<td class="st-none" data-sort="9">·</td>`
            : `<td class="st-${st}" data-sort="${RANK[st]}" title="${esc(`${h.name}: ${c.id} ${st}`)}">${SYMBOL[st]}</td>`;
        })
        .join("");
      const why = h.blocking.length ? ` title="${esc(h.blocking.join(", "))}"` : "";
      return `<tr><th scope="row" data-sort="${esc(h.name)}">${esc(h.name)}<small>${esc(h.os ?? "")}</small></th><td class="st-${h.state}" data-sort="${RANK[h.state]}"${why}>${SYMBOL[h.state]}</td>${cells}</tr>`;
    })
    .join("\n");
  const blocking = r.blocking
    .map(
      (b) =>
        `<tr><td>${b.hosts}</td><td><code>${esc(b.code)}</code></td><td>${esc(b.check)}</td><td>${esc(b.message)}${b.remedy ? `<br><small>fix: ${esc(b.remedy)}</small>` : ""}</td><td>${esc(b.hostNames.slice(0, 20).join(", "))}${b.hostNames.length > 20 ? ` … (+${b.hostNames.length - 20})` : ""}</td></tr>`,
    )
    .join("\n");
  const fixes = r.fixes
    .map(
      (f) =>
        `<tr><td><code>${esc(f.id)}</code></td><td>${f.clears}</td><td>${f.helps}</td><td><code>podlift fix --only ${esc(f.id)}</code></td></tr>`,
    )
    .join("\n");
  const rejected = r.rejected.map((x) => `<li><code>${esc(x.file)}</code>: ${esc(x.reason)}</li>`).join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>podlift fleet: ${s.ready} of ${s.hosts} hosts ready</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d2430;background:#fff}
h1{font-size:1.4rem;margin:0 0 .8rem}h2{font-size:1.1rem;margin:1.6rem 0 .5rem}
.cards{display:flex;gap:.8rem;flex-wrap:wrap}.card{padding:.6rem 1rem;border-radius:6px;background:#f2f4f7;min-width:7rem}
.card b{display:block;font-size:1.6rem}.card.ready b{color:#16833a}.card.blocked b{color:#c62828}.card.incomplete b{color:#8e24aa}
table{border-collapse:collapse;margin-top:.4rem}th,td{border:1px solid #d5dae1;padding:.25rem .45rem;text-align:center}
#matrix thead th{cursor:pointer;background:#f2f4f7;position:sticky;top:0;vertical-align:bottom}
#matrix thead th span{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap}
#matrix tbody th{text-align:left;white-space:nowrap}#matrix tbody th small{display:block;color:#6b7480;font-weight:normal}
.st-pass,.st-ready{background:#d9f2df;color:#16833a}.st-warn{background:#fff1c7;color:#8a6100}
.st-fail,.st-blocked{background:#fbd5d5;color:#b71c1c;font-weight:bold}.st-error,.st-incomplete{background:#efd9f5;color:#7b1fa2}
.st-skip,.st-none{background:#f6f7f9;color:#8a929c}.list td{text-align:left}small{color:#5a636e}
</style></head><body>
<h1>podlift fleet report</h1>
<div class="cards">
<div class="card"><b>${s.hosts}</b>hosts</div>
<div class="card ready"><b>${s.ready}</b>ready</div>
<div class="card blocked"><b>${s.blocked}</b>blocked</div>
<div class="card incomplete"><b>${s.incomplete}</b>incomplete</div>
<div class="card"><b>${s.rejected}</b>set aside</div>
</div>
<p><small>Generated ${esc(r.generatedAt)} by podlift ${esc(r.tool.version)}. Click a column to sort.</small></p>
<h2>Hosts by check</h2>
<table id="matrix"><thead><tr><th data-col="0">host</th><th data-col="1">state</th>${head}</tr></thead>
<tbody>
${rows}
</tbody></table>
<h2>Most common blocking findings</h2>
${blocking ? `<table class="list"><thead><tr><th>hosts</th><th>code</th><th>check</th><th>finding</th><th>on</th></tr></thead><tbody>\n${blocking}\n</tbody></table>` : "<p>None: no host is blocked.</p>"}
<h2>Fixes</h2>
${fixes ? `<table class="list"><thead><tr><th>fix</th><th>clears hosts</th><th>helps hosts</th><th>run on each</th></tr></thead><tbody>\n${fixes}\n</tbody></table>` : "<p>No fix applies.</p>"}
${rejected ? `<h2>Set aside</h2><ul>\n${rejected}\n</ul>` : ""}
<script>
(function(){var t=document.getElementById("matrix"),b=t.tBodies[0],dir={};
t.tHead.addEventListener("click",function(e){var th=e.target.closest("th");if(!th)return;var c=+th.dataset.col;dir[c]=-(dir[c]||-1);
var rows=Array.prototype.slice.call(b.rows);rows.sort(function(x,y){var a=x.cells[c].dataset.sort,z=y.cells[c].dataset.sort;
var n=isNaN(a)||isNaN(z)?String(a).localeCompare(String(z)):a-z;return n*dir[c];});rows.forEach(function(r){b.appendChild(r);});});})();
</script>
</body></html>
`;
}
