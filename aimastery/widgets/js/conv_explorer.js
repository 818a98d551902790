// Convolution explorer (Week 5). Python stored a few images and kernels
// (aimastery/widgets/conv_explorer.py); this file computes the same
// cross-correlation as aimastery.cnn.conv, steps the kernel's window across
// the image, fills the output map in up to the current position and prints
// the current dot product.

const PANEL = 250; // the largest side of the input and output panels, in SVG units
const KERNEL_PANEL = 150;
const POSITIVE = [217, 72, 15], NEGATIVE = [24, 100, 171];

function paddingFor(mode, k) { return mode === "same" ? Math.floor(k / 2) : 0; }

function outputSize(n, k, stride, pad) { return Math.floor((n + 2 * pad - k) / stride) + 1; }

function pixelAt(x, i, j) { return i < 0 || j < 0 || i >= x.length || j >= x[0].length ? 0 : x[i][j]; }

// The window at output position `step` (reading order): the patch (padding is 0), the products, their sum
// and the value with the bias; as dot_product_at in Python.
function dotProductAt(x, w, bias, stride, pad, step) {
  const k = w.length, wOut = outputSize(x[0].length, k, stride, pad);
  const row = Math.floor(step / wOut), col = step % wOut;
  const top = row * stride - pad, left = col * stride - pad;
  const patch = [], products = [];
  let sum = 0;
  for (let p = 0; p < k; p++) {
    patch.push([]); products.push([]);
    for (let q = 0; q < k; q++) {
      const v = pixelAt(x, top + p, left + q);
      patch[p].push(v); products[p].push(v * w[p][q]);
      sum += v * w[p][q];
    }
  }
  return { row, col, top, left, patch, products, sum, value: sum + bias };
}

// The whole output map (H_out, W_out), as feature_map in Python.
function featureMap(x, w, bias, stride, pad) {
  const k = w.length, hOut = outputSize(x.length, k, stride, pad), wOut = outputSize(x[0].length, k, stride, pad);
  const out = [];
  for (let i = 0; i < hOut; i++) {
    out.push([]);
    for (let j = 0; j < wOut; j++) out[i].push(dotProductAt(x, w, bias, stride, pad, i * wOut + j).value);
  }
  return out;
}

function grey(v) { const g = Math.round(255 * Math.max(0, Math.min(1, v))); return `rgb(${g},${g},${g})`; }

function diverging(v, limit) { // 0 -> white, +limit -> orange, -limit -> blue
  const t = Math.max(-1, Math.min(1, limit > 0 ? v / limit : 0)), c = t >= 0 ? POSITIVE : NEGATIVE, a = Math.abs(t);
  return `rgb(${c.map((ch) => Math.round(255 + (ch - 255) * a)).join(",")})`;
}

function maxAbs(rows) { return Math.max(1e-12, ...rows.flat().map(Math.abs)); }

function draw(setting, map, at) {
  const { x, w, stride, pad } = setting;
  const H = x.length, W = x[0].length, k = w.length, hOut = map.length, wOut = map[0].length;
  const cell = Math.max(5, Math.min(14, Math.floor(PANEL / Math.max(H + 2 * pad, W + 2 * pad))));
  const kCell = Math.min(40, Math.floor(KERNEL_PANEL / k));
  const top = 34, inX = 10, kX = inX + (W + 2 * pad) * cell + 40, outX = kX + k * kCell + 40;
  const height = top + Math.max((H + 2 * pad) * cell, k * kCell, hOut * cell) + 10;
  const width = outX + wOut * cell + 10;
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, width, role: "img",
    "aria-label": `The input image with the ${k} by ${k} window at row ${at.top}, column ${at.left}; the kernel; `
      + `the output map filled in up to row ${at.row}, column ${at.col}, whose value is ${fmt(at.value, 3)}` });
  const label = (xPos, text) => svg.append(s("text", { x: xPos, y: 20, "font-size": 12 }, text));
  label(inX, `input ${H} × ${W}` + (pad ? ` (padding ${pad})` : ""));
  label(kX, `kernel ${k} × ${k}`);
  label(outX, `output ${hOut} × ${wOut}`);

  // the input, with its padding as dashed cells of 0
  for (let i = -pad; i < H + pad; i++) {
    for (let j = -pad; j < W + pad; j++) {
      const inside = i >= 0 && j >= 0 && i < H && j < W;
      svg.append(s("rect", { x: inX + (j + pad) * cell, y: top + (i + pad) * cell, width: cell, height: cell,
        fill: inside ? grey(x[i][j]) : "var(--aim-surface)", stroke: inside ? "none" : "var(--aim-border)",
        "stroke-dasharray": inside ? null : "2 2", "stroke-width": 0.5 }));
    }
  }
  const win = { x: inX + (at.left + pad) * cell, y: top + (at.top + pad) * cell, size: k * cell };
  svg.append(s("rect", { x: win.x, y: win.y, width: win.size, height: win.size, fill: "none",
    stroke: "var(--aim-accent)", "stroke-width": 2.5 }));

  // the kernel, its weights written in
  const wLimit = maxAbs(w);
  w.forEach((r, p) => r.forEach((v, q) => {
    svg.append(s("rect", { x: kX + q * kCell, y: top + p * kCell, width: kCell, height: kCell,
      fill: diverging(v, wLimit), stroke: "var(--aim-border)", "stroke-width": 0.5 }));
    svg.append(s("text", { x: kX + q * kCell + kCell / 2, y: top + p * kCell + kCell / 2 + 4, "text-anchor": "middle",
      "font-size": Math.max(8, Math.min(12, kCell / 3.2)), style: "fill:#1f2328" }, fmt(v, Math.abs(v) >= 10 ? 0 : 2)));
  }));

  // the output, filled in up to the current position
  const oLimit = maxAbs(map);
  const current = at.row * wOut + at.col;
  map.forEach((r, i) => r.forEach((v, j) => {
    const done = i * wOut + j <= current;
    svg.append(s("rect", { x: outX + j * cell, y: top + i * cell, width: cell, height: cell,
      fill: done ? diverging(v, oLimit) : "var(--aim-surface)", stroke: "var(--aim-border)", "stroke-width": 0.25 }));
  }));
  const cx = outX + at.col * cell, cy = top + at.row * cell;
  svg.append(s("line", { x1: win.x + win.size, y1: win.y + win.size / 2, x2: cx, y2: cy + cell / 2,
    stroke: "var(--aim-accent)", "stroke-opacity": 0.45, "stroke-width": 1.5 }));
  svg.append(s("rect", { x: cx - 1, y: cy - 1, width: cell + 2, height: cell + 2, fill: "none",
    stroke: "var(--aim-accent)", "stroke-width": 2.5 }));
  return svg;
}

function arithmetic(at, w, bias) {
  const k = w.length;
  const rows = at.patch.map((r, p) => h("tr", {}, r.map((v, q) => h("td", {},
    h("span", { class: "aim-muted" }, `${fmt(v, 3)} × ${fmt(w[p][q], 3)}`), h("br"), `= ${fmt(at.products[p][q], 3)}`))));
  const table = h("table", { class: "aim-cm aim-conv-products",
    "aria-label": `the ${k * k} products of the patch's pixels and the kernel's weights` }, h("tbody", {}, rows));
  const total = h("div", {}, `Sum of the ${k * k} products: ${fmt(at.sum, 3)}`,
    bias ? `; plus the bias ${fmt(bias, 3)}: ` : ": ",
    h("strong", {}, `output[${at.row}, ${at.col}] = ${fmt(at.value, 3)}`), ".");
  return h("div", { class: "aim-panel" }, table, total);
}

function render({ model, el }) {
  const root = h("div", { class: "aim-widget aim-conv", "data-aim-widget": "conv-explorer" });
  el.append(root);
  const data = () => model.get("data") || {};
  const d0 = data();
  if (!d0.images || !d0.images.length || !d0.kernels || !d0.kernels.length) {
    root.append(h("div", { "data-aim-view": "" }, notice("No images or kernels to show.", "error")));
    return;
  }
  const setting = (state = {}) => {
    const d = data(), get = (n) => (n in state ? state[n] : model.get(n));
    const image = d.images[get("image")], kernel = d.kernels[get("kernel")];
    const stride = d.strides[get("stride")], mode = d.paddings[get("padding")];
    if (!image || !kernel || stride === undefined || mode === undefined) return null;
    const w = kernel.weights, pad = paddingFor(mode, w.length), x = image.pixels;
    const hOut = outputSize(x.length, w.length, stride, pad), wOut = outputSize(x[0].length, w.length, stride, pad);
    return { x, w, bias: kernel.bias || 0, stride, pad, hOut, wOut, kernel, image };
  };
  const maxStep = () => { const st = setting(); return st ? st.hOut * st.wOut - 1 : 0; };
  const player = stepPlayer(model, maxStep, { playTitle: "play: step the kernel across the image", intervalMs: 150 });
  // a new image, kernel, stride or padding keeps the window where it was, if it still fits
  const change = (name, value) => {
    player.stop();
    model.set(name, value);
    model.set("step", Math.min(model.get("step"), maxStep()));
    model.save_changes();
  };
  const imageSelect = selectControl("image", d0.images.map((im) => im.name), model.get("image"), (i) => change("image", i));
  const kernelSelect = selectControl("kernel", d0.kernels.map((kn) => kn.name), model.get("kernel"),
    (i) => change("kernel", i));
  const strideSelect = selectControl("stride", d0.strides.map((v) => `stride ${v}`), model.get("stride"),
    (i) => change("stride", i));
  const paddingSelect = selectControl("padding", d0.paddings.map((m) => (m === "same" ? "same (⌊k/2⌋ zeros)" : "valid (none)")),
    model.get("padding"), (i) => change("padding", i));
  const caption = h("div", { class: "aim-caption", "aria-live": "polite" });
  const drawing = h("div", {});
  const sums = h("div", {});
  const view = h("div", { "data-aim-view": "" }, caption, drawing, sums);
  root.append(h("div", { class: "aim-controls" }, imageSelect, kernelSelect, strideSelect, paddingSelect),
    h("div", { class: "aim-controls" }, player.buttons, player.range), view);

  let cached = { key: null, map: null };
  function redraw() {
    const st = setting();
    if (!st) {
      caption.textContent = "";
      drawing.replaceChildren(notice("This image, kernel, stride or padding is not in the data.", "warning"));
      sums.replaceChildren();
      return;
    }
    imageSelect.update(model.get("image"));  // the controls follow the state (set from the URL, or from Python)
    kernelSelect.update(model.get("kernel"));
    strideSelect.update(model.get("stride"));
    paddingSelect.update(model.get("padding"));
    const last = st.hOut * st.wOut - 1, step = Math.max(0, Math.min(model.get("step"), last));
    player.range.update(step, last);
    const key = [model.get("image"), model.get("kernel"), st.stride, st.pad].join();
    if (cached.key !== key) cached = { key, map: featureMap(st.x, st.w, st.bias, st.stride, st.pad) };
    const at = dotProductAt(st.x, st.w, st.bias, st.stride, st.pad, step);
    caption.textContent = `Position ${step + 1} of ${last + 1}: the window's top-left pixel is at row ${at.top}, `
      + `column ${at.left} of the input; it gives output row ${at.row}, column ${at.col}: ${fmt(at.value, 3)}. `
      + `Output size: (${st.x.length} + 2×${st.pad} − ${st.w.length}) ÷ ${st.stride} + 1 = ${st.hOut} rows, `
      + `${st.wOut} columns.`;
    drawing.replaceChildren(draw(st, cached.map, at));
    sums.replaceChildren(arithmetic(at, st.w, st.bias));
    view.setAttribute("data-aim-result", JSON.stringify({ image: model.get("image"), kernel: model.get("kernel"),
      stride: model.get("stride"), padding: model.get("padding"), step, row: at.row, col: at.col, value: at.value,
      rows: st.hOut, cols: st.wOut }));  // what is drawn, for the browser test
  }
  watch(model, ["data", "image", "kernel", "stride", "padding", "step"], redraw);
  // the settings in the URL: #conv<n>=image:0,kernel:2,stride:0,padding:1,step:40
  syncWithUrl(root, "conv", model, ["image", "kernel", "stride", "padding", "step"], (v) => {
    const st = setting(v);
    return st !== null && v.step < st.hOut * st.wOut;
  });
}

export default { render };
