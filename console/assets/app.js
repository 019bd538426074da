// tartansim console: everything this page does goes through the control
// API under /api/console/ (documented in docs/console.md), so a script can
// do the same. Text from the consumer is untrusted: it is only ever put in
// the page as text, never as HTML.
"use strict";

const $ = (sel) => document.querySelector(sel);
const maxRows = 500; // rows the live log keeps in the page
const state = { settings: null, scenarios: [], before: 0, selected: 0, run: null, payloadTicket: 0 };

async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const r = await reach(path, init);
  let data = null;
  try { data = await r.json(); } catch (_) { /* not JSON */ }
  if (!r.ok) throw new Error((data && data.message) || `The server answered ${r.status}.`);
  return data;
}

// unreachable is what the page says when serve does not answer, rather
// than the browser's "Failed to fetch".
const unreachable = "tartansim serve does not answer: it may be restarting. The page reconnects by itself; try again in a moment.";
async function reach(path, init) {
  try { return await fetch(path, init); } catch (_) { throw new Error(unreachable); }
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-") || k.startsWith("aria-") || k === "tabindex" || k === "role") e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c.nodeType ? c : String(c));
  return e;
}

function say(sel, text, kind) {
  const m = $(sel);
  m.textContent = text || "";
  m.className = "msg" + (kind ? " " + kind : "");
}

// copy puts text on the clipboard and says so on the button.
async function copy(button, text) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch (_) { button.textContent = "Select and copy"; }
  setTimeout(() => { button.textContent = "Copy"; }, 1500);
}

function badge(outcome, text) { return el("span", { class: "badge " + outcome }, text); }
// One time format on the page, 2026-12-06 09:00:00, always with its zone:
// Tartan's clock (the EOD time) in IST, wall time in the browser's zone.
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";
function stamp(t, timeZone) {
  const p = {};
  for (const x of new Intl.DateTimeFormat("en-GB", { timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" }).formatToParts(new Date(t))) p[x.type] = x.value;
  return p.year + "-" + p.month + "-" + p.day + " " + p.hour + ":" + p.minute + ":" + p.second;
}
function istTime(t) { return stamp(t, "Asia/Kolkata") + " IST"; }
function wallTime(t) { return stamp(t) + " " + zone; }
// clock is the time of day of a row; the table's header names the zone.
function clock(t) { return stamp(t).slice(11); }

// ---- Endpoint
function renderSettings(v) {
  state.settings = v;
  $("#webhook-url").value = v.webhookUrl;
  $("#webhook-url").placeholder = "empty: the built-in reference consumer (" + v.builtinWebhookUrl + ")";
  $("#probe-url").value = v.probeUrl;
  $("#eod-at").value = v.eodAt;
  const layout = $("#layout");
  layout.replaceChildren(...v.layouts.map((l) => el("option", { value: l, selected: l === v.layout }, l)));
  $("#key-state").textContent = v.keyGiven ? "App key: given to serve." : "App key: none given to serve, so only the built-in consumer can be sent to.";
  $("#eod-state").textContent = v.nextEod ? "Next EOD batch: " + istTime(v.nextEod) + "." : "EOD schedule off.";
  const box = $("#events");
  box.replaceChildren(...v.catalogue.map((k) => el("label", { title: k.summary },
    el("input", { type: "checkbox", checked: k.subscribed, "data-event": k.id }),
    el("code", {}, k.id), " ",
    el("span", { class: "tag" + (k.documented ? "" : " undoc") }, k.documented ? "documented" : "undocumented"))));
  const pick = $("#test-event");
  const was = pick.value;
  pick.replaceChildren(...v.catalogue.map((k) => el("option", { value: k.id }, k.id + (k.subscribed ? "" : " (not subscribed)"))));
  if (was) pick.value = was;
  else if (v.subscribed.length) pick.value = v.subscribed[0]; // start with an event that goes
  const filter = $("#filter-event");
  const fwas = filter.value;
  filter.replaceChildren(el("option", { value: "" }, "all"), ...v.catalogue.map((k) => el("option", { value: k.id }, k.id)));
  filter.value = fwas;
}

async function saveSettings() {
  const events = [...document.querySelectorAll("#events input:checked")].map((c) => c.dataset.event);
  try {
    const v = await api("PUT", "/api/console/settings", {
      webhookUrl: $("#webhook-url").value, probeUrl: $("#probe-url").value,
      layout: $("#layout").value, eodAt: $("#eod-at").value.trim() || "23:59", events,
    });
    renderSettings(v);
    const saved = "Saved: " + (v.subscribed.length ? v.subscribed.length + " event(s) subscribed." : "no event subscribed.");
    if (v.webhookUrl && !v.keyGiven) say("#settings-msg", saved + " But serve has no app key, so it will refuse to send to " + v.webhookUrl + " until it is given one (TARTAN_APP_KEY or --key-file).", "warn");
    else say("#settings-msg", saved, "good");
  } catch (e) { say("#settings-msg", e.message, "error"); }
}

// testConnection says whether the webhook URL and the probe, as typed,
// answer; the server sends nothing signed.
async function testConnection() {
  const box = $("#connection");
  box.hidden = false;
  box.replaceChildren(el("span", { class: "muted" }, "Testing…"));
  try {
    const c = await api("POST", "/api/console/connection", { webhookUrl: $("#webhook-url").value, probeUrl: $("#probe-url").value });
    const line = (what, r) => el("div", { class: "reach " + (r.answered ? "ok" : "failed"), "data-what": what },
      badge(r.answered ? "ok" : "failed", r.answered ? "answers" : "no answer"), " " + what + " " + r.url + ": " + r.result + (r.latencyMs ? " (" + r.latencyMs.toFixed(1) + " ms)" : ""));
    box.replaceChildren(line("Webhook URL", c.webhook), c.probe ? line("State probe", c.probe) : el("div", { class: "muted" }, "No state probe set: runs judge acknowledgements only."));
  } catch (e) { box.replaceChildren(el("span", { class: "msg error" }, e.message)); }
}

// ---- Test a webhook
// edited reports that the payload is not the one the page last generated.
const edited = () => state.generated !== undefined && $("#payload").value !== state.generated;

// newPayload replaces the payload with a new one of the event; asked by
// a change of event, it keeps a payload the user edited, and says so.
async function newPayload(byEvent) {
  if (byEvent === true && edited()) {
    say("#send-msg", "Your edited payload is kept; New payload replaces it with one of " + $("#test-event").value + ".", "warn");
    return;
  }
  const before = $("#payload").value;
  const ticket = ++state.payloadTicket;
  try {
    const p = await api("GET", "/api/console/payload?event=" + encodeURIComponent($("#test-event").value));
    if (ticket !== state.payloadTicket) return; // a newer payload was asked for
    if (byEvent === true && $("#payload").value !== before) return; // edited while it came: kept
    $("#payload").value = state.generated = p.body;
    say("#send-msg", "");
  } catch (e) { say("#send-msg", e.message, "error"); }
}

function headerList(h) {
  const dl = el("dl", { class: "kv" });
  for (const name of Object.keys(h).sort()) for (const v of h[name]) dl.append(el("dt", {}, name), el("dd", {}, v));
  return dl;
}

// bytes counts text as it goes on the wire: UTF-8 bytes, not characters.
const bytes = (text) => new TextEncoder().encode(text).length;

// jsonBlock shows text exactly as sent, with a button to read it pretty
// printed (when it is JSON) and one to copy it; it folds away.
function jsonBlock(title, text, cls) {
  const pre = el("pre", { class: cls }, text);
  const buttons = el("span", { class: "tools" });
  let pretty = null;
  try { pretty = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* not JSON: shown as it is */ }
  if (pretty !== null && pretty !== text) {
    const b = el("button", { class: "small pretty", title: "Show it indented; the bytes sent stay as they were" }, "Pretty");
    b.addEventListener("click", (e) => {
      e.preventDefault();
      const on = pre.textContent === text;
      pre.textContent = on ? pretty : text;
      b.textContent = on ? "As sent" : "Pretty";
    });
    buttons.append(b, " ");
  }
  const c = el("button", { class: "small copy" }, "Copy");
  c.addEventListener("click", (e) => { e.preventDefault(); copy(c, text); });
  buttons.append(c);
  return el("details", { class: "block", open: true }, el("summary", {}, el("h3", {}, title), " ", buttons), pre);
}

function requestPanels(a) {
  return [
    el("div", { class: "panel" }, el("h3", {}, "Request"),
      el("div", { class: "mono" }, "POST " + a.target), headerList(a.headers),
      jsonBlock("Body (" + bytes(a.body) + " bytes)", a.body, "req-body"),
      jsonBlock("curl", a.curl, "curl")),
    el("div", { class: "panel" }, el("h3", {}, "Answer"),
      el("div", { class: "answer-status" }, badge(a.outcome, a.status || a.class), " ", a.result),
      el("div", { class: "expectation" }, ...expectation(a)),
      el("div", { class: "muted" }, "latency " + a.latencyMs.toFixed(1) + " ms · " + kindOf(a) + " · " + a.source + (a.run ? " " + a.run : "") + (a.fault ? " · fault " + a.fault : "")),
      a.answer ? jsonBlock("Body (" + bytes(a.answer) + " bytes)", a.answer, "answer-body") : el("div", { class: "muted" }, "No answer body."),
      a.answerHeaders ? el("details", { class: "block answer-headers", open: true }, el("summary", {}, el("h3", {}, "Headers")), headerList(a.answerHeaders))
        : el("p", { class: "muted answer-headers" }, a.status ? "The answer's headers were not kept for this attempt." : "No answer, so no headers.")),
  ];
}

async function send() {
  $("#send").disabled = true;
  say("#send-msg", "Sending…");
  try {
    const a = await api("POST", "/api/console/send", { event: $("#test-event").value, body: $("#payload").value, signature: $("#test-signature").value });
    const box = $("#send-result");
    box.replaceChildren(...requestPanels(a));
    box.hidden = false;
    say("#send-msg", "Attempt #" + a.id + ": " + a.result, a.met ? "good" : "error");
  } catch (e) {
    $("#send-result").hidden = true; // no stale answer under a new error
    say("#send-msg", e.message, "error");
  }
  $("#send").disabled = false;
}

// ---- Scenarios and conformance
async function loadScenarios() {
  state.scenarios = await api("GET", "/api/console/scenarios");
  $("#scenario").replaceChildren(...state.scenarios.map((s) => el("option", { value: s.name }, s.name)));
  describeScenario();
}
function describeScenario() {
  const s = state.scenarios.find((x) => x.name === $("#scenario").value);
  $("#scenario-about").textContent = s ? s.description : "";
}

async function startRun(body) {
  say("#run-msg", "");
  try { renderRun(await api("POST", "/api/console/runs", body)); } catch (e) { say("#run-msg", e.message, "error"); }
}

// newer reports whether run r is newer than the one shown: a later run, or
// a later version of the same one. The answer to POST /runs, the stream's
// events and the reconciling GETs arrive in any order; an older copy never
// replaces a newer one, so a run that ended never shows "running" again.
function newer(r) {
  const cur = state.run;
  if (!cur) return true;
  if (r.id !== cur.id) return Number(r.id) > Number(cur.id);
  return r.version > cur.version; // an equal copy changes nothing: the evidence a reader opened stays open
}

// reconcileRuns shows the newest run as the server has it: after the stream
// (re)opens, since events published before it did are not replayed.
async function reconcileRuns() {
  try {
    const runs = await api("GET", "/api/console/runs");
    if (runs.length) renderRun(runs[0]);
    // The page opens on the latest run's summary, unless a link asks for a
    // view of the deliveries.
    if (runs.length && !location.search) $("#runs").scrollIntoView();
  } catch (_) { /* the next open retries */ }
}

// watchRun reads a running run again every few seconds while no event
// comes, so that a stream that is down cannot leave it "running".
let runPoll = 0;
function watchRun() {
  clearTimeout(runPoll);
  if (!state.run || state.run.state !== "running") return;
  const id = state.run.id;
  runPoll = setTimeout(async () => {
    try { renderRun(await api("GET", "/api/console/runs/" + id)); } catch (_) { watchRun(); }
  }, 3000);
}

function renderRun(r) {
  if (!newer(r)) return;
  state.run = r;
  watchRun();
  $("#run-progress").hidden = false;
  const running = r.state === "running";
  $("#cancel-run").hidden = !running;
  for (const b of document.querySelectorAll("#run-scenario, #run-conformance, #runs .rerun")) b.disabled = running;
  $("#run-fill").style.width = (r.total ? (100 * r.done / r.total) : 0) + "%";
  const what = r.kind === "scenario" ? "step" : "check";
  $("#run-status").textContent = r.name + ": " + r.state + ", " + r.done + " of " + r.total + " " + what + "s (seed " + r.seed + ", settle " + (r.settleNs ? r.settleNs / 1e9 + "s" : "none: judged at once") + ")";
  const v = $("#run-verdict");
  v.replaceChildren();
  if (r.verdict) {
    // NOTHING_JUDGED is no pass: it says so in words, in the colour of a warning.
    const again = r.kind === "scenario" ? rerunButton("Rerun " + r.name, { scenario: r.name }) : null;
    v.append(el("div", { class: "row" }, el("div", { class: "verdict " + r.verdict, id: "verdict" }, r.verdict.replace("_", " ") + " " + r.name), again));
  }
  if (r.verdict || r.kind === "conformance") {
    const s = r.summary;
    v.append(el("div", { class: "summary", id: "run-summary" }, s.passed + " passed · " + s.failed + " failed · " + s.skipped + " skipped" + (r.verdict === "NOTHING_JUDGED" ? " · nothing judged" : "")));
  }
  if (r.note) v.append(el("div", { class: "msg warn" }, r.note));
  if (r.error) v.append(el("div", { class: "msg error" }, r.error));
  for (const p of r.problems || []) v.append(el("div", { class: "msg error" }, p));
  for (const o of r.orgs || []) v.append(orgVerdict(o));
  const list = $("#run-steps");
  list.classList.toggle("checks", r.kind !== "scenario");
  if (r.kind === "scenario") {
    list.replaceChildren(...(r.steps || []).map((s) => el("li", {},
      s.at + " " + s.action + (s.org ? " " + s.org : "") + ": " + s.webhooks + " webhook(s), " + s.ok + " ok, " + s.failed + " failed" + (s.faults && s.faults.length ? " [" + s.faults.join(", ") + "]" : ""))));
  } else {
    // Failures first, then what was skipped, then the passes.
    const rank = { FAIL: 0, SKIP: 1, PASS: 2 };
    const checks = (r.checks || []).slice().sort((a, b) => (rank[a.verdict] ?? 3) - (rank[b.verdict] ?? 3));
    list.replaceChildren(...checks.map(checkItem));
  }
  applyFailuresOnly();
}

function rerunButton(text, body) {
  const b = el("button", { class: "rerun", title: "Start a run of this alone" }, text);
  b.disabled = state.run && state.run.state === "running";
  b.addEventListener("click", () => startRun(body));
  return b;
}

// checkItem is one check's verdict: its reason, its evidence in full (open
// when it failed) and the record diff of the orgs whose state differed.
function checkItem(c) {
  const li = el("li", { class: "check", "data-check": c.id, "data-verdict": c.verdict },
    el("div", { class: "row" }, el("span", { class: "verdict " + c.verdict }, c.verdict), el("code", {}, c.id), el("span", {}, c.title),
      el("span", { class: "spacer" }), rerunButton("Rerun", { conformance: true, checks: [c.id] })));
  if (c.reason) li.append(el("div", { class: "reason" }, c.reason));
  // The reason is the first line of the evidence: each line once.
  const details = (c.details || []).filter((d, i) => !(i === 0 && c.reason && c.reason.startsWith(d)));
  if (details.length) {
    const box = el("details", { class: "evidence", open: c.verdict === "FAIL" }, el("summary", {}, "Evidence (" + details.length + (details.length === 1 ? " line)" : " lines)")));
    box.append(...details.map((d) => el("div", { class: "line" }, d)));
    li.append(box);
  }
  for (const o of c.orgs || []) li.append(orgVerdict(o));
  return li;
}

// orgVerdict is a state verdict (judge.Verdict) with its record diff.
function orgVerdict(o) {
  const who = "org " + o.id + " (" + o.orgId + ")" + (o.employees ? ", " + o.employees + " employees" : "");
  if (!o.judged) return el("div", { class: "muted org-verdict" }, who + ": not judged: " + o.reason);
  if (o.converged) return el("div", { class: "muted org-verdict" }, who + ": converged");
  return el("div", { class: "org-verdict" }, el("div", {}, who + ": did not converge, " + o.differences.length + " difference(s)"), diffTable(o.differences));
}

// diffTable shows differences expected against held, per field; two
// values that differ only in what no one can see come escaped (judge
// adds expectedShown and heldShown for them).
function diffTable(ds) {
  const t = el("table", { class: "diff" }, el("thead", {}, el("tr", {}, el("th", {}, "employee"), el("th", {}, "field"), el("th", {}, "expected"), el("th", {}, "held"))));
  const body = el("tbody");
  for (const d of ds) {
    if (d.field || d.kind === "connection") {
      const escaped = d.expectedShown !== undefined;
      body.append(el("tr", { class: "field" + (escaped ? " escaped" : ""), title: d.text },
        el("td", { class: "mono" }, d.employee || "—"), el("td", { class: "mono" }, d.field || "connectionStatus"),
        el("td", { class: "mono want" }, escaped ? d.expectedShown : (d.expected || "(none)")),
        el("td", { class: "mono got" }, (escaped ? d.heldShown : (d.held || "(none)")) + (escaped ? "  (differs only in characters you cannot see: escaped)" : ""))));
    } else {
      body.append(el("tr", { class: "other" }, el("td", { colSpan: 4 }, d.text)));
    }
  }
  t.append(body);
  return t;
}

// applyFailuresOnly hides the checks that did not fail when asked.
function applyFailuresOnly() {
  const only = $("#failures-only").checked;
  for (const li of document.querySelectorAll("#run-steps li.check")) li.hidden = only && li.dataset.verdict !== "FAIL";
}

// expectation says what was expected of the consumer for attempt a (its
// expect, set by the server) and whether it was met (its met).
const expects = { "2xx": "a 2xx", "4xx": "a 4xx: forged", nothing: "nothing: failure injected by tartansim" };
function expectation(a) {
  return [badge(a.met ? "ok" : "failed", a.met ? "as expected" : "not as expected"), " expected " + (expects[a.expect] || a.expect)];
}

// ---- Deliveries
const filters = () => document.querySelectorAll("#deliveries [data-q]");

// filterQuery is the filter as the API and the page's URL take it; a
// time is the browser's wall time, sent in UTC.
function filterQuery() {
  const q = new URLSearchParams();
  for (const f of filters()) {
    const v = f.value.trim();
    if (v) q.set(f.dataset.q, f.type === "datetime-local" ? new Date(v).toISOString() : v);
  }
  return q;
}

// pageQuery is the page's URL query: the filter, and the attempt open
// (attempt=ID), so that a link opens the same view and delivery.
function pageQuery() {
  const q = filterQuery();
  if (state.selected) q.set("attempt", state.selected);
  return q;
}
function showURL() {
  const q = pageQuery();
  history.replaceState(null, "", q.size ? "?" + q : location.pathname);
}

// readFilterURL sets the filters from the page's URL: a deep link.
function readFilterURL() {
  const q = new URLSearchParams(location.search);
  state.linked = Number(q.get("attempt")) || 0;
  for (const f of filters()) {
    const v = q.get(f.dataset.q);
    if (!v) continue;
    if (f.type !== "datetime-local") { f.value = v; continue; }
    const d = new Date(v);
    if (!isNaN(d)) f.value = new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 19);
  }
}

function row(s) {
  const mark = s.forged ? "forged" : s.expect === "nothing" ? "injected" : "";
  const tr = el("tr", { "data-id": s.id, "data-outcome": s.outcome, "data-met": s.met ? "met" : "unmet", tabindex: "0" },
    el("td", {}, s.id), el("td", {}, clock(s.time)), el("td", { title: s.run || "" }, s.source),
    el("td", { title: s.eventType }, s.event || "—"), el("td", { title: s.orgId, class: "mono" }, (s.orgId || "").slice(0, 8)),
    el("td", { title: s.result }, badge(s.outcome, s.status || s.class), " ", s.kind === "first" ? "" : s.kind),
    el("td", { class: "expected", title: "expected " + (expects[s.expect] || s.expect) }, badge(s.met ? "ok" : "failed", s.met ? "as expected" : "not as expected"), mark ? " " + mark : ""),
    el("td", {}, s.latencyMs.toFixed(1)));
  if (s.id === state.selected) tr.classList.add("selected");
  tr.addEventListener("click", () => openAttempt(s.id));
  tr.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); openAttempt(s.id); } });
  return tr;
}

// loads numbers the list's loads: an answer that comes after a newer
// load's (the server answers them in any order) is dropped, so the list
// is always the latest filter's.
let loads = 0;
async function loadDeliveries(more) {
  const mine = ++loads;
  const q = filterQuery();
  if (!more) {
    showURL();
    $("#export").href = "/api/console/export" + (q.size ? "?" + q : "");
  }
  if (more && state.before) q.set("before", state.before);
  try {
    const page = await api("GET", "/api/console/deliveries?" + q);
    if (mine !== loads) return; // a newer load is the list's
    const body = $("#log tbody");
    const rows = page.attempts.map(row);
    if (more) body.append(...rows); else body.replaceChildren(...rows);
    state.before = page.next;
    $("#more").hidden = !page.next;
    const none = body.children.length === 0;
    $("#empty").hidden = !none || filterQuery().size > 0;
    $("#nomatch").hidden = !none || filterQuery().size === 0;
  } catch (e) { say("#eod-msg", e.message, "error"); }
}

// The filter is the server's: with one set, a new attempt reloads the
// first page rather than the page judging whether it matches.
let reloadTimer = 0;
function reloadSoon() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => loadDeliveries(false), 200);
}

async function openAttempt(id) {
  try {
    const a = await api("GET", "/api/console/deliveries/" + id);
    state.selected = a.id;
    for (const tr of document.querySelectorAll("#log tbody tr")) tr.classList.toggle("selected", Number(tr.dataset.id) === a.id);
    const d = $("#detail");
    const resend = el("button", { id: "resend", class: "primary" }, "Resend identical bytes");
    resend.addEventListener("click", () => resendAttempt(a.id));
    d.replaceChildren(
      el("div", { class: "row" }, el("strong", {}, "Attempt #" + a.id), el("span", { class: "muted" }, "delivery #" + a.delivery + " · " + wallTime(a.time)), el("span", { class: "spacer" }), resend),
      el("div", { id: "detail-msg", class: "msg" }),
      ...requestPanels(a).map((p) => { p.classList.add("stack"); return p; }));
    d.hidden = false;
    $("#deliveries .split").classList.remove("nodetail");
    showURL();
    const t = await timeline(a);
    if (t && state.selected === a.id) d.querySelector(".row").after(t);
  } catch (e) { say("#eod-msg", e.message, "error"); }
}

const kinds = { first: "first send", duplicate: "duplicate", resend: "resend", eod: "EOD batch" };

// kindOf names attempt x's place in its delivery: "EOD batch 3" for a
// re-send of EOD batch 3.
const kindOf = (x) => (kinds[x.kind] || x.kind) + (x.kind === "eod" && x.eodBatch ? " " + x.eodBatch : "");

// timeline is the delivery of attempt a with all its attempts, oldest
// first: first send, failures, EOD re-sends (with their batch), resends.
// They share the delivery's bytes, so its requestId finds them.
async function timeline(a) {
  if (!a.requestId) return null;
  const page = await api("GET", "/api/console/deliveries?limit=500&requestId=" + encodeURIComponent(a.requestId));
  const mine = page.attempts.filter((x) => x.delivery === a.delivery).sort((x, y) => x.id - y.id);
  if (!mine.length) return null;
  const t0 = new Date(mine[0].time).getTime();
  const list = el("ol", { class: "timeline", id: "timeline", "aria-label": "the attempts of delivery #" + a.delivery });
  for (const x of mine) {
    const kind = kindOf(x);
    const offset = x.id === mine[0].id ? wallTime(x.time) : "+" + fmtDuration(new Date(x.time).getTime() - t0);
    const li = el("li", { "data-id": x.id, "data-kind": x.kind, class: x.outcome + (x.id === a.id ? " current" : ""), tabindex: "0" },
      el("span", { class: "when" }, offset), " ", el("strong", {}, kind), " ", badge(x.outcome, x.status || x.class), " " + x.result + " · #" + x.id);
    li.addEventListener("click", () => openAttempt(x.id));
    li.addEventListener("keydown", (e) => { if (e.key === "Enter") openAttempt(x.id); });
    list.append(li);
  }
  return el("div", { class: "delivery" }, el("h3", {}, "Delivery #" + a.delivery + ": " + mine.length + " attempt(s)"), list);
}

function fmtDuration(ms) {
  if (ms < 1000) return ms + " ms";
  if (ms < 60000) return (ms / 1000).toFixed(1) + " s";
  if (ms < 3600000) return Math.round(ms / 60000) + " min";
  return (ms / 3600000).toFixed(1) + " h";
}

async function resendAttempt(id) {
  try {
    const a = await api("POST", "/api/console/deliveries/" + id + "/resend");
    if (a.handed) say("#detail-msg", "Handed to the mock Tartan API, which re-sends delivery #" + a.delivery + " as its own resend; the attempt joins the log when it is sent.", "good");
    else say("#detail-msg", "Re-sent as attempt #" + a.id + ": " + a.result, a.met ? "good" : "error");
  } catch (e) { say("#detail-msg", e.message, "error"); }
}

// eodNow runs the one EOD batch: every failed genuine delivery of the log
// not re-sent at EOD yet, whatever made it; the mock Tartan API's go back
// through it.
async function eodNow() {
  try {
    const r = await api("POST", "/api/console/eod");
    const parts = [];
    if (r.resent.length) parts.push("re-sent " + r.resent.length + " failed deliveries once: " + r.ok + " ok, " + r.failed + " failed for good");
    if (r.handed) parts.push("handed " + r.handed + " to the Tartan API, which re-sends them");
    let text = parts.length ? "EOD batch " + r.batch + ": " + parts.join("; ") + "." : "Nothing awaits the EOD batch: every failed genuine delivery of the log has had its EOD re-send.";
    if (r.skipped) text += " " + r.skipped + " skipped: their events are not subscribed.";
    if (r.held) text += " " + r.held + " held for the end of the run going on.";
    say("#eod-msg", text, r.failed ? "error" : "good");
    loadOrgs();
  } catch (e) { say("#eod-msg", e.message, "error"); }
}

// eodRan tells of a scheduled batch, which ran without a click.
function eodRan(r) {
  if (!r.scheduled) return;
  say("#eod-msg", "The scheduled EOD batch " + r.batch + " ran at " + istTime(r.time) + ": " + r.resent.length + " re-sent (" + r.ok + " ok, " + r.failed + " failed), " + r.handed + " handed to the Tartan API.", r.failed ? "error" : "good");
  api("GET", "/api/console/settings").then(renderSettings, () => {});
}

// recoverSince is "recover every failure since T": Tartan's own resend of
// the mock API (a time range, failed only), so each counts as a resend.
async function recoverSince() {
  const v = $("#recover-since").value;
  if (!v) { say("#eod-msg", "Pick the time from which to recover every failure.", "error"); return; }
  try {
    const r = await api("POST", "/api/console/recover", { since: new Date(v).toISOString() });
    say("#eod-msg", r.handed ? "Tartan's resend took " + r.handed + " failed delivery(ies) made since " + wallTime(r.since) + "; their attempts join the log as resends." : "No failed delivery of the Tartan API was made since " + wallTime(r.since) + ".", "good");
  } catch (e) { say("#eod-msg", e.message, "error"); }
}

async function loadStats() {
  try {
    const s = await api("GET", "/api/console/stats");
    $("#stats").textContent = s.total + " attempts · " + s.met + " as expected · " + s.failed + " not as expected · " + s.pending + " awaiting EOD";
  } catch (_) { /* the stream will retry */ }
}

// ---- Live updates
let statsTimer = 0;
function soon() {
  clearTimeout(statsTimer);
  statsTimer = setTimeout(loadStats, 150);
}

function connect() {
  const es = new EventSource("/api/console/stream");
  es.onopen = () => {
    $("#conn").textContent = "live";
    $("#conn").classList.add("live");
    reconcileRuns();
  };
  es.onerror = () => {
    $("#conn").textContent = "reconnecting: serve does not answer, it may be restarting";
    $("#conn").classList.remove("live");
  };
  es.addEventListener("attempt", (ev) => {
    const s = JSON.parse(ev.data);
    if (filterQuery().size) reloadSoon();
    else {
      const body = $("#log tbody");
      body.prepend(row(s));
      $("#empty").hidden = $("#nomatch").hidden = true;
      // Keep the page light in a long run: the older rows are a click away.
      while (body.children.length > maxRows) body.lastElementChild.remove();
      if (body.children.length === maxRows) {
        state.before = Number(body.lastElementChild.dataset.id);
        $("#more").hidden = false;
      }
    }
    soon();
  });
  es.addEventListener("run", (ev) => renderRun(JSON.parse(ev.data)));
  es.addEventListener("settings", (ev) => renderSettings(JSON.parse(ev.data)));
  es.addEventListener("eod", (ev) => { eodRan(JSON.parse(ev.data)); soon(); });
}

// ---- Tartan API (mounted by tartansim serve under /_tartansim/; absent
// when the console runs alone, and then this section stays hidden)
async function tapi(method, path, body) {
  const init = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const r = await reach("/_tartansim/" + path, init);
  let data = null;
  try { data = await r.json(); } catch (_) { /* not JSON */ }
  if (!r.ok) {
    const err = new Error((data && (data.message || data.detail || data.error)) || `The server answered ${r.status}.`);
    err.status = r.status;
    throw err;
  }
  return data;
}

// inviteCurl is the call that invites a corporate on this very server;
// the API key is a shell variable, never its value.
function inviteCurl() {
  const body = JSON.stringify({ email: "hr@acme.in", org_name: "Acme Pvt Ltd", fullname: "Asha Rao", remote_org_id: "acme-1" });
  return "curl -s -X POST '" + location.origin + "/api/sdk/token/' \\\n  -H \"Authorization: Token $TARTAN_API_KEY\" -H 'Content-Type: application/json' \\\n  -d '" + body + "'";
}

const connection = { CONNECTION_INVITED: "invited", CONNECTION_ACCEPTED: "accepted", CONNECTION_TERMINATED: "terminated", CONNECTION_REJECTED: "rejected" };

function verdictCell(v) {
  const td = el("td", { class: "verdict-cell" });
  if (v.judging) td.append(badge("", "judging"), " ");
  if (!v.judged) td.append(badge("", "not judged"), " " + (v.reason || ""));
  else if (v.converged) td.append(badge("ok", "converged"), v.lagNs ? " lag " + Math.round(v.lagNs / 1e6) + " ms" : "");
  else {
    td.append(badge("failed", "differs"), " " + v.differences.length + " difference(s)");
    const box = el("details", { class: "evidence" }, el("summary", {}, "Evidence"));
    box.append(diffTable(v.differences));
    td.append(box);
  }
  return td;
}

// control calls a mock-only control and says what it did, or why not.
async function control(path, body, done) {
  try {
    const r = await tapi("POST", path, body);
    say("#api-msg", done(r), "good");
  } catch (e) { say("#api-msg", e.message, "error"); }
  loadOrgs();
}

function orgRow(c) {
  const v = c.verdict;
  const name = c.name || c.orgId;
  const cells = [el("td", {}, el("div", {}, name), el("div", { class: "mono muted", title: "orgId" }, c.orgId), c.remoteOrgId ? el("div", { class: "muted" }, "remote id " + c.remoteOrgId) : null),
    el("td", {}, connection[c.connectionStatus] || c.connectionStatus), el("td", {}, c.employees), el("td", {}, v.sessions),
    el("td", { class: "deliveries" }, v.acknowledged + " acknowledged · " + (v.deliveries - v.acknowledged) + " failed"), verdictCell(v)];
  const org = "orgs/" + encodeURIComponent(c.orgId);
  const controls = el("td", {});
  if (c.connectionStatus === "CONNECTION_INVITED") {
    const accept = el("button", { class: "accept" }, "Accept");
    accept.addEventListener("click", () => control(org + "/accept", undefined, () => name + " accepted the invite: its initial sync follows."));
    controls.append(accept, " ");
  }
  const sync = el("button", { class: "sync" }, "Sync now");
  sync.addEventListener("click", () => {
    const body = {};
    for (const k of ["joiners", "promotions", "leavers"]) {
      const n = parseInt($("#sync-" + k).value, 10);
      if (n > 0) body[k] = n;
    }
    control(org + "/sync", body, (s) => "Sync of " + name + " queued: session " + s.syncSessionId + ", " + s.newRecords + " new and " + s.updatedRecords + " updated record(s) in " + s.webhooks + " webhook(s).");
  });
  controls.append(sync);
  cells.push(controls);
  return el("tr", { "data-org": c.orgId }, ...cells);
}

// loadOrgs reads the corporates; false when no Tartan API is beside the
// console (the section stays hidden).
async function loadOrgs() {
  let got;
  try { got = await tapi("GET", "corporates"); } catch (e) {
    if (e.status === 404) return false;
    $("#tartan-api").hidden = false;
    say("#api-msg", e.message, "error");
    return true;
  }
  $("#tartan-api").hidden = false;
  document.body.classList.add("with-api");
  // Read every two seconds: the evidence a reader opened stays open.
  const open = new Set([...document.querySelectorAll("#orgs tbody tr")].filter((tr) => tr.querySelector("details[open]")).map((tr) => tr.dataset.org));
  $("#orgs tbody").replaceChildren(...got.corporates.map(orgRow));
  for (const tr of document.querySelectorAll("#orgs tbody tr")) if (open.has(tr.dataset.org) && tr.querySelector("details")) tr.querySelector("details").open = true;
  $("#orgs-empty").hidden = got.corporates.length > 0;
  const a = got.armed;
  $("#armed").textContent = a.next ? "Armed: the next " + a.next + " first send(s) will fail (" + a.fault + ")." : "Nothing armed.";
  $("#disarm").hidden = !a.next;
  $("#disarm").dataset.fault = a.fault || "drop";
  return true;
}

async function failNext() {
  const n = parseInt($("#fail-n").value, 10);
  await control("fail", { fault: $("#fail-fault").value, next: n }, () => `The next ${n} first send(s) of the API will fail (${$("#fail-fault").value}).`);
}

async function start() {
  $("#save-settings").addEventListener("click", saveSettings);
  $("#test-connection").addEventListener("click", testConnection);
  $("#new-payload").addEventListener("click", () => newPayload(false));
  $("#test-event").addEventListener("change", () => newPayload(true));
  window.addEventListener("beforeunload", (e) => { if (edited()) e.preventDefault(); });
  $("#send").addEventListener("click", send);
  $("#scenario").addEventListener("change", describeScenario);
  $("#run-scenario").addEventListener("click", () => startRun({ scenario: $("#scenario").value }));
  $("#run-conformance").addEventListener("click", () => startRun({ conformance: true }));
  $("#failures-only").addEventListener("change", applyFailuresOnly);
  $("#cancel-run").addEventListener("click", () => state.run && api("POST", "/api/console/runs/" + state.run.id + "/cancel").catch((e) => say("#run-msg", e.message, "error")));
  for (const f of filters()) f.addEventListener(f.tagName === "SELECT" || f.type === "datetime-local" ? "change" : "input", () => loadDeliveries(false));
  $("#more").addEventListener("click", () => loadDeliveries(true));
  $("#eod-now").addEventListener("click", eodNow);
  $("#recover").addEventListener("click", recoverSince);
  $("#fail-next").addEventListener("click", failNext);
  $("#disarm").addEventListener("click", () => control("fail", { fault: $("#disarm").dataset.fault, next: 0 }, () => "Disarmed: the next sends go as they are."));
  $("#invite-curl").textContent = inviteCurl();
  for (const b of document.querySelectorAll("button.copy")) b.addEventListener("click", () => copy(b, $(b.dataset.copy).textContent));
  $("#deliveries .split").classList.add("nodetail");
  $("#time-head").textContent = "time (" + zone + ")";
  for (const f of document.querySelectorAll("#deliveries input[type=datetime-local]")) {
    f.title = "in your browser's zone, " + zone;
    const words = f.previousSibling; // the label's text, or the recover action's
    if (words && words.nodeType === Node.TEXT_NODE) words.textContent = words.textContent.trimEnd() + " (" + zone + ") ";
  }
  try {
    renderSettings(await api("GET", "/api/console/settings"));
    readFilterURL();
    await Promise.all([loadScenarios(), loadDeliveries(false), loadStats(), newPayload()]);
    if (state.linked) {
      await openAttempt(state.linked);
      $("#detail").scrollIntoView();
    }
    const runs = await api("GET", "/api/console/runs");
    if (runs.length) renderRun(runs[0]);
    // The page opens on the latest run's summary, unless a link asks for a
    // view of the deliveries.
    if (runs.length && !location.search) $("#runs").scrollIntoView();
    if (await loadOrgs()) setInterval(loadOrgs, 2000);
    document.body.dataset.ready = "true";
  } catch (e) { say("#settings-msg", e.message, "error"); }
  connect();
}

start();
