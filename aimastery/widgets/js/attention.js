// Attention-pattern widget (Week 7). Python ran the BERT written from scratch
// with MiniLM's weights on a few sentences and kept every layer's and head's
// attention (aimastery/widgets/attention.py); this file draws where the chosen
// token attends: lines from it to every token, the head's whole matrix, and
// the twelve heads of the layer as thumbnails.

const ROW = 19, COL_W = 100, GAP_W = 110, CELL = 13;

function blue(w) { // 0 -> white, 1 -> dark blue
  const t = Math.max(0, Math.min(1, w));
  return `rgb(${Math.round(255 - 230 * t)},${Math.round(255 - 160 * t)},${Math.round(255 - 75 * t)})`;
}

function lines(tokens, weights, q, onHover) {
  const T = tokens.length, W = 2 * COL_W + GAP_W, H = T * ROW + 8;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, width: W, role: "img",
    "aria-label": `where the token ${tokens[q]} attends` });
  const row = weights[q];
  row.forEach((w, k) => {
    if (w < 0.005) return;
    svg.append(s("line", { x1: COL_W, y1: q * ROW + 13, x2: COL_W + GAP_W, y2: k * ROW + 13,
      stroke: "var(--aim-accent-2)", "stroke-width": 0.5 + 5 * w, "stroke-opacity": Math.min(1, 0.15 + w) }));
  });
  tokens.forEach((tok, i) => {
    const left = s("text", { x: COL_W - 6, y: i * ROW + 17, "text-anchor": "end", "font-size": 13,
      "font-weight": i === q ? "bold" : "normal", style: i === q ? "cursor:pointer;fill:var(--aim-accent)" : "cursor:pointer" }, tok);
    left.addEventListener("mouseenter", () => onHover(i));
    svg.append(left);
    svg.append(s("rect", { x: COL_W + GAP_W + 2, y: i * ROW + 3, width: COL_W - 4, height: ROW - 3, rx: 3,
      fill: blue(row[i]) }));
    svg.append(s("text", { x: COL_W + GAP_W + 6, y: i * ROW + 17, "font-size": 13,
      style: row[i] > 0.55 ? "fill:#ffffff" : null }, `${tok}  ${fmt(row[i], 2)}`));
  });
  return svg;
}

function matrix(tokens, weights, q, onHover) {
  const T = tokens.length, pad = 70, size = T * CELL;
  const svg = s("svg", { viewBox: `0 0 ${pad + size + 4} ${pad + size + 4}`, width: pad + size + 4, role: "img",
    "aria-label": "the head's attention matrix: rows are the tokens looking, columns where they look" });
  weights.forEach((r, i) => r.forEach((w, k) => {
    const cell = s("rect", { x: pad + k * CELL, y: pad + i * CELL, width: CELL, height: CELL, fill: blue(w) });
    cell.addEventListener("mouseenter", () => onHover(i));
    svg.append(cell);
  }));
  tokens.forEach((tok, i) => {
    svg.append(s("text", { x: pad - 4, y: pad + i * CELL + CELL - 3, "text-anchor": "end", "font-size": 9,
      "font-weight": i === q ? "bold" : "normal" }, tok.slice(0, 10)));
    svg.append(s("text", { x: 0, y: 0, "font-size": 9, transform: `translate(${pad + i * CELL + CELL - 3},${pad - 4}) rotate(-90)` },
      tok.slice(0, 10)));
  });
  svg.append(s("rect", { x: pad - 1, y: pad + q * CELL - 1, width: size + 2, height: CELL + 2, fill: "none",
    stroke: "var(--aim-accent)", "stroke-width": 1.5 }));
  return svg;
}

function thumbnails(layerWeights, head, onPick) {
  return h("div", { class: "aim-thumbs", role: "group", "aria-label": "the heads of this layer" },
    layerWeights.map((weights, hi) => {
      const T = weights.length, c = 3;
      const svg = s("svg", { viewBox: `0 0 ${T * c} ${T * c}`, width: T * c, height: T * c, "aria-hidden": "true" });
      weights.forEach((r, i) => r.forEach((w, k) => {
        if (w > 0.02) svg.append(s("rect", { x: k * c, y: i * c, width: c, height: c, fill: blue(w) }));
      }));
      const b = h("button", { type: "button", class: hi === head ? "aim-thumb aim-on" : "aim-thumb",
        title: `head ${hi + 1}`, "aria-label": `head ${hi + 1}`, "aria-pressed": hi === head ? "true" : "false",
        "data-aim-control": `head ${hi + 1} thumbnail` }, svg, h("span", {}, String(hi + 1)));
      b.addEventListener("click", () => onPick(hi));
      return b;
    }));
}

function render({ model, el }) {
  const root = h("div", { class: "aim-widget aim-attention", "data-aim-widget": "attention" });
  el.append(root);
  const data = () => model.get("data") || {};
  const set = (name, value) => { model.set(name, value); model.save_changes(); };
  const d0 = data();
  if (!d0.sentences || !d0.sentences.length || !d0.layers || !d0.heads) {
    root.append(h("div", { "data-aim-view": "" }, notice("No attention data to show.", "error")));
    return;
  }
  const nTokens = () => { const sen = data().sentences[model.get("sentence")]; return sen ? sen.tokens.length : 1; };
  const sentenceSelect = selectControl("sentence", d0.sentences.map((x) => x.text.length > 48 ? `${x.text.slice(0, 46)}…` : x.text),
    model.get("sentence"), (i) => { set("sentence", i); set("step", 0); });
  const layerSelect = selectControl("layer", [...Array(d0.layers).keys()].map((i) => `layer ${i + 1}`), model.get("layer"),
    (i) => set("layer", i));
  const headSelect = selectControl("head", [...Array(d0.heads).keys()].map((i) => `head ${i + 1}`), model.get("head"),
    (i) => set("head", i));
  const tokenRange = rangeControl("token", 0, nTokens() - 1, model.get("step"), (k) => set("step", k));
  const step = (delta) => set("step", Math.min(nTokens() - 1, Math.max(0, model.get("step") + delta)));
  const buttons = h("span", { class: "aim-buttons" }, button("◀", "previous token", () => step(-1)),
    button("▶", "next token", () => step(1)));
  // The view holds the drawing, redrawn on every change, and the thumbnails, rebuilt only when the
  // sentence or layer changes: choosing a head updates them in place, so the focused one keeps focus.
  const drawing = h("div", {}), thumbsCaption = h("div", { class: "aim-caption" }), thumbs = h("div", {});
  const view = h("div", { "data-aim-view": "" }, drawing, thumbsCaption, thumbs);
  root.append(h("div", { class: "aim-controls" }, sentenceSelect, layerSelect, headSelect),
    h("div", { class: "aim-controls" }, tokenRange, buttons), view);
  let thumbsFor = null, thumbsData = null;

  function showHead(head) {
    thumbs.querySelectorAll(".aim-thumb").forEach((b, hi) => {
      b.classList.toggle("aim-on", hi === head);
      b.setAttribute("aria-pressed", hi === head ? "true" : "false");
    });
  }

  function redraw() {
    const d = data();
    const sen = d.sentences[model.get("sentence")];
    const layer = model.get("layer"), head = model.get("head");
    if (!sen || !sen.attention[layer] || !sen.attention[layer][head]) {
      drawing.replaceChildren(notice("This sentence, layer or head is not in the data.", "warning"));
      thumbsCaption.replaceChildren();
      thumbs.replaceChildren();
      thumbsFor = null;
      return;
    }
    headSelect.querySelector("select").value = String(head);
    const T = sen.tokens.length;
    const q = Math.min(Math.max(0, model.get("step")), T - 1);
    tokenRange.update(q, T - 1);
    const weights = sen.attention[layer][head];
    const order = weights[q].map((w, k) => [w, k]).sort((a, b) => b[0] - a[0]).slice(0, 3);
    const hover = (i) => { if (i !== model.get("step")) set("step", i); };
    drawing.replaceChildren(h("div", { class: "aim-caption" },
      h("strong", {}, `Layer ${layer + 1}, head ${head + 1}: “${sen.tokens[q]}” attends most to `),
      order.map(([w, k]) => `“${sen.tokens[k]}” (${fmt(w, 2)})`).join(", "), `. This head: ${sen.notes[layer][head]}.`),
      h("div", { class: "aim-attention-row" }, lines(sen.tokens, weights, q, hover),
        matrix(sen.tokens, weights, q, hover)));
    const key = `${model.get("sentence")}/${layer}`;
    if (key !== thumbsFor || d !== thumbsData) {
      thumbsCaption.replaceChildren(`All ${d.heads} heads of layer ${layer + 1} (choose one):`);
      thumbs.replaceChildren(thumbnails(sen.attention[layer], head, (hi) => set("head", hi)));
      thumbsFor = key;
      thumbsData = d;
    }
    showHead(head);
  }
  watch(model, ["data", "sentence", "layer", "head", "step"], redraw);
}

export default { render };
