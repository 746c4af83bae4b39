"""Assemble the browser app into a folder that `timeliste serve` serves at `/`.

What goes in, all from this machine's installed packages or the package registry:
- flet-web's prebuilt Flutter client and its Pyodide runtime (`flet_web/web`);
- the app: the project's `models/`, `sync/`, `mobile/`, the browser entry point and
  every wheel the app imports, in one file the worker writes out under /app (no
  micropip, no index, no unpacking in Python at run time);
- bytecode instead of sources, for the app and for Pyodide's standard library
  (webapp.bytecode), so the browser compiles no Python at start;
- our own Python worker and its bridge (python-worker.js, python.js): Python boots
  and imports the app while Flutter loads, instead of after;
- a manifest, icons and a service worker of our own.

The wheels have exactly the versions installed beside the server (read from
this environment's metadata), so phone and server validate with the same
pydantic. Pure wheels and the Pyodide builds of pydantic-core and msgpack come
from `pip download` for Pyodide's platform.

Layout of the output (see `webapp.static` for how each part is cached):
    index.html, sw.js, manifest.webmanifest, icons/…      revalidated on every visit
    r/<runtime id>/…  Flutter, Pyodide, fonts             named by content: immutable
    r/app-<hash>.pack    the Python app                   named by content: immutable
    r/lib-<hash>.wasm    its native libraries (pydantic-core, msgpack), compiled by the
                         worker from their own URL (the browser caches the compiled code)
    BUILD.json        build id, the inputs' fingerprint, the files to precache
Every compressible file also has a `.gz` twin made here, once.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib.metadata
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from webapp.bytecode import compile_files
from webapp.icons import icon_png

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
FORMAT = 3  # bump when the layout changes: an old build is then stale

# Pyodide 314.0.7 as shipped by flet-web 1.0.5 (PHONE-APP.md).
PYODIDE_PLATFORM = "pyemscripten_2026_0_wasm32"
PYODIDE_PYTHON = "3.14"
PYODIDE_ABI = "cp314"

# Distributions the app imports in the browser. flet skips httpx on Emscripten,
# but our sync code needs it and its pure dependencies.
BROWSER_DISTRIBUTIONS = (
    "flet",
    "flet-charts",
    "repath",
    "six",
    "msgpack",
    "httpx",
    "httpcore",
    "h11",
    "anyio",
    "idna",
    "certifi",
    "tinydb",
    "tzdata",
    "pydantic",
    "pydantic-core",
    "annotated-types",
    "typing-extensions",
    "typing-inspection",
)
PROJECT_PACKAGES = ("models", "sync", "mobile")
# Where the browser's Python finds things (webapp/python-worker.js): the app's
# files written out under /app, the standard library where Pyodide mounts it.
APP_PATH = "/app"
STDLIB_PATH = "/lib/python314.zip"
# flet-web's files we replace with our own (see the module docstring).
OWN_RUNTIME_FILES = ("python-worker.js", "python.js")

# Parts of flet_web/web the app never loads: the skwasm/dart2wasm build (we pin
# the CanvasKit renderer), debug symbols, Pyodide's command-line runner and the
# wheels of micropip (we install nothing at run time), and flet's service worker,
# which only unregisters itself.
_SKIP = re.compile(
    r"^(index\.html|manifest\.json|version\.json|flutter_service_worker\.js|flutter\.js(\.map)?"
    r"|main\.dart\.(wasm|mjs)"
    r"|canvaskit/(skwasm|wimp)[^/]*|canvaskit/experimental_webparagraph/.*|.*\.symbols"
    r"|pyodide/(python|python\.bat|python\.exe|python_cli_entry\.mjs|[^/]*\.d\.ts|[^/]*\.whl)"
    r"|assets/NOTICES)$"
)
# Loaded only by the page's CanvasKit variant of choice: the page tells the
# service worker which one it fetched (see sw.js), so only that one is kept.
_NOT_PRECACHED = re.compile(r"^canvaskit/")
# Flutter's font fallback asks for Google Fonts' files by these names (under the
# fontFallbackBaseUrl we point at the build). Roboto is flet-web's own copy; the
# symbols subset of Noto Sans Symbols (OFL-1.1) draws "→" and comes from the npm
# registry. Without them the app works, with a 404 every second or two.
_ROBOTO_FALLBACK = "assets/fonts/roboto/v32/KFOmCnqEu92Fr1Me4GZLCzYlKw.woff2"
_SYMBOLS_FALLBACK = "assets/fonts/notosanssymbols/v43/" + (
    "rP2up3q65FkAtHfwd-eIS2brbDN6gxP34F9jRRCe4W3gfQ8gb_VFRkzrbQ.woff2"
)
SYMBOLS_PACKAGE = "@fontsource-variable/noto-sans-symbols@5.3.0"
_SYMBOLS_FILE = "package/files/noto-sans-symbols-symbols-wght-normal.woff2"
# main.dart.js would fetch Rive's runtime from a CDN (the app uses no Rive): point
# it at the build, which holds a stand-in (webapp/rive_native.js) under a folder
# named by its content, so nothing is asked of another host and nothing is missing.
_RIVE_CDN = re.compile(r"https://[^\"'\s]*/@rive-app/flutter-native-wasm@[^/\"'\s]+/")
# Fonts Flutter's client would load and parse at every start although the app
# draws no formula: flutter_math_fork's KaTeX fonts (17 files, 0.6 MB), listed in
# flet-web's FontManifest.json for flet's Markdown with LaTeX, which the app does
# not use. Left out of the manifest and of the build.
_UNUSED_FONTS = "packages/flutter_math_fork/"
_COMPRESSIBLE = {".js", ".mjs", ".wasm", ".json", ".html", ".otf", ".ttf", ".frag", ".zip", ".pack"}


class BuildError(RuntimeError):
    """The app could not be built; the message says what to do."""


@dataclass(frozen=True)
class Build:
    folder: Path
    build_id: str
    rebuilt: bool


def default_folder() -> Path:
    configured = os.environ.get("TIMELISTE_WEBAPP_DIR")
    return Path(configured) if configured else REPO / "build" / "webapp"


def wheel_cache() -> Path:
    configured = os.environ.get("TIMELISTE_WHEEL_CACHE")
    return Path(configured) if configured else REPO / "build" / "wheels"


def _flet_web_folder() -> Path:
    spec = importlib.util.find_spec("flet_web")
    if spec is None or spec.origin is None:  # pragma: no cover - a dependency of the project
        raise BuildError("flet-web is not installed: run `make run` or pip install -e .")
    return Path(spec.origin).resolve().parent / "web"


def _versions() -> dict[str, str]:
    found: dict[str, str] = {}
    for name in BROWSER_DISTRIBUTIONS:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError as error:
            raise BuildError(f"{name} is not installed beside the server") from error
    return found


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _project_files() -> Iterator[tuple[str, Path]]:
    for package in PROJECT_PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            yield path.relative_to(REPO).as_posix(), path


def _inputs_fingerprint(versions: dict[str, str], runtime: Path) -> str:
    """Everything the build reads, hashed: a different value means a stale build."""
    digest = hashlib.sha256()
    digest.update(f"format {FORMAT}\n".encode())
    digest.update(json.dumps(versions, sort_keys=True).encode())
    for path in sorted(runtime.rglob("*")):
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path.relative_to(runtime).as_posix()} {stat.st_size}\n".encode())
    own = [(p.relative_to(REPO).as_posix(), p) for p in sorted(HERE.iterdir()) if p.is_file()]
    for name, path in [*own, *_project_files()]:
        if path.suffix in {".py", ".js", ".mjs", ".html"}:
            digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


# --- wheels ---------------------------------------------------------------------------------


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _wheel_in(cache: Path, name: str, version: str) -> Path | None:
    prefix = f"{_normal(name)}-{version}-"
    for path in sorted(cache.glob("*.whl")):
        if path.name.lower().startswith(prefix.lower()):
            tags = path.name[len(prefix) :]
            if tags.endswith("none-any.whl") or PYODIDE_PLATFORM in tags:
                return path
    return None


def _symbols_font(cache: Path) -> bytes | None:
    """Noto Sans Symbols' symbols subset, from the npm registry through npm (cached)."""
    target = cache / "noto-sans-symbols-symbols.woff2"
    if target.is_file():
        return target.read_bytes()
    npm = shutil.which("npm")
    if npm is None:
        print("Timeliste: npm is missing; the app is built without the symbols font.", flush=True)
        return None
    cache.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [npm, "pack", "--silent", "--pack-destination", str(cache), SYMBOLS_PACKAGE],
        check=False,
        capture_output=True,
        text=True,
    )
    packed = cache / done.stdout.strip().splitlines()[-1] if done.stdout.strip() else None
    if done.returncode != 0 or packed is None or not packed.is_file():
        print("Timeliste: could not fetch the symbols font; built without it.", flush=True)
        return None
    with tarfile.open(packed) as tar:
        member = tar.extractfile(_SYMBOLS_FILE)
        data = member.read() if member is not None else b""
    packed.unlink()
    if not data:
        return None
    target.write_bytes(data)
    return data


def _fetch_wheels(versions: dict[str, str], cache: Path) -> list[Path]:
    """The browser's wheels, from the cache or else from the registry via pip."""
    cache.mkdir(parents=True, exist_ok=True)
    missing = [f"{n}=={v}" for n, v in versions.items() if _wheel_in(cache, n, v) is None]
    if missing:
        # Pyodide's platform tags: pure wheels match as well as the Pyodide builds.
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--platform",
            PYODIDE_PLATFORM,
            "--python-version",
            PYODIDE_PYTHON,
            "--implementation",
            "cp",
            "--abi",
            PYODIDE_ABI,
            "--dest",
            str(cache),
            *missing,
        ]
        print(f"Timeliste: fetching {len(missing)} wheels for the browser …", flush=True)
        done = subprocess.run(command, check=False, capture_output=True, text=True)
        if done.returncode != 0:
            raise BuildError(
                "could not download the browser's wheels from the package registry "
                f"({', '.join(missing)}):\n{done.stderr[-2000:]}"
            )
    wheels = []
    for name, version in versions.items():
        wheel = _wheel_in(cache, name, version)
        if wheel is None:
            raise BuildError(f"no wheel of {name}=={version} for Pyodide in the registry")
        wheels.append(wheel)
    return wheels


# --- the app archive -----------------------------------------------------------------------


def _app_files(wheels: Iterable[Path], release: str) -> dict[str, bytes]:
    """Every file of the app (path under the app's folder → content), as sources."""
    members: dict[str, bytes] = {}
    if release:
        members["release.txt"] = release.encode()
    members["main.py"] = (HERE / "browser_main.py").read_bytes()
    for name, path in _project_files():
        members[name] = path.read_bytes()
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            for info in archive.infolist():
                if info.is_dir() or info.filename.endswith((".pyi", "/RECORD")):
                    continue
                members[info.filename] = archive.read(info)
    return members


def _pack(members: dict[str, bytes], libraries: dict[str, str] | None = None) -> bytes:
    """The app's files in one blob the worker writes out with no unpacking code
    in Python (a zip or tar read by Python in the browser took seconds):

        u32 little-endian n | n bytes of JSON [[path, size], …] | the contents in order

    A native library (`libraries`: path → URL) is not in the blob: its entry is
    [path, 0, url], and the worker compiles it from that URL (see `_split_libraries`).
    """
    libraries = libraries or {}
    names = sorted({*members, *libraries})
    index = json.dumps(
        [
            [name, 0, libraries[name]] if name in libraries else [name, len(members[name])]
            for name in names
        ]
    ).encode()
    return b"".join(
        [len(index).to_bytes(4, "little"), index, *(members[n] for n in names if n in members)]
    )


def _split_libraries(members: dict[str, bytes]) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The app's files without its native libraries (pydantic-core's 4.7 MB, msgpack's),
    and those libraries as files of their own named by content: r/lib-<hash>.wasm.

    Inside the pack, Python imported pydantic-core by compiling its WebAssembly
    from the bytes in memory at every start (about half a second of the app's
    imports in Node, more on a phone). A file of its own is compiled by the
    worker with `WebAssembly.compileStreaming` while Pyodide boots, and the
    browser keeps the compiled code with the cached file for the next start.
    """
    kept = {name: data for name, data in members.items() if not name.endswith(".so")}
    files = {
        f"r/lib-{_sha256(data)[:16]}.wasm": data
        for name, data in members.items()
        if name.endswith(".so")
    }
    return kept, files


def _zip(members: dict[str, bytes]) -> bytes:
    """A zip of `members`, the same bytes for the same inputs.

    Stored, not deflated: zipimport reads it in place, and the server sends
    it gzipped anyway (its `.gz` twin)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, members[name])
    return buffer.getvalue()


def _archive(wheels: Iterable[Path], release: str, pyodide: Path) -> tuple[bytes, dict[str, bytes]]:
    """The app: its files in bytecode, packed for the worker to write out, and its
    native libraries as build files of their own (path in the build → content)."""
    files = compile_files(_app_files(wheels, release), APP_PATH, pyodide, wheel_cache())
    kept, libraries = _split_libraries(files)
    urls = {
        name: f"/r/lib-{_sha256(data)[:16]}.wasm"
        for name, data in files.items()
        if name.endswith(".so")
    }
    return _pack(kept, urls), libraries


def _stdlib(source: bytes, pyodide: Path) -> bytes:
    """Pyodide's standard library zip with bytecode in place of its sources
    (flet-web's copy has sources only: Pyodide compiled them at every start)."""
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        files = {i.filename: archive.read(i) for i in archive.infolist() if not i.is_dir()}
    return _zip(compile_files(files, STDLIB_PATH, pyodide, wheel_cache()))


# --- the page --------------------------------------------------------------------------------


def _index_html(source: str, runtime_url: str, archive_url: str, build_id: str) -> str:
    config = "\n".join(
        [
            "flet.pyodide = true;",
            "flet.micropipIncludePre = false;",
            'flet.pythonModuleName = "main";',
            f'flet.appPackageUrl = "{archive_url}";',
            # An absolute URL: the worker imports it, and a bare "pyodide/…" is
            # not a module specifier a browser can resolve.
            f'flet.pyodideUrl = "{runtime_url}pyodide/pyodide.mjs";',
            f'flet.canvasKitBaseUrl = "{runtime_url}canvaskit/";',
            f'flet.fontFallbackBaseUrl = "{runtime_url}assets/fonts/";',
            "flet.noCdn = true;",
            'flet.webRenderer = "canvaskit";',
            'flet.routeUrlStrategy = "path";',
            f'flet.entrypointBaseUrl = "{runtime_url}";',
            f'flet.assetBase = "{runtime_url}";',
            f'flet.timelisteBuild = "{build_id}";',
        ]
    )
    page = source
    replacements = [
        ("<!-- fletAppConfig -->", f"<script>\n{config}\n</script>"),
        ('<script src="python.js"></script>', f'<script src="{runtime_url}python.js"></script>'),
        (
            '<script src="flutter_bootstrap.js" async></script>',
            f'<script src="{runtime_url}flutter_bootstrap.js" async></script>\n'
            + (HERE / "register.html").read_text(encoding="utf-8"),
        ),
        (
            '<link rel="manifest" href="manifest.json">',
            '<link rel="manifest" href="/manifest.webmanifest">',
        ),
        ('href="icons/apple-touch-icon-192.png"', 'href="/icons/apple-touch-icon-192.png"'),
        ('href="favicon.png"', 'href="/icons/favicon.png"'),
        ('src="icons/loading-animation.png"', f'src="{runtime_url}icons/loading-animation.png"'),
        ("<title>Flet</title>", "<title>Timeliste</title>"),
        ('content="Flet"', 'content="Timeliste"'),
        ('content="Flet application."', 'content="Timer og kjøring for støttekontakter."'),
        (
            '<meta name="apple-mobile-web-app-status-bar-style" content="black">',
            '<meta name="apple-mobile-web-app-status-bar-style" content="default">\n'
            '  <meta name="theme-color" content="#00796B">',
        ),
        ("<html>", '<html lang="nb">'),
    ]
    for old, new in replacements:
        if old not in page:
            raise BuildError(
                f"flet-web's index.html changed: {old!r} is gone (update webapp.build)"
            )
        page = page.replace(old, new, 1)
    return page


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S)


def page_policy(page: str) -> str:
    """The Content-Security-Policy of the app's page (webapp.static sends it).

    Scripts: the build's own files and exactly the page's inline scripts (by
    hash), WebAssembly (Flutter's CanvasKit); no eval. Everything is fetched
    from the app's own origin; nothing may frame the page. Styles allow inline:
    Flutter writes its own style elements, and the update banner is styled inline.
    The Python worker has a policy of its own (its script's answer, see static).
    """
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(page)
    ]
    return "; ".join(
        [
            "default-src 'self'",
            " ".join(["script-src 'self' 'wasm-unsafe-eval'", *hashes]),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


def _bootstrap(source: str) -> str:
    # flutter_bootstrap.js would register flet's kill-switch worker over ours.
    patched, count = re.subn(r"serviceWorkerSettings:\s*\{[^}]*\},", "", source)
    if count != 1:
        raise BuildError("flet-web's flutter_bootstrap.js changed: no serviceWorkerSettings")
    return patched


def _font_manifest(source: bytes) -> bytes:
    """flet-web's FontManifest.json without the fonts the app never draws with."""
    families = json.loads(source)
    kept = [f for f in families if not str(f.get("family", "")).startswith(_UNUSED_FONTS)]
    if len(kept) == len(families):
        raise BuildError("flet-web's FontManifest.json changed: no KaTeX fonts to leave out")
    return json.dumps(kept, separators=(",", ":")).encode()


def _manifest() -> str:
    icons = [
        {"src": f"/icons/icon-{size}.png", "sizes": f"{size}x{size}", "type": "image/png"}
        for size in (192, 512)
    ] + [
        {
            "src": f"/icons/icon-maskable-{size}.png",
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "maskable",
        }
        for size in (192, 512)
    ]
    manifest = {
        "name": "Timeliste",
        "short_name": "Timeliste",
        "description": "Timer og kjøring for støttekontakter.",
        "lang": "nb",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#FFFFFF",
        "theme_color": "#00796B",
        "icons": icons,
    }
    return json.dumps(manifest, indent=2, ensure_ascii=False)


# --- the whole build -------------------------------------------------------------------------


def _read_build(folder: Path) -> dict[str, object] | None:
    try:
        data: dict[str, object] = json.loads((folder / "BUILD.json").read_text())
    except (OSError, ValueError):
        return None
    return data


def current(folder: Path | None = None) -> dict[str, object] | None:
    """The build's BUILD.json, or None when there is no complete build."""
    return _read_build(folder or default_folder())


def is_stale(folder: Path | None = None) -> bool:
    folder = folder or default_folder()
    built = _read_build(folder)
    if built is None:
        return True
    return built.get("inputs") != _inputs_fingerprint(_versions(), _flet_web_folder())


def ensure_build(folder: Path | None = None, *, force: bool = False, release: str = "") -> Build:
    """Build the app into `folder` unless an up-to-date build is there already.

    `release` is a free label (a version, a date) packed into the app archive:
    a new label is a new build even when no file changed.
    """
    folder = folder or default_folder()
    versions = _versions()
    runtime = _flet_web_folder()
    inputs = _inputs_fingerprint(versions, runtime) + (f"+{release}" if release else "")
    built = _read_build(folder)
    if not force and built is not None and built.get("inputs") == inputs:
        return Build(folder, str(built["build_id"]), rebuilt=False)
    wheels = _fetch_wheels(versions, wheel_cache())
    symbols = _symbols_font(wheel_cache())
    build_id = _assemble(folder, runtime, wheels, symbols, inputs, release)
    return Build(folder, build_id, rebuilt=True)


def _assemble(
    folder: Path,
    runtime: Path,
    wheels: list[Path],
    symbols: bytes | None,
    inputs: str,
    release: str,
) -> str:
    files: dict[str, bytes] = {}  # path in the build → content
    runtime_files: dict[str, bytes] = {}
    for path in sorted(runtime.rglob("*")):
        name = path.relative_to(runtime).as_posix()
        if path.is_file() and not _SKIP.match(name):
            data = path.read_bytes()
            if name.startswith("assets/" + _UNUSED_FONTS):
                continue
            if name == "flutter_bootstrap.js":
                data = _bootstrap(data.decode()).encode()
            elif name == "assets/FontManifest.json":
                data = _font_manifest(data)
            elif name == "pyodide/python_stdlib.zip":
                data = _stdlib(data, runtime / "pyodide")
            runtime_files[name] = data
    for name in OWN_RUNTIME_FILES:
        runtime_files[name] = (HERE / name).read_bytes()
    rive = (HERE / "rive_native.js").read_bytes()
    rive_url = f"/r/rive-{_sha256(rive)[:16]}/"
    files[rive_url.lstrip("/") + "wasm/rive_native.js"] = rive
    runtime_files["main.dart.js"] = _RIVE_CDN.sub(
        rive_url, runtime_files["main.dart.js"].decode()
    ).encode()
    runtime_files[_ROBOTO_FALLBACK] = runtime_files["assets/fonts/roboto.woff2"]
    if symbols is not None:
        runtime_files[_SYMBOLS_FALLBACK] = symbols
    runtime_digest = hashlib.sha256()
    for name in sorted(runtime_files):
        runtime_digest.update(name.encode() + b"\0" + _sha256(runtime_files[name]).encode())
    runtime_url = f"/r/{runtime_digest.hexdigest()[:16]}/"
    for name, data in runtime_files.items():
        files[runtime_url.lstrip("/") + name] = data

    archive, libraries = _archive(wheels, release, runtime / "pyodide")
    files.update(libraries)
    archive_url = f"/r/app-{_sha256(archive)[:16]}.pack"
    files[archive_url.lstrip("/")] = archive

    files["manifest.webmanifest"] = _manifest().encode()
    for size in (192, 512):
        files[f"icons/icon-{size}.png"] = icon_png(size)
        files[f"icons/icon-maskable-{size}.png"] = icon_png(size, maskable=True)
    files["icons/apple-touch-icon-192.png"] = icon_png(192, maskable=True)
    files["icons/favicon.png"] = icon_png(32)

    # The build id covers everything the page can load, the page included.
    content = hashlib.sha256()
    for name in sorted(files):
        content.update(name.encode() + b"\0" + _sha256(files[name]).encode())
    content.update((HERE / "register.html").read_bytes())
    content.update((HERE / "sw.js").read_bytes())
    build_id = content.hexdigest()[:16]
    source = (runtime / "index.html").read_text(encoding="utf-8")
    files["index.html"] = _index_html(source, runtime_url, archive_url, build_id).encode()

    kept = sorted(
        "/" + name
        for name in files
        if name != "index.html" and not _NOT_PRECACHED.match(name.removeprefix(runtime_url[1:]))
    )
    precache = ["/", *kept]
    worker = (HERE / "sw.js").read_text(encoding="utf-8")
    worker = worker.replace('"__BUILD_ID__"', json.dumps(build_id))
    worker = worker.replace('["__PRECACHE__"]', json.dumps(precache, indent=0))
    files["sw.js"] = worker.encode()

    # Write into a fresh folder beside the old one, then swap: a server that is
    # serving the old build never sees half a new one.
    staging = folder.with_name(folder.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    for name, data in files.items():
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        if target.suffix in _COMPRESSIBLE and len(data) > 1024:
            packed = gzip.compress(data, compresslevel=9, mtime=0)
            if len(packed) < len(data) * 0.9:
                target.with_name(target.name + ".gz").write_bytes(packed)
    manifest = {
        "build_id": build_id,
        "inputs": inputs,
        "runtime": runtime_url,
        "archive": archive_url,
        "precache": precache,
        "page_policy": page_policy(files["index.html"].decode()),
    }
    (staging / "BUILD.json").write_text(json.dumps(manifest, indent=2))
    old = folder.with_name(folder.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    staging.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return build_id


def build_command(out: Path | None, *, force: bool, release: str = "") -> int:
    try:
        build = ensure_build(out, force=force, release=release)
    except BuildError as error:
        print(f"timeliste: the app was not built: {error}", file=sys.stderr)
        return 1
    state = "built" if build.rebuilt else "up to date"
    print(f"Timeliste app {state}: {build.folder} (build {build.build_id})")
    return 0
