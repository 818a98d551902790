// Optimiser playground (Week 2). Python stored the surfaces' contour lines
// and the control grids (aimastery/widgets/optim_playground.py); this file
// runs the optimisers of aimastery/optim on the same surfaces, with the same
// update rules as torch.optim, and draws the trajectory over the contours.

// f and its gradient, as in SURFACES in optim_playground.py
const SURFACE_FNS = {
  quadratic: { f: (x, y) => 0.5 * (x * x + 25 * y * y), grad: (x, y) => [x, 25 * y] },
  rosenbrock: {
    f: (x, y) => (1 - x) ** 2 + 100 * (y - x * x) ** 2,
    grad: (x, y) => [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)],
  },
  saddle: { f: (x, y) => 0.5 * x * x + 0.25 * y ** 4 - 0.5 * y * y, grad: (x, y) => [x, y * y * y - y] },
};

// torch's lerp: start + w (end - start), computed from the nearer end
function lerp(a, b, w) { return w < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w); }

// One optimiser as a function (p, g, state) -> new p, on arrays of two numbers,
// the same rules as aimastery/optim (and torch.optim).
function makeStep(name, lr, mu, wd) {
  const map2 = (fn) => (a, b, c) => [0, 1].map((i) => fn(a[i], b ? b[i] : 0, c ? c[i] : 0));
  if (name === "SGD" || name === "momentum" || name === "Nesterov") {
    const momentum = name === "SGD" ? 0 : mu;
    return (p, grad, st) => {
      let g = wd ? map2((gi, pi) => gi + wd * pi)(grad, p) : grad;
      if (momentum) {
        st.buf = st.buf ? map2((b, gi) => b * momentum + gi)(st.buf, g) : g.slice();
        g = name === "Nesterov" ? map2((gi, b) => gi + momentum * b)(g, st.buf) : st.buf;
      }
      return map2((pi, gi) => pi + -lr * gi)(p, g);
    };
  }
  if (name === "RMSProp") {
    const alpha = 0.99, eps = 1e-8;
    return (p, grad, st) => {
      const g = wd ? map2((gi, pi) => gi + wd * pi)(grad, p) : grad;
      st.sq = map2((s, gi) => s * alpha + (1 - alpha) * gi * gi)(st.sq || [0, 0], g);
      const avg = st.sq.map((s) => Math.sqrt(s) + eps);
      if (mu) {
        st.buf = map2((b, gi, a) => b * mu + gi / a)(st.buf || [0, 0], g, avg);
        return map2((pi, b) => pi + -lr * b)(p, st.buf);
      }
      return map2((pi, gi, a) => pi + -lr * (gi / a))(p, g, avg);
    };
  }
  if (name === "Adam" || name === "AdamW") {
    const b1 = mu, b2 = 0.999, eps = 1e-8;
    return (p, grad, st) => {
      st.t = (st.t || 0) + 1;
      let g = grad;
      if (wd && name === "AdamW") p = p.map((pi) => pi * (1 - lr * wd));
      else if (wd) g = map2((gi, pi) => gi + wd * pi)(grad, p);
      st.m = map2((m, gi) => lerp(m, gi, 1 - b1))(st.m || [0, 0], g);
      st.v = map2((v, gi) => v * b2 + (1 - b2) * gi * gi)(st.v || [0, 0], g);
      const stepSize = lr / (1 - b1 ** st.t), bc2 = Math.sqrt(1 - b2 ** st.t);
      return map2((pi, m, v) => pi + -stepSize * (m / (Math.sqrt(v) / bc2 + eps)))(p, st.m, st.v);
    };
  }
  return null;
}

// Run `steps` steps from `start`; stop at the first iterate that is not finite,
// leaves |x|, |y| <= bound, or whose loss is not finite (as compute_trajectory does).
function runTrajectory(surface, optimizer, lr, mu, wd, steps, start, bound) {
  const fns = SURFACE_FNS[surface], step = makeStep(optimizer, lr, mu, wd);
  if (!fns || !step) return null;
  const points = [], losses = [], state = {};
  let p = start.slice(), divergedAt = null;
  for (let k = 0; k <= steps; k++) {
    const loss = fns.f(p[0], p[1]);
    if (!p.every(Number.isFinite) || Math.max(Math.abs(p[0]), Math.abs(p[1])) > bound || !Number.isFinite(loss)) {
      divergedAt = k;
      break;
    }
    points.push(p);
    losses.push(loss);
    if (k === steps) break;
    p = step(p, fns.grad(p[0], p[1]), state);
  }
  return { points, losses, divergedAt };
}

const PLOT = { x: 50, y: 14, w: 430, h: 330 };   // at most: contours and trajectory
const LOSS = { x: 545, y: 30, w: 200, h: 230 };  // f - f_min per step, log scale
const W = 760;
let clipCounter = 0;

// The contour box keeps the surface's aspect ratio: as wide as it may be, at most PLOT.h tall.
function plotBox(surface) {
  const [x0, x1] = surface.x_range, [y0, y1] = surface.y_range;
  const scale = Math.min(PLOT.w / (x1 - x0), PLOT.h / (y1 - y0));
  return { scale, w: scale * (x1 - x0), h: scale * (y1 - y0) };
}

function contourPanel(svg, surface, run) {
  const [x0, x1] = surface.x_range, [y0, y1] = surface.y_range;
  const { scale, w } = plotBox(surface);
  const left = PLOT.x + (PLOT.w - w) / 2, top = PLOT.y;
  const px = (x) => left + (x - x0) * scale, py = (y) => top + (y1 - y) * scale;
  const id = `aim-optim-clip-${clipCounter++}`;
  const clip = s("clipPath", { id }, s("rect", { x: px(x0), y: py(y1), width: scale * (x1 - x0), height: scale * (y1 - y0) }));
  svg.append(s("defs", {}, clip));
  svg.append(s("rect", { x: px(x0), y: py(y1), width: scale * (x1 - x0), height: scale * (y1 - y0),
    fill: "none", stroke: "var(--aim-border)" }));
  const g = s("g", { "clip-path": `url(#${id})` });
  surface.contours.forEach((level, i) => {
    const shade = 0.35 + 0.5 * (i / Math.max(1, surface.contours.length - 1));
    for (const path of level.paths) {
      g.append(s("polyline", { points: path.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(" "),
        fill: "none", stroke: "var(--aim-muted)", "stroke-opacity": shade.toFixed(2), "stroke-width": 0.8 }));
    }
  });
  if (run.points.length) {
    g.append(s("polyline", { points: run.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(" "),
      fill: "none", stroke: "var(--aim-accent)", "stroke-width": 1.8, "stroke-linejoin": "round" }));
    const last = run.points[run.points.length - 1];
    g.append(s("circle", { cx: px(last[0]), cy: py(last[1]), r: 4, fill: "var(--aim-accent)" }));
  }
  for (const [mx, my] of surface.minima) {
    g.append(s("text", { x: px(mx), y: py(my) + 5, "text-anchor": "middle", "font-size": 16 }, "★"));
  }
  g.append(s("rect", { x: px(surface.start[0]) - 4, y: py(surface.start[1]) - 4, width: 8, height: 8, fill: "var(--aim-fg)" }));
  svg.append(g);
  const ticks = (lo, hi) => [lo, (lo + hi) / 2, hi];
  for (const t of ticks(x0, x1)) svg.append(s("text", { x: px(t), y: py(y0) + 14, "text-anchor": "middle", "font-size": 10, fill: "var(--aim-muted)" }, fmt(t, 1)));
  for (const t of ticks(y0, y1)) svg.append(s("text", { x: px(x0) - 5, y: py(t) + 4, "text-anchor": "end", "font-size": 10, fill: "var(--aim-muted)" }, fmt(t, 1)));
  svg.append(s("text", { x: px((x0 + x1) / 2), y: py(y0) + 28, "text-anchor": "middle", "font-size": 11 }, "x"));
  svg.append(s("text", { x: px(x0) - 30, y: py((y0 + y1) / 2), "text-anchor": "middle", "font-size": 11 }, "y"));
}

function lossPanel(svg, run, fMin, totalSteps) {
  const gaps = run.losses.map((f) => Math.max(f - fMin, 1e-12));
  const logs = gaps.map(Math.log10);
  const hi = Math.ceil(Math.max(...logs, -11)), lo = Math.min(Math.floor(Math.min(...logs, hi - 1)), hi - 1);
  const x = (k) => LOSS.x + (k / Math.max(1, totalSteps)) * LOSS.w;
  const y = (v) => LOSS.y + LOSS.h * (1 - (v - lo) / (hi - lo));
  svg.append(s("text", { x: LOSS.x, y: LOSS.y - 12, "font-size": 11, "font-weight": "bold" }, "f − f* by step (log scale)"));
  const every = Math.max(1, Math.ceil((hi - lo) / 6));
  for (let e = lo; e <= hi; e += every) {
    svg.append(s("line", { x1: LOSS.x, x2: LOSS.x + LOSS.w, y1: y(e), y2: y(e), stroke: "var(--aim-border)" }));
    svg.append(s("text", { x: LOSS.x - 5, y: y(e) + 4, "text-anchor": "end", "font-size": 10, fill: "var(--aim-muted)" }, `1e${e}`));
  }
  svg.append(s("polyline", { points: logs.map((v, k) => `${x(k).toFixed(1)},${y(v).toFixed(1)}`).join(" "),
    fill: "none", stroke: "var(--aim-accent-2)", "stroke-width": 1.6 }));
  if (run.divergedAt !== null) {
    svg.append(s("line", { x1: x(run.divergedAt), x2: x(run.divergedAt), y1: LOSS.y, y2: LOSS.y + LOSS.h,
      stroke: "var(--aim-accent)", "stroke-dasharray": "4 3" }));
  }
  svg.append(s("text", { x: LOSS.x, y: LOSS.y + LOSS.h + 14, "font-size": 10, fill: "var(--aim-muted)" }, "0"));
  svg.append(s("text", { x: LOSS.x + LOSS.w, y: LOSS.y + LOSS.h + 14, "text-anchor": "end", "font-size": 10,
    fill: "var(--aim-muted)" }, `step ${totalSteps}`));
}

function render({ model, el }) {
  const root = h("div", { class: "aim-widget aim-optim", "data-aim-widget": "optim-playground" });
  el.append(root);
  const d0 = model.get("data") || {};
  if (!d0.surfaces || !d0.surfaces.length || !d0.optimizers || !d0.lrs) {
    root.append(h("div", { "data-aim-view": "" }, notice("No surfaces or optimisers to show.", "error")));
    return;
  }
  const set = (name, value) => { model.set(name, value); model.save_changes(); };
  // a new surface or optimiser starts from its suggested learning rate
  const resetLr = () => {
    const lrIndex = ((d0.default_lr || {})[d0.surfaces[model.get("surface")].name] || {})[d0.optimizers[model.get("optimizer")].name];
    if (lrIndex !== undefined) { set("lr", lrIndex); lrRange.update(lrIndex); }
  };
  const surfaceSelect = selectControl("surface", d0.surfaces.map((x) => x.title), model.get("surface"),
    (i) => { set("surface", i); resetLr(); });
  const optSelect = selectControl("optimiser", d0.optimizers.map((o) => o.name), model.get("optimizer"),
    (i) => { set("optimizer", i); resetLr(); });
  const lrRange = valueRange("learning rate", d0.lrs, model.get("lr"), (v) => `${v}`, (i) => set("lr", i));
  const muRange = valueRange("momentum μ / β₁", d0.momenta, model.get("momentum"), (v) => `${v}`, (i) => set("momentum", i));
  const wdRange = valueRange("weight decay", d0.weight_decays, model.get("weight_decay"), (v) => `${v}`, (i) => set("weight_decay", i));
  const stepsRange = valueRange("steps", d0.steps, model.get("steps"), (v) => `${v}`, (i) => set("steps", i));
  const view = h("div", { "data-aim-view": "" });
  root.append(h("div", { class: "aim-controls" }, surfaceSelect, optSelect, stepsRange),
    h("div", { class: "aim-controls" }, lrRange, muRange, wdRange), view);

  function redraw() {
    const d = model.get("data") || {};
    const surface = d.surfaces[model.get("surface")], opt = d.optimizers[model.get("optimizer")];
    const lr = d.lrs[model.get("lr")], mu = d.momenta[model.get("momentum")];
    const wd = d.weight_decays[model.get("weight_decay")], steps = d.steps[model.get("steps")];
    view.replaceChildren();
    if (!surface || !opt || [lr, mu, wd, steps].some((v) => v === undefined)) {
      view.append(notice("This setting is not in the stored grid.", "warning"));
      return;
    }
    const run = runTrajectory(surface.name, opt.name, lr, mu, wd, steps, surface.start, d.divergence_bound);
    if (!run) { view.append(notice(`No update rule for ${opt.name} on ${surface.name}.`, "error")); return; }
    const last = run.points[run.points.length - 1];
    const gap = run.losses[run.losses.length - 1] - surface.f_min;
    const reached = run.losses.findIndex((f) => f - surface.f_min < 1e-3);
    const muText = opt.name === "SGD" ? `momentum ${mu} (plain SGD does not use it)` : `${opt.name.startsWith("Adam") ? "β₁" : "μ"} = ${mu}`;
    view.append(h("div", { class: "aim-caption" }, h("strong", {}, `${opt.name} · ${surface.title}`),
      ` (${surface.formula}): lr ${lr}, ${muText}, weight decay ${wd}, ${steps} steps. ${opt.description}.`));
    if (run.divergedAt !== null) {
      view.append(notice(`Diverged at step ${run.divergedAt}: the iterate left the plot and kept growing ` +
        `(|x| or |y| above ${d.divergence_bound.toLocaleString("en")}, or an overflow). Lower the learning rate.`, "warning"));
    }
    const H = Math.max(plotBox(surface).h, LOSS.y + LOSS.h) + 45;
    const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, width: W, role: "img",
      "aria-label": `trajectory of ${opt.name} over the contour lines of the ${surface.title}, and its loss by step` });
    contourPanel(svg, surface, run);
    lossPanel(svg, run, surface.f_min, steps);
    view.append(svg);
    const result = run.divergedAt === null
      ? `After ${steps} steps: (${fmt(last[0], 3)}, ${fmt(last[1], 3)}), f − f* = ${fmt(gap, 3)}` +
        (reached >= 0 ? `; first below 10⁻³ at step ${reached}.` : "; never below 10⁻³.")
      : `The last iterate before diverging, step ${run.points.length - 1}: (${fmt(last[0], 2)}, ${fmt(last[1], 2)}).`;
    view.append(h("div", { class: "aim-panel", "data-aim-result": JSON.stringify({ surface: surface.name, optimizer: opt.name,
      lr, momentum: mu, weight_decay: wd, steps, end: last, diverged_at: run.divergedAt }) },
      result, " ■ start, ★ minimum, ● where it ended."));
  }
  watch(model, ["data", "surface", "optimizer", "lr", "momentum", "weight_decay", "steps"], redraw);
}

export default { render };
