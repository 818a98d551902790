"""A seeded generator of realistic synthetic GitHub issues, balanced over the labels.

Taught in the capstone chapter (book/capstone_issue_classifier.md), which is
also where its limits are discussed: synthetic issues are drawn from a few
hundred phrases, so a model scores far better on them than on a real
repository's history.

Each issue is built like a real one: a title in one of many phrasings; a
body as an issue-form with headings, a short free-text note, a one-liner or
nothing; code snippets, stack traces (Python, JavaScript, Java), version
strings and environment lists; typos, lower-case titles and chatty endings.
A share of every label is **deliberately ambiguous**, drawn from templates
that two labels share: a pasted traceback asked about (*bug* or
*question*), "is there a way to ...?" (*feature* or *question*), a format
that fails (*feature* or *bug*), a documented example that raises (*bug* or
*documentation*), a question the docs should answer (*question* or
*documentation*). In real repositories the label of such an issue follows
the maintainers' answer, not its wording, so no model can get them all
right: they set a ceiling on accuracy, which is the point.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from aimastery.capstone.issues import LABELS, Issue

# ----- vocabulary shared by the templates

COMPONENTS = [
    "CLI", "config loader", "HTTP client", "CSV exporter", "login page", "dashboard",
    "plugin loader", "cache", "scheduler", "search index", "REST API", "Python SDK",
    "Docker image", "migration tool", "test runner", "logger", "web UI",
    "auth middleware", "JSON parser", "file watcher", "sync command",
    "upload endpoint", "settings page", "notification service", "retry logic",
    "date picker", "PDF renderer", "websocket client", "database adapter",
    "image resizer",
]
COMMANDS = [
    "tool sync", "tool init --force", "tool export --format csv",
    "tool serve --port 8080", "pip install tool[all]", "tool migrate up",
    "tool login --sso", "tool build --release", "tool plugins list",
    "tool cache clear",
]
FUNCS = [
    "client.fetch()", "parse_config()", "Session.close()", "export_csv()",
    "Index.search()", "load_plugin()", "Scheduler.run()", "resize_image()",
    "connect()", "validate_schema()", "Client.upload()", "render_pdf()",
]
FORMATS = [
    "YAML", "TOML", "Parquet", "XLSX", "GeoJSON", "Markdown", "SVG", "Avro",
    "NDJSON", "protobuf", "HEIC", "gzip",
]
SYSTEMS = [
    "Ubuntu 22.04", "Windows 11", "macOS 14.2", "Debian 12", "Alpine 3.19",
    "Fedora 39", "WSL2", "Arch Linux", "an M1 Mac", "Raspberry Pi OS",
]
BROWSERS = ["Firefox 121", "Chrome 120", "Safari 17", "Edge 120"]
PY_ERRORS = [
    ("KeyError", "'user_id'"),
    ("TypeError", "'NoneType' object is not subscriptable"),
    ("ValueError", "invalid literal for int() with base 10: 'abc'"),
    ("AttributeError", "'Config' object has no attribute 'timeout'"),
    ("UnicodeDecodeError", "'utf-8' codec can't decode byte 0xff in position 0"),
    ("FileNotFoundError", "[Errno 2] No such file or directory: 'settings.toml'"),
    ("RecursionError", "maximum recursion depth exceeded"),
    ("IndexError", "list index out of range"),
    ("PermissionError", "[Errno 13] Permission denied: '/var/cache/tool'"),
    ("ConnectionResetError", "[Errno 104] Connection reset by peer"),
    ("json.decoder.JSONDecodeError", "Expecting value: line 1 column 1 (char 0)"),
    ("ZeroDivisionError", "division by zero"),
    ("OSError", "[Errno 28] No space left on device"),
    ("TimeoutError", "timed out after 30s"),
]
JS_ERRORS = [
    "TypeError: Cannot read properties of undefined (reading 'map')",
    "ReferenceError: process is not defined",
    "Uncaught (in promise) Error: Network Error",
    "RangeError: Maximum call stack size exceeded",
    "SyntaxError: Unexpected token '<', \"<!DOCTYPE \" is not valid JSON",
]
JAVA_ERRORS = [
    "java.lang.NullPointerException",
    "java.lang.IllegalStateException: Connection pool shut down",
    "java.lang.OutOfMemoryError: Java heap space",
]
TRIGGERS = [
    "running `{cmd}`", "uploading a file larger than {n} MB",
    "the config has a trailing comma", "the path contains spaces",
    "the input is empty", "I pass `timeout=None`", "two workers start at once",
    "the network drops for a second", "the filename has non-ASCII characters",
    "the token expires", "I resize the window", "importing a {fmt} file",
    "calling `{func}` twice", "the cache directory is read-only",
    "running on {os}", "the list has more than {n} items",
]
SYMPTOMS = [
    "hangs forever", "uses 100% CPU", "returns an empty list",
    "silently drops the last row", "shows the wrong timezone",
    "leaks memory", "renders a blank page", "counts every item twice",
    "ignores the `--quiet` flag", "writes a corrupted file", "freezes",
    "exits with code {code}", "logs me out at random", "sorts numbers as strings",
    "crashes", "throws {exc}", "times out",
]
CAPABILITIES = [
    "export to {fmt}", "configure the retry delay", "set a custom User-Agent",
    "resume interrupted downloads", "run in dry-run mode", "filter results by date",
    "use environment variables in the config", "switch to a dark theme",
    "stream results instead of loading them all", "sign requests with OAuth2",
    "set a timeout per request", "turn off telemetry", "run plugins in parallel",
    "go through an HTTP proxy", "show a progress bar", "cancel a running job",
    "read {fmt} files", "batch API calls", "pin plugin versions",
    "rotate log files", "group notifications", "use a custom CA bundle",
    "remap keyboard shortcuts", "retry only idempotent requests",
    "ship type hints for the public API",
]
RATIONALES = [
    "We have thousands of files, so doing this by hand is not an option.",
    "Our CI runs behind a corporate proxy.",
    "It would save our team a lot of time every week.",
    "Several people asked for this on the forum.",
    "Right now I have to write a wrapper script around the tool.",
    "Other tools in this space already do it.",
    "This matters for large deployments.",
    "It would make the tool usable in air-gapped environments.",
]
TASKS = [
    "configure the cache directory", "run the CLI inside Docker",
    "authenticate with a service account", "use the SDK with asyncio",
    "migrate from v1 to v2", "debug plugin loading", "raise the upload limit",
    "test my plugin without a server", "share one session between threads",
    "read the config from another path", "deploy this behind nginx",
    "speed up the first sync", "get the raw response from the client",
    "reset my local database", "contribute a translation",
    "log every request", "pass custom headers",
]
TOPICS = [
    "authentication", "the plugin API", "caching", "rate limits", "retries",
    "the config file format", "logging levels", "environment variables",
    "upgrading", "thread safety", "the release process", "error codes",
]
PAGES = [
    "the README", "the installation guide", "the API reference", "the quickstart",
    "CONTRIBUTING.md", "the FAQ", "the migration guide", "the configuration page",
    "the plugin tutorial", "the changelog", "the docs site",
]
OPTIONS = ["max_retries", "cache_dir", "timeout", "log_level", "verify_ssl",
           "workers", "proxy_url", "batch_size"]
TYPO_PAIRS = [("recieve", "receive"), ("seperate", "separate"),
              ("dependancy", "dependency"), ("occured", "occurred"),
              ("enviroment", "environment"), ("paramter", "parameter"),
              ("retreive", "retrieve"), ("authentification", "authentication")]
USERS = ["alice", "bob", "dev", "jdoe", "runner", "ubuntu", "me"]
MODULES = ["client", "config", "export", "cache", "plugins", "cli", "sync", "io"]
LANGUAGES = ["French", "German", "Japanese", "Brazilian Portuguese", "Spanish"]
THANKS = ["", "", "", "Thanks!", "Thanks in advance.", "Any help appreciated.",
          "Cheers", "thx", "Thank you for this great project!", ":pray:"]


class _Writer:
    """Random choices and the building blocks of issue text, from one seeded RNG."""

    def __init__(self, rng: random.Random):
        self.rng = rng

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

    def python(self) -> str:
        return f"3.{self.rng.randint(8, 13)}.{self.rng.randint(0, 9)}"

    def fill(self, text: str) -> str:
        """Fill the placeholders a phrase may contain."""
        exc, _ = self.pick(PY_ERRORS)
        return text.format(
            cmd=self.pick(COMMANDS), func=self.pick(FUNCS), fmt=self.pick(FORMATS),
            os=self.pick(SYSTEMS), n=self.pick([2, 5, 10, 100, 500, 1000, 4096]),
            code=self.pick([1, 2, 137, 139, 255]), exc=exc,
        )

    def component(self) -> str:
        return self.pick(COMPONENTS)

    def trigger(self) -> str:
        return self.fill(self.pick(TRIGGERS))

    def symptom(self) -> str:
        return self.fill(self.pick(SYMPTOMS))

    def capability(self) -> str:
        return self.fill(self.pick(CAPABILITIES))

    def environment(self) -> str:
        lines = [f"- OS: {self.pick(SYSTEMS)}", f"- tool version: {self.version()}"]
        if self.maybe(0.6):
            lines.append(f"- Python: {self.python()}")
        if self.maybe(0.3):
            lines.append(f"- Browser: {self.pick(BROWSERS)}")
        return "\n".join(lines)

    def traceback(self) -> tuple[str, str]:
        """A stack trace, and the error line that ends it."""
        kind = self.rng.random()
        if kind < 0.7:
            exc, msg = self.pick(PY_ERRORS)
            user, mod = self.pick(USERS), self.pick(MODULES)
            frames = [f'  File "/home/{user}/project/main.py", line {self.rng.randint(3, 90)}, in <module>\n'
                      f"    main()"]
            for _ in range(self.rng.randint(1, 3)):
                frames.append(f'  File "/usr/lib/python{self.python()[:4]}/site-packages/tool/{mod}.py", '
                              f"line {self.rng.randint(10, 900)}, in {self.pick(FUNCS)[:-2].split('.')[-1]}\n"
                              f"    {self.pick(['return self._cache[key]', 'data = json.loads(raw)', 'value = int(text)', 'self.conn.send(payload)'])}")
            error = f"{exc}: {msg}"
            return "Traceback (most recent call last):\n" + "\n".join(frames) + f"\n{error}", error
        if kind < 0.88:
            error = self.pick(JS_ERRORS)
            frames = "\n".join(f"    at {self.pick(['render', 'fetchData', 'onClick', 'useEffect', 'map'])} "
                               f"(webpack:///src/{self.pick(MODULES)}.js:{self.rng.randint(5, 300)}:{self.rng.randint(1, 40)})"
                               for _ in range(self.rng.randint(2, 4)))
            return f"{error}\n{frames}", error
        error = self.pick(JAVA_ERRORS)
        frames = "\n".join(f"\tat com.example.tool.{self.pick(MODULES).title()}.{self.pick(['run', 'call', 'load'])}"
                           f"({self.pick(MODULES).title()}.java:{self.rng.randint(10, 500)})"
                           for _ in range(self.rng.randint(2, 4)))
        return f'Exception in thread "main" {error}\n{frames}', error

    def snippet(self) -> str:
        """A short code block, in one of a few languages."""
        kind = self.rng.random()
        if kind < 0.45:
            return ("```python\nfrom tool import Client\n\n"
                    f"client = Client(timeout={self.pick([5, 30, 'None'])})\n"
                    f"result = {self.pick(FUNCS)[:-1]}{self.pick(['', 'data', 'path', 'retries=3'])})\n"
                    "print(result)\n```")
        if kind < 0.7:
            return f"```console\n$ {self.pick(COMMANDS)}\n{self.pick(['Error: exit status 1', 'Segmentation fault (core dumped)', 'Killed', 'done in 0.4s'])}\n```"
        if kind < 0.88:
            return (f"```yaml\n{self.pick(OPTIONS)}: {self.pick(['3', 'true', '/tmp/cache', 'debug'])}\n"
                    f"{self.pick(OPTIONS)}: {self.pick(['10', 'false', '~/.tool'])}\n```")
        return f"```js\nconst res = await api.{self.pick(['get', 'post', 'list'])}('/items', {{ limit: {self.pick([10, 50, 100])} }});\n```"


# ----- one function per kind of issue: (writer) -> (title, body)
# The bodies come in four shapes: an issue form, free text, a line, nothing.

def _shape(w: _Writer, form: Callable[[], str], free: Callable[[], str], line: str) -> str:
    u = w.rng.random()
    if u < 0.35:
        return form()
    if u < 0.8:
        return free()
    if u < 0.94:
        return line
    return ""


def bug_crash(w: _Writer) -> tuple[str, str]:
    comp, trig = w.component(), w.trigger()
    trace, error = w.traceback()
    title = w.pick([
        f"{comp} crashes when {trig}", f"{error.split(':')[0]} in {comp}",
        f"Crash: {error}", f"{comp} fails with {error.split(':')[0]} after upgrading to {w.version()}",
        f"Regression in {w.version()}: {comp} crashes", f"Exception when {trig}",
    ])
    return title, _shape(
        w,
        lambda: (f"**Describe the bug**\nThe {comp} crashes when {trig}.\n\n**To reproduce**\n"
                 f"1. {w.pick(['Install', 'Upgrade to'])} {w.version()}\n2. Run `{w.pick(COMMANDS)}`\n"
                 f"3. See error\n\n```\n{trace}\n```\n\n**Expected behavior**\nNo crash.\n\n"
                 f"**Environment**\n{w.environment()}"),
        lambda: (f"Since {w.version()} the {comp} crashes when {trig}:\n\n```\n{trace}\n```\n\n"
                 f"It worked fine in {w.version()}. {w.pick(THANKS)}"),
        f"{error} on {w.pick(SYSTEMS)}",
    )


def bug_behaviour(w: _Writer) -> tuple[str, str]:
    comp, symptom, trig = w.component(), w.symptom(), w.trigger()
    title = w.pick([
        f"{comp} {symptom} when {trig}", f"{comp} {symptom}",
        f"[BUG] {comp} {symptom}", f"Wrong result from {w.pick(FUNCS)}",
        f"{comp} {symptom} since {w.version()}", f"Broken: {comp} {symptom}",
    ])
    return title, _shape(
        w,
        lambda: (f"**Describe the bug**\nThe {comp} {symptom} when {trig}.\n\n**Steps to reproduce**\n"
                 f"{w.snippet()}\n\n**Expected behavior**\nIt should {w.pick(['finish', 'return the items', 'keep me logged in', 'respect the flag'])}.\n\n"
                 f"**Environment**\n{w.environment()}"),
        lambda: (f"When {trig}, the {comp} {symptom}. {w.pick(['Reproducible every time.', 'Happens about one time in ten.', 'Only on the first run.'])}\n\n"
                 f"{w.snippet() if w.maybe(0.6) else w.environment()}\n\n{w.pick(THANKS)}"),
        f"Steps: {trig}. Version {w.version()}.",
    )


def feature_request(w: _Writer) -> tuple[str, str]:
    comp, cap = w.component(), w.capability()
    title = w.pick([
        f"Add support for {w.pick(FORMATS)}", f"Feature request: {cap}",
        f"Allow the {comp} to {cap}", f"Option to {cap}", f"[Proposal] {cap}",
        f"It would be nice if the {comp} could {cap}", f"Support {cap} in the {comp}",
        f"[FEATURE] {cap}", f"Make it possible to {cap}", f"New flag: --{w.pick(OPTIONS).replace('_', '-')}",
    ])
    return title, _shape(
        w,
        lambda: (f"**Is your feature request related to a problem?**\n{w.pick(RATIONALES)}\n\n"
                 f"**Describe the solution you'd like**\nLet the {comp} {cap}, for example:\n\n{w.snippet()}\n\n"
                 f"**Describe alternatives you've considered**\n{w.pick(['A wrapper script.', 'Forking the project.', 'None.', 'Doing it by hand.'])}"),
        lambda: (f"Would you accept a PR that lets the {comp} {cap}? {w.pick(RATIONALES)} "
                 f"{w.pick(['I can work on it.', 'Happy to help.', 'Not sure about the API yet.', ''])}"),
        w.pick(RATIONALES),
    )


def question_howto(w: _Writer) -> tuple[str, str]:
    task = w.pick(TASKS)
    title = w.pick([
        f"How do I {task}?", f"Is it possible to {task}?", f"What's the recommended way to {task}?",
        f"Can someone explain how to {task}?", f"Question: {task}", f"[Question] how to {task}",
        f"Best way to {task}?", f"Help: trying to {task}", f"how to {task}",
    ])
    return title, _shape(
        w,
        lambda: (f"**What are you trying to do?**\nI want to {task}.\n\n**What have you tried?**\n{w.snippet()}\n\n"
                 f"**Environment**\n{w.environment()}"),
        lambda: (f"I'm trying to {task} but I'm not sure what the right approach is. "
                 f"{w.pick(['I read the docs but could not find it.', 'I tried this:', 'Is this supported?'])}\n\n"
                 f"{w.snippet() if w.maybe(0.5) else ''}\n{w.pick(THANKS)}"),
        w.pick(["Thanks", "Any pointers?", "Is there an example somewhere?"]),
    )


def question_concept(w: _Writer) -> tuple[str, str]:
    a, b = w.rng.sample(FUNCS, 2)
    comp = w.component()
    title = w.pick([
        f"What is the difference between `{a}` and `{b}`?", f"When should I use `{a}` instead of `{b}`?",
        f"Is the {comp} thread-safe?", f"Does the {comp} work on {w.pick(SYSTEMS)}?",
        f"Why does the {comp} need so much memory?", f"Understanding {w.pick(TOPICS)}",
        f"Is {w.version()} compatible with Python {w.python()[:4]}?",
    ])
    return title, _shape(
        w,
        lambda: f"**Question**\n{title}\n\n**Context**\n{w.pick(RATIONALES)}\n\n{w.environment()}",
        lambda: f"{w.pick(['Quick question:', 'Hi!', 'Sorry if this is obvious.'])} {title} {w.pick(THANKS)}",
        "",
    )


def docs_fix(w: _Writer) -> tuple[str, str]:
    page, option = w.pick(PAGES), w.pick(OPTIONS)
    wrong, right = w.pick(TYPO_PAIRS)
    title = w.pick([
        f"Typo in {page}: '{wrong}' should be '{right}'", f"Broken link in {page}",
        f"{page} still mentions the removed `--{option.replace('_', '-')}` flag",
        f"Document the `{option}` setting", f"Example in {page} uses the old `{w.pick(FUNCS)}` API",
        f"Missing docs for the {w.component()}", f"docs: wrong default for `{option}`",
        f"Outdated screenshot in {page}", f"Translate {page} into {w.pick(LANGUAGES)}",
        f"Docs: {page} is out of date",
    ])
    return title, _shape(
        w,
        lambda: (f"**Which page?**\n{page} (https://tool.example.org/{w.pick(MODULES)}/)\n\n"
                 f"**What is wrong?**\nIt says the default of `{option}` is {w.pick(['3', 'None', 'true'])}, "
                 f"but since {w.version()} it is {w.pick(['5', '30', 'false'])}.\n\n**Suggested fix**\nUpdate the sentence and the table."),
        lambda: (f"In {page}, {w.pick(['the second paragraph', 'the code sample', 'the table of options', 'the link to the API docs'])} "
                 f"{w.pick(['is outdated', 'has a typo', 'points to a 404', 'is confusing'])}. "
                 f"{w.pick(['I can send a PR.', 'Small fix.', '', 'Found while reading the docs.'])}"),
        f"See {page}.",
    )


def docs_missing(w: _Writer) -> tuple[str, str]:
    topic, page = w.pick(TOPICS), w.pick(PAGES)
    title = w.pick([
        f"Clarify {topic} in {page}", f"Add an example for {topic}", f"No documentation for {topic}",
        f"Docs should explain {topic}", f"Write a guide on {topic}", f"Improve docstrings in `{w.pick(MODULES)}`",
    ])
    return title, _shape(
        w,
        lambda: (f"**Documentation request**\nThere is no section on {topic} in {page}.\n\n"
                 f"**Proposal**\nAdd a short guide with an example:\n\n{w.snippet()}"),
        lambda: f"{page} does not cover {topic}. A short example would help new users. {w.pick(THANKS)}",
        "",
    )


# ----- deliberately ambiguous issues: each template is shared by two labels, and
# the same text gets either label (as it does in real repositories, where the
# label follows the maintainers' answer, not the wording)


def error_or_question(w: _Writer) -> tuple[str, str]:
    """*bug* or *question*: a pasted traceback, asked about."""
    trace, error = w.traceback()
    name = error.split(":")[0]
    title = w.pick([f"Getting {name} when {w.trigger()}: what am I doing wrong?", f"{name}: help needed",
                    f"Is this a bug? {w.component()} {w.symptom()}", f"Help with error: {error}",
                    f"Why does the {w.component()} {w.symptom()}?"])
    return title, w.pick([f"Not sure if I misconfigured something.\n\n```\n{trace}\n```\n\nIs this expected?",
                          f"I'm new to this.\n\n```\n{trace}\n```\n\nHow should I set it up?",
                          f"{w.snippet()}\n\nExpected behaviour or a bug?"])


def is_there_a_way(w: _Writer) -> tuple[str, str]:
    """*feature* or *question*: "is there a way to ...?" is answered "yes, like this" or "not yet"."""
    cap = w.capability()
    title = w.pick([f"Is there a way to {cap}?", f"Can the {w.component()} {cap}?", f"How can I {cap}?"])
    return title, w.pick([f"I looked through the docs and couldn't find how to {cap}.",
                          f"Is it possible to {cap}? {w.pick(RATIONALES)}", ""])


def unsupported_input(w: _Writer) -> tuple[str, str]:
    """*feature* or *bug*: a format that fails, which may be a missing feature or a broken one."""
    comp, fmt = w.component(), w.pick(FORMATS)
    title = w.pick([f"{comp} fails on {fmt} files", f"Error when importing {fmt}",
                    f"{comp} does not work with {fmt}"])
    return title, (f"Opening a {fmt} file gives `Error: unsupported format`. "
                   f"{w.pick(['Should this work?', 'It would be great if it did.', 'It did in ' + w.version() + '.'])}")


def broken_example(w: _Writer) -> tuple[str, str]:
    """*documentation* or *bug*: the documented example raises; is the doc or the code wrong?"""
    trace, error = w.traceback()
    page = w.pick(PAGES)
    title = w.pick([f"Example in {page} raises {error.split(':')[0]}", f"Code sample in {page} is broken",
                    f"Quickstart fails with {error.split(':')[0]}",
                    f"`{w.pick(OPTIONS)}` does not behave as documented"])
    return title, f"Copying the example from {page} verbatim gives:\n\n```\n{trace}\n```"


def where_documented(w: _Writer) -> tuple[str, str]:
    """*documentation* or *question*: a question that the docs should have answered."""
    topic = w.pick(TOPICS)
    title = w.pick([f"Where is {topic} documented?", f"Docs unclear: how does {topic} work?",
                    f"How does {topic} work?"])
    return title, f"I couldn't find anything about {topic} in {w.pick(PAGES)}."


CLEAR: dict[str, list[Callable[[_Writer], tuple[str, str]]]] = {
    "bug": [bug_crash, bug_behaviour],
    "feature": [feature_request],
    "question": [question_howto, question_concept],
    "documentation": [docs_fix, docs_missing],
}
AMBIGUOUS: dict[str, list[Callable[[_Writer], tuple[str, str]]]] = {
    "bug": [error_or_question, unsupported_input, broken_example],
    "feature": [is_there_a_way, unsupported_input],
    "question": [error_or_question, is_there_a_way, where_documented],
    "documentation": [broken_example, where_documented],
}


def _add_typos(w: _Writer, text: str, n: int) -> str:
    """Swap, drop or double a letter in ``n`` words of four letters or more."""
    words = text.split(" ")
    candidates = [i for i, word in enumerate(words) if len(word) >= 4 and word.isalpha()]
    for i in w.rng.sample(candidates, min(n, len(candidates))):
        word, j = words[i], w.rng.randrange(1, len(words[i]) - 1)
        edit = w.rng.randrange(3)
        if edit == 0:
            word = word[:j] + word[j + 1] + word[j] + word[j + 2:]
        elif edit == 1:
            word = word[:j] + word[j + 1:]
        else:
            word = word[:j] + word[j] + word[j:]
        words[i] = word
    return " ".join(words)


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
            title, body = w.pick(templates)(w)
            title, body = _roughen(w, title, body.strip(), typo_rate)
            issues.append(Issue(title=title.strip(), body=body, label=label))
    w.rng.shuffle(issues)
    return issues
