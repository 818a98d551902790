"""The words and phrases the synthetic issue generator draws from.

Taught in the capstone chapter (book/capstone_issue_classifier.md); used by
:mod:`aimastery.capstone.synthetic`. The lists are wide on purpose: many
ecosystems, products, components and errors, so that what tells one label
from another is *how* an issue is written (a stack trace, "would it make
sense to ...", "the docstring says ..."), not which few nouns the
generator happens to know. Placeholders in braces (``{comp}``, ``{fmt}``,
...) are filled by the generator's writer.
"""

from __future__ import annotations

# ----- what the issues are about

#: Kinds of project, with the nouns their issues use for themselves.
PRODUCTS = [
    "library", "CLI", "web app", "desktop app", "mobile app", "plugin", "extension", "SDK", "framework",
    "server", "operator", "action", "Docker image", "package", "bot", "editor", "API",
]
COMPONENTS = [
    "CLI", "config loader", "HTTP client", "CSV exporter", "login page", "dashboard", "plugin loader", "cache",
    "scheduler", "search", "REST API", "Python SDK", "Docker image", "migration tool", "test runner", "logger",
    "web UI", "auth middleware", "JSON parser", "file watcher", "sync command", "upload endpoint",
    "settings page", "notifications", "retry logic", "date picker", "PDF export", "websocket client",
    "database adapter", "image resizer", "router", "template engine", "formatter", "linter", "installer",
    "auto-updater", "dark theme", "table component", "chart", "modal", "autocomplete", "tooltip", "dropdown",
    "query builder", "ORM", "dev server", "hot reload", "bundler", "tray icon", "keyboard shortcuts",
    "markdown renderer", "code editor", "preview pane", "audio player", "video encoder", "backup job",
    "importer", "sidebar", "file browser", "terminal", "language server", "syntax highlighting",
    "Helm chart", "webhook handler", "rate limiter", "connection pool", "job queue", "email sender",
    "payment form", "image gallery", "map view", "calendar", "spreadsheet view", "thumbnail generator",
    "reverse proxy", "metrics endpoint", "permissions check", "password reset", "two-factor login",
]
#: Function and method names, a few per language.
FUNCS = [
    "client.fetch()", "parse_config()", "Session.close()", "export_csv()", "Index.search()", "load_plugin()",
    "Scheduler.run()", "resize_image()", "connect()", "validate_schema()", "Client.upload()", "render_pdf()",
    "read_csv()", "to_json()", "Model.fit()", "merge()", "groupby()", "open_dataset()", "encode()",
    "useQuery()", "createStore()", "format()", "parseISO()", "render()", "mount()", "defineConfig()",
    "Builder::build()", "Client::send()", "Parser::parse()", "spawn()", "from_str()", "serialize()",
    "NewClient()", "Run()", "Decode()", "ListenAndServe()", "WithContext()", "Marshal()",
    "Document.save()", "HttpClient.execute()", "Repository.findAll()", "Image.resize()", "Config.load()",
    "addEventListener()", "setState()", "Router.push()", "Table.sort()", "Query.where()", "Stream.map()",
]
PARAMS = ["timeout", "retries", "encoding", "verbose", "max_workers", "strict", "headers", "callback",
          "dtype", "on_error", "base_url", "cache_dir", "page_size", "locale", "follow_redirects", "key"]
FORMATS = [
    "YAML", "TOML", "Parquet", "XLSX", "GeoJSON", "Markdown", "SVG", "Avro", "NDJSON", "protobuf", "HEIC",
    "gzip", "WebP", "AVIF", "FLAC", "EPUB", "ODS", "zstd", "JSON5", "HDF5", "iCalendar", "vCard", "OPML",
]
SYSTEMS = [
    "Ubuntu 22.04", "Windows 11", "macOS 14.2", "Debian 12", "Alpine 3.19", "Fedora 39", "WSL2",
    "Arch Linux", "an M1 Mac", "Raspberry Pi OS", "Windows 10", "macOS Sonoma", "Android 14", "iOS 17",
    "FreeBSD 14", "NixOS", "Ubuntu 20.04", "a Chromebook", "RHEL 9", "Pop!_OS",
]
BROWSERS = ["Firefox 121", "Chrome 120", "Safari 17", "Edge 120", "Brave", "Chrome on Android"]
LANGUAGES = ["French", "German", "Japanese", "Brazilian Portuguese", "Spanish", "Korean", "Italian",
             "Chinese", "Polish", "Turkish", "Dutch", "Ukrainian"]
SHELLS = ["bash", "zsh", "fish", "PowerShell", "nushell"]
PLATFORMS = ["Windows", "ARM64", "Apple Silicon", "FreeBSD", "Alpine (musl)", "Python 3.13", "Node 22",
             "Java 21", "iOS", "Android", "the browser (WASM)", "Raspberry Pi", "s390x", "Deno", "Bun"]
INTEGRATIONS = ["Slack", "Prometheus", "OpenTelemetry", "Sentry", "Grafana", "S3", "Google Drive",
                "GitLab", "Bitbucket", "Jira", "Discord", "Home Assistant", "Zapier", "Keycloak",
                "LDAP", "Okta", "Kafka", "Redis", "SQLite", "PostgreSQL", "MySQL", "Elasticsearch"]

# ----- bugs

TRIGGERS = [
    "running `{cmd}`", "uploading a file larger than {n} MB", "the config has a trailing comma",
    "the path contains spaces", "the input is empty", "I pass `{param}=None`", "two workers start at once",
    "the network drops for a second", "the filename has non-ASCII characters", "the token expires",
    "I resize the window", "importing a {fmt} file", "calling `{func}` twice", "the cache directory is read-only",
    "running on {os}", "the list has more than {n} items", "switching tabs quickly", "the laptop wakes from sleep",
    "I paste a large block of text", "a field is null", "the server returns a 204", "I open a second window",
    "the locale is set to Turkish", "daylight saving time starts", "the dataset has duplicate keys",
    "I press Ctrl+Z", "the screen is rotated", "using a proxy", "the database is restarted",
    "I click the button twice", "the URL has a trailing slash", "a dependency is updated",
]
SYMPTOMS = [
    "hangs forever", "uses 100% CPU", "returns an empty list", "silently drops the last row",
    "shows the wrong timezone", "leaks memory", "renders a blank page", "counts every item twice",
    "ignores the `--quiet` flag", "writes a corrupted file", "freezes", "exits with code {code}",
    "logs me out at random", "sorts numbers as strings", "crashes", "throws {exc}", "times out",
    "segfaults", "shows a white screen", "flickers", "loses my changes", "deadlocks", "panics",
    "returns stale data", "rounds the values wrong", "opens twice", "never finishes", "double-encodes the URL",
    "reports the wrong line number", "overwrites the existing file", "shows NaN", "skips every other item",
    "stops responding", "drops the connection", "duplicates the entries", "mixes up the columns",
]
EXPECTED = ["It should finish.", "It should return the items.", "No crash.", "It should keep me logged in.",
            "It should respect the flag.", "The same output as before the upgrade.", "An error message, at least.",
            "The file should be left untouched.", "The values should match the input.", "It should just work."]
PY_ERRORS = [
    ("KeyError", "'user_id'"), ("TypeError", "'NoneType' object is not subscriptable"),
    ("ValueError", "invalid literal for int() with base 10: 'abc'"),
    ("AttributeError", "'Config' object has no attribute 'timeout'"),
    ("UnicodeDecodeError", "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"),
    ("FileNotFoundError", "[Errno 2] No such file or directory: 'settings.toml'"),
    ("RecursionError", "maximum recursion depth exceeded"), ("IndexError", "list index out of range"),
    ("PermissionError", "[Errno 13] Permission denied: '/var/cache/app'"),
    ("ConnectionResetError", "[Errno 104] Connection reset by peer"),
    ("json.decoder.JSONDecodeError", "Expecting value: line 1 column 1 (char 0)"),
    ("ZeroDivisionError", "division by zero"), ("OSError", "[Errno 28] No space left on device"),
    ("TimeoutError", "timed out after 30s"), ("ImportError", "cannot import name 'Mapping' from 'collections'"),
    ("ModuleNotFoundError", "No module named 'yaml'"), ("AssertionError", "expected 3 columns, got 2"),
    ("RuntimeError", "Event loop is closed"), ("MemoryError", ""),
    ("sqlite3.OperationalError", "database is locked"),
    ("ssl.SSLCertVerificationError", "certificate verify failed: unable to get local issuer certificate"),
]
JS_ERRORS = [
    "TypeError: Cannot read properties of undefined (reading 'map')", "ReferenceError: process is not defined",
    "Uncaught (in promise) Error: Network Error", "RangeError: Maximum call stack size exceeded",
    "SyntaxError: Unexpected token '<', \"<!DOCTYPE \" is not valid JSON",
    "Error: Cannot find module './config'", "TypeError: fetch failed",
    "Error: Hydration failed because the initial UI does not match what was rendered on the server.",
    "TypeError: x.filter is not a function", "Error [ERR_REQUIRE_ESM]: require() of ES Module not supported",
]
RUST_PANICS = [
    "called `Option::unwrap()` on a `None` value", "index out of bounds: the len is 3 but the index is 3",
    "called `Result::unwrap()` on an `Err` value: Os { code: 2, kind: NotFound, message: \"No such file or directory\" }",
    "attempt to subtract with overflow", "byte index 5 is not a char boundary",
    "already borrowed: BorrowMutError",
]
RUST_COMPILE = [
    "error[E0277]: the trait bound `Config: Deserialize<'_>` is not satisfied",
    "error[E0599]: no method named `with_timeout` found for struct `Client` in the current scope",
    "error[E0432]: unresolved import `crate::runtime::Handle`",
    "error[E0308]: mismatched types: expected `&str`, found `String`",
]
GO_PANICS = [
    "panic: runtime error: invalid memory address or nil pointer dereference",
    "fatal error: concurrent map writes", "panic: runtime error: index out of range [3] with length 3",
    "panic: send on closed channel", "fatal error: all goroutines are asleep - deadlock!",
]
JAVA_ERRORS = [
    "java.lang.NullPointerException", "java.lang.IllegalStateException: Connection pool shut down",
    "java.lang.OutOfMemoryError: Java heap space", "java.lang.ClassCastException: class A cannot be cast to class B",
    "java.util.ConcurrentModificationException", "kotlin.UninitializedPropertyAccessException: lateinit property adapter has not been initialized",
    "java.lang.IllegalArgumentException: Comparison method violates its general contract!",
]
NATIVE_ERRORS = [
    "Segmentation fault (core dumped)", "ERROR: AddressSanitizer: heap-use-after-free",
    "ERROR: AddressSanitizer: heap-buffer-overflow", "free(): double free detected in tcache 2",
    "terminate called after throwing an instance of 'std::out_of_range'", "Illegal instruction (core dumped)",
    "undefined reference to `vendor_init'", "error: no matching function for call to 'resize(int, int)'",
]
APP_ERRORS = [
    "Exception Type: EXC_BAD_ACCESS (SIGSEGV)", "The application was unable to start correctly (0xc000007b)",
    "E/AndroidRuntime: FATAL EXCEPTION: main", "Something went wrong. Please try again later.",
    "Error 500: Internal Server Error", "Back-off restarting failed container (CrashLoopBackOff)",
    "exec /usr/local/bin/entrypoint.sh: exec format error", "OOMKilled",
    "npm ERR! code ERESOLVE", "Error response from daemon: failed to create shim task",
]
COMMANDS = [
    "{name} sync", "{name} init --force", "{name} export --format csv", "{name} serve --port 8080",
    "pip install {name}[all]", "{name} migrate up", "{name} login --sso", "{name} build --release",
    "npm install {name}", "cargo install {name}", "go install ./...", "docker compose up",
    "{name} --version", "{name} cache clear", "kubectl apply -f deploy.yaml", "npx {name} dev",
    "make test", "./gradlew build", "{name} run --watch", "brew upgrade {name}",
]
USERS = ["alice", "bob", "dev", "jdoe", "runner", "ubuntu", "me", "kai", "marta", "sam", "user"]
MODULES = ["client", "config", "export", "cache", "plugins", "cli", "sync", "io", "core", "utils",
           "models", "api", "render", "parser", "auth", "db"]

# ----- feature requests

CAPABILITIES = [
    "export to {fmt}", "configure the retry delay", "set a custom User-Agent", "resume interrupted downloads",
    "run in dry-run mode", "filter results by date", "use environment variables in the config",
    "switch to a dark theme", "stream results instead of loading them all", "sign in with OAuth2",
    "set a timeout per request", "turn off telemetry", "run plugins in parallel", "go through an HTTP proxy",
    "show a progress bar", "cancel a running job", "read {fmt} files", "batch API calls", "pin plugin versions",
    "rotate log files", "group notifications", "use a custom CA bundle", "remap keyboard shortcuts",
    "retry only idempotent requests", "output JSON", "sort by more than one column", "undo the last change",
    "schedule a job for later", "share a link with a password", "pause and resume a sync",
    "skip files matching a pattern", "limit the bandwidth", "open files from a URL", "drag and drop files",
    "import settings from another machine", "pick a custom font", "run without root",
    "send a webhook when a job fails", "set the number of workers", "search inside archives",
    "mark items as favourites", "collapse sections", "use it offline", "customise the colours",
    "export the history", "translate the UI into {lang}", "define aliases for commands",
]
FEATURE_THINGS = [
    "{fmt} support", "a dark mode", "{platform} support", "an async API", "type hints", "a `--json` flag",
    "shell completion for {shell}", "a plugin API", "webhooks", "SSO", "an official Docker image",
    "a Helm chart", "Prometheus metrics", "OpenTelemetry tracing", "an {integration} integration",
    "pagination in the API", "bulk delete", "keyboard shortcuts", "a REST endpoint for this",
    "custom themes", "a config file", "a CLI", "a Python API", "i18n", "RTL languages",
    "a read-only mode", "multiple accounts", "end-to-end encryption", "two-factor authentication",
    "an audit log", "a changelog in the app", "a portable build", "a `--watch` mode", "auto-save",
    "a plugin for {integration}", "screen reader support", "an option to disable animations",
]
RATIONALES = [
    "We have thousands of files, so doing this by hand is not an option.", "Our CI runs behind a corporate proxy.",
    "It would save our team a lot of time every week.", "Several people asked for this on the forum.",
    "Right now I have to write a wrapper script around it.", "Other tools in this space already do it.",
    "This matters for large deployments.", "It would make it usable in air-gapped environments.",
    "Currently I copy the output into a spreadsheet by hand.", "My use case is a small home server.",
    "We're migrating from another tool that had this.", "I end up writing the same helper in every project.",
    "Right now the only way is to patch the source.", "Our users keep asking for it.",
    "I work with large files every day and this is the slowest part.", "It's the one thing I miss after switching.",
    "It would make onboarding new people much easier.", "We need it for compliance reasons.",
]
OFFERS = ["I'm happy to open a PR.", "Happy to help test.", "I could work on this if you think it fits.",
          "Not sure what the API should look like.", "If this is out of scope, no worries.",
          "Is this something you'd accept a PR for?", "I'd be glad to contribute.", "", "", "Thanks for considering!"]
ALTERNATIVES = ["A wrapper script.", "Forking the project.", "None.", "Doing it by hand.", "A third-party plugin, "
                "but it's unmaintained.", "Setting it through an environment variable, which is clumsy.", "_No response_"]
OTHER_TOOLS = ["npm", "cargo", "Docker", "VS Code", "pandas", "rsync", "curl", "Git", "Prettier", "Terraform",
               "Home Assistant", "Obsidian", "Postman", "Grafana", "ripgrep", "Django", "React"]

# ----- questions

TASKS = [
    "configure the cache directory", "run the CLI inside Docker", "authenticate with a service account",
    "use the SDK with asyncio", "migrate from v1 to v2", "debug plugin loading", "raise the upload limit",
    "test my plugin without a server", "share one session between threads", "read the config from another path",
    "deploy this behind nginx", "speed up the first sync", "get the raw response from the client",
    "reset my local database", "contribute a translation", "log every request", "pass custom headers",
    "use it with Next.js", "run two instances on one machine", "restore a backup", "change the default port",
    "mock the client in unit tests", "connect to a remote database", "use a self-signed certificate",
    "set it up on Windows", "load the data lazily", "handle errors globally", "upgrade without downtime",
    "run it as a systemd service", "combine it with {integration}", "get the version at runtime",
    "pass a {fmt} file", "customise the theme", "paginate the results", "cancel a request",
]
TOPICS = [
    "authentication", "the plugin API", "caching", "rate limits", "retries", "the config file format",
    "logging levels", "environment variables", "upgrading", "thread safety", "the release process",
    "error codes", "the CLI options", "deployment", "the permission model", "webhooks", "pagination",
    "time zones", "the data model", "backups", "proxies", "migrations", "the REST API", "testing",
]
QUESTION_ENDINGS = ["Thanks!", "Thanks in advance.", "Any help appreciated.", "Any pointers?",
                    "Sorry if this is a dumb question.", "Is there an example somewhere?", "", "",
                    "I'm new to this, so maybe I'm missing something obvious."]

# ----- documentation

PAGES = [
    "the README", "the installation guide", "the API reference", "the quickstart", "CONTRIBUTING.md",
    "the FAQ", "the migration guide", "the configuration page", "the plugin tutorial", "the changelog",
    "the docs site", "the getting started page", "the deployment guide", "the wiki", "the man page",
    "the user guide", "the examples folder", "the tutorial", "the troubleshooting page", "the cookbook",
    "the upgrade notes", "the CLI reference", "the security page", "the architecture overview",
]
DOC_SYSTEMS = ["docstring", "Javadoc", "KDoc", "godoc", "rustdoc", "JSDoc comment", "doc comment",
               "`--help` text", "type stub", "inline comment in the example"]
DOC_PROBLEMS = ["is outdated", "has a typo", "points to a 404", "is confusing", "is wrong", "is missing",
                "contradicts the code", "still describes the old behaviour", "is incomplete", "is empty",
                "doesn't match the current version", "is hard to follow"]
DOC_PARTS = ["the second paragraph", "the code sample", "the table of options", "the link to the API docs",
             "the first example", "the screenshot", "the list of prerequisites", "the section on {topic}",
             "the install command", "the example output"]
OPTIONS = ["max_retries", "cache_dir", "timeout", "log_level", "verify_ssl", "workers", "proxy_url",
           "batch_size", "base_path", "locale", "strict_mode", "page_size"]
TYPO_PAIRS = [("recieve", "receive"), ("seperate", "separate"), ("dependancy", "dependency"),
              ("occured", "occurred"), ("enviroment", "environment"), ("paramter", "parameter"),
              ("retreive", "retrieve"), ("authentification", "authentication"), ("succesful", "successful"),
              ("compatability", "compatibility"), ("initalize", "initialize"), ("defintion", "definition")]
DOC_WRONG_CLAIMS = [
    ("the default of `{option}` is {a}", "it's {b}"), ("`{func}` returns a list", "it returns a generator"),
    ("`{param}` is in seconds", "it's milliseconds"), ("the minimum version is {v}", "{v2} is needed"),
    ("`{func}` is thread-safe", "it isn't"), ("the flag is `--{flag}`", "the CLI calls it `--{flag}-mode`"),
    ("`{param}` is optional", "leaving it out raises an error"), ("`{func}` takes a path", "it takes a file object"),
]

# ----- what people add at the end

THANKS = ["", "", "", "Thanks!", "Thanks in advance.", "Any help appreciated.", "Cheers", "thx",
          "Thank you for this great project!", ":pray:", "Love the project btw.", "Keep up the good work!"]
