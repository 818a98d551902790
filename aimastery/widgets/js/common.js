// Helpers shared by the course's widgets (pasted in front of each widget's
// module by aimastery/widgets/base.py). Plain DOM and SVG, no dependencies.

const SVG_NS = "http://www.w3.org/2000/svg";

// h("div", {class: "x"}, child, "text") -> an HTML element
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// s("rect", {x: 0, y: 0}) -> an SVG element
function s(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttrs(node, attrs);
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function setAttrs(node, attrs) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
}

// A number for display: fixed digits, no "-0.000".
function fmt(x, digits = 3) {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  if (!Number.isFinite(x)) return x > 0 ? "∞" : "−∞";
  const text = Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : x.toFixed(digits);
  return /^-0\.?0*$/.test(text) ? text.slice(1) : text.replace(/-/g, "−");
}

// Controls. Each carries data-aim-control so the browser smoke test can find it.
function selectControl(label, options, value, onChange) {
  const select = h("select", { "data-aim-control": label, "aria-label": label },
    options.map((text, i) => h("option", { value: i, selected: i === value }, text)));
  select.addEventListener("change", () => onChange(Number(select.value)));
  return h("label", { class: "aim-field" }, h("span", {}, label), select);
}

function rangeControl(label, min, max, value, onInput) {
  const output = h("output", {}, String(value));
  const input = h("input", { type: "range", min, max, step: 1, value, "data-aim-control": label, "aria-label": label });
  input.addEventListener("input", () => { output.textContent = input.value; onInput(Number(input.value)); });
  const field = h("label", { class: "aim-field aim-range" }, h("span", {}, label), input, output);
  field.update = (v, newMax = max) => { input.max = newMax; input.value = v; output.textContent = String(v); };
  return field;
}

// A range over the indices of `values` that shows the value itself, show(value).
// field.update(i) moves it from code (e.g. when another control resets it).
function valueRange(label, values, index, show, onInput) {
  const output = h("output", {}, show(values[index]));
  const input = h("input", { type: "range", min: 0, max: values.length - 1, step: 1, value: index,
    "data-aim-control": label, "aria-label": label, "aria-valuetext": show(values[index]) });
  const shown = (i) => { output.textContent = show(values[i]); input.setAttribute("aria-valuetext", show(values[i])); };
  input.addEventListener("input", () => { shown(Number(input.value)); onInput(Number(input.value)); });
  const field = h("label", { class: "aim-field aim-range" }, h("span", {}, label), input, output);
  field.update = (i) => { input.value = i; shown(i); };
  return field;
}

function button(text, title, onClick) {
  return h("button", { type: "button", title, "aria-label": title, "data-aim-control": title, onclick: onClick }, text);
}

// A step player over the integer trait "step": the buttons «, ◀, ▶, » and
// play/pause, and a "step" slider. maxStep() is asked at every press; the
// widget's redraw moves the slider with player.range.update(k, max), and
// calls player.stop() whenever the thing being stepped through changes.
function stepPlayer(model, maxStep, { playTitle = "play", intervalMs = 500 } = {}) {
  let timer = null;
  const setStep = (k) => { model.set("step", k); model.save_changes(); };
  const stop = () => { if (timer) { clearInterval(timer); timer = null; playButton.textContent = "▷ play"; } };
  const range = rangeControl("step", 0, maxStep(), model.get("step"), (k) => { stop(); setStep(k); });
  const playButton = button("▷ play", playTitle, () => {
    if (timer) return stop();
    if (model.get("step") >= maxStep()) setStep(0);
    playButton.textContent = "❚❚ pause";
    timer = setInterval(() => (model.get("step") >= maxStep() ? stop() : setStep(model.get("step") + 1)), intervalMs);
  });
  const buttons = h("span", { class: "aim-buttons" },
    button("«", "first step", () => { stop(); setStep(0); }),
    button("◀", "previous step", () => { stop(); setStep(Math.max(0, model.get("step") - 1)); }),
    button("▶", "next step", () => { stop(); setStep(Math.min(maxStep(), model.get("step") + 1)); }),
    button("»", "last step", () => { stop(); setStep(maxStep()); }),
    playButton);
  return { buttons, range, stop };
}

// A message inside the widget (bad input, missing data): never a thrown error.
function notice(text, kind = "warning") {
  return h("div", { class: `aim-notice aim-${kind}`, role: "status" }, text);
}

// Read a trait, then keep calling `redraw` whenever any of `names` changes.
function watch(model, names, redraw) {
  for (const name of names) model.on(`change:${name}`, redraw);
  redraw();
}
