// Threshold explorer (Week 3). Python stored, for each task, the true and
// false positives at a ladder of thresholds, both curves (thinned) and a
// histogram of the scores (aimastery/widgets/threshold.py); this file
// recomputes the confusion matrix, precision, recall and the expected cost
// at the chosen threshold and cost ratio, and draws.

const W = 720, H = 430;
const HIST = { x: 56, y: 28, w: 630, h: 110 };
const SQUARE = 170, ROW = 228;
const ROC = { x: 56, y: ROW, w: SQUARE, h: SQUARE };
const PR = { x: 296, y: ROW, w: SQUARE, h: SQUARE };
const COST = { x: 536, y: ROW, w: SQUARE - 20, h: SQUARE };
const NEG = "#0072B2", POS = "#D55E00", POINT = "var(--aim-fg)";

function label(x, y, content, attrs = {}) {
  return s("text", { x, y, "font-size": 11, ...attrs }, content);
}

// A threshold for display: "above every score" for the last step.
function showThreshold(t) {
  if (t === null || t === undefined) return "above every score";
  if (t !== 0 && Math.abs(t) < 1e-3) return t.toExponential(2).replace("-", "−");
  return t.toPrecision(3);
}

function ratioText(r) { return r >= 1 ? `${r}` : `1/${Math.round(1 / r)}`; }

// The box's frame, a title, and ticks at 0, 0.5, 1 on both axes (unit square).
function unitAxes(svg, box, title, xLabel, yLabel) {
  const x = (v) => box.x + v * box.w, y = (v) => box.y + (1 - v) * box.h;
  svg.append(s("rect", { x: box.x, y: box.y, width: box.w, height: box.h, fill: "none", stroke: "var(--aim-border)" }));
  for (const v of [0, 0.5, 1]) {
    svg.append(label(x(v), box.y + box.h + 13, fmt(v, 1), { "text-anchor": "middle", "font-size": 10, fill: "var(--aim-muted)" }));
    svg.append(label(box.x - 5, y(v) + 4, fmt(v, 1), { "text-anchor": "end", "font-size": 10, fill: "var(--aim-muted)" }));
  }
  svg.append(label(box.x, box.y - 8, title, { "font-weight": "bold" }));
  svg.append(label(box.x + box.w / 2, box.y + box.h + 27, xLabel, { "text-anchor": "middle", fill: "var(--aim-muted)" }));
  svg.append(label(box.x - 30, box.y + box.h / 2, yLabel, { "text-anchor": "middle", fill: "var(--aim-muted)",
    transform: `rotate(-90 ${box.x - 30} ${box.y + box.h / 2})` }));
  return { x, y };
}

function polyline(xs, ys, sx, sy, colour) {
  const points = xs.map((v, i) => `${sx(v).toFixed(1)},${sy(ys[i]).toFixed(1)}`).join(" ");
  return s("polyline", { points, fill: "none", stroke: colour, "stroke-width": 1.8 });
}

function dot(x, y, r = 5) {
  return s("circle", { cx: x, cy: y, r, fill: POINT, stroke: "var(--aim-bg)", "stroke-width": 1.5 });
}

function drawHistogram(svg, task, threshold) {
  const edges = task.hist.edges, nb = edges.length - 1, lo = edges[0], hi = edges[nb];
  const peak = Math.log10(1 + Math.max(1, ...task.hist.pos, ...task.hist.neg));
  const x = (v) => HIST.x + ((v - lo) / (hi - lo)) * HIST.w;
  const y = (c) => HIST.y + HIST.h * (1 - Math.log10(1 + c) / peak);
  svg.append(label(HIST.x, HIST.y - 10, `${task.score_name} of each validation example (counts on a log scale)`,
    { "font-weight": "bold" }));
  for (const [counts, colour] of [[task.hist.neg, NEG], [task.hist.pos, POS]]) {
    let d = `M ${x(lo)} ${y(0)}`;
    counts.forEach((c, b) => { d += ` L ${x(edges[b])} ${y(c)} L ${x(edges[b + 1])} ${y(c)}`; });
    d += ` L ${x(hi)} ${y(0)} Z`;
    svg.append(s("path", { d, fill: colour, "fill-opacity": 0.35, stroke: colour }));
  }
  svg.append(s("line", { x1: HIST.x, x2: HIST.x + HIST.w, y1: y(0), y2: y(0), stroke: "var(--aim-border)" }));
  for (const v of [lo, (lo + hi) / 2, hi]) {
    svg.append(label(x(v), y(0) + 14, showThreshold(v), { "text-anchor": "middle", "font-size": 10, fill: "var(--aim-muted)" }));
  }
  const tx = threshold === null ? HIST.x + HIST.w : x(Math.min(Math.max(threshold, lo), hi));
  svg.append(s("rect", { x: tx, y: HIST.y, width: Math.max(0, HIST.x + HIST.w - tx), height: HIST.h,
    fill: "var(--aim-accent)", "fill-opacity": 0.07 }));
  svg.append(s("line", { x1: tx, x2: tx, y1: HIST.y - 2, y2: y(0), stroke: POINT, "stroke-width": 2 }));
  svg.append(label(Math.min(tx + 4, HIST.x + HIST.w - 60), HIST.y + 10, "flagged →", { "font-size": 10 }));
  // the key under the axis; inline style, since the widget's CSS colours every SVG text
  const key = label(HIST.x, y(0) + 32, "", { "font-size": 11 });
  key.append(s("tspan", { style: `fill: ${POS}` }, `■ ${task.positive}`),
    s("tspan", { dx: 16, style: `fill: ${NEG}` }, `■ ${task.negative}`));
  svg.append(key);
}

function drawCurves(svg, task, st) {
  const roc = unitAxes(svg, ROC, `ROC · AUC ${fmt(task.auc, 3)}`, "false-positive rate", "true-positive rate");
  svg.append(s("line", { x1: roc.x(0), y1: roc.y(0), x2: roc.x(1), y2: roc.y(1), stroke: "var(--aim-border)",
    "stroke-dasharray": "3 3" }));
  svg.append(polyline(task.roc.fpr, task.roc.tpr, roc.x, roc.y, NEG));
  svg.append(dot(roc.x(st.fpr), roc.y(st.recall)));
  const pr = unitAxes(svg, PR, `precision–recall · AP ${fmt(task.ap, 3)}`, "recall", "precision");
  const base = task.n_pos / (task.n_pos + task.n_neg);
  svg.append(s("line", { x1: pr.x(0), y1: pr.y(base), x2: pr.x(1), y2: pr.y(base), stroke: "var(--aim-border)",
    "stroke-dasharray": "3 3" }));
  svg.append(polyline(task.pr.recall, task.pr.precision, pr.x, pr.y, "#009E73"));
  if (st.precision !== null) svg.append(dot(pr.x(st.recall), pr.y(st.precision)));
}

function drawCost(svg, costs, index, best) {
  const top = Math.max(...costs, 1e-12), n = costs.length - 1;
  const x = (i) => COST.x + (i / Math.max(1, n)) * COST.w, y = (c) => COST.y + COST.h * (1 - c / top);
  svg.append(s("rect", { x: COST.x, y: COST.y, width: COST.w, height: COST.h, fill: "none", stroke: "var(--aim-border)" }));
  svg.append(label(COST.x, COST.y - 8, "expected cost", { "font-weight": "bold" }));
  svg.append(polyline(costs.map((_, i) => i), costs, x, y, "#CC79A7"));
  svg.append(s("path", { d: `M ${x(best) - 5} ${y(costs[best]) + 9} L ${x(best) + 5} ${y(costs[best]) + 9} L ${x(best)} ${y(costs[best]) + 2} Z`,
    fill: "#CC79A7" }));
  svg.append(dot(x(index), y(costs[index])));
  svg.append(label(COST.x - 5, COST.y + 4, fmt(top, 2), { "text-anchor": "end", "font-size": 10, fill: "var(--aim-muted)" }));
  svg.append(label(COST.x - 5, COST.y + COST.h + 4, "0", { "text-anchor": "end", "font-size": 10, fill: "var(--aim-muted)" }));
  svg.append(label(COST.x + COST.w / 2, COST.y + COST.h + 13, "threshold: low → high", { "text-anchor": "middle",
    "font-size": 10, fill: "var(--aim-muted)" }));
  svg.append(label(COST.x + COST.w / 2, COST.y + COST.h + 27, "per example", { "text-anchor": "middle", fill: "var(--aim-muted)" }));
}

function confusionTable(task, st) {
  const cell = (n, kind) => h("td", { class: `aim-cm-${kind}` }, String(n));
  return h("table", { class: "aim-cm" },
    h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", {}, "flagged"), h("th", {}, "not flagged"))),
    h("tbody", {},
      h("tr", {}, h("th", {}, task.positive), cell(st.tp, "right"), cell(st.fn, "wrong")),
      h("tr", {}, h("th", {}, task.negative), cell(st.fp, "wrong"), cell(st.tn, "right"))));
}

// Counts, rates and cost at threshold i (as state_at in threshold.py).
function stateAt(task, i, ratio) {
  const tp = task.tp[i], fp = task.fp[i], fn = task.n_pos - tp, tn = task.n_neg - fp;
  const n = task.n_pos + task.n_neg;
  return { tp, fp, fn, tn, precision: tp + fp ? tp / (tp + fp) : null, recall: tp / task.n_pos,
    fpr: fp / task.n_neg, cost: (fp + ratio * fn) / n };
}

function render({ model, el }) {
  const root = h("div", { class: "aim-widget aim-threshold", "data-aim-widget": "threshold" });
  el.append(root);
  const data = () => model.get("data") || {};
  const set = (name, value) => { model.set(name, value); model.save_changes(); };
  const d0 = data();
  if (!d0.tasks || !d0.tasks.length || !d0.cost_ratios || !d0.cost_ratios.length) {
    root.append(h("div", { "data-aim-view": "" }, notice("No scored task to show.", "error")));
    return;
  }
  const taskSelect = selectControl("task", d0.tasks.map((t) => t.name), model.get("task"), (i) => {
    set("task", i);
    set("index", data().tasks[i].start);
  });
  const ratioSelect = selectControl("a miss costs", d0.cost_ratios.map((r) => `${ratioText(r)} false alarms`),
    model.get("cost_ratio"), (i) => set("cost_ratio", i));
  const first = d0.tasks[model.get("task")] || d0.tasks[0];
  const slider = valueRange("threshold", first.thresholds, model.get("index"), showThreshold, (i) => set("index", i));
  const view = h("div", { "data-aim-view": "" });
  root.append(h("div", { class: "aim-controls" }, taskSelect, ratioSelect), h("div", { class: "aim-controls" }, slider), view);

  function redraw() {
    const d = data();
    const task = d.tasks[model.get("task")];
    const ratio = d.cost_ratios[model.get("cost_ratio")];
    // a new task may have fewer steps: the index is clamped until its own start is set
    const i = task ? Math.min(model.get("index"), task.thresholds.length - 1) : -1;
    view.replaceChildren();
    if (!task || ratio === undefined || !(i >= 0)) {
      view.append(notice("This setting is not in the stored data: pick another task or threshold.", "warning"));
      return;
    }
    if (!(task.n_pos > 0 && task.n_neg > 0)) {
      view.append(notice("This task needs both positives and negatives to draw its curves.", "error"));
      return;
    }
    slider.update(i, task.thresholds);
    const st = stateAt(task, i, ratio);
    const costs = task.tp.map((_, k) => stateAt(task, k, ratio).cost);
    const best = costs.indexOf(Math.min(...costs));
    const t = task.thresholds[i];
    const flagged = st.tp + st.fp;
    view.append(h("div", { class: "aim-caption" }, h("strong", {}, task.name), ` Flag every example whose ${task.score_name} is `,
      t === null ? "above every score (flag nothing)" : `at least ${showThreshold(t)}`,
      `: ${flagged} of ${task.n_pos + task.n_neg} flagged.`));
    const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, width: W, role: "img",
      "aria-label": `scores by class with the threshold, the ROC and precision-recall curves with the current point, and the cost at each threshold` });
    drawHistogram(svg, task, t);
    drawCurves(svg, task, st);
    drawCost(svg, costs, i, best);
    view.append(svg);
    const precision = st.precision === null ? "undefined (nothing is flagged)" : fmt(st.precision, 3);
    const readout = h("div", { class: "aim-panel" },
      h("div", {}, h("strong", {}, "precision "), precision, h("span", { class: "aim-muted" }, `: of the flagged, the share that are ${task.positive}`)),
      h("div", {}, h("strong", {}, "recall "), fmt(st.recall, 3), h("span", { class: "aim-muted" }, `: of the ${task.n_pos} positives, the share flagged`)),
      h("div", {}, h("strong", {}, "false-positive rate "), fmt(st.fpr, 3), h("span", { class: "aim-muted" }, `: of the ${task.n_neg} negatives, the share flagged`)),
      h("div", {}, h("strong", {}, "expected cost "), `${fmt(st.cost, 4)} false alarms per example`,
        h("span", { class: "aim-muted" }, ` (${st.fp} false alarms + ${ratioText(ratio)} × ${st.fn} misses, over ${task.n_pos + task.n_neg})`)),
      h("div", {}, h("strong", {}, "cheapest threshold here "), `${showThreshold(task.thresholds[best])}, cost ${fmt(costs[best], 4)} ▼`,
        task.probabilities ? h("span", { class: "aim-muted" }, `; for calibrated probabilities, theory says 1/(1 + r) = ${fmt(1 / (1 + ratio), 3)}`) : null));
    view.append(h("div", { class: "aim-threshold-bottom" }, confusionTable(task, st), readout));
  }
  watch(model, ["data", "task", "index", "cost_ratio"], redraw);
}

export default { render };
