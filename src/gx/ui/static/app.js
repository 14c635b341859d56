// gx ui: the pages (experiments, runs, run, compare). The URL holds every view's state.
(function () {
"use strict";

const { metricPanel, scatterChart, parallelChart, contourChart, PALETTE, fmtNum } = window.gxCharts;
const app = document.getElementById("app");
let currentVersion = null;
let refresh = null;  // what to redo when the repository changes (new run, growing journal, fetch)

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

async function getJSON(url) {
  const r = await fetch(url);
  const data = await r.json();
  if (!r.ok) { const e = new Error(data.error || r.statusText); e.data = data; throw e; }
  return data;
}

const params = () => new URLSearchParams(location.search);
function go(path, query, replace) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) if (v !== "" && v !== null && v !== undefined) q.set(k, v);
  const url = path + (q.toString() ? "?" + q : "");
  (replace ? history.replaceState : history.pushState).call(history, null, "", url);
  route();
}
function link(text, path, query) {
  const q = new URLSearchParams(query || {});
  const a = h("a", { href: path + (q.toString() ? "?" + q : "") }, text);
  a.addEventListener("click", (ev) => { if (ev.ctrlKey || ev.metaKey) return; ev.preventDefault(); go(path, query); });
  return a;
}
const when = (t) => (t ? new Date(t * 1000).toLocaleString() : "");
function dur(s) {
  if (s === null || s === undefined) return "";
  if (s < 60) return `${s.toFixed(1)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${Math.round(s % 60)}s`;
  return `${Math.floor(s / 3600)}h ${Math.round((s % 3600) / 60)}m`;
}
const badge = (status) => h("span", { class: `badge ${String(status).toLowerCase()}` }, status);
const runLabel = (r) => r.name || r.run_id.slice(0, 8);
// Which way is better for a metric: higher for scores, lower for errors and losses.
const higherIsBetter = (key) => /(acc|auc|r2|f1|precision|recall|score|ap|map|bleu|iou)/i.test(key.split(".").pop());

function showError(message) { app.replaceChildren(h("p", { class: "error" }, message)); }

// ---------------------------------------------------------------- experiments
async function experimentsPage() {
  const q = params();
  const metric = q.get("metric") || "", goal = q.get("goal") || "min";
  const data = await getJSON(`/api/experiments?metric=${encodeURIComponent(metric)}&goal=${goal}`);
  const pick = h("select", { id: "best-metric" }, h("option", { value: "" }, "(choose a metric)"),
    data.metrics.map((m) => h("option", { value: m, selected: m === metric }, m)));
  const goalSel = h("select", { id: "best-goal" }, ["min", "max"].map((g) => h("option", { value: g, selected: g === goal }, g)));
  const change = () => go("/", { metric: pick.value, goal: goalSel.value }, true);
  pick.addEventListener("change", () => { goalSel.value = higherIsBetter(pick.value) ? "max" : "min"; change(); });
  goalSel.addEventListener("change", change);
  const tagText = (tags) => Object.entries(tags).filter(([k]) => k !== "gx.mlflow_id").sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`).join(", ");
  const cut = (text) => (text.length > 80 ? text.slice(0, 79) + "…" : text);
  const rows = data.experiments.map((e) => h("tr", {},
    h("td", { class: "num" }, e.number), h("td", {}, link(e.name, "/runs", { experiment: e.name })),
    h("td", {}, h("code", {}, e.id)), h("td", { class: "tags", title: tagText(e.tags) }, cut(tagText(e.tags))),
    h("td", { class: "num" }, e.runs),
    h("td", { class: "num" }, e.running ? badge(`${e.running} RUNNING`) : ""), h("td", {}, when(e.last_activity)),
    h("td", { class: "num" }, e.best ? [h("b", {}, fmtNum(e.best.value)), " ", link(runLabel(e.best), "/run", { id: e.best.run_id })] : "")));
  app.replaceChildren(h("h1", {}, "Experiments"),
    h("div", { class: "toolbar" }, "Best ", pick, goalSel),
    data.experiments.length ? h("table", { class: "grid", id: "experiments" },
      h("thead", {}, h("tr", {}, ["number", "experiment", "id", "tags", "runs", "running", "last activity", metric ? `best ${metric} (${goal})` : "best"].map((t) => h("th", {}, t)))),
      h("tbody", {}, rows))
      : h("p", {}, "No runs yet. Record one with: gx run python train.py"));
}

// ---------------------------------------------------------------- runs table
function viewQuery() {
  const q = params();
  return { experiment: q.get("experiment") || "", filter: q.get("filter") || "", order_by: q.get("order_by") || "",
    columns: q.get("columns") || "", offset: q.get("offset") || "", limit: q.get("limit") || "50" };
}

function filterError(err, text) {
  const pos = Math.max(0, Math.min(err.position || 0, text.length));
  return h("div", { class: "filter-error", id: "filter-error" },
    h("div", {}, err.reason || err.error),
    h("pre", {}, text + "\n" + " ".repeat(pos) + "^"));
}

async function runsPage() {
  const view = viewQuery();
  const qs = new URLSearchParams([...Object.entries(view).filter(([, v]) => v !== ""), ["nest", "1"]]).toString();
  const filterBox = h("input", { id: "filter", type: "search", value: view.filter, spellcheck: "false",
    placeholder: "metrics.rmse < 0.8 and params.model = 'ridge'" });
  const toolbar = h("form", { class: "toolbar", id: "runs-toolbar" }, filterBox, h("button", { type: "submit" }, "Filter"));
  toolbar.addEventListener("submit", (ev) => { ev.preventDefault(); go("/runs", { ...view, filter: filterBox.value.trim(), offset: "" }); });
  let data;
  try {
    data = await getJSON(`/api/runs?${qs}`);
  } catch (e) {
    app.replaceChildren(h("h1", {}, view.experiment || "All runs"), toolbar,
      e.data && "position" in e.data ? filterError(e.data, view.filter) : h("p", { class: "error" }, e.message));
    return;
  }
  const cols = data.columns;
  const order = (view.order_by || "").split(",")[0];
  const sortBy = (key) => {
    const desc = order === `${key} DESC` || (order !== `${key} ASC` && key.startsWith("metrics.") && higherIsBetter(key));
    go("/runs", { ...view, order_by: `${key} ${order === `${key} ASC` ? "DESC" : order === `${key} DESC` ? "ASC" : desc ? "DESC" : "ASC"}`, offset: "" });
  };
  const arrow = (key) => (order === `${key} ASC` ? " ▲" : order === `${key} DESC` ? " ▼" : "");
  // the best value per metric column, highlighted so the winner is obvious
  const best = cols.map((c, i) => {
    if (!c.startsWith("metrics.")) return null;
    const vals = data.rows.map((r) => r.values[i]).filter((v) => typeof v === "number");
    return vals.length ? (higherIsBetter(c) ? Math.max(...vals) : Math.min(...vals)) : null;
  });
  // nested runs fold under their parent: the server pages over top-level runs and sends each with
  // its nested runs (depth says where each sits), so a parent never loses children to another page
  const children = {}, top = [], chain = [];
  for (const r of data.rows) {
    chain.length = r.depth || 0;
    if (chain.length) (children[chain[chain.length - 1]] = children[chain[chain.length - 1]] || []).push(r);
    else top.push(r);
    chain.push(r.run_id);
  }
  const selected = new Set();
  const compareBtn = h("button", { id: "compare-btn", type: "button", disabled: true }, "Compare selected");
  compareBtn.addEventListener("click", () => go("/compare", { runs: [...selected].join(",") }));
  const rowFor = (r, depth) => {
    const box = h("input", { type: "checkbox", class: "pick" });
    box.addEventListener("change", () => { box.checked ? selected.add(r.run_id) : selected.delete(r.run_id); compareBtn.disabled = selected.size < 2; });
    const kids = children[r.run_id] || [];
    const fold = kids.length ? h("button", { class: "fold", title: "show nested runs" }, `▸ ${kids.length}`) : null;
    const tr = h("tr", { class: depth ? "child" : "", "data-run": r.run_id }, h("td", {}, box),
      h("td", { class: depth ? "nested" : "" }, fold, link(runLabel(r), "/run", { id: r.run_id })), h("td", {}, badge(r.status)),
      h("td", {}, when(r.start_time)), h("td", { class: "num" }, dur(r.duration)),
      cols.map((c, i) => h("td", { class: "num" + (best[i] !== null && r.values[i] === best[i] ? " best" : "") }, fmtNum(r.values[i]))));
    const out = [tr];
    const kidRows = kids.flatMap((k) => rowFor(k, depth + 1));
    kidRows.forEach((k) => { k.hidden = true; });
    if (fold) fold.addEventListener("click", () => { const show = kidRows[0].hidden; kidRows.forEach((k) => { k.hidden = !show; }); fold.textContent = `${show ? "▾" : "▸"} ${kids.length}`; });
    return out.concat(kidRows);
  };
  const head = [["", null], ["run", "attributes.run_name"], ["status", "attributes.status"], ["started", "attributes.start_time"],
    ["duration", "attributes.duration"], ...cols.map((c) => [c, c])];
  const table = h("table", { class: "grid", id: "runs" },
    h("thead", {}, h("tr", {}, head.map(([label, key]) => (key ? h("th", { class: "sortable", "data-key": key, onclick: () => sortBy(key) }, label + arrow(key)) : h("th", {}, label))))),
    h("tbody", {}, top.flatMap((r) => rowFor(r, 0))));
  const last = Math.min(data.offset + data.limit, data.total);
  const pager = h("div", { class: "pager" },
    h("button", { disabled: data.offset === 0, onclick: () => go("/runs", { ...view, offset: Math.max(0, data.offset - data.limit) }) }, "‹ prev"),
    h("span", { id: "page-info" }, data.total ? `${data.offset + 1}–${last} of ${data.total}${data.runs > data.total ? ` (${data.runs} runs with nested ones)` : ""}` : "no runs match"),
    h("button", { disabled: last >= data.total, onclick: () => go("/runs", { ...view, offset: data.offset + data.limit }) }, "next ›"));
  const chooser = h("details", { class: "columns" }, h("summary", {}, "Columns"),
    ...["metrics", "params", "tags", "attributes"].map((section) => h("fieldset", {}, h("legend", {}, section),
      data.choices[section].map((k) => {
        const key = `${section}.${k}`;
        const box = h("input", { type: "checkbox", value: key, checked: cols.includes(key) });
        box.addEventListener("change", () => {
          const next = box.checked ? [...cols, key] : cols.filter((c) => c !== key);
          go("/runs", { ...view, columns: next.join(",") });
        });
        return h("label", {}, box, k);
      }))));
  const csv = h("a", { class: "button", id: "csv", href: `/api/runs.csv?${new URLSearchParams({ ...view, columns: cols.join(",") })}` }, "Export CSV");
  toolbar.append(chooser, csv, compareBtn);
  app.replaceChildren(h("h1", {}, view.experiment || "All runs"), toolbar, h("div", { class: "table-wrap" }, table), pager,
    h("p", { class: "hint" }, "Click a column to sort; highlighted cells are the best value on the page (", "lower is better unless the name says accuracy/score/r2/…). Tick two or more runs to compare."));
}

// ---------------------------------------------------------------- run page
function kv(obj, id) {
  const keys = Object.keys(obj || {}).sort();
  if (!keys.length) return h("p", { class: "muted" }, "none");
  return h("table", { class: "kv", id }, h("tbody", {}, keys.map((k) => h("tr", {}, h("th", {}, k), h("td", {}, fmtNum(obj[k]))))));
}

function diffView(text) {
  return h("pre", { class: "diff" }, text.split("\n").map((line) => h("span", {
    class: line.startsWith("+++") || line.startsWith("---") ? "meta" : line.startsWith("+") ? "add"
      : line.startsWith("-") ? "del" : line.startsWith("@@") ? "hunk" : "" }, line + "\n")));
}

const chartStates = {};
async function drawRunCharts(runId, host) {
  const data = await getJSON(`/api/run/${runId}/metrics`);
  for (const [key, m] of Object.entries(data.metrics).sort()) {
    let panel = host.querySelector(`[data-metric="${CSS.escape(key)}"]`);
    if (!panel) { panel = h("div", { class: "metric-chart", "data-metric": key }); host.appendChild(panel); }
    chartStates[key] = metricPanel(panel, `${key} (${m.step.length} steps)`, [{ name: key, ...m }], chartStates[key]);
  }
}

async function runPage() {
  const id = params().get("id");
  const run = await getJSON(`/api/run/${encodeURIComponent(id)}`);
  const src = run.source || {};
  const facts = [["run id", run.run_id], ["experiment", link(run.experiment, "/runs", { experiment: run.experiment })],
    ["started", when(run.start_time)], ["ended", when(run.end_time)], ["duration", dur(run.duration)],
    ["command", run.command ? run.command.join(" ") : ""], ["source", src.commit ? `${src.commit.slice(0, 10)}${src.branch ? ` on ${src.branch}` : ""}${src.dirty ? " (dirty: diff below)" : ""}` : ""],
    ["run commit", run.commit || "(not committed yet: running)"], ["author", run.author || ""], ["host", run.host || ""],
    ["python", run.python || ""], ["exit", run.exit_code === null ? "" : String(run.exit_code)], ["error", run.error || ""]];
  const charts = h("div", { class: "charts", id: "charts" });
  const arts = h("div", { id: "artifacts" }, run.artifacts.length ? run.artifacts.map((a) => {
    const url = `/api/run/${run.run_id}/artifact/${a.path.split("/").map(encodeURIComponent).join("/")}`;
    const item = h("div", { class: "artifact" }, h("div", {}, h("b", {}, a.path), ` ${a.size.toLocaleString()} bytes `, h("a", { href: `${url}?download=1` }, "download")));
    if (a.kind === "image") item.append(h("img", { src: url, alt: a.path, class: "artifact-image" }));
    if (a.kind === "text") {
      const pre = h("pre", { class: "preview" }, "…");
      fetch(url).then((r) => r.text()).then((t) => { pre.textContent = t.length > 20000 ? t.slice(0, 20000) + "\n… (download for the rest)" : t; });
      item.append(pre);
    }
    return item;
  }) : h("p", { class: "muted" }, "no artifacts"));
  const section = (title, ...body) => h("section", {}, h("h2", {}, title), ...body);
  app.replaceChildren(
    h("h1", {}, runLabel(run), " ", badge(run.status), h("span", { class: "subtitle" }, ` in ${run.experiment}`)),
    h("div", { class: "columns3" }, section("Metrics (latest)", kv(run.metrics, "metrics")), section("Params", kv(run.params, "params")), section("Tags", kv(run.tags, "tags"))),
    section("Charts", charts),
    section("Details", h("table", { class: "kv facts" }, h("tbody", {}, facts.filter(([, v]) => v !== "").map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, v)))))),
    section("Artifacts", arts),
    ...(run.inputs.length ? [section("Inputs", h("table", { class: "grid", id: "inputs" }, h("thead", {}, h("tr", {}, ["input", "context", "content", "size / rows", "source"].map((t) => h("th", {}, t)))),
      h("tbody", {}, run.inputs.map((i) => h("tr", { title: i.line }, [i.name, i.context || "", i.id, i.size || (i.rows === null ? "" : `${i.rows.toLocaleString()} rows`), i.source].map((v) => h("td", {}, v)))))))] : []),
    ...(run.models.length ? [section("Logged models", ...run.models.map((m) => h("div", {}, h("b", {}, m.path), h("pre", { class: "preview" }, m.descriptor || ""))))] : []),
    ...(run.patch ? [section("Uncommitted changes (dirty diff)", diffView(run.patch))] : []),
    ...(run.stdout || run.stderr ? [section("Output (tail)", h("pre", { class: "output" }, (run.stdout || "") + (run.stderr ? "\n--- stderr ---\n" + run.stderr : "")))] : []),
    section("Packages", h("details", {}, h("summary", {}, `${run.packages.length} installed packages`), h("pre", {}, run.packages.join("\n")))));
  await drawRunCharts(run.run_id, charts);
  refresh = async () => {
    const fresh = await getJSON(`/api/run/${encodeURIComponent(id)}`);
    if (fresh.status !== run.status) return runPage();
    document.getElementById("metrics").replaceWith(kv(fresh.metrics, "metrics"));
    await drawRunCharts(run.run_id, charts);
  };
}

// ---------------------------------------------------------------- compare
async function comparePage() {
  const ids = (params().get("runs") || "").split(",").filter(Boolean);
  if (ids.length < 2) { showError("Pick two or more runs in the runs table to compare them."); return; }
  const data = await getJSON(`/api/compare?runs=${ids.map(encodeURIComponent).join(",")}`);
  const runs = data.runs.map((r, i) => ({ ...r, color: PALETTE[i % PALETTE.length] }));
  const head = h("tr", {}, h("th", {}, "key"), runs.map((r) => h("th", {}, h("span", { class: "dot" }), link(runLabel(r), "/run", { id: r.run_id }))));
  head.querySelectorAll(".dot").forEach((d, i) => { d.style.background = runs[i].color; });
  const winner = (row) => {
    const nums = row.values.filter((v) => typeof v === "number");
    if (!row.key.startsWith("metrics.") || nums.length < 2) return null;
    return higherIsBetter(row.key) ? Math.max(...nums) : Math.min(...nums);
  };
  const rows = data.rows.map((row) => h("tr", {}, h("th", {}, row.key), row.values.map((v, i) => {
    const d = row.deltas[i], best = winner(row);
    const better = typeof d === "number" && row.key.startsWith("metrics.") ? ((d > 0) === higherIsBetter(row.key) ? "up" : "down") : "";
    return h("td", { class: "num" + (best !== null && v === best ? " best" : "") }, fmtNum(v), typeof d === "number" && d !== 0 ? h("span", { class: `delta ${better}` }, ` (${d > 0 ? "+" : ""}${fmtNum(d)})`) : "");
  })));
  const numericKeys = data.rows.map((r) => r.key).filter((k) => data.rows.find((r) => r.key === k).values.some((v) => typeof v === "number"));
  const allKeys = [...new Set(runs.flatMap((r) => [...Object.keys(r.params).map((k) => `params.${k}`), ...Object.keys(r.metrics).map((k) => `metrics.${k}`)]))].sort();
  const valueOf = (r, key) => { const [sec, ...rest] = key.split("."); return r[sec][rest.join(".")]; };
  const xSel = h("select", { id: "scatter-x" }, allKeys.map((k) => h("option", {}, k)));
  const ySel = h("select", { id: "scatter-y" }, allKeys.map((k) => h("option", {}, k)));
  xSel.value = numericKeys.find((k) => k.startsWith("params.")) || allKeys[0];
  ySel.value = numericKeys.find((k) => k.startsWith("metrics.")) || allKeys[allKeys.length - 1];
  const scatterHost = h("div", { id: "scatter" });
  const drawScatter = () => scatterChart(scatterHost, runs.map((r) => ({ x: valueOf(r, xSel.value), y: valueOf(r, ySel.value), label: runLabel(r), color: r.color })), xSel.value, ySel.value);
  xSel.addEventListener("change", drawScatter); ySel.addEventListener("change", drawScatter);
  const numericAll = allKeys.filter((k) => runs.some((r) => typeof valueOf(r, k) === "number"));
  const pickKey = (id, value) => { const sel = h("select", { id }, numericAll.map((k) => h("option", {}, k))); if (value) sel.value = value; return sel; };
  const paramKeys = numericAll.filter((k) => k.startsWith("params.")), metricKeys = numericAll.filter((k) => k.startsWith("metrics."));
  const cxSel = pickKey("contour-x", paramKeys[0]), cySel = pickKey("contour-y", paramKeys[1] || paramKeys[0]), czSel = pickKey("contour-z", metricKeys[0]);
  const contourHost = h("div", { id: "contour" });
  const drawContour = () => contourChart(contourHost, runs.map((r) => ({ x: valueOf(r, cxSel.value), y: valueOf(r, cySel.value), z: valueOf(r, czSel.value), label: runLabel(r) })),
    cxSel.value, cySel.value, czSel.value);
  [cxSel, cySel, czSel].forEach((s) => s.addEventListener("change", drawContour));
  const pcKeys = data.rows.map((r) => r.key).filter((k) => k.startsWith("params.")).concat(data.rows.map((r) => r.key).filter((k) => k.startsWith("metrics.")));
  const pcHost = h("div", { id: "parallel" });
  const curves = h("div", { class: "charts", id: "compare-charts" });
  app.replaceChildren(h("h1", {}, `Compare ${runs.length} runs`),
    ...(data.data ? [h("p", { id: "data-line", class: data.data === "data: same" ? "muted" : "error" }, data.data)] : []),
    h("p", { class: "hint" }, `Only the ${data.rows.length} keys that differ are shown (${data.same} identical keys hidden). Changes are against the first run; green is better, and the best value of each metric is highlighted.`),
    h("div", { class: "table-wrap" }, h("table", { class: "grid", id: "diff" }, h("thead", {}, head), h("tbody", {}, rows))),
    h("h2", {}, "Metric curves"), curves,
    h("h2", {}, "Scatter"), h("div", { class: "toolbar" }, "x ", xSel, " y ", ySel), scatterHost,
    h("h2", {}, "Parallel coordinates"), pcHost,
    h("h2", {}, "Code"), h("div", { id: "code-diffs" }, data.code_diffs.map((d) => {
      const other = runs.find((r) => r.run_id === d.run_id), first = runs[0];
      const title = `${runLabel(first)} → ${runLabel(other)}`;
      return d.diff ? h("details", { class: "code-diff", open: true }, h("summary", {}, title), diffView(d.diff))
        : h("p", { class: "muted code-diff" }, `${title}: same code`);
    })),
    h("h2", {}, "Contour"), h("div", { class: "toolbar" }, "x ", cxSel, " y ", cySel, " colour ", czSel), contourHost);
  drawScatter();
  drawContour();
  if (pcKeys.length) parallelChart(pcHost, runs.map((r) => ({ label: runLabel(r), color: r.color, values: Object.fromEntries(pcKeys.map((k) => [k, valueOf(r, k)])) })), pcKeys);
  const histories = await Promise.all(runs.map((r) => getJSON(`/api/run/${r.run_id}/metrics`)));
  const keys = [...new Set(histories.flatMap((d) => Object.keys(d.metrics)))].sort();
  for (const key of keys) {
    const series = histories.map((d, i) => (d.metrics[key] ? { name: runLabel(runs[i]), color: runs[i].color, ...d.metrics[key] } : null)).filter(Boolean);
    const panel = h("div", { class: "metric-chart", "data-metric": key });
    curves.appendChild(panel);
    metricPanel(panel, key, series);
  }
}

// ---------------------------------------------------------------- registry
async function modelsPage() {
  const data = await getJSON("/api/models");
  if (!data.models.length) {
    app.replaceChildren(h("h1", {}, "Models"), h("p", {}, "No registered models. Register one with: gx models register RUN NAME"));
    return;
  }
  app.replaceChildren(h("h1", {}, "Models"), ...data.models.map((m) => h("section", { class: "model", "data-model": m.name },
    h("h2", {}, m.name, m.deprecated ? " " : "", m.deprecated ? badge("DEPRECATED") : "",
      ...Object.entries(m.aliases).map(([a, v]) => h("span", { class: "alias" }, `@${a} → v${v}`))),
    h("div", { class: "table-wrap" }, h("table", { class: "grid versions" },
      h("thead", {}, h("tr", {}, ["version", "aliases", "stage", "run", "registered", "by", ""].map((t) => h("th", {}, t)))),
      h("tbody", {}, m.versions.map((v) => h("tr", { class: v.active ? "" : "inactive" },
        h("td", {}, `v${v.version}`), h("td", {}, v.aliases.map((a) => `@${a}`).join(" ")), h("td", {}, v.stage || ""),
        h("td", {}, v.run_id ? link(v.run_id.slice(0, 8), "/run", { id: v.run_id }) : ""), h("td", {}, when(v.registered)),
        h("td", {}, v.by), h("td", {}, v.active ? "" : "deregistered")))))),
    h("details", {}, h("summary", {}, `History (${m.events.length} events)`),
      h("table", { class: "kv" }, h("tbody", {}, m.events.map((e) => h("tr", {}, h("th", {}, when(e.time)),
        h("td", {}, `${e.kind}${e.version ? ` v${e.version}` : ""}${e.alias ? ` @${e.alias}` : ""} by ${e.who}`)))))))));
}

// ---------------------------------------------------------------- routing and live updates
async function route() {
  refresh = null;
  document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("active", a.getAttribute("href") === location.pathname));
  const page = { "/": experimentsPage, "/runs": runsPage, "/run": runPage, "/compare": comparePage, "/models": modelsPage }[location.pathname];
  try {
    if (page) { if (page !== runPage) refresh = page; await page(); } else showError("No such page.");
    document.body.dataset.ready = "1";
  } catch (e) {
    showError(e.message);
  }
}

async function poll() {
  try {
    const { version } = await getJSON("/api/version");
    const busy = document.querySelector("details.columns[open]") || (document.activeElement && document.activeElement.id === "filter");
    if (currentVersion !== null && version !== currentVersion && refresh && !busy) await refresh();
    currentVersion = version;
  } catch (e) { /* the server stopped: keep the page as it is */ }
  setTimeout(poll, 1500);
}

window.addEventListener("popstate", route);
route();
poll();
})();
