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
  return /^-0\.?0*$/.test(text) ? text.slice(1) : text.replace("-", "−");
}

// Controls. Each carries data-aim-control so the browser smoke test can find it.
// field.update(i) selects option i; field.update(i, texts) replaces the options first. The same
// element stays in the page, so keyboard focus stays on it while the widget redraws.
function selectControl(label, options, value, onChange) {
  const fill = (texts, v) => select.replaceChildren(...texts.map((text, i) => h("option", { value: i, selected: i === v }, text)));
  const select = h("select", { "data-aim-control": label, "aria-label": label });
  fill(options, value);
  select.addEventListener("change", () => onChange(Number(select.value)));
  const field = h("label", { class: "aim-field" }, h("span", {}, label), select);
  field.update = (i, texts = null) => {
    if (texts && (texts.length !== select.options.length || texts.some((t, k) => select.options[k].text !== t))) fill(texts, i);
    if (Number(select.value) !== i) select.value = String(i);
  };
  return field;
}

function rangeControl(label, min, max, value, onInput) {
  const output = h("output", {}, String(value));
  const input = h("input", { type: "range", min, max, step: 1, value, "data-aim-control": label, "aria-label": label });
  input.addEventListener("input", () => { output.textContent = input.value; onInput(Number(input.value)); });
  const field = h("label", { class: "aim-field aim-range" }, h("span", {}, label), input, output);
  field.update = (v, newMax = max) => { input.max = newMax; input.value = v; output.textContent = String(v); };
  return field;
}

// A range over the indices of `values` that shows the value itself, show(values[i]);
// screen readers hear the same text (aria-valuetext). field.update(i) moves it.
function valueRange(label, values, index, show, onInput) {
  const output = h("output", {}, show(values[index]));
  const input = h("input", { type: "range", min: 0, max: values.length - 1, step: 1, value: index,
    "data-aim-control": label, "aria-label": label, "aria-valuetext": show(values[index]) });
  const shown = (i) => { output.textContent = show(values[i]); input.setAttribute("aria-valuetext", output.textContent); };
  input.addEventListener("input", () => { shown(Number(input.value)); onInput(Number(input.value)); });
  const field = h("label", { class: "aim-field aim-range" }, h("span", {}, label), input, output);
  field.update = (i, newValues = values) => { values = newValues; input.max = values.length - 1; input.value = i; shown(i); };
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

// ----- A widget's settings in the page's URL fragment (the static book only)
//
// The fragment holds "&"-separated parts: at most one in-page anchor (a section id, which never
// contains "=") and one part per widget, "<kind><n>=<trait>:<int>,<trait>:<int>,...", n being the
// widget's place among the page's widgets. A learner who moves a control gets a URL that opens
// the page with the same settings; a part that is malformed or out of range is ignored (the
// widget keeps its default state). Live in Jupyter there is no page of its own: nothing is synced.

const WIDGET_VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]';

function fragmentParts() {
  let hash = location.hash.slice(1);
  try { hash = decodeURIComponent(hash); } catch (e) { /* keep it raw */ }
  return hash ? hash.split("&").filter((p) => p) : [];
}

// "<kind><n>", n = the index of this widget's view script among the page's, or null outside a static page
function widgetKey(root, kind) {
  const area = root.closest(".widget-subarea");
  let script = area ? area.nextElementSibling : null;
  while (script && script.tagName !== "SCRIPT") script = script.nextElementSibling;
  if (!script || !script.matches(WIDGET_VIEW)) return null;
  return `${kind}${[...document.querySelectorAll(WIDGET_VIEW)].indexOf(script)}`;
}

// The page opened at "#section&backprop0=...": the browser finds no element with that whole id,
// so the section is scrolled to here (once per page).
function scrollToAnchorPart() {
  if (window.__aimAnchorScrolled) return;
  window.__aimAnchorScrolled = true;
  const parts = fragmentParts();
  const anchor = parts.find((p) => !p.includes("="));
  if (parts.length > 1 && anchor && document.getElementById(anchor)) document.getElementById(anchor).scrollIntoView();
}

// Read the settings `names` (integer traits) from the fragment once the widget is in the page,
// if valid(values) accepts them; then write them back whenever one changes. Returns nothing.
function syncWithUrl(root, kind, model, names, valid) {
  let key = null;
  const read = () => {
    const part = fragmentParts().find((p) => p.startsWith(`${key}=`));
    if (!part) return false;
    const values = {};
    for (const item of part.slice(key.length + 1).split(",")) {
      const [name, text, extra] = item.split(":");
      if (!names.includes(name) || extra !== undefined || !/^\d{1,6}$/.test(text || "")) return false;
      values[name] = Number(text);
    }
    if (names.some((n) => !(n in values)) || !valid(values)) return false;
    if (names.every((n) => model.get(n) === values[n])) return true;
    for (const n of names) model.set(n, values[n]);
    model.save_changes();
    return true;
  };
  const write = () => {
    const parts = fragmentParts().filter((p) => !p.startsWith(`${key}=`));
    parts.push(`${key}=` + names.map((n) => `${n}:${model.get(n)}`).join(","));
    history.replaceState(history.state, "", "#" + parts.join("&"));
  };
  const start = () => {
    key = widgetKey(root, kind);
    if (!key) return;
    scrollToAnchorPart();
    const parts = fragmentParts();
    if (read() && !parts.some((p) => !p.includes("=")) && parts[0].startsWith(`${key}=`)) root.scrollIntoView();
    for (const n of names) model.on(`change:${n}`, write);
    window.addEventListener("hashchange", read);
  };
  let tries = 0;
  const whenInPage = () => (root.isConnected ? start() : tries++ < 600 ? requestAnimationFrame(whenInPage) : null);
  whenInPage();
}
