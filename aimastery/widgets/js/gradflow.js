// Gradient-flow visualizer (Week 4). Python trained every run and recorded
// gradient norms and activation histograms (aimastery/widgets/gradflow.py);
// this file only picks a run and a step, and draws.

const W = 760, H = 430;
const GRAD = { x: 56, y: 34, w: 280, h: 220 };      // gradient norms, per layer
const HIST = { x: 380, y: 34, w: 230, h: 220 };     // activation histograms (labels to their right)
const LOSS = { x: 56, y: 320, w: 680, h: 80 };      // loss over the steps

// Layer l of n, from dark (input side) to light (output side).
function layerColour(l, n) {
  const t = n > 1 ? l / (n - 1) : 0;
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const p = t * (stops.length - 1), i = Math.min(Math.floor(p), stops.length - 2), f = p - i;
  const c = stops[i].map((v, j) => Math.round(v + f * (stops[i + 1][j] - v)));
  return `rgb(${c.join(",")})`;
}

function pct(x) { return `${(100 * x).toFixed(0)}%`; }

// Two significant digits, exponent form below 0.01: short enough to label a bar.
function short(x) {
  if (!(x > 0)) return fmt(x, 2);
  return x < 0.01 ? x.toExponential(0).replace("-", "−") : x.toPrecision(2);
}

function text(x, y, content, attrs = {}) {
  return s("text", { x, y, "font-size": 11, ...attrs }, content);
}

// log10 range of every gradient norm in every run, so that switching runs keeps the axis.
function gradRange(runs) {
  let lo = Infinity, hi = -Infinity;
  for (const run of runs) for (const norms of run.grad_norms) for (const g of norms) {
    if (g > 0) { lo = Math.min(lo, Math.log10(g)); hi = Math.max(hi, Math.log10(g)); }
  }
  if (!Number.isFinite(lo)) return [-8, 1];
  return [Math.floor(lo), Math.ceil(hi)];
}

function drawGrad(svg, run, k, range) {
  const norms = run.grad_norms[k];
  const [lo, hi] = range;
  const y = (v) => GRAD.y + GRAD.h * (1 - (Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo));
  svg.append(text(GRAD.x, GRAD.y - 14, "gradient norm ‖∂L/∂W‖ of each layer (log scale)", { "font-weight": "bold" }));
  for (let e = lo; e <= hi; e++) {
    svg.append(s("line", { x1: GRAD.x, x2: GRAD.x + GRAD.w, y1: y(10 ** e), y2: y(10 ** e), stroke: "var(--aim-border)" }));
    svg.append(text(GRAD.x - 6, y(10 ** e) + 4, `1e${e}`, { "text-anchor": "end", fill: "var(--aim-muted)", "font-size": 10 }));
  }
  const slot = GRAD.w / norms.length;
  norms.forEach((g, l) => {
    const x = GRAD.x + l * slot + slot * 0.15, top = y(g);
    svg.append(s("rect", { x, y: top, width: slot * 0.7, height: GRAD.y + GRAD.h - top,
      fill: layerColour(l, norms.length), "data-layer": l }));
    svg.append(text(x + slot * 0.35, top - 4, short(g), { "text-anchor": "middle", "font-size": 10 }));
    svg.append(text(x + slot * 0.35, GRAD.y + GRAD.h + 14, `${l + 1}`, { "text-anchor": "middle" }));
  });
  svg.append(text(GRAD.x + GRAD.w / 2, GRAD.y + GRAD.h + 28, "layer (1 = next to the input)",
    { "text-anchor": "middle", fill: "var(--aim-muted)" }));
}

function drawHist(svg, run, k) {
  const hists = run.hist[k], n = hists.length, edges = run.edges;
  const rowH = HIST.h / n, nb = edges.length - 1;
  const peak = Math.max(1e-9, ...hists.flat());
  const title = run.hist_scale === "log10" ? "activations: log10 of the positive ones" : "activations";
  svg.append(text(HIST.x, HIST.y - 14, title, { "font-weight": "bold" }));
  hists.forEach((counts, l) => {
    const base = HIST.y + (l + 1) * rowH;
    const x = (b) => HIST.x + (b / nb) * HIST.w;
    let d = `M ${x(0)} ${base}`;
    counts.forEach((c, b) => {
      const top = base - (rowH - 4) * (c / peak);
      d += ` L ${x(b)} ${top} L ${x(b + 1)} ${top}`;
    });
    d += ` L ${x(nb)} ${base} Z`;
    svg.append(s("line", { x1: HIST.x, x2: x(nb), y1: base, y2: base, stroke: "var(--aim-border)" }));
    svg.append(s("path", { d, fill: layerColour(l, n + 1), "fill-opacity": 0.75, stroke: layerColour(l, n + 1) }));
    svg.append(text(x(nb) + 8, base - rowH / 2, `h${l + 1}: std ${short(run.act_std[k][l])}`, { "font-size": 10 }));
    if (run.hist_scale === "log10") {
      svg.append(text(x(nb) + 8, base - rowH / 2 + 12, `${pct(run.zeros[k][l])} are 0`,
        { "font-size": 10, fill: "var(--aim-muted)" }));
    }
  });
  const last = HIST.y + HIST.h, lo = edges[0], hi = edges[nb];
  const step = run.hist_scale === "log10" ? 2 : 0.5;
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) {
    const px = HIST.x + ((v - lo) / (hi - lo)) * HIST.w;
    svg.append(text(px, last + 14, run.hist_scale === "log10" ? `1e${v}` : `${v}`,
      { "text-anchor": "middle", fill: "var(--aim-muted)", "font-size": 10 }));
  }
}

function drawLoss(svg, run, k) {
  const steps = run.steps, loss = run.loss, last = steps[steps.length - 1] || 1;
  const hi = Math.max(2.5, ...loss), x = (st) => LOSS.x + (st / last) * LOSS.w;
  const y = (v) => LOSS.y + LOSS.h * (1 - v / hi);
  svg.append(text(LOSS.x, LOSS.y - 8, `mini-batch loss (ln 10 ≈ 2.30 is a uniform guess)`, { "font-weight": "bold" }));
  for (let v = 0; v <= hi; v += 1) {
    svg.append(s("line", { x1: LOSS.x, x2: LOSS.x + LOSS.w, y1: y(v), y2: y(v), stroke: "var(--aim-border)" }));
    svg.append(text(LOSS.x - 6, y(v) + 4, `${v}`, { "text-anchor": "end", fill: "var(--aim-muted)", "font-size": 10 }));
  }
  svg.append(s("line", { x1: LOSS.x, x2: LOSS.x + LOSS.w, y1: y(Math.log(10)), y2: y(Math.log(10)),
    stroke: "var(--aim-muted)", "stroke-dasharray": "4 3" }));
  svg.append(s("polyline", { points: steps.map((st, i) => `${x(st)},${y(loss[i])}`).join(" "),
    fill: "none", stroke: "var(--aim-accent-2)", "stroke-width": 1.6 }));
  svg.append(s("line", { x1: x(steps[k]), x2: x(steps[k]), y1: LOSS.y, y2: LOSS.y + LOSS.h,
    stroke: "var(--aim-accent)", "stroke-width": 2 }));
  svg.append(s("circle", { cx: x(steps[k]), cy: y(loss[k]), r: 4, fill: "var(--aim-accent)" }));
  svg.append(text(LOSS.x, LOSS.y + LOSS.h + 14, "0", { fill: "var(--aim-muted)", "font-size": 10 }));
  svg.append(text(LOSS.x + LOSS.w, LOSS.y + LOSS.h + 14, `step ${last}`,
    { "text-anchor": "end", fill: "var(--aim-muted)", "font-size": 10 }));
}

function describe(run, k) {
  const norms = run.grad_norms[k], first = norms[0], top = norms[norms.length - 1];
  const ratio = top > 0 ? first / top : NaN;
  const largest = Math.max(...norms);
  let verdict;
  if (!(ratio > 0)) verdict = "The top layer receives no gradient at all.";
  else if (largest < 1e-3) verdict = `Every layer's gradient is tiny (the largest is ${fmt(largest, 2)}): the signal fades on the way forward and the gradient on the way back, so nothing learns.`;
  else if (ratio < 0.01) verdict = `Layer 1's gradient is ${fmt(ratio, 4)} of the top layer's: it has vanished on the way down, so the first layers barely learn.`;
  else if (ratio > 100) verdict = `Layer 1's gradient is ${fmt(ratio, 1)} times the top layer's: it grows on the way down (exploding).`;
  else verdict = `Layer 1's gradient is ${fmt(ratio, 2)} times the top layer's: the gradient reaches every layer at a usable size.`;
  const lossNote = run.loss[k] > 2.2 ? " The loss is still near ln 10: the network has learned next to nothing." : "";
  const after = typeof run.val_accuracy === "number"
    ? h("div", { class: "aim-caption" }, `Validation accuracy after the last step: ${pct(run.val_accuracy)}.`) : null;
  const notes = (run.notes || []).map((n) => notice(n, "warning"));
  return h("div", {}, h("strong", {}, `Step ${run.steps[k]} of ${run.steps[run.steps.length - 1]}. `),
    verdict, lossNote, after, notes);
}

function render({ model, el }) {
  const root = h("div", { class: "aim-widget aim-gradflow", "data-aim-widget": "gradflow" });
  el.append(root);
  const runs = () => model.get("runs") || [];
  const unique = (key) => [...new Set(runs().map((r) => r[key]))];
  const initName = { small: "too small (σ = 0.01)", glorot: "Glorot", he: "He" };
  const current = () => runs()[model.get("run")] || runs()[0];
  const maxStep = () => (current() ? current().steps.length - 1 : 0);
  const player = stepPlayer(model, maxStep, { playTitle: "play training", intervalMs: 250 });
  const { stop, range: stepRange } = player;
  const pick = (activation, init) => {
    const i = runs().findIndex((r) => r.activation === activation && r.init === init);
    stop();
    model.set("run", i); model.save_changes();
  };

  const activations = unique("activation"), inits = unique("init");
  const activationSelect = selectControl("activation", activations,
    Math.max(0, activations.indexOf(current() && current().activation)),
    (i) => pick(activations[i], inits[initSelect.querySelector("select").selectedIndex]));
  const initSelect = selectControl("initialisation", inits.map((i) => initName[i] || i),
    Math.max(0, inits.indexOf(current() && current().init)),
    (i) => pick(activations[activationSelect.querySelector("select").selectedIndex], inits[i]));
  const view = h("div", { "data-aim-view": "" });
  root.append(h("div", { class: "aim-controls" }, activationSelect, initSelect), view,
    h("div", { class: "aim-controls" }, player.buttons, stepRange));

  function redraw() {
    view.replaceChildren();
    const run = runs()[model.get("run")];
    if (!runs().length) { view.append(notice("No training runs to show.", "error")); return; }
    if (!run) { view.append(notice("No run was recorded for this activation and initialisation.", "warning")); return; }
    if (!run.steps.length) { view.append(notice("This run recorded no steps.", "warning")); return; }
    const k = Math.min(Math.max(0, model.get("step")), run.steps.length - 1);
    stepRange.update(k, run.steps.length - 1);
    stepRange.querySelector("output").textContent = `${run.steps[k]}`;  // the training step, not the index
    view.append(h("div", { class: "aim-caption" },
      h("strong", {}, `${run.activation}, ${initName[run.init] || run.init} initialisation`),
      `  ·  layers ${run.sizes.join("–")}`));
    const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, width: W, role: "img",
      "aria-label": "gradient norms per layer, activation histograms and the loss curve" });
    drawGrad(svg, run, k, gradRange(runs()));
    drawHist(svg, run, k);
    drawLoss(svg, run, k);
    view.append(svg, h("div", { class: "aim-panel" }, describe(run, k)));
  }
  watch(model, ["runs", "run", "step"], redraw);
  return () => stop();
}

export default { render };
