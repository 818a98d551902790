"""A seeded generator of realistic synthetic GitHub issues, balanced over the labels.

Taught in the capstone chapter (book/capstone_issue_classifier.md), which
is also where its limits are measured: a model trained on these issues is
scored on them *and* on hand-written real-style issues it never saw
(:mod:`aimastery.capstone.data`), and the gap between the two is the point.

Each issue is written like a real one, about one of many invented projects
in one of several ecosystems (Python, JavaScript, Rust, Go, Java and
Kotlin, C and C++, apps with no code in sight): a title in one of many
phrasings; a body shaped as GitHub's default template (sometimes with its
placeholder text left in), an issue form with ``###`` headings and
``_No response_``, a short free-text note, a one-liner or nothing; stack
traces, panics, compiler errors and logs of that ecosystem, code snippets,
version strings and environment lists; typos, lower-case titles and
chatty endings. Feature requests are as often *asked* as stated ("Is it
possible to ...", "Would it make sense to ...", "Any plans to support
...?"), and documentation reports are about a page, an example or a
docstring that is wrong, outdated or missing, because that is how real
ones are written.

A share of every label is **deliberately ambiguous**, drawn from templates
that two labels share: a pasted traceback asked about (*bug* or
*question*), "is there a way to ...?" (*feature* or *question*), a format
that fails (*feature* or *bug*), a documented example that raises (*bug*
or *documentation*), a question the docs should answer (*question* or
*documentation*). In real repositories the label of such an issue follows
the maintainers' answer, not its wording, so no model gets them all right.

The words come from :mod:`aimastery.capstone.phrases`.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from aimastery.capstone import phrases as P
from aimastery.capstone.issues import LABELS, Issue

NAME_STARTS = ["quill", "tide", "nimbus", "ferro", "lumen", "orbit", "pixel", "rivet", "sable", "tango",
               "vault", "zephyr", "atlas", "bolt", "cobalt", "delta", "ember", "flux", "grove", "helix",
               "koi", "mosaic", "nova", "onyx", "pebble", "quartz", "raven", "sprout", "thistle", "umber"]
NAME_ENDS = ["", "", "", "kit", "js", "py", "rs", "ly", "hub", "db", "ql", "x", "-cli", "-ui", "go"]
ECOSYSTEMS = ["python", "python", "javascript", "javascript", "rust", "go", "java", "native", "app", "app"]


class _Writer:
    """Random choices and the building blocks of issue text, from one seeded RNG.

    :meth:`new_issue` picks the project the next issue is about (its name and
    ecosystem), so that its traces, snippets and commands agree.
    """

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.name, self.eco = "tool", "python"

    def new_issue(self) -> None:
        self.name = self.pick(NAME_STARTS) + self.pick(NAME_ENDS)
        self.eco = self.pick(ECOSYSTEMS)

    def module_name(self) -> str:
        """The project's name as a Python module."""
        return self.name.replace("-", "_")

    def pick(self, options):
        return options[self.rng.randrange(len(options))]

    def maybe(self, p: float) -> bool:
        return self.rng.random() < p

    def version(self) -> str:
        r = self.rng
        v = f"{r.randint(0, 4)}.{r.randint(0, 19)}.{r.randint(0, 12)}"
        if self.maybe(0.15):
            v += self.pick(["rc1", "rc2", ".dev3", "b1", "-beta"])
        return ("v" if self.maybe(0.4) else "") + v

    def version_pair(self) -> tuple[str, str]:
        """An older and a newer version of the same project (the last that worked, the first that broke)."""
        r = self.rng
        major, minor = r.randint(0, 4), r.randint(0, 17)
        old = f"{major}.{minor}.{r.randint(0, 9)}"
        new = f"{major}.{minor + r.randint(1, 2)}.0" if self.maybe(0.6) else f"{major + 1}.0.{r.randint(0, 2)}"
        return old, new

    def python(self) -> str:
        return f"{self.python_minor()}.{self.rng.randint(0, 9)}"

    def python_minor(self) -> str:
        return f"3.{self.rng.randint(8, 13)}"

    def fill(self, text: str) -> str:
        """Fill the placeholders a phrase may contain."""
        exc, _ = self.pick(P.PY_ERRORS)
        return text.format(
            cmd=self.command(), func=self.pick(P.FUNCS), fmt=self.pick(P.FORMATS), os=self.pick(P.SYSTEMS),
            n=self.pick([2, 5, 10, 100, 500, 1000, 4096]), code=self.pick([1, 2, 137, 139, 255]), exc=exc,
            param=self.pick(P.PARAMS), lang=self.pick(P.LANGUAGES), platform=self.pick(P.PLATFORMS),
            shell=self.pick(P.SHELLS), integration=self.pick(P.INTEGRATIONS), topic=self.pick(P.TOPICS),
            name=self.name,
        )

    def command(self) -> str:
        return self.pick(P.COMMANDS).format(name=self.name)

    def component(self) -> str:
        return self.pick(P.COMPONENTS)

    def thing(self) -> str:
        """Something a feature request asks for, as a noun phrase."""
        return self.fill(self.pick(P.FEATURE_THINGS))

    def capability(self) -> str:
        """Something a feature request asks for, as a verb phrase ("export to YAML")."""
        return self.fill(self.pick(P.CAPABILITIES))

    def environment(self) -> str:
        lines = [f"- OS: {self.pick(P.SYSTEMS)}", f"- {self.name} version: {self.version()}"]
        runtime = {"python": f"Python {self.python()}", "javascript": f"Node {self.rng.randint(16, 22)}",
                   "rust": f"rustc 1.{self.rng.randint(70, 80)}.0", "go": f"go 1.{self.rng.randint(19, 23)}",
                   "java": f"Java {self.pick([11, 17, 21])}", "native": f"gcc {self.rng.randint(9, 14)}",
                   "app": f"Browser: {self.pick(P.BROWSERS)}"}[self.eco]
        if self.maybe(0.7):
            lines.append(f"- {runtime}")
        return "\n".join(lines)

    def traceback(self) -> tuple[str, str]:
        """An error as this ecosystem prints it, and the one line that names it."""
        r, mod = self.rng, self.pick(P.MODULES)
        if self.eco == "python":
            exc, msg = self.pick(P.PY_ERRORS)
            frames = [f'  File "/home/{self.pick(P.USERS)}/project/main.py", line {r.randint(3, 90)}, in <module>\n'
                      f"    main()"]
            for _ in range(r.randint(1, 3)):
                frames.append(f'  File "/usr/lib/python{self.python_minor()}/site-packages/{self.module_name()}/{mod}.py", '
                              f"line {r.randint(10, 900)}, in {self.pick(['load', 'run', 'parse', 'send', 'read'])}\n"
                              f"    {self.pick(['return self._cache[key]', 'data = json.loads(raw)', 'value = int(text)', 'self.conn.send(payload)'])}")
            error = f"{exc}: {msg}" if msg else exc
            return "Traceback (most recent call last):\n" + "\n".join(frames) + f"\n{error}", error
        if self.eco == "javascript":
            error = self.pick(P.JS_ERRORS)
            frames = "\n".join(f"    at {self.pick(['render', 'fetchData', 'onClick', 'useEffect', 'map', 'Object.<anonymous>'])} "
                               f"({self.pick(['webpack:///src/', 'node_modules/' + self.name + '/dist/', 'file:///app/src/'])}"
                               f"{mod}.js:{r.randint(5, 300)}:{r.randint(1, 40)})" for _ in range(r.randint(2, 4)))
            return f"{error}\n{frames}", error
        if self.eco == "rust":
            if self.maybe(0.3):
                error = self.pick(P.RUST_COMPILE)
                return (f"{error}\n  --> src/{mod}.rs:{r.randint(5, 300)}:{r.randint(1, 40)}\n   |\n"
                        f"{r.randint(5, 300)} |     let x = {self.name}::{self.pick(['Client', 'Config', 'Builder'])}::new();\n"
                        "   |             ^^^^^^^^^^^^^^^"), error.split(":")[0]
            error = self.pick(P.RUST_PANICS)
            return (f"thread 'main' panicked at src/{mod}.rs:{r.randint(5, 400)}:{r.randint(1, 40)}:\n{error}\n"
                    "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace"), "panic"
        if self.eco == "go":
            error = self.pick(P.GO_PANICS)
            return (f"{error}\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x{r.randint(4096, 65535):x}]\n\n"
                    f"goroutine {r.randint(1, 60)} [running]:\ngithub.com/acme/{self.name}/{mod}.(*Client).Do(...)\n"
                    f"\t/go/pkg/mod/github.com/acme/{self.name}@{self.version()}/{mod}/client.go:{r.randint(10, 400)} +0x{r.randint(16, 999):x}\n"
                    f"main.main()\n\t/app/main.go:{r.randint(5, 80)} +0x1d"), error.split(":")[0]
        if self.eco == "java":
            error = self.pick(P.JAVA_ERRORS)
            frames = "\n".join(f"\tat com.example.{self.name.replace('-', '')}.{self.pick(P.MODULES).title()}."
                               f"{self.pick(['run', 'call', 'load', 'render'])}({self.pick(P.MODULES).title()}.java:{r.randint(10, 500)})"
                               for _ in range(r.randint(2, 4)))
            return f'Exception in thread "main" {error}\n{frames}', error.split(":")[0]
        if self.eco == "native":
            error = self.pick(P.NATIVE_ERRORS)
            return (f"==1234=={error} on address 0x60200000{r.randint(16, 255):x}\n"
                    f"    #0 0x55d0c2 in {self.pick(['decode_row', 'parse_header', 'resize'])} src/{mod}.cpp:{r.randint(10, 500)}\n"
                    f"    #1 0x55a8e1 in main src/main.cpp:{r.randint(5, 60)}"), error
        error = self.pick(P.APP_ERRORS)
        return (f"{error}\n{self.pick(['(from the log file)', 'Crashed Thread: 0', 'at startup', 'in the console'])}"), error

    def snippet(self) -> str:
        """A short code block in this issue's language (or a shell session)."""
        r = self.rng
        if self.maybe(0.3) or self.eco in ("app", "native"):
            out = self.pick(["Error: exit status 1", "Segmentation fault (core dumped)", "Killed", "done in 0.4s",
                             "ERROR: failed to solve", "error: could not compile", "npm ERR! code 1"])
            return f"```console\n$ {self.command()}\n{out}\n```"
        if self.eco == "python":
            return (f"```python\nimport {self.name.replace('-', '_')}\n\n"
                    f"client = {self.name.replace('-', '_')}.Client({self.pick(P.PARAMS)}={self.pick(['5', '30', 'None', 'True'])})\n"
                    f"result = {self.pick(P.FUNCS)[:-1]}{self.pick(['', 'data', 'path', 'retries=3'])})\nprint(result)\n```")
        if self.eco == "javascript":
            return (f"```{self.pick(['js', 'ts', 'jsx'])}\nimport {{ {self.pick(['createClient', 'render', 'format', 'useStore'])} }} from '{self.name}'\n\n"
                    f"const res = await api.{self.pick(['get', 'post', 'list'])}('/items', {{ limit: {self.pick([10, 50, 100])} }})\n```")
        if self.eco == "rust":
            return (f"```rust\nlet client = {self.name.replace('-', '_')}::Client::builder()\n    .{self.pick(P.PARAMS)}({r.randint(1, 60)})\n"
                    "    .build()?;\nlet out = client.send(req).await?;\n```")
        if self.eco == "go":
            return (f"```go\nc := {self.name.replace('-', '')}.NewClient({self.name.replace('-', '')}.WithTimeout({r.randint(1, 60)} * time.Second))\n"
                    "resp, err := c.Do(ctx, req)\nif err != nil {\n    log.Fatal(err)\n}\n```")
        return (f"```{self.pick(['java', 'kotlin'])}\nvar client = new {self.name.title().replace('-', '')}Client(config);\n"
                f"var result = client.{self.pick(['execute', 'render', 'load'])}(request);\n```")

    def ending(self) -> str:
        return self.pick(P.THANKS)


# ----- the shapes a body takes: an issue template, free text, a line, nothing

def _shape(w: _Writer, form: Callable[[], str], free: Callable[[], str], line: str,
           p_form: float = 0.35) -> str:
    u = w.rng.random()
    if u < p_form:
        return form()
    if u < p_form + 0.45:
        return free()
    if u < p_form + 0.58:
        return line
    return ""


def _placeholder(w: _Writer, text: str, placeholder: str) -> str:
    """What a half-filled template holds: the user's text, the template's placeholder, or both."""
    u = w.rng.random()
    if u < 0.15:
        return placeholder
    if u < 0.25:
        return f"{placeholder}\n\n{text}"
    return text


def _form(w: _Writer, sections: list[tuple[str, str]]) -> str:
    """An issue form: ``### Heading`` sections, some left unanswered."""
    parts = []
    for heading, text in sections:
        parts.append(f"### {heading}\n\n{text if text and not w.maybe(0.12) else '_No response_'}")
    return "\n\n".join(parts)


# ----- bugs

def bug_crash(w: _Writer) -> tuple[str, str]:
    comp, trig = w.component(), w.fill(w.pick(P.TRIGGERS))
    trace, error = w.traceback()
    v = w.version()
    title = w.pick([
        f"{comp} crashes when {trig}", f"{error.split(':')[0]} in {comp}", f"Crash: {error}"[:120],
        f"{comp} fails with {error.split(':')[0]} after upgrading to {v}", f"Regression in {v}: {comp} crashes",
        f"Exception when {trig}", f"[Bug]: {comp} crashes on {w.pick(P.SYSTEMS)}", f"{error}"[:120],
        f"{w.name} {w.pick(['crashes', 'panics', 'dies', 'blows up'])} when {trig}",
        f"Unhandled {error.split(':')[0]} with {w.pick(P.FUNCS)}", f"crash on startup since {v}",
    ])
    steps = f"1. Install {v}\n2. Run `{w.command()}`\n3. See error"
    return title, _shape(
        w,
        lambda: w.pick([
            lambda: (f"**Describe the bug**\n"
                     f"{_placeholder(w, f'The {comp} crashes when {trig}.', 'A clear and concise description of what the bug is.')}\n\n"
                     f"**To Reproduce**\n{_placeholder(w, steps, 'Steps to reproduce the behavior:')}\n\n"
                     f"```\n{trace}\n```\n\n**Expected behavior**\n{w.pick(P.EXPECTED)}\n\n**Environment**\n{w.environment()}"),
            lambda: _form(w, [("What happened?", f"The {comp} crashes when {trig}."),
                              ("Steps to reproduce", f"Run `{w.command()}`"),
                              ("Relevant log output", f"```\n{trace}\n```"),
                              ("Version", v), ("Anything else?", "")]),
        ])(),
        lambda: (f"{w.pick(['Since', 'After upgrading to', 'With'])} {v} the {comp} crashes when {trig}:\n\n```\n{trace}\n```\n\n"
                 f"{w.pick(['It worked fine in ' + w.version() + '.', 'Reproducible every time.', 'Happens about one time in ten.', ''])} {w.ending()}"),
        f"{error} on {w.pick(P.SYSTEMS)}",
    )


def bug_behaviour(w: _Writer) -> tuple[str, str]:
    comp, symptom, trig = w.component(), w.fill(w.pick(P.SYMPTOMS)), w.fill(w.pick(P.TRIGGERS))
    func = w.pick(P.FUNCS)
    title = w.pick([
        f"{comp} {symptom} when {trig}", f"{comp} {symptom}", f"[BUG] {comp} {symptom}", f"Wrong result from {func}",
        f"{comp} {symptom} since {w.version()}", f"Broken: {comp} {symptom}", f"`{func}` {symptom}",
        f"{comp} not working on {w.pick(P.SYSTEMS)}", f"{comp} {symptom} on {w.pick(P.BROWSERS)}",
        f"{func} returns {w.pick(['None', 'an empty string', 'the wrong value', 'duplicates', '0'])} when {trig}",
        f"Bug: {comp} {symptom}", f"{comp} is broken after the last update",
    ])
    return title, _shape(
        w,
        lambda: w.pick([
            lambda: (f"**Describe the bug**\n{_placeholder(w, f'The {comp} {symptom} when {trig}.', 'A clear and concise description of what the bug is.')}\n\n"
                     f"**Steps to reproduce**\n{w.snippet()}\n\n**Expected behavior**\n{w.pick(P.EXPECTED)}\n\n"
                     f"**Actual behavior**\nIt {symptom}.\n\n**Environment**\n{w.environment()}"),
            lambda: _form(w, [("Bug description", f"The {comp} {symptom} when {trig}."),
                              ("Steps to reproduce", w.snippet()), ("Expected behavior", w.pick(P.EXPECTED)),
                              ("Environment", w.environment())]),
        ])(),
        lambda: (f"When {trig}, the {comp} {symptom}. "
                 f"{w.pick(['Reproducible every time.', 'Happens about one time in ten.', 'Only on the first run.', 'Expected: ' + w.pick(P.EXPECTED).lower()])}\n\n"
                 f"{w.snippet() if w.maybe(0.6) else w.environment()}\n\n{w.ending()}"),
        f"Steps: {trig}. Version {w.version()}.",
    )


def bug_regression(w: _Writer) -> tuple[str, str]:
    (old, new), comp = w.version_pair(), w.component()
    what = w.pick(["stopped working", "no longer works", "is broken", "behaves differently", "got much slower",
                   "fails to start", "ignores my config"])
    title = w.pick([f"{comp} {what} in {new}", f"Regression: {comp} {what} after {old} -> {new}",
                    f"{new} breaks the {comp}", f"Upgrading to {new} broke {w.pick(P.FUNCS)}",
                    f"{comp} {what} since the update", f"regression in {new}"])
    detail = w.pick([f"With {old} everything works; with {new} the {comp} {what}.",
                     f"Pinning {old} fixes it, so something changed between {old} and {new}.",
                     f"Nothing changed on our side except bumping {w.name} from {old} to {new}."])
    return title, _shape(
        w,
        lambda: _form(w, [("What happened?", detail), ("Last version that worked", old),
                          ("Steps to reproduce", w.snippet()), ("Environment", w.environment())]),
        lambda: f"{detail}\n\n{w.snippet() if w.maybe(0.5) else ''}\n{w.ending()}",
        detail,
    )


def bug_ui(w: _Writer) -> tuple[str, str]:
    comp = w.component()
    glitch = w.pick(["text is cut off", "the button does nothing", "icons are missing", "the layout breaks",
                     "text is unreadable in dark mode", "the scrollbar jumps to the top", "the modal can't be closed",
                     "the page goes blank", "fonts render blurry", "the menu opens off screen",
                     "focus jumps to the wrong field", "the colours are inverted"])
    title = w.pick([f"{comp}: {glitch}", f"{glitch.capitalize()} in the {comp}", f"{comp} {glitch} on {w.pick(P.SYSTEMS)}",
                    f"UI bug: {glitch}", f"[{w.pick(P.BROWSERS)}] {glitch}"])
    return title, _shape(
        w,
        lambda: (f"**Describe the bug**\nIn the {comp}, {glitch}.\n\n**To Reproduce**\n1. Open the {comp}\n"
                 f"2. {w.pick(['Resize the window', 'Switch to dark mode', 'Click the first item', 'Scroll down'])}\n3. See the problem\n\n"
                 f"**Screenshots**\n{w.pick(['(attached)', 'If applicable, add screenshots to help explain your problem.'])}\n\n"
                 f"**Desktop (please complete the following information):**\n - OS: {w.pick(P.SYSTEMS)}\n - Browser: {w.pick(P.BROWSERS)}\n - Version: {w.version()}"),
        lambda: f"Since the last update, {glitch} in the {comp}. Screenshot attached. {w.version()}, {w.pick(P.SYSTEMS)}. {w.ending()}",
        f"{w.pick(P.SYSTEMS)}, {w.version()}",
    )


def bug_build(w: _Writer) -> tuple[str, str]:
    trace, error = w.traceback() if w.maybe(0.4) else (None, None)
    how = w.pick(["Build fails", "Installation fails", "Compilation fails", "`" + w.command() + "` fails", "Docker build fails"])
    where = w.pick(P.SYSTEMS)
    title = w.pick([f"{how} on {where}", f"Can't install {w.version()} on {where}", f"{how} with {w.pick(P.PLATFORMS)}",
                    f"{how}: {error}" if error else f"{how} after upgrading the toolchain"])
    log = trace or w.pick(["error: linker `cc` not found", "fatal error: openssl/ssl.h: No such file or directory",
                           "ERROR: Could not build wheels for " + w.name, "npm ERR! gyp ERR! build error",
                           "error: failed to run custom build command"])
    return title, f"```\n$ {w.command()}\n{log}\n```\n\n{w.environment() if w.maybe(0.6) else ''}".strip()


# ----- feature requests

def _wish(w: _Writer) -> tuple[str, str, str, bool]:
    """What a feature request asks for: a capability (a verb phrase) or a thing (a noun phrase).

    Returns (cap, thing, the sentence that asks for it, whether it is the
    capability): the title and the body then speak of the same one.
    """
    cap, thing, comp = w.capability(), w.thing(), w.component()
    if w.maybe(0.55):
        return cap, thing, f"Let the {comp} {cap}.", True
    return cap, thing, f"{thing[0].upper()}{thing[1:]}.", False


def feature_question(w: _Writer) -> tuple[str, str]:
    """A feature request asked as a question, as most real ones are."""
    cap, thing, wish, by_cap = _wish(w)
    comp = w.component()
    title = w.pick([
        f"Is it possible to {cap}?", f"Would it make sense to {cap}?", f"Could the {comp} {cap}?",
        f"How about an option to {cap}?", f"Can the {comp} be made to {cap}?", f"Possible to {cap}?",
        f"Would it be possible to {cap}?", f"Could we {cap}?",
    ] if by_cap else [
        f"Any plans to support {thing}?", f"Could you add {thing}?", f"Can we have {thing}?",
        f"Would you be open to adding {thing}?", f"Would you accept a PR for {thing}?",
        f"Is there any interest in {thing}?", f"Would you consider {thing}?", f"Support for {thing}?",
        f"Any chance of {thing}?", f"Is {thing} on the roadmap?",
    ])
    what = f"the {comp} could {cap}" if by_cap else f"there was {thing}"
    body = w.pick([
        f"It would be {w.pick(['great', 'nice', 'really useful', 'awesome'])} if {what}. {w.pick(P.RATIONALES)} {w.pick(P.OFFERS)}",
        f"{w.pick(P.RATIONALES)} {w.pick(['Right now', 'Currently', 'At the moment'])} there's no way to do this, "
        f"so {w.pick(['I work around it with a script', 'we patch it locally', 'we use another tool for that step'])}. {w.pick(P.OFFERS)}",
        f"{w.pick(P.OTHER_TOOLS)} has this and I miss it here. {w.pick(P.OFFERS)}",
        f"I'd love to see this. {w.pick(P.RATIONALES)}",
        f"Something like:\n\n{w.snippet()}\n\n{w.pick(P.OFFERS)}",
    ])
    return title, _shape(w, lambda: _feature_template(w, wish), lambda: body, w.pick(P.RATIONALES), p_form=0.25)


def feature_statement(w: _Writer) -> tuple[str, str]:
    """A feature request stated as one: "Add ...", "Support ...", "[Feature Request] ..."."""
    cap, thing, wish, by_cap = _wish(w)
    comp = w.component()
    title = w.pick([
        f"Feature request: {cap}", f"Allow the {comp} to {cap}", f"Option to {cap}", f"[Proposal] {cap}",
        f"It would be nice if the {comp} could {cap}", f"Make it possible to {cap}", f"Feature: {cap}",
        f"Let users {cap}",
    ] if by_cap else [
        f"Add {thing}", f"Support {thing}", f"[FEATURE] {thing}", f"{thing[0].upper()}{thing[1:]}",
        f"[Feature Request] {thing}", f"RFC: {thing}", f"[RFE] {thing}", f"Request: {thing}", f"Provide {thing}",
        f"{thing} would be nice",
    ] if w.maybe(0.85) else [
        f"New flag: --{w.pick(P.OPTIONS).replace('_', '-')}", f"Expose {w.pick(P.OPTIONS)} in the {comp}",
        f"Make `{w.pick(P.PARAMS)}` configurable",
    ])
    return title, _shape(
        w, lambda: _feature_template(w, wish),
        lambda: w.pick([
            f"Would you accept a PR for this? {w.pick(P.RATIONALES)} {w.pick(P.OFFERS)}",
            f"{w.pick(P.RATIONALES)} {wish} {w.pick(P.OFFERS)}",
            f"Proposal: {wish[0].lower()}{wish[1:]}\n\n{w.snippet()}\n\n{w.pick(P.OFFERS)}",
            f"+1 for this, {w.pick(P.OTHER_TOOLS)} does it and it's really handy.",
        ]),
        w.pick(P.RATIONALES),
    )


def _feature_template(w: _Writer, wish: str) -> str:
    """GitHub's feature-request template or an issue form, filled in (or not quite)."""
    if w.maybe(0.5):
        return (f"**Is your feature request related to a problem? Please describe.**\n"
                f"{_placeholder(w, w.pick(P.RATIONALES), 'A clear and concise description of what the problem is. Ex. I am always frustrated when [...]')}\n\n"
                f"**Describe the solution you'd like**\n{_placeholder(w, wish, 'A clear and concise description of what you want to happen.')}\n\n"
                f"**Describe alternatives you've considered**\n{w.pick(P.ALTERNATIVES)}\n\n"
                f"**Additional context**\n{w.pick(['_No response_', 'Add any other context or screenshots about the feature request here.', w.pick(P.OFFERS)])}")
    return _form(w, [("Feature description", wish), ("Use case", w.pick(P.RATIONALES)),
                     ("Alternatives", w.pick(P.ALTERNATIVES)),
                     ("Are you willing to contribute?", w.pick(["Yes", "Maybe, with some guidance", "No"]))])


def feature_platform(w: _Writer) -> tuple[str, str]:
    platform = w.pick(P.PLATFORMS + P.INTEGRATIONS + P.FORMATS)
    title = w.pick([f"Support for {platform}", f"{platform} support", f"Any plans to support {platform}?",
                    f"Add {platform} support", f"Please support {platform}", f"{platform}?",
                    f"Support {platform} please", f"Will there be {platform} support?"])
    return title, _shape(
        w, lambda: _form(w, [("Feature description", f"Support {platform}."), ("Use case", w.pick(P.RATIONALES))]),
        lambda: f"{w.pick(['Title says it all.', 'Hi!', 'As the title says.'])} {w.pick(P.RATIONALES)} {w.pick(P.OFFERS)}",
        "", p_form=0.2,
    )


# ----- questions

def question_howto(w: _Writer) -> tuple[str, str]:
    task = w.fill(w.pick(P.TASKS))
    title = w.pick([
        f"How do I {task}?", f"What's the recommended way to {task}?", f"Can someone explain how to {task}?",
        f"Question: {task}", f"[Question] how to {task}", f"Best way to {task}?", f"Help: trying to {task}",
        f"how to {task}", f"How can I {task}?", f"Not sure how to {task}", f"Trying to {task}, what am I missing?",
        f"Struggling to {task}", f"Can't figure out how to {task}", f"Is there an example of how to {task}?",
    ])
    return title, _shape(
        w,
        lambda: _form(w, [("Question", f"How do I {task}?"), ("What have you tried?", w.snippet()),
                          ("Environment", w.environment())]) if w.maybe(0.5) else
        (f"**What are you trying to do?**\nI want to {task}.\n\n**What have you tried?**\n{w.snippet()}\n\n**Environment**\n{w.environment()}"),
        lambda: (f"I'm trying to {task} but I'm not sure what the right approach is. "
                 f"{w.pick(['I read the docs but could not find it.', 'I tried this:', 'Is this supported?', 'Here is what I have so far:'])}\n\n"
                 f"{w.snippet() if w.maybe(0.5) else ''}\n{w.pick(P.QUESTION_ENDINGS)}"),
        w.pick(P.QUESTION_ENDINGS),
    )


def question_concept(w: _Writer) -> tuple[str, str]:
    a, b = w.rng.sample(P.FUNCS, 2)
    comp = w.component()
    title = w.pick([
        f"What is the difference between `{a}` and `{b}`?", f"When should I use `{a}` instead of `{b}`?",
        f"Is the {comp} thread-safe?", f"Does the {comp} work on {w.pick(P.SYSTEMS)}?",
        f"Why does the {comp} need so much memory?", f"Understanding {w.pick(P.TOPICS)}",
        f"Is {w.version()} compatible with Python {w.python_minor()}?", f"{a} vs {b}?",
        f"Is it safe to call `{a}` from several threads?", f"Should I use `{a}` or `{b}`?",
        f"Which {comp} settings do you recommend for production?", f"Does it work with {w.pick(P.INTEGRATIONS)}?",
        f"Confused about {w.pick(P.TOPICS)}", f"How does the {comp} decide when to {w.pick(['retry', 'flush', 'reload', 'sync'])}?",
    ])
    return title, _shape(
        w,
        lambda: f"**Question**\n{title}\n\n**Context**\n{w.pick(P.RATIONALES)}\n\n{w.environment()}",
        lambda: f"{w.pick(['Quick question:', 'Hi!', 'Sorry if this is obvious.', 'Hello,'])} {title} {w.pick(P.QUESTION_ENDINGS)}",
        "",
    )


def question_meta(w: _Writer) -> tuple[str, str]:
    """Questions about the project rather than the code: maintenance, licence, support, data."""
    title = w.pick([
        "Is this project still maintained?", f"Is {w.name} still maintained?", "License question: commercial use",
        f"Can I use {w.name} in a commercial product?", "Where is my data stored?", "When is the next release?",
        f"Does {w.name} collect any telemetry?", f"Is there a Discord or forum for {w.name}?",
        "What's the difference between the free and the hosted version?", f"How stable is the {w.component()} API?",
        f"Is {w.name} production ready?", "Roadmap for the next major version?",
    ])
    return title, w.pick([
        f"{w.pick(['Last release was a while ago', 'There are a lot of open PRs', 'I am evaluating it for my team'])}. "
        f"{w.pick(['Just wondering.', 'No offense meant!', 'Thanks for the work so far.'])}",
        f"We'd like to use it at work and need to know before we commit. {w.pick(P.QUESTION_ENDINGS)}", "",
    ])


def question_support(w: _Writer) -> tuple[str, str]:
    """Something does not work *for me*: a setup question, most likely the user's configuration."""
    task, comp = w.fill(w.pick(P.TASKS)), w.component()
    title = w.pick([f"Can't get the {comp} to work with {w.pick(P.INTEGRATIONS)}", f"{comp} not working for me",
                    f"Need help setting up the {comp}", f"Having trouble trying to {task}",
                    f"Help needed: {task}", f"Getting started: {task}?"])
    return title, (f"I followed {w.pick(P.PAGES)} but I can't get it to work. Here's my setup:\n\n{w.snippet()}\n\n"
                   f"{w.pick(['What am I doing wrong?', 'Am I missing a step?', 'Is my config wrong?'])} {w.pick(P.QUESTION_ENDINGS)}")


# ----- documentation

def docs_page(w: _Writer) -> tuple[str, str]:
    """A page that is wrong, outdated, broken or has a typo (the title and the body name the same fault)."""
    page, option = w.pick(P.PAGES), w.pick(P.OPTIONS)
    flag = option.replace("_", "-")
    wrong, right = w.pick(P.TYPO_PAIRS)
    claim, truth = w.pick(P.DOC_WRONG_CLAIMS)
    fill = dict(option=option, a=w.pick(["3", "None", "true", "10"]), b=w.pick(["5", "30", "false", "0"]),
                func=w.pick(P.FUNCS), param=w.pick(P.PARAMS), v=w.version(), v2=w.version(), flag=flag)
    claim, truth = claim.format(**fill), truth.format(**fill)
    part = w.pick(P.DOC_PARTS).format(topic=w.pick(P.TOPICS))
    problem = w.pick(P.DOC_PROBLEMS)
    faults = {  # kind of fault: (titles, the sentence that says what is wrong)
        "typo": ([f"Typo in {page}: '{wrong}' should be '{right}'", "typo in docs", f"Fix typo in {page}",
                  f"Small typo on {page}"], f"'{wrong}' should be '{right}'."),
        "link": ([f"Broken link in {page}", f"{page}: dead link", f"{page} returns 404", f"Link to {part} is broken"],
                 f"the link in {part} points to a page that does not exist (404)."),
        "claim": ([f"{page} says {claim}, but {truth}", f"Wrong information in {page}",
                   f"Incorrect statement about `{option}` in the docs", f"docs: `{option}` is described wrong"],
                  f"it says {claim}, but {truth}."),
        "outdated": ([f"{page} still mentions the removed `--{flag}` flag", f"Docs: {page} is out of date",
                      f"Outdated screenshot in {page}", f"{page} {problem}", f"docs: {part} in {page} {problem}"],
                     f"{part} {problem}; {w.pick(['it describes the old behaviour', 'the flag was removed in ' + fill['v'], 'it no longer matches the UI'])}."),
    }
    titles, what = faults[w.pick(list(faults))]
    title = w.pick(titles)
    return title, _shape(
        w,
        lambda: w.pick([
            lambda: (f"**Which page?**\n{page} (https://{w.name}.example.org/{w.pick(P.MODULES)}/)\n\n"
                     f"**What is wrong?**\n{what[0].upper()}{what[1:]}\n\n**Suggested fix**\n"
                     f"{w.pick(['Update the sentence.', 'Fix the wording.', 'Remove the outdated part.', 'I can send a PR.'])}"),
            lambda: _form(w, [("Documentation page", f"https://docs.{w.name}.dev/{w.pick(P.MODULES)}/"),
                              ("What is wrong or missing?", f"{what[0].upper()}{what[1:]}"),
                              ("Suggested change", w.pick(["", "I can send a PR.", "Fix it, please."]))]),
        ])(),
        lambda: (f"In {page}, {what} "
                 f"{w.pick(['I can send a PR.', 'Small fix.', '', 'Found while reading the docs.', 'Confused me for a while.'])}"),
        f"See {page}.",
    )


def docs_example(w: _Writer) -> tuple[str, str]:
    """An example in the docs that does not run, or uses an API that changed."""
    page, func, param = w.pick(P.PAGES), w.pick(P.FUNCS), w.pick(P.PARAMS)
    which = w.pick(["example", "code sample", "snippet", "sample code", "code example", "gallery example", "demo"])
    title = w.pick([
        f"Example in {page} uses the old `{func}` API", f"The {which} in {page} doesn't work anymore",
        f"{page}: the {which} for `{func}` passes a removed `{param}` argument",
        f"Update the {which} in {page} for {w.version()}", f"Outdated {which} in {page}",
        f"The {which} in {page} doesn't compile", f"docs: {which} for `{func}` is wrong",
        f"{which.capitalize()} on the `{func}` page is missing an import",
        f"`{func}` {which} in the docs uses a deprecated parameter",
    ])
    return title, _shape(
        w,
        lambda: (f"The {which} in {page}:\n\n{w.snippet()}\n\nuses `{param}`, which was "
                 f"{w.pick(['removed', 'renamed', 'deprecated'])} in {w.version()}. The docs should show the current way."),
        lambda: (f"{w.pick(['Copying', 'Running', 'Following'])} the {which} from {page} "
                 f"{w.pick(['fails because the API changed', 'gives a deprecation warning', 'needs an import that is not shown', 'uses a parameter that no longer exists'])}. "
                 f"{w.pick(['Please update the docs.', 'The example should be updated.', 'I can open a PR to fix the docs.', ''])}"),
        f"See {page}.",
    )


def docs_docstring(w: _Writer) -> tuple[str, str]:
    """A docstring (or Javadoc, godoc, --help text, ...) that is wrong or missing something."""
    func, param, kind = w.pick(P.FUNCS), w.pick(P.PARAMS), w.pick(P.DOC_SYSTEMS)
    claim, truth = w.pick([("it returns a list", "it returns a generator"), ("it raises ValueError", "it raises TypeError"),
                           (f"`{param}` defaults to None", f"the default is 30"),
                           ("it takes a path", "it takes a file object"), (f"`{param}` is in seconds", "it's milliseconds"),
                           ("it returns bytes", "it returns a Response object")])
    title = w.pick([
        f"{kind.capitalize()} of `{func}` says {claim}, but {truth}", f"{kind.capitalize()} for `{func}` is missing the `{param}` parameter",
        f"Wrong return type in the {kind} of `{func}`", f"`{func}` has no {kind}", f"Improve the {kind} of `{func}`",
        f"{kind} for `{func}` doesn't mention `{param}`", f"`{param}` is undocumented", f"Fix {kind} of `{func}`",
        f"docs: `{func}` {kind} {w.pick(P.DOC_PROBLEMS)}", f"The {kind} of `{func}` has `{param}` and the next argument swapped",
    ])
    return title, _shape(
        w,
        lambda: (f"The {kind} of `{func}` says:\n\n```\n{w.pick(['Returns:', 'Args:', 'Parameters'])}\n    {claim}\n```\n\n"
                 f"but {truth}. {w.pick(['The API reference shows the same text, since it is generated from it.', 'Took me a while to figure out.', ''])}"),
        lambda: (f"`help({func[:-2]})` {w.pick(['only shows the signature', 'does not list all arguments', 'describes the old behaviour'])}; "
                 f"`{param}` {w.pick(['is not mentioned at all', 'has no description', 'is documented with the wrong type'])}. "
                 f"{w.pick(['Would you accept a PR adding it?', 'Please document it.', ''])}"),
        f"`{param}` in `{func}`.",
    )


def docs_missing(w: _Writer) -> tuple[str, str]:
    """Documentation that does not exist yet: a guide, a section, upgrade notes, a translation."""
    topic, page, comp, option = w.fill(w.pick(P.TOPICS)), w.pick(P.PAGES), w.component(), w.pick(P.OPTIONS)
    v, lang, tool = w.version(), w.pick(P.LANGUAGES), w.pick(P.OTHER_TOOLS)
    what = w.pick(["values", "versions", "units", "platforms"])
    missing = [  # (titles, what is missing)
        ([f"Clarify {topic} in {page}", f"Add an example for {topic}", f"No documentation for {topic}",
          f"Docs should explain {topic}", f"Write a guide on {topic}", f"Document {topic}", f"Docs: explain {topic}",
          f"Add a section about {topic} to {page}", f"Please document how {topic} works"],
         f"there is nothing about {topic} in {page}"),
        ([f"Document the `{option}` setting", f"The docs don't say which {what} `{option}` accepts"],
         f"`{option}` appears in the examples but the reference doesn't say which {what} it accepts"),
        ([f"Missing docs for the {comp}", f"API reference page for the {comp} is empty"],
         f"the reference page of the {comp} only has its title"),
        ([f"Improve docstrings in `{w.pick(P.MODULES)}`"], "most public functions there have no docstring"),
        ([f"Missing upgrade notes for {v}", f"CHANGELOG doesn't mention the {topic} change"],
         f"{v} changed {topic} and the changelog doesn't say so, nor what to do when upgrading"),
        ([f"Translate {page} into {lang}"], f"{page} exists only in English; I can translate it into {lang}"),
        ([f"Add a migration guide from {tool}"], f"people coming from {tool} have to find every equivalent themselves"),
    ]
    titles, gap = w.pick(missing)
    return w.pick(titles), _shape(
        w,
        lambda: w.pick([
            lambda: (f"**Documentation request**\n{gap[0].upper()}{gap[1:]}.\n\n"
                     f"**Proposal**\nAdd a short section with an example:\n\n{w.snippet()}"),
            lambda: _form(w, [("Documentation page", page), ("What is missing?", f"{gap[0].upper()}{gap[1:]}."),
                              ("Suggested change", "A short section with an example.")]),
        ])(),
        lambda: (f"{gap[0].upper()}{gap[1:]}. {w.pick(['A short example would help new users.', 'I had to read the source to find out.', 'A sentence or two would be enough.', 'It took me a day to figure out.'])} "
                 f"{w.ending()}"),
        "",
    )


# ----- deliberately ambiguous issues: each template is shared by two labels, and
# the same text gets either label (as it does in real repositories, where the
# label follows the maintainers' answer, not the wording)


def error_or_question(w: _Writer) -> tuple[str, str]:
    """*bug* or *question*: a pasted traceback, asked about."""
    trace, error = w.traceback()
    name = error.split(":")[0]
    title = w.pick([f"Getting {name} when {w.fill(w.pick(P.TRIGGERS))}: what am I doing wrong?", f"{name}: help needed",
                    f"Is this a bug? {w.component()} {w.fill(w.pick(P.SYMPTOMS))}", f"Help with error: {error}"[:120],
                    f"Why does the {w.component()} {w.fill(w.pick(P.SYMPTOMS))}?"])
    return title, w.pick([f"Not sure if I misconfigured something.\n\n```\n{trace}\n```\n\nIs this expected?",
                          f"I'm new to this.\n\n```\n{trace}\n```\n\nHow should I set it up?",
                          f"{w.snippet()}\n\nExpected behaviour or a bug?"])


def is_there_a_way(w: _Writer) -> tuple[str, str]:
    """*feature* or *question*: "is there a way to ...?" is answered "yes, like this" or "not yet"."""
    cap = w.capability()
    title = w.pick([f"Is there a way to {cap}?", f"Can the {w.component()} {cap}?", f"How can I {cap}?"])
    return title, w.pick([f"I looked through the docs and couldn't find how to {cap}.",
                          f"Is it possible to {cap}? {w.pick(P.RATIONALES)}", ""])


def unsupported_input(w: _Writer) -> tuple[str, str]:
    """*feature* or *bug*: a format that fails, which may be a missing feature or a broken one."""
    comp, fmt = w.component(), w.pick(P.FORMATS)
    title = w.pick([f"{comp} fails on {fmt} files", f"Error when importing {fmt}", f"{comp} does not work with {fmt}"])
    return title, (f"Opening a {fmt} file gives `Error: unsupported format`. "
                   f"{w.pick(['Should this work?', 'It would be great if it did.', 'It did in ' + w.version() + '.'])}")


def broken_example(w: _Writer) -> tuple[str, str]:
    """*documentation* or *bug*: the documented example raises; is the doc or the code wrong?"""
    trace, error = w.traceback()
    page = w.pick(P.PAGES)
    title = w.pick([f"Example in {page} raises {error.split(':')[0]}", f"Code sample in {page} is broken",
                    f"Quickstart fails with {error.split(':')[0]}", f"`{w.pick(P.OPTIONS)}` does not behave as documented"])
    return title, f"Copying the example from {page} verbatim gives:\n\n```\n{trace}\n```"


def where_documented(w: _Writer) -> tuple[str, str]:
    """*documentation* or *question*: a question that the docs should have answered."""
    topic = w.pick(P.TOPICS)
    title = w.pick([f"Where is {topic} documented?", f"Docs unclear: how does {topic} work?", f"How does {topic} work?"])
    return title, f"I couldn't find anything about {topic} in {w.pick(P.PAGES)}."


Template = Callable[[_Writer], tuple[str, str]]
#: The clear templates of each label, each with its weight (how often it is drawn).
CLEAR: dict[str, list[tuple[Template, float]]] = {
    "bug": [(bug_crash, 3), (bug_behaviour, 3), (bug_regression, 1.5), (bug_ui, 1.5), (bug_build, 1)],
    "feature": [(feature_question, 4), (feature_statement, 4), (feature_platform, 1.5)],
    "question": [(question_howto, 4), (question_concept, 3), (question_support, 1.5), (question_meta, 1)],
    "documentation": [(docs_page, 3), (docs_example, 2), (docs_docstring, 2), (docs_missing, 3)],
}
AMBIGUOUS: dict[str, list[tuple[Template, float]]] = {
    "bug": [(error_or_question, 1), (unsupported_input, 1), (broken_example, 1)],
    "feature": [(is_there_a_way, 1), (unsupported_input, 1)],
    "question": [(error_or_question, 1), (is_there_a_way, 1), (where_documented, 1)],
    "documentation": [(broken_example, 1), (where_documented, 1)],
}


def _add_typos(w: _Writer, text: str, n: int) -> str:
    """Swap, drop or double a letter in ``n`` words of four letters or more (prose only, not headings or code)."""
    lines, in_code, spots = text.split("\n"), False, []
    for li, line in enumerate(lines):
        if line.startswith("```"):
            in_code = not in_code
        if in_code or line.startswith(("```", "#", "**", "  ", "\t", "- ")):
            continue
        spots += [(li, wi) for wi, word in enumerate(line.split(" ")) if len(word) >= 4 and word.isalpha()]
    for li, wi in w.rng.sample(spots, min(n, len(spots))):
        words = lines[li].split(" ")
        word, j = words[wi], w.rng.randrange(1, len(words[wi]) - 1)
        edit = w.rng.randrange(3)
        if edit == 0:
            word = word[:j] + word[j + 1] + word[j] + word[j + 2:]
        elif edit == 1:
            word = word[:j] + word[j + 1:]
        else:
            word = word[:j] + word[j] + word[j:]
        words[wi] = word
        lines[li] = " ".join(words)
    return "\n".join(lines)


def _roughen(w: _Writer, title: str, body: str, typo_rate: float) -> tuple[str, str]:
    """What real people do to issues: typos, lower case, no punctuation, shouting."""
    if w.maybe(typo_rate):
        title = _add_typos(w, title, w.rng.randint(1, 2))
    if w.maybe(typo_rate):
        body = _add_typos(w, body, w.rng.randint(1, 4))
    if w.maybe(0.15):
        title = title.lower()
    if w.maybe(0.1):
        title = title.rstrip("?.!")
    if w.maybe(0.03):
        title = title.upper()
    if w.maybe(0.05):
        title += w.pick([" !!!", " (urgent)", " pls help", " :("])
    return title, body


def generate_issues(
    n_per_label: int = 600,
    seed: int = 0,
    *,
    ambiguous: float = 0.12,
    typo_rate: float = 0.25,
) -> list[Issue]:
    """``n_per_label`` synthetic issues of each label, shuffled, from ``seed``.

    ``ambiguous`` is the share of each label drawn from templates whose text
    points at another label; ``typo_rate`` the chance that a title (and,
    separately, a body) gets typos. The same arguments give the same issues
    on every machine (Python's ``random.Random``, nothing else).
    """
    if n_per_label < 1:
        raise ValueError(f"n_per_label must be at least 1, got {n_per_label}")
    if not 0.0 <= ambiguous <= 1.0 or not 0.0 <= typo_rate <= 1.0:
        raise ValueError(f"ambiguous and typo_rate are shares in [0, 1], got {ambiguous} and {typo_rate}")
    w = _Writer(random.Random(seed))
    issues = []
    for label in LABELS:
        for _ in range(n_per_label):
            templates = AMBIGUOUS[label] if w.maybe(ambiguous) else CLEAR[label]
            w.new_issue()
            template = w.rng.choices([t for t, _ in templates], weights=[p for _, p in templates])[0]
            title, body = template(w)
            title, body = _roughen(w, title, body.strip(), typo_rate)
            issues.append(Issue(title=title.strip(), body=body, label=label))
    w.rng.shuffle(issues)
    return issues
