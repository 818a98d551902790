// LSTM-gates widget (Week 6). Python traced the gates and the cell state of
// a few units over each passage (aimastery/widgets/lstm_gates.py); this file
// draws the heatmaps, marks the current character and colours the passage.

const QUANTITIES = [["input", "input gate"], ["forget", "forget gate"], ["output", "output gate"], ["cell", "cell state"]];
const CELL_W = 5, ROW_H = 9, LABEL_W = 86, GAP = 16;

function gateColour(v) { // 0 -> pale, 1 -> dark blue
  const t = Math.max(0, Math.min(1, v));
  return `rgb(${Math.round(240 - 215 * t)},${Math.round(244 - 150 * t)},${Math.round(250 - 90 * t)})`;
}

function cellColour(v, lim) { // negative blue, positive red
  const t = Math.max(-1, Math.min(1, v / lim));
  return t >= 0 ? `rgb(255,${Math.round(255 - 170 * t)},${Math.round(255 - 190 * t)})`
    : `rgb(${Math.round(255 + 190 * t)},${Math.round(255 + 120 * t)},255)`;
}

function maxAbs(rows) {
  let m = 1e-6;
  for (const row of rows) for (const v of row) m = Math.max(m, Math.abs(v));
  return m;
}

function heatmaps(passage, units, unitIndex, step) {
  const T = passage.text.length, U = units.length;
  const blockH = U * ROW_H;
  const W = LABEL_W + T * CELL_W + 4, H = QUANTITIES.length * (blockH + GAP);
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, width: W, role: "img",
    "aria-label": "gates and cell state of the chosen units over the passage" });
  QUANTITIES.forEach(([key, label], qi) => {
    const rows = passage.quantities[key];
    const y0 = qi * (blockH + GAP) + 12;
    const lim = key === "cell" ? maxAbs(rows) : 1;
    svg.append(s("text", { x: 0, y: y0 - 3, "font-size": 11, "font-weight": "bold" }, label));
    rows.forEach((row, t) => row.forEach((v, u) => {
      svg.append(s("rect", { x: LABEL_W + t * CELL_W, y: y0 + u * ROW_H, width: CELL_W, height: ROW_H,
        fill: key === "cell" ? cellColour(v, lim) : gateColour(v) }));
    }));
    units.forEach((unit, u) => svg.append(s("text", { x: LABEL_W - 4, y: y0 + u * ROW_H + ROW_H - 1, "font-size": 8,
      "text-anchor": "end", "font-weight": u === unitIndex ? "bold" : "normal" }, `unit ${unit}`)));
    svg.append(s("rect", { x: LABEL_W - 1, y: y0 + unitIndex * ROW_H, width: T * CELL_W + 2, height: ROW_H,
      fill: "none", stroke: "var(--aim-fg)", "stroke-width": 0.8 }));
  });
  svg.append(s("rect", { x: LABEL_W + step * CELL_W - 0.5, y: 0, width: CELL_W + 1, height: H, fill: "none",
    stroke: "var(--aim-accent)", "stroke-width": 1.5 }));
  return svg;
}

function colouredText(passage, unitIndex, step) {
  const cell = passage.quantities.cell.map((row) => row[unitIndex]);
  const lim = Math.max(1e-6, ...cell.map(Math.abs));
  const box = h("div", { class: "aim-chars" });
  [...passage.text].forEach((ch, t) => {
    const span = h("span", { style: `background:${cellColour(cell[t], lim)}`, title: `c = ${fmt(cell[t], 2)}` },
      ch === "\n" ? "⏎\n" : ch);
    if (t === step) span.classList.add("aim-now");
    box.append(span);
  });
  return box;
}

function render({ model, el }) {
  const root = h("div", { class: "aim-widget aim-lstm-gates", "data-aim-widget": "lstm-gates" });
  el.append(root);
  const data = () => model.get("data") || {};
  const set = (name, value) => { model.set(name, value); model.save_changes(); };
  const d0 = data();
  if (!d0.passages || !d0.passages.length || !d0.units || !d0.units.length) {
    root.append(h("div", { "data-aim-view": "" }, notice("No passages to show.", "error")));
    return;
  }
  const passageSelect = selectControl("passage", d0.passages.map((p, i) => `passage ${i + 1}: ${p.text.slice(0, 18).replace(/\n/g, " ")}…`),
    model.get("passage"), (i) => { set("passage", i); set("step", 0); });
  const unitSelect = selectControl("unit", d0.units.map((u, i) => `unit ${u}${d0.notes[i] ? ` (${d0.notes[i]})` : ""}`),
    model.get("unit"), (i) => set("unit", i));
  const maxStep = () => { const p = data().passages[model.get("passage")]; return p ? p.text.length - 1 : 0; };
  const stepRange = rangeControl("time step", 0, maxStep(), model.get("step"), (k) => set("step", k));
  const view = h("div", { "data-aim-view": "" });
  root.append(h("div", { class: "aim-controls" }, passageSelect, unitSelect),
    h("div", { class: "aim-controls" }, stepRange), view);

  function redraw() {
    const d = data();
    const passage = d.passages[model.get("passage")];
    const u = model.get("unit");
    view.replaceChildren();
    if (!passage || d.units[u] === undefined) { view.append(notice("This passage or unit is not in the data.", "warning")); return; }
    const step = Math.min(Math.max(0, model.get("step")), passage.text.length - 1);
    stepRange.update(step, passage.text.length - 1);
    const ch = passage.text[step];
    const shown = ch === "\n" ? "a newline (⏎)" : ch === " " ? "a space" : `“${ch}”`;
    const q = (key) => fmt(passage.quantities[key][step][u], 2);
    view.append(h("div", { class: "aim-caption" }, h("strong", {}, `Step ${step}: reading ${shown}. `),
      `Unit ${d.units[u]}: input gate ${q("input")}, forget gate ${q("forget")}, output gate ${q("output")}, `,
      `cell ${q("cell")}.`, d.notes[u] ? ` This unit was picked because its cell state follows ${d.notes[u]}.` : ""));
    view.append(heatmaps(passage, d.units, u, step));
    view.append(h("div", { class: "aim-caption" }, `The passage, coloured by unit ${d.units[u]}'s cell state (red positive, blue negative):`));
    view.append(colouredText(passage, u, step));
  }
  watch(model, ["data", "passage", "unit", "step"], redraw);
}

export default { render };
