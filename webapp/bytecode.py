"""The browser's Python gets bytecode, not sources.

Imported from source, every module is compiled again at every start of the app:
in the browser that was most of the time between Pyodide being ready and the
first screen (flet, pydantic, httpx and the standard library are large). The
build compiles them once, with Pyodide's own Python run by Node
(`webapp/compile.mjs`), so the magic number is the app's; no Python 3.14 has
to be installed on the build machine.

Compiled files are cached by content (and by runtime and archive path), so a
rebuild after a change to one module starts Node once for that module, and a
rebuild that changes no Python file does not start it at all. Without Node the
build ships sources (slower to open, same behaviour) and says so.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


class _Node:
    """Whether Node is usable; asked once per build."""

    warned = False


def runtime_tag(pyodide: Path) -> str:
    """What identifies the interpreter: its wasm and its JS loader."""
    digest = hashlib.sha256()
    for name in ("pyodide.asm.wasm", "pyodide.mjs"):
        digest.update(hashlib.sha256((pyodide / name).read_bytes()).digest())
    return digest.hexdigest()[:16]


def _key(tag: str, shown_as: str, name: str, source: bytes) -> str:
    digest = hashlib.sha256(f"{tag}\0{shown_as}\0{name}\0".encode())
    digest.update(source)
    return digest.hexdigest()


def _run_node(pyodide: Path, folder: Path, shown_as: str) -> bool:
    node = shutil.which("node")
    if node is None:
        if not _Node.warned:
            print(
                "Timeliste: Node is missing, so the app ships Python sources "
                "(it opens more slowly). Install nodejs to build bytecode.",
                flush=True,
            )
            _Node.warned = True
        return False
    done = subprocess.run(
        [node, str(HERE / "compile.mjs"), str(pyodide / "pyodide.mjs"), str(folder), shown_as],
        check=False,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        print(
            "Timeliste: compiling the app's Python for the browser failed; "
            f"it ships sources.\n{done.stderr[-1500:]}",
            flush=True,
        )
        return False
    try:
        json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return False
    return True


def compile_files(
    files: dict[str, bytes], shown_as: str, pyodide: Path, cache: Path
) -> dict[str, bytes]:
    """`files` (path in the archive → content) with every .py that compiles
    replaced by its .pyc (sourceless: a traceback names the file and line, and
    shows no source, as on any build without sources)."""
    tag = runtime_tag(pyodide)
    store = cache / "pyc" / tag
    store.mkdir(parents=True, exist_ok=True)
    sources = {name: data for name, data in files.items() if name.endswith(".py")}
    keys = {name: _key(tag, shown_as, name, data) for name, data in sources.items()}
    missing = [
        name
        for name, key in keys.items()
        if not (store / f"{key}.pyc").is_file() and not (store / f"{key}.failed").is_file()
    ]
    if missing:
        with tempfile.TemporaryDirectory(prefix="timeliste-pyc-") as tmp:
            folder = Path(tmp)
            for name in missing:
                target = folder / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(files[name])
            if not _run_node(pyodide, folder, shown_as):
                return dict(files)
            for name in missing:
                compiled = folder / (name + "c")
                key = keys[name]
                if compiled.is_file():
                    (store / f"{key}.pyc").write_bytes(compiled.read_bytes())
                else:
                    (store / f"{key}.failed").touch()
    result: dict[str, bytes] = {}
    for name, data in files.items():
        pyc = store / f"{keys[name]}.pyc" if name in keys else None
        if pyc is not None and pyc.is_file():
            result[name + "c"] = pyc.read_bytes()
        else:
            result[name] = data
    return result
