// Loaded before the widgets' embed-amd.js (nb_ipywidgets_js in _config.yml).
// Resolves every widget module from the book's own _assets/widgets/ folder,
// so that a page needs no CDN; paths are computed from this script's URL, so
// pages at any folder depth (and file:// URLs) work.
(function () {
  var here = document.currentScript.src.replace(/[^/]*$/, "");
  window.requirejs.config({
    paths: {
      anywidget: here + "anywidget",
      "@jupyter-widgets/html-manager/dist": here.replace(/\/$/, ""),
      "@jupyter-widgets/base": here.replace(/\/$/, ""),
      "@jupyter-widgets/controls": here.replace(/\/$/, ""),
    },
  });
  // Widget labels typeset with the MathJax 2 API (MathJax.Hub.Queue); the
  // book loads MathJax 3. Forward the call instead of failing.
  function bridgeMathJax() {
    var mj = window.MathJax;
    if (mj && !mj.Hub) {
      mj.Hub = {
        Queue: function () {
          if (window.MathJax.typesetPromise) window.MathJax.typesetPromise();
        },
      };
    }
  }
  bridgeMathJax();
  document.addEventListener("DOMContentLoaded", bridgeMathJax);
})();
