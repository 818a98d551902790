// Sampling-temperature widget (Week 6). Python stored the next character's
// logits and continuations for a grid of settings
// (aimastery/widgets/sampling.py); this file applies temperature, top-k and
// top-p to the logits (as aimastery/sampling.py does) and draws.

const N_BARS = 12;

// temperature, then top-k, then top-p on what is left; 0 / 1 switch k / p off
function nextCharProbs(logits, t, k, p) {
  const z = logits.map((v) => v / t);
  const m = Math.max(...z);
  let probs = z.map((v) => Math.exp(v - m));
  const order = probs.map((_, i) => i).sort((a, b) => probs[b] - probs[a] || a - b);
  const keep = new Array(probs.length).fill(true);
  if (k > 0) order.forEach((i, rank) => { if (rank >= k) keep[i] = false; });
  probs = renormalise(probs, keep);
  if (p < 1) {
    let before = 0;
    for (const i of order) {
      if (!keep[i]) continue;
      if (before >= p - 1e-12) keep[i] = false;
      before += probs[i];
    }
    probs = renormalise(probs, keep);
  }
  return probs;
}

function renormalise(probs, keep) {
  const kept = probs.map((v, i) => (keep[i] ? v : 0));
  const total = kept.reduce((a, b) => a + b, 0);
  return kept.map((v) => v / total);
}

function entropyNats(probs) {
  return -probs.reduce((acc, q) => (q > 0 ? acc + q * Math.log(q) : acc), 0);
}

function drawBars(chars, probs) {
  const order = probs.map((_, i) => i).sort((a, b) => probs[b] - probs[a] || a - b).slice(0, N_BARS);
  const W = 560, H = 150, pad = 26, bw = (W - 2 * pad) / N_BARS;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, width: W, role: "img",
    "aria-label": "probabilities of the most likely next characters" });
  svg.append(s("line", { x1: pad, y1: H - 30, x2: W - pad, y2: H - 30, stroke: "var(--aim-border)" }));
  const top = Math.max(probs[order[0]], 1e-9); // the tallest bar fills the height
  order.forEach((i, r) => {
    const q = probs[i], bh = (q / top) * (H - 60), x = pad + r * bw;
    svg.append(s("rect", { x: x + 4, y: H - 30 - bh, width: bw - 8, height: bh, rx: 2,
      fill: q > 0 ? "var(--aim-accent-2)" : "var(--aim-border)" }));
    svg.append(s("text", { x: x + bw / 2, y: H - 12, "text-anchor": "middle", "font-size": 15,
      "font-family": "monospace" }, chars[i]));
    svg.append(s("text", { x: x + bw / 2, y: H - 36 - bh, "text-anchor": "middle", "font-size": 11 },
      q >= 0.005 ? fmt(q, 2) : q > 0 ? "<0.01" : "0"));
  });
  return svg;
}

function render({ model, el }) {
  const root = h("div", { class: "aim-widget aim-sampling", "data-aim-widget": "sampling" });
  el.append(root);
  const data = () => model.get("data") || {};
  const set = (name, value) => { model.set(name, value); model.save_changes(); };
  const d0 = data();
  if (!d0.prompts || !d0.prompts.length) { root.append(h("div", { "data-aim-view": "" }, notice("No prompts to show.", "error"))); return; }

  const promptSelect = selectControl("prompt", d0.prompts.map((p) => "…" + p.text.slice(-24).replace(/\n/g, "⏎")),
    model.get("prompt"), (i) => set("prompt", i));
  const tRange = valueRange("temperature", d0.temperatures, model.get("temperature"), (t) => `T = ${t}`,
    (i) => set("temperature", i));
  const kSelect = selectControl("top-k", d0.top_ks.map((k) => (k ? `top-k ${k}` : "top-k off")), model.get("top_k"),
    (i) => set("top_k", i));
  const pRange = valueRange("top-p", d0.top_ps, model.get("top_p"), (p) => (p >= 1 ? "off" : `p = ${p}`),
    (i) => set("top_p", i));
  const again = button("↻ new sample", "new sample", () => {
    set("sample_index", model.get("sample_index") + 1);
    set("request", model.get("request") + 1);
  });
  const view = h("div", { "data-aim-view": "" });
  root.append(h("div", { class: "aim-controls" }, promptSelect, kSelect),
    h("div", { class: "aim-controls" }, tRange, pRange), view, h("div", { class: "aim-controls" }, again));

  function redraw() {
    const d = data();
    const pi = model.get("prompt"), ti = model.get("temperature"), ki = model.get("top_k"), qi = model.get("top_p");
    const prompt = d.prompts[pi];
    view.replaceChildren();
    if (!prompt || d.temperatures[ti] === undefined || d.top_ks[ki] === undefined || d.top_ps[qi] === undefined) {
      view.append(notice("This setting is not in the stored grid.", "warning"));
      return;
    }
    promptSelect.update(pi);  // the controls follow the state (set from the URL, or from Python)
    kSelect.update(ki);
    tRange.update(ti);
    pRange.update(qi);
    const t = d.temperatures[ti], k = d.top_ks[ki], p = d.top_ps[qi];
    const probs = nextCharProbs(prompt.logits, t, k, p);
    const kept = probs.filter((q) => q > 0).length;
    const setting = `T = ${t}, ${k ? `top-k ${k}` : "no top-k"}, ${p < 1 ? `top-p ${p}` : "no top-p"}`;
    view.append(h("div", { class: "aim-caption" }, h("strong", {}, setting), `: ${kept} of ${probs.length} characters keep`,
      ` some probability; entropy ${fmt(entropyNats(probs), 2)} nats (a uniform choice among ${probs.length} would be `,
      `${fmt(Math.log(probs.length), 2)}).`));
    view.append(drawBars(d.chars, probs));
    const idx = (ti * d.top_ks.length + ki) * d.top_ps.length + qi;
    const stored = prompt.samples[idx] || [];
    const live = model.get("live") || {};
    const isLive = live.key && live.key.join() === [pi, ti, ki, qi].join();
    const n = model.get("sample_index") % Math.max(1, stored.length);
    const text = isLive ? live.text : stored[n];
    const label = isLive ? "a fresh sample from the model (Jupyter)" : `stored sample ${n + 1} of ${stored.length}`;
    view.append(h("div", { class: "aim-panel aim-sample" }, h("div", { class: "aim-caption" }, label),
      h("span", { class: "aim-prompt" }, prompt.text), h("span", {}, text === undefined ? "–" : text)));
  }
  watch(model, ["data", "prompt", "temperature", "top_k", "top_p", "sample_index", "live"], redraw);
  // the settings in the URL: #sampling<n>=prompt:0,temperature:3,top_k:0,top_p:2,sample_index:1
  syncWithUrl(root, "sampling", model, ["prompt", "temperature", "top_k", "top_p", "sample_index"],
    ({ prompt, temperature, top_k, top_p }) => {
      const d = data();
      return prompt < d.prompts.length && temperature < d.temperatures.length && top_k < d.top_ks.length
        && top_p < d.top_ps.length;
    });
}

export default { render };
