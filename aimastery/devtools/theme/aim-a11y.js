// Accessibility repairs of the theme's markup (sphinx-book-theme 1.3 on pydata-sphinx-theme 0.17),
// added to every page by aimastery/devtools/sphinx_ext.py. Each fixes what axe-core reports as a
// serious or critical violation; the browser smoke test checks every page with axe.
(function () {
  function repair() {
    // The search buttons show "Search Ctrl+K" but are named "Search": a speech-input user who says
    // what they see must be understood (WCAG 2.5.3). Let the visible text be the name.
    for (const b of document.querySelectorAll(".search-button__button[aria-label]")) b.removeAttribute("aria-label");
    // The colour-mode button shows only icons whose titles (Light, Dark, System Settings) are not its
    // name: hide the icons from assistive technology, the button keeps its name "Color mode".
    for (const i of document.querySelectorAll(".theme-switch-button i")) {
      i.setAttribute("aria-hidden", "true");
      i.removeAttribute("title");
    }
    // myst-nb's "Show code cell source" toggles are named "Toggle hidden content": let what they
    // show be their name.
    for (const s of document.querySelectorAll('details > summary[aria-label="Toggle hidden content"]')) {
      if (s.textContent.trim()) s.removeAttribute("aria-label");
    }
    // The sidebar's expand/collapse toggles are <summary> elements with an icon only: name them
    // after the section they open.
    for (const s of document.querySelectorAll(".bd-sidenav summary:not([aria-label])")) {
      const link = s.closest("li") && s.closest("li").querySelector(":scope > a");
      s.setAttribute("aria-label", `sections of ${link ? link.textContent.trim() : "this part"}`);
    }
    // The bibliography is a role=list whose entries carry the deprecated role doc-biblioentry:
    // make them its list items.
    for (const c of document.querySelectorAll('[role="list"].citation-list > [role="doc-biblioentry"]')) {
      c.setAttribute("role", "listitem");
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", repair);
  else repair();
})();
