// Backprop visualizer (Week 1). Python computed every trace
// (aimastery/widgets/backprop.py); this file only draws and steps.

const COL = 150, ROW = 74, BOX_W = 116, BOX_H = 54, PAD = 14;

function nodeName(node) {
  return node.op ? `[${node.label}]` : node.label;
}

function drawGraph(trace, k) {
  const grads = trace.grads[k];
  const step = k > 0 ? trace.steps[k - 1] : null;
  const current = step ? step.node : null;
  const receiving = new Set(step ? step.contributions.map((c) => c.operand) : []);
  const maxX = Math.max(...trace.nodes.map((n) => n.x));
  const maxY = Math.max(...trace.nodes.map((n) => n.y));
  const lift = (a, b) => (b.x - a.x > 1 ? 0.55 * ROW * (b.x - a.x - 1) + 20 : 0);
  // room above the top row for the arcs of edges that skip a layer
  const top = Math.max(0, ...trace.edges.map(([c, p]) => {
    const a = trace.nodes[c], b = trace.nodes[p];
    return lift(a, b) / 2 - Math.min(a.y, b.y) * ROW;
  }));
  const width = (maxX + 1) * COL + 2 * PAD - (COL - BOX_W);
  const height = (maxY + 1) * ROW + 2 * PAD - (ROW - BOX_H) + top;
  const cx = (n) => PAD + BOX_W / 2 + n.x * COL;
  const cy = (n) => PAD + top + BOX_H / 2 + n.y * ROW;
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, width, role: "img",
    "aria-label": "computation graph with values and gradients" });
  svg.append(s("defs", {}, s("marker", { id: "aim-arrow", viewBox: "0 0 10 10", refX: 10, refY: 5,
    markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, s("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#868e96" }))));
  for (const [child, parent] of trace.edges) {
    const a = trace.nodes[child], b = trace.nodes[parent];
    const active = parent === current && receiving.has(child);
    const x1 = cx(a) + BOX_W / 2, y1 = cy(a), x2 = cx(b) - BOX_W / 2, y2 = cy(b);
    // an edge that skips a layer arcs over the boxes in between
    const d = `M ${x1} ${y1} Q ${(x1 + x2) / 2} ${Math.min(y1, y2) - lift(a, b)} ${x2} ${y2}`;
    svg.append(s("path", { d, fill: "none", stroke: active ? "var(--aim-accent)" : "#868e96",
      "stroke-width": active ? 2.5 : 1.2, "marker-end": "url(#aim-arrow)" }));
  }
  trace.nodes.forEach((node, i) => {
    const cls = i === current ? "current" : receiving.has(i) ? "receiving" : "";
    const stroke = cls === "current" ? "var(--aim-accent)" : cls === "receiving" ? "var(--aim-accent-2)" : "var(--aim-border)";
    const g = s("g", { class: `aim-node ${cls}`, "data-node": i });
    g.append(s("rect", { x: cx(node) - BOX_W / 2, y: cy(node) - BOX_H / 2, width: BOX_W, height: BOX_H, rx: 7,
      fill: "var(--aim-surface)", stroke, "stroke-width": cls ? 2.5 : 1.2 }));
    g.append(s("text", { x: cx(node), y: cy(node) - 10, "text-anchor": "middle", "font-weight": "bold" }, node.label));
    g.append(s("text", { x: cx(node), y: cy(node) + 6, "text-anchor": "middle", "font-size": 12 }, `data ${fmt(node.data)}`));
    g.append(s("text", { x: cx(node), y: cy(node) + 21, "text-anchor": "middle", "font-size": 12,
      fill: grads[i] !== 0 ? "var(--aim-accent-2)" : "var(--aim-muted)" }, `grad ${fmt(grads[i])}`));
    svg.append(g);
  });
  return svg;
}

function describeStep(trace, k) {
  const total = trace.steps.length;
  if (k === 0) {
    return h("div", {}, h("strong", {}, `Step 0 of ${total}. `),
      "The forward pass has filled in every value; every gradient is still 0. Step forward to run the backward pass.");
  }
  const step = trace.steps[k - 1];
  if (step.node === -1) {
    const out = nodeName(trace.nodes[trace.output]);
    return h("div", {}, h("strong", {}, `Step 1 of ${total}: `), "seed the backward pass: ",
      h("code", {}, `${out}.grad = 1`), " (the output's derivative with respect to itself).");
  }
  const items = step.contributions.map((c) => {
    const who = nodeName(trace.nodes[c.operand]);
    return h("li", {}, h("code", {}, `${who}.grad += ${fmt(c.local)} × ${fmt(c.upstream)} = ${fmt(c.amount)}`),
      ` → ${fmt(c.grad_after)}  (${c.rule})`);
  });
  const done = k === total ? h("div", {}, "Done: every node now holds d(output)/d(node), as backward() leaves it.") : null;
  return h("div", {}, h("strong", {}, `Step ${k} of ${total}: `), step.title, h("ul", {}, items), done);
}

function render({ model, el }) {
  const root = h("div", { class: "aim-widget aim-backprop", "data-aim-widget": "backprop" });
  el.append(root);
  const examples = () => model.get("examples") || [];
  const current = () => {
    const ex = examples()[model.get("example")] || examples()[0];
    const preset = ex ? ex.presets[model.get("preset")] || ex.presets[0] : null;
    return { ex, preset };
  };
  const maxStep = () => { const { preset } = current(); return preset && preset.trace ? preset.trace.steps.length : 0; };
  const player = stepPlayer(model, maxStep, { playTitle: "play the backward pass", intervalMs: 900 });
  const { stop, range: stepRange } = player;

  const exampleSelect = selectControl("expression", examples().map((e) => e.name), model.get("example"), (i) => {
    stop(); model.set("example", i); model.set("preset", 0); model.set("step", 0); model.save_changes();
  });
  const presetSelect = selectControl("inputs", [], 0, (i) => {
    stop(); model.set("preset", i); model.set("step", 0); model.save_changes();
  });
  const view = h("div", { "data-aim-view": "" });
  root.append(h("div", { class: "aim-controls" }, exampleSelect, presetSelect), view,
    h("div", { class: "aim-controls" }, player.buttons, stepRange));

  function redraw() {
    const { ex, preset } = current();
    view.replaceChildren();
    if (!ex || !preset) { view.append(notice("No expressions to show.", "error")); return; }
    exampleSelect.update(examples().indexOf(ex), examples().map((e) => e.name));
    presetSelect.update(ex.presets.indexOf(preset), ex.presets.map((p) => p.name));  // updated in place: focus stays
    const inputs = preset.inputs.map(([k, v]) => `${k} = ${fmt(v, 2)}`).join(", ");
    view.append(h("div", { class: "aim-caption" }, h("strong", {}, ex.formula), `  with ${inputs}. `, preset.note));
    if (preset.error) {
      view.append(notice(preset.error, "warning"));
      stepRange.update(0, 0);
      return;
    }
    const k = Math.min(Math.max(0, model.get("step")), preset.trace.steps.length);
    stepRange.update(k, preset.trace.steps.length);
    view.append(drawGraph(preset.trace, k), h("div", { class: "aim-panel" }, describeStep(preset.trace, k)));
  }
  // the settings in the URL: #backprop<n>=example:1,preset:0,step:4 (a bad one is ignored)
  syncWithUrl(root, "backprop", model, ["example", "preset", "step"], ({ example, preset, step }) => {
    const ex = examples()[example];
    const p = ex && ex.presets[preset];
    return Boolean(p) && step <= (p.trace ? p.trace.steps.length : 0);
  });
  watch(model, ["examples", "example", "preset", "step"], redraw);
  return () => stop();
}

export default { render };
