"""Put the book's JavaScript where the built pages load it from, with no CDN.

Widgets in the static page need require.js, the Jupyter widgets HTML manager
(embed-amd.js and its icon fonts) and anywidget's front end; the maths needs
MathJax. They come from the npm registry at set-up time (``npm pack``, each
tarball checked against its pinned sha512) and from the installed anywidget,
and land in ``_vendor/_assets/`` which Sphinx copies into the built book as
``_assets/`` (``html_extra_path`` in ``_config.yml``). Nothing is fetched
when a page is read.

axe-core, the accessibility engine of the browser smoke test, is vendored
the same way but into ``_vendor/axe/``, which the build does not copy
(``exclude_patterns`` in ``_config.yml``): the test injects it into each
page; the book's readers never download it.

Run by ``make book`` and ``make test``: ``python -m aimastery.devtools.vendor``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import anywidget

from aimastery.config import REPO_ROOT

VENDOR = REPO_ROOT / "_vendor"
ASSETS = VENDOR / "_assets"
CACHE = REPO_ROOT / ".cache" / "npm"
STATIC = Path(__file__).parent / "static"

# spec -> sha512 integrity of its tarball (as the npm registry reports it)
NPM_PACKAGES = {
    "@jupyter-widgets/html-manager@1.0.15":
        "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
    "requirejs@2.3.8":
        "sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw==",
    "mathjax@3.2.2":
        "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
}
# for the tests only: never copied into the built book
TEST_PACKAGES = {
    "axe-core@4.14.1":
        "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
}
AXE = VENDOR / "axe" / "axe.min.js"
MATHJAX_COMPONENT = "tex-mml-chtml.js"  # the one combined MathJax build the book uses


def _integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def _tarball_name(spec: str) -> str:
    name, version = spec.rsplit("@", 1)
    return f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"


def fetch(spec: str, integrity: str) -> Path:
    """The tarball of ``spec`` from the cache, or from the npm registry; verified either way."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / _tarball_name(spec)
    if not path.exists() or _integrity(path) != integrity:
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("npm is needed once to fetch the book's JavaScript (install Node.js), then it is cached")
        subprocess.run([npm, "pack", spec, "--pack-destination", str(CACHE), "--silent"], check=True,
                       stdout=subprocess.DEVNULL)
    if _integrity(path) != integrity:
        path.unlink(missing_ok=True)
        raise SystemExit(f"{spec}: the tarball's sha512 does not match the pinned one; refusing to use it")
    return path


def _extract(tarball: Path, keep, dest: Path) -> int:
    """Copy the members for which ``keep(name) -> relative target or None`` says so; return the count."""
    count = 0
    with tarfile.open(tarball, "r:gz") as tar:
        for member in tar.getmembers():
            target = keep(member.name) if member.isfile() else None
            if target is None:
                continue
            out = dest / target
            out.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(member) as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst)
            count += 1
    return count


def _html_manager(name: str) -> str | None:
    prefix = "package/dist/"
    if name == prefix + "embed-amd.js" or (
        name.startswith(prefix) and name.rsplit(".", 1)[-1] in {"woff2", "woff", "ttf", "eot", "svg"}
    ):
        return "widgets/" + name[len(prefix):]
    return None


def _requirejs(name: str) -> str | None:
    return "widgets/require.js" if name == "package/require.js" else None


def _mathjax(name: str) -> str | None:
    prefix = "package/es5/"
    if not name.startswith(prefix):
        return None
    rest = name[len(prefix):]
    if "/" not in rest and rest != MATHJAX_COMPONENT:
        return None  # the other combined builds are not used
    if rest.startswith(("output/svg", "input/mml/extensions")):
        return None
    return "mathjax/" + rest


def _axe(name: str) -> str | None:
    return "axe.min.js" if name == "package/axe.min.js" else None


def vendor_axe(dest: Path = AXE) -> dict:
    """axe-core's one-file build, for the browser smoke test, at ``dest`` (outside the built book)."""
    spec, integrity = next(iter(TEST_PACKAGES.items()))
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        count = _extract(fetch(spec, integrity), _axe, Path(tmp))
        if count != 1:
            raise SystemExit(f"{spec}: package/axe.min.js is missing from the tarball")
        (Path(tmp) / "axe.min.js").replace(dest)
    return {spec: count}


def write_favicon(path: Path, size: int = 64) -> None:
    """The book's icon (book/images/favicon.svg, redrawn) as favicon.ico for pages without an icon link.

    The root index.html is a redirect page with no <link rel="icon">, so a
    browser asks for /favicon.ico; without one it logs a 404 error.
    """
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle([0, 0, size - 1, size - 1], radius=12, fill="#0072B2")
    draw.polygon([(14, 48), (26, 16), (32, 16), (44, 48), (37, 48), (34, 39), (24, 39), (21, 48)], fill="white")
    draw.polygon([(26, 33), (33, 33), (29.5, 23)], fill="#0072B2")
    draw.rounded_rectangle([46, 16, 52, 48], radius=1, fill="#E69F00")
    img.save(path, sizes=[(16, 16), (32, 32), (64, 64)])


def vendor(dest: Path = ASSETS) -> dict:
    """Write every asset into ``dest`` (atomically: a temporary folder, then a rename)."""
    extractors = {"@jupyter-widgets/html-manager": _html_manager, "requirejs": _requirejs, "mathjax": _mathjax}
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=".assets-"))
    counts = {}
    try:
        for spec, integrity in NPM_PACKAGES.items():
            counts[spec] = _extract(fetch(spec, integrity), extractors[spec.rsplit("@", 1)[0]], tmp)
        anywidget_js = Path(anywidget.__file__).parent / "nbextension" / "index.js"
        shutil.copyfile(anywidget_js, tmp / "widgets" / "anywidget.js")
        shutil.copyfile(STATIC / "widgets-config.js", tmp / "widgets" / "widgets-config.js")
        counts[f"anywidget@{anywidget.__version__}"] = 1
        write_favicon(tmp / "favicon.ico")
        (tmp / "VERSIONS.json").write_text(json.dumps(counts, indent=1) + "\n", encoding="utf-8")
        if dest.exists():
            shutil.rmtree(dest)
        tmp.rename(dest)
        shutil.copyfile(dest / "favicon.ico", dest.parent / "favicon.ico")
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return counts


if __name__ == "__main__":
    for spec, n in {**vendor(), **vendor_axe()}.items():
        print(f"vendored {spec}: {n} files")
    sys.exit(0)
