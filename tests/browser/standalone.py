"""A standalone page for a widget whose chapter is not written yet: the widgets' saved state and views laid out
as the book's pages have them (myst-nb: the state script in the head, then require.js, the config script and
embed-amd.js from the vendored _assets/; each view script in a cell's output), served from a folder of its own."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from aimastery.devtools.vendor import ASSETS

STATE = "application/vnd.jupyter.widget-state+json"
VIEW = "application/vnd.jupyter.widget-view+json"


def _script_json(value) -> str:
    return json.dumps(value).replace("</", "<\\/")  # as myst-nb's sanitize_script_content


def write_widget_page(directory: Path, widgets: list, title: str, name: str = "page.html") -> Path:
    """``directory/name``: a page with ``widgets`` (each under a heading), and ``directory/_assets``."""
    from ipywidgets.embed import embed_data

    if not (ASSETS / "widgets" / "embed-amd.js").exists():
        raise FileNotFoundError(f"{ASSETS} has no widgets/embed-amd.js: run `python -m aimastery.devtools.vendor`")
    directory.mkdir(parents=True, exist_ok=True)
    assets = directory / "_assets"
    if not assets.exists():
        try:
            os.symlink(ASSETS, assets, target_is_directory=True)
        except OSError:
            shutil.copytree(ASSETS, assets)
    embedded = embed_data(views=widgets, drop_defaults=False)  # a saved notebook keeps every trait (_esm too)
    cells = "\n".join(f'<section id="widget-{i}"><h2>Widget {i + 1}</h2><div class="cell_output">'
                      f'<script type="{VIEW}">{_script_json(view)}</script></div></section>'
                      for i, view in enumerate(embedded["view_specs"]))
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="_assets/favicon.ico">
<script type="{STATE}">{_script_json(embedded["manager_state"])}</script>
<script src="_assets/widgets/require.js"></script>
<script src="_assets/widgets/widgets-config.js"></script>
<script src="_assets/widgets/embed-amd.js"></script>
</head>
<body>
<main>
<h1>{title}</h1>
{cells}
</main>
</body>
</html>
"""
    out = directory / name
    out.write_text(page, encoding="utf-8")
    return out
