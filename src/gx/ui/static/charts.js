// gx ui charts: small SVG line charts, scatters and parallel coordinates (no library, no build step).
(function () {
"use strict";

const SVGNS = "http://www.w3.org/2000/svg";
const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
  "#7f7f7f", "#bcbd22"];

function svgEl(tag, attrs, parent) {
  const el = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  if (parent) parent.appendChild(el);
  return el;
}

function fmtNum(v) {
  if (v === null || v === undefined) return "";
  if (typeof v !== "number") return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
  return String(Number(v.toPrecision(5)));
}

function niceTicks(lo, hi, count) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

function extent(values) {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) if (v !== null && isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (lo === Infinity) return [0, 1];
  if (lo === hi) { const pad = Math.abs(lo) * 0.05 || 1; return [lo - pad, hi + pad]; }
  return [lo, hi];
}

// Exponential moving average with TensorBoard's debiasing, so the first points are not pulled to 0.
function smooth(values, weight) {
  if (!weight) return values;
  let last = 0, count = 0;
  return values.map((v) => {
    if (v === null || !isFinite(v)) return v;
    last = last * weight + (1 - weight) * v; count++;
    return last / (1 - Math.pow(weight, count));
  });
}

// A line chart of several series. series: [{name, x: [], y: []}]. opts: {xLabel, log, smoothing, title}.
function lineChart(host, series, opts) {
  opts = Object.assign({ width: 560, height: 300, log: false, smoothing: 0, xLabel: "step" }, opts || {});
  host.textContent = "";
  const hidden = opts.hidden || new Set();
  const W = opts.width, H = opts.height, m = { l: 62, r: 14, t: opts.title ? 24 : 10, b: 34 };
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img" }, host);
  if (opts.title) svgEl("text", { x: m.l, y: 16, class: "chart-title" }, svg).textContent = opts.title;
  const tx = (v) => (opts.log ? (v > 0 ? Math.log10(v) : null) : v);
  const shown = series.map((s, i) => ({ ...s, color: s.color || PALETTE[i % PALETTE.length],
    ys: smooth(s.y, opts.smoothing).map(tx) })).filter((s) => !hidden.has(s.name));
  let [x0, x1] = opts.zoom || extent(shown.flatMap((s) => s.x));
  const inX = (s, i) => s.x[i] >= x0 && s.x[i] <= x1;
  const [y0, y1] = extent(shown.flatMap((s) => s.ys.filter((_, i) => inX(s, i))));
  const px = (x) => m.l + ((x - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
  const py = (y) => H - m.b - ((y - y0) / (y1 - y0 || 1)) * (H - m.t - m.b);
  const axes = svgEl("g", { class: "axes" }, svg);
  for (const t of niceTicks(y0, y1, 5)) {
    svgEl("line", { x1: m.l, x2: W - m.r, y1: py(t), y2: py(t), class: "grid" }, axes);
    svgEl("text", { x: m.l - 6, y: py(t) + 4, class: "tick", "text-anchor": "end" }, axes).textContent =
      opts.log ? fmtNum(Math.pow(10, t)) : fmtNum(t);
  }
  const xTime = opts.xLabel === "wall time";
  for (const t of niceTicks(x0, x1, 6)) {
    svgEl("line", { x1: px(t), x2: px(t), y1: m.t, y2: H - m.b, class: "grid" }, axes);
    svgEl("text", { x: px(t), y: H - m.b + 16, class: "tick", "text-anchor": "middle" }, axes).textContent =
      xTime ? `${fmtNum(t)}s` : fmtNum(t);
  }
  svgEl("text", { x: W - m.r, y: H - 4, class: "axis-label", "text-anchor": "end" }, axes).textContent = opts.xLabel;
  const plot = svgEl("g", { class: "plot" }, svg);
  for (const s of shown) {
    const pts = [];
    const pixelStep = (x1 - x0) / (W - m.l - m.r) / 2;  // at most ~2 points per pixel column
    let lastX = -Infinity;
    for (let i = 0; i < s.x.length; i++) {
      const y = s.ys[i];
      if (y === null || !isFinite(y) || !inX(s, i)) continue;
      if (s.x[i] - lastX < pixelStep && i !== s.x.length - 1) continue;
      lastX = s.x[i];
      pts.push(`${px(s.x[i]).toFixed(1)},${py(y).toFixed(1)}`);
    }
    const line = svgEl(pts.length > 1 ? "polyline" : "circle", pts.length > 1
      ? { points: pts.join(" "), class: "series", stroke: s.color, "data-name": s.name }
      : { cx: pts.length ? pts[0].split(",")[0] : -10, cy: pts.length ? pts[0].split(",")[1] : -10, r: 3,
          class: "series point", fill: s.color, "data-name": s.name }, plot);
    line.dataset.points = String(s.x.length);
  }
  // hover: a crosshair and the value of every shown series at the nearest step
  const cross = svgEl("line", { y1: m.t, y2: H - m.b, class: "crosshair", visibility: "hidden" }, svg);
  const tip = document.createElement("div");
  tip.className = "tooltip";
  tip.hidden = true;
  host.appendChild(tip);
  const toData = (ev) => {
    const r = svg.getBoundingClientRect();
    return x0 + ((((ev.clientX - r.left) / r.width) * W - m.l) / (W - m.l - m.r)) * (x1 - x0);
  };
  svg.addEventListener("mousemove", (ev) => {
    const x = toData(ev);
    if (x < x0 || x > x1) { cross.setAttribute("visibility", "hidden"); tip.hidden = true; return; }
    cross.setAttribute("x1", px(x)); cross.setAttribute("x2", px(x)); cross.setAttribute("visibility", "visible");
    const lines = [];
    for (const s of shown) {
      let best = -1, dist = Infinity;
      for (let i = 0; i < s.x.length; i++) { const d = Math.abs(s.x[i] - x); if (d < dist) { dist = d; best = i; } }
      if (best >= 0) lines.push([s.color, s.name, s.x[best], smooth(s.y, opts.smoothing)[best]]);
    }
    tip.textContent = "";
    for (const [color, name, sx, sy] of lines) {
      const row = document.createElement("div");
      const dot = document.createElement("span");
      dot.className = "dot"; dot.style.background = color;
      row.append(dot, `${name}: ${fmtNum(sy)} @ ${xTime ? fmtNum(sx) + "s" : fmtNum(sx)}`);
      tip.appendChild(row);
    }
    tip.hidden = false;
    const r = host.getBoundingClientRect();
    tip.style.left = `${Math.min(ev.clientX - r.left + 12, r.width - 200)}px`;
    tip.style.top = `${ev.clientY - r.top + 12}px`;
  });
  svg.addEventListener("mouseleave", () => { cross.setAttribute("visibility", "hidden"); tip.hidden = true; });
  // zoom: drag across x; double-click resets
  let dragFrom = null;
  const band = svgEl("rect", { y: m.t, height: H - m.t - m.b, class: "zoom-band", visibility: "hidden" }, svg);
  svg.addEventListener("mousedown", (ev) => { dragFrom = toData(ev); ev.preventDefault(); });
  svg.addEventListener("mousemove", (ev) => {
    if (dragFrom === null) return;
    const a = px(Math.max(x0, Math.min(dragFrom, toData(ev)))), b = px(Math.min(x1, Math.max(dragFrom, toData(ev))));
    band.setAttribute("x", a); band.setAttribute("width", Math.max(0, b - a)); band.setAttribute("visibility", "visible");
  });
  svg.addEventListener("mouseup", (ev) => {
    if (dragFrom === null) return;
    const to = toData(ev), lo = Math.min(dragFrom, to), hi = Math.max(dragFrom, to);
    dragFrom = null;
    band.setAttribute("visibility", "hidden");
    if (hi - lo > (x1 - x0) / 100 && opts.onZoom) opts.onZoom([lo, hi]);
  });
  svg.addEventListener("dblclick", () => opts.onZoom && opts.onZoom(null));
  svg.addEventListener("wheel", (ev) => {  // Shift+wheel zooms around the pointer (plain wheel scrolls the page)
    if (!opts.onZoom || !ev.shiftKey) return;
    ev.preventDefault();
    const at = toData(ev), k = ev.deltaY < 0 ? 0.8 : 1.25;
    opts.onZoom([at - (at - x0) * k, at + (x1 - at) * k]);
  }, { passive: false });
  // legend: click a name to hide or show its series
  if (series.length > 1 || opts.legend) {
    const legend = document.createElement("div");
    legend.className = "legend";
    series.forEach((s, i) => {
      const item = document.createElement("button");
      item.className = "legend-item" + (hidden.has(s.name) ? " off" : "");
      const dot = document.createElement("span");
      dot.className = "dot"; dot.style.background = s.color || PALETTE[i % PALETTE.length];
      item.append(dot, s.name);
      item.addEventListener("click", () => opts.onToggle && opts.onToggle(s.name));
      legend.appendChild(item);
    });
    host.appendChild(legend);
  }
  return svg;
}

// A metric panel: a line chart with its controls (log scale, smoothing, x by step or wall time).
function metricPanel(host, title, series, state) {
  state = state || { log: false, smoothing: 0, xTime: false, zoom: null, hidden: new Set() };
  host.textContent = "";
  host.classList.add("panel");
  const bar = document.createElement("div");
  bar.className = "panel-bar";
  const h = document.createElement("h3");
  h.textContent = title;
  const log = document.createElement("label");
  const logBox = document.createElement("input");
  logBox.type = "checkbox"; logBox.checked = state.log; logBox.className = "log-toggle";
  log.append(logBox, " log");
  const sm = document.createElement("label");
  const smIn = document.createElement("input");
  smIn.type = "range"; smIn.min = "0"; smIn.max = "0.99"; smIn.step = "0.01"; smIn.value = String(state.smoothing);
  sm.append("smooth ", smIn);
  const xs = document.createElement("select");
  for (const v of ["step", "wall time"]) { const o = document.createElement("option"); o.textContent = v; xs.appendChild(o); }
  xs.value = state.xTime ? "wall time" : "step";
  bar.append(h, log, sm, xs);
  const area = document.createElement("div");
  area.className = "chart-area";
  host.append(bar, area);
  const draw = () => {
    const data = series.map((s) => ({ name: s.name, color: s.color,
      x: state.xTime ? s.time.map((t) => t - s.time[0]) : s.step, y: s.value }));
    lineChart(area, data, { log: state.log, smoothing: state.smoothing, zoom: state.zoom, hidden: state.hidden,
      xLabel: state.xTime ? "wall time" : "step",
      onZoom: (z) => { state.zoom = z; draw(); },
      onToggle: (name) => { state.hidden.has(name) ? state.hidden.delete(name) : state.hidden.add(name); draw(); } });
  };
  logBox.addEventListener("change", () => { state.log = logBox.checked; draw(); });
  smIn.addEventListener("input", () => { state.smoothing = Number(smIn.value); draw(); });
  xs.addEventListener("change", () => { state.xTime = xs.value === "wall time"; state.zoom = null; draw(); });
  draw();
  return state;
}

// A scatter of two keys; points: [{x, y, label, color}].
function scatterChart(host, points, xLabel, yLabel) {
  host.textContent = "";
  const W = 560, H = 320, m = { l: 62, r: 14, t: 10, b: 38 };
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img" }, host);
  const usable = points.filter((p) => typeof p.x === "number" && typeof p.y === "number");
  const [x0, x1] = extent(usable.map((p) => p.x)), [y0, y1] = extent(usable.map((p) => p.y));
  const px = (x) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const py = (y) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  for (const t of niceTicks(y0, y1, 5)) {
    svgEl("line", { x1: m.l, x2: W - m.r, y1: py(t), y2: py(t), class: "grid" }, svg);
    svgEl("text", { x: m.l - 6, y: py(t) + 4, class: "tick", "text-anchor": "end" }, svg).textContent = fmtNum(t);
  }
  for (const t of niceTicks(x0, x1, 6)) {
    svgEl("text", { x: px(t), y: H - m.b + 16, class: "tick", "text-anchor": "middle" }, svg).textContent = fmtNum(t);
  }
  svgEl("text", { x: W - m.r, y: H - 4, class: "axis-label", "text-anchor": "end" }, svg).textContent = xLabel;
  svgEl("text", { x: m.l, y: m.t + 4, class: "axis-label" }, svg).textContent = yLabel;
  usable.forEach((p, i) => {
    const c = svgEl("circle", { cx: px(p.x), cy: py(p.y), r: 6, class: "dot-point", fill: p.color || PALETTE[i % 10] }, svg);
    svgEl("title", {}, c).textContent = `${p.label}: ${xLabel}=${fmtNum(p.x)}, ${yLabel}=${fmtNum(p.y)}`;
  });
  return svg;
}

// Parallel coordinates: one vertical axis per key, one line per run. runs: [{label, color, values: {key: v}}].
function parallelChart(host, runs, keys) {
  host.textContent = "";
  const W = Math.max(560, keys.length * 130), H = 320, m = { l: 40, r: 40, t: 28, b: 24 };
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img" }, host);
  const ax = (i) => m.l + (keys.length > 1 ? (i / (keys.length - 1)) * (W - m.l - m.r) : (W - m.l - m.r) / 2);
  const scales = keys.map((k) => {
    const vals = runs.map((r) => r.values[k]);
    if (vals.every((v) => typeof v === "number" || v === undefined || v === null)) {
      const [lo, hi] = extent(vals.filter((v) => typeof v === "number"));
      return { f: (v) => (typeof v === "number" ? H - m.b - ((v - lo) / (hi - lo)) * (H - m.t - m.b) : null), lo, hi };
    }
    const cats = [...new Set(vals.filter((v) => v !== undefined && v !== null).map(String))].sort();
    return { f: (v) => (v === undefined || v === null ? null
      : H - m.b - ((cats.indexOf(String(v)) + 0.5) / cats.length) * (H - m.t - m.b)), cats };
  });
  keys.forEach((k, i) => {
    svgEl("line", { x1: ax(i), x2: ax(i), y1: m.t, y2: H - m.b, class: "pc-axis" }, svg);
    svgEl("text", { x: ax(i), y: 16, class: "axis-label", "text-anchor": "middle" }, svg).textContent = k;
    const s = scales[i];
    const labels = s.cats ? s.cats.map((c) => [c, s.f(c)]) : [[fmtNum(s.hi), m.t + 4], [fmtNum(s.lo), H - m.b]];
    for (const [text, y] of labels) svgEl("text", { x: ax(i) + 4, y, class: "tick" }, svg).textContent = text;
  });
  runs.forEach((r, j) => {
    const pts = keys.map((k, i) => [ax(i), scales[i].f(r.values[k])]).filter(([, y]) => y !== null);
    const line = svgEl("polyline", { points: pts.map(([x, y]) => `${x},${y}`).join(" "), class: "pc-line",
      stroke: r.color || PALETTE[j % 10] }, svg);
    svgEl("title", {}, line).textContent = r.label;
  });
  return svg;
}

// A filled contour of a metric over two keys, as MLflow's compare page draws it: the runs' values
// interpolated on a grid (inverse-distance weighting), cut into bands, the runs drawn on top.
// points: [{x, y, z, label}]; needs three runs with distinct (x, y).
const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
function bandColor(t) {
  const f = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1), i = Math.min(Math.floor(f), VIRIDIS.length - 2), u = f - i;
  const c = VIRIDIS[i].map((v, k) => Math.round(v + (VIRIDIS[i + 1][k] - v) * u));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}
function contourChart(host, points, xLabel, yLabel, zLabel) {
  host.textContent = "";
  const usable = points.filter((p) => [p.x, p.y, p.z].every((v) => typeof v === "number" && Number.isFinite(v)));
  if (new Set(usable.map((p) => `${p.x},${p.y}`)).size < 3) {
    const note = document.createElement("p");
    note.className = "muted";
    note.textContent = "A contour needs three runs with numbers for x, y and colour at different (x, y).";
    host.appendChild(note);
    return null;
  }
  const W = 560, H = 320, m = { l: 62, r: 70, t: 10, b: 38 }, NX = 48, NY = 30, BANDS = 8;
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img" }, host);
  const [x0, x1] = extent(usable.map((p) => p.x)), [y0, y1] = extent(usable.map((p) => p.y)), [z0, z1] = extent(usable.map((p) => p.z));
  const pw = W - m.l - m.r, ph = H - m.t - m.b;
  const px = (x) => m.l + ((x - x0) / (x1 - x0)) * pw, py = (y) => H - m.b - ((y - y0) / (y1 - y0)) * ph;
  // distances in the unit square, so keys of very different ranges weigh alike
  const nx = (x) => (x - x0) / (x1 - x0), ny = (y) => (y - y0) / (y1 - y0);
  for (let i = 0; i < NX; i++) {
    for (let j = 0; j < NY; j++) {
      const cx = (i + 0.5) / NX, cy = (j + 0.5) / NY;
      let num = 0, den = 0, exact = null;
      for (const p of usable) {
        const d2 = (nx(p.x) - cx) ** 2 + (ny(p.y) - cy) ** 2;
        if (d2 < 1e-12) { exact = p.z; break; }
        num += p.z / d2; den += 1 / d2;
      }
      const z = exact !== null ? exact : num / den;
      const band = Math.min(BANDS - 1, Math.floor(((z - z0) / (z1 - z0)) * BANDS));
      svgEl("rect", { x: m.l + (i * pw) / NX, y: m.t + ((NY - 1 - j) * ph) / NY, width: pw / NX + 0.5, height: ph / NY + 0.5,
        class: "contour-cell", fill: bandColor((band + 0.5) / BANDS), "data-band": band }, svg);
    }
  }
  for (const t of niceTicks(y0, y1, 5)) svgEl("text", { x: m.l - 6, y: py(t) + 4, class: "tick", "text-anchor": "end" }, svg).textContent = fmtNum(t);
  for (const t of niceTicks(x0, x1, 6)) svgEl("text", { x: px(t), y: H - m.b + 16, class: "tick", "text-anchor": "middle" }, svg).textContent = fmtNum(t);
  svgEl("text", { x: m.l + pw, y: H - 4, class: "axis-label", "text-anchor": "end" }, svg).textContent = xLabel;
  svgEl("text", { x: m.l, y: m.t - 1 + 12, class: "axis-label contour-y-label" }, svg).textContent = yLabel;
  for (let b = 0; b < BANDS; b++) {  // the colour bar: low at the bottom
    svgEl("rect", { x: W - m.r + 14, y: m.t + ((BANDS - 1 - b) * ph) / BANDS, width: 14, height: ph / BANDS, fill: bandColor((b + 0.5) / BANDS) }, svg);
  }
  svgEl("text", { x: W - m.r + 32, y: m.t + 10, class: "tick" }, svg).textContent = fmtNum(z1);
  svgEl("text", { x: W - m.r + 32, y: H - m.b, class: "tick" }, svg).textContent = fmtNum(z0);
  svgEl("text", { x: W - 2, y: H - 4, class: "axis-label", "text-anchor": "end" }, svg).textContent = zLabel;
  usable.forEach((p) => {
    const c = svgEl("circle", { cx: px(p.x), cy: py(p.y), r: 5, class: "contour-point" }, svg);
    svgEl("title", {}, c).textContent = `${p.label}: ${xLabel}=${fmtNum(p.x)}, ${yLabel}=${fmtNum(p.y)}, ${zLabel}=${fmtNum(p.z)}`;
  });
  return svg;
}

window.gxCharts = { lineChart, metricPanel, scatterChart, parallelChart, contourChart, PALETTE, fmtNum };
})();
