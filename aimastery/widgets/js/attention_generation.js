// Attention-in-generation widget (Week 8). Python let the GPT write a sample one character at a time and kept,
// at every step, each layer's and head's attention from the last position over the context, in thousandths
// (aimastery/widgets/attention_generation.py); this file shades the text by the chosen head's weights.

// weight 0 -> white, 1 -> dark blue, on a square-root scale (the Python module has the same numbers)
const SHADE_LIGHT = [255, 255, 255], SHADE_DARK = [8, 48, 107];
const LEGEND = [0, 0.01, 0.05, 0.2, 0.5, 1];

function shade(w) {
  const t = Math.sqrt(Math.min(1, Math.max(0, w)));
  return SHADE_LIGHT.map((c, i) => Math.round(c + (SHADE_DARK[i] - c) * t));
}

function luminance(rgb) { // WCAG 2's relative luminance
  const [r, g, b] = rgb.map((c) => c / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

// black or white text, whichever contrasts more with the background (always at least 4.5:1)
function ink(rgb) {
  const l = luminance(rgb);
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? "#000000" : "#ffffff";
}

// The weights of `head` of `layer` at `step` over the context; head === data.heads: their mean over heads.
// Integer sums are exact, so this gives the very numbers step_weights gives in Python.
function stepWeights(data, step, layer, head) {
  const rows = data.steps[step].weights[layer]; // (H, T_t) integers: weight × scale
  if (head < data.heads) return rows[head].map((v) => v / data.scale);
  return rows[0].map((_, j) => rows.reduce((acc, r) => acc + r[j], 0) / (data.heads * data.scale));
}

// The k positions with the largest weights (ties: the earlier first), as top_attended lists them.
function topAttended(data, step, layer, head, k = 3) {
  const w = stepWeights(data, step, layer, head), start = data.steps[step].start, now = data.n_prompt + step;
  return w.map((v, j) => [v, j]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, k)
    .map(([v, j]) => ({ position: start + j, back: now - start - j, weight: v }));
}

function label(tok) { return tok === "\n" ? "⏎" : tok === " " ? "␣" : tok.replace(/\n/g, "⏎"); }

function rgb(c) { return `rgb(${c.join(",")})`; }

// The text as characters: the context shaded by its weights, the character being written outlined, the
// prompt underlined, the characters not written yet kept in place but hidden.
function textView(data, step, weights) {
  const P = data.n_prompt, now = P + step, start = data.steps[step].start;
  return h("div", { class: "aim-chars aim-gen-text" }, data.tokens.map((tok, i) => {
    const cls = [i < P ? "aim-gen-prompt" : "", i === now ? "aim-now" : "", i > now ? "aim-gen-future" : "",
      i < start ? "aim-gen-outside" : ""].filter(Boolean).join(" ");
    const attrs = { class: cls || null };
    if (i >= start && i < now) {
      const bg = shade(weights[i - start]);
      attrs.style = `background:${rgb(bg)};color:${ink(bg)}`;
      attrs.title = `weight ${fmt(weights[i - start], 3)}`;
    }
    if (i > now) attrs["aria-hidden"] = "true";
    return h("span", attrs, tok.replace(/\n/g, "⏎\n"));
  }));
}

function legend() {
  return h("div", { class: "aim-caption aim-gen-legend" }, "Shade of a character: its weight (the shade grows as",
    " the square root, so that small weights show) ", LEGEND.map((v) => {
      const bg = shade(v);
      return h("span", { class: "aim-gen-swatch", style: `background:${rgb(bg)};color:${ink(bg)}` }, String(v));
    }));
}

function render({ model, el }) {
  const root = h("div", { class: "aim-widget aim-gen", "data-aim-widget": "attention-generation" });
  el.append(root);
  const data = () => model.get("data") || {};
  const set = (name, value) => { model.set(name, value); model.save_changes(); };
  const d0 = data();
  if (!d0.steps || !d0.steps.length || !d0.tokens || !d0.layers || !d0.heads) {
    root.append(h("div", { "data-aim-view": "" }, notice("No generated text to show.", "error")));
    return;
  }
  const maxStep = () => Math.max(0, (data().steps || []).length - 1);
  const player = stepPlayer(model, maxStep, { playTitle: "play: generate step by step", intervalMs: 350 });
  const headNames = (d) => [...[...Array(d.heads).keys()].map((i) => `head ${i + 1}`), `mean over ${d.heads} heads`];
  const layerSelect = selectControl("layer", [...Array(d0.layers).keys()].map((i) => `layer ${i + 1}`),
    model.get("layer"), (i) => set("layer", i));
  const headSelect = selectControl("head", headNames(d0), model.get("head"), (i) => set("head", i));
  const caption = h("div", { class: "aim-caption", "aria-live": "polite" });
  const text = h("div", {}), top = h("div", { class: "aim-panel" });
  const view = h("div", { "data-aim-view": "" }, caption, text, top, legend());
  root.append(h("div", { class: "aim-controls" }, layerSelect, headSelect),
    h("div", { class: "aim-controls" }, player.buttons, player.range), view);

  function redraw() {
    const d = data();
    const layer = model.get("layer"), head = model.get("head");
    if (!d.steps || !d.steps.length || !(layer >= 0 && layer < d.layers) || !(head >= 0 && head <= d.heads)) {
      caption.textContent = "";
      text.replaceChildren(notice("This step, layer or head is not in the data.", "warning"));
      top.replaceChildren();
      return;
    }
    const step = Math.max(0, Math.min(model.get("step"), d.steps.length - 1));
    player.range.update(step, d.steps.length - 1);  // the controls follow the state (from the URL, or Python)
    layerSelect.update(layer, [...Array(d.layers).keys()].map((i) => `layer ${i + 1}`));
    headSelect.update(head, headNames(d));
    const now = d.n_prompt + step, start = d.steps[step].start;
    const weights = stepWeights(d, step, layer, head), best = topAttended(d, step, layer, head);
    const which = `layer ${layer + 1}, ` + (head < d.heads ? `head ${head + 1}` : `the mean of its ${d.heads} heads`);
    caption.replaceChildren(h("strong", {}, `Step ${step}: the GPT writes “${label(d.tokens[now])}”, `,
      `character ${step + 1} of the ${d.steps.length} it generates. `),
      `To choose it, its last position reads the ${now - start} characters before it`,
      start > 0 ? ` (the context is cropped: the first ${start} are out of its reach, in grey)` : "",
      `; the shade is the attention of ${which}. The prompt is underlined.`);
    text.replaceChildren(textView(d, step, weights));
    top.replaceChildren(h("div", {}, `Most weight (${which}):`), h("ol", { class: "aim-gen-top" }, best.map((a) =>
      h("li", {}, h("code", {}, `“${label(d.tokens[a.position])}”`),
        ` at position ${a.position}, ${a.back} back: ${fmt(a.weight, 3)}`))));
    view.setAttribute("data-aim-result", JSON.stringify({ step, layer, head, position: now, start,
      top: best.map((a) => [a.position, a.weight]) }));  // what is drawn, for the browser test
  }
  model.on("change:data", () => player.stop());
  watch(model, ["data", "step", "layer", "head"], redraw);
  // the settings in the URL: #attngen<n>=step:12,layer:1,head:4 (head = heads: the mean)
  syncWithUrl(root, "attngen", model, ["step", "layer", "head"], ({ step, layer, head }) => {
    const d = data();
    return step < d.steps.length && layer < d.layers && head <= d.heads;
  });
}

export default { render };
