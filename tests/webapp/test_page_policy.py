"""The app's page is served with a strict Content-Security-Policy that still lets it run.

The policy allows exactly the page's own inline scripts (by hash): a script
added to the page later, or changed, is refused by the browser. The browser
test of the built app (tests/e2e) shows the app runs under it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from starlette.testclient import TestClient

from webapp.build import page_policy
from webapp.static import WORKER_POLICY, WebApp

PAGE = """<!DOCTYPE html><html><head>
<script>var flet = {};</script>
<script src="/r/abc/python.js"></script>
<script type="text/javascript">console.log("second");</script>
</head><body><div style="color:red">x</div></body></html>"""


def _hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def _directives(policy: str) -> dict[str, list[str]]:
    parts = [part.split() for part in policy.split(";") if part.strip()]
    return {words[0]: words[1:] for words in parts}


def test_the_policy_allows_the_pages_inline_scripts_and_nothing_else() -> None:
    policy = _directives(page_policy(PAGE))
    scripts = policy["script-src"]
    assert _hash("var flet = {};") in scripts
    assert _hash('console.log("second");') in scripts
    assert _hash("var flet = {}; ") not in scripts
    assert "'unsafe-inline'" not in scripts
    assert "'unsafe-eval'" not in scripts
    assert "'wasm-unsafe-eval'" in scripts  # CanvasKit is WebAssembly
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["connect-src"] == ["'self'"]


def _build(folder: Path) -> None:
    (folder / "r" / "abc").mkdir(parents=True)
    (folder / "index.html").write_text(PAGE)
    (folder / "r" / "abc" / "python-worker.js").write_text("// worker")
    (folder / "sw.js").write_text("// service worker")
    build = {"build_id": "b1", "runtime": "/r/abc/", "page_policy": page_policy(PAGE)}
    (folder / "BUILD.json").write_text(json.dumps(build))


def test_every_page_of_the_app_carries_the_policy_and_the_worker_its_own(
    tmp_path: Path,
) -> None:
    _build(tmp_path)
    http = TestClient(WebApp(tmp_path))  # no `with`: the app has no lifespan to run
    for path in ("/", "/kontor/avvik", "/okt"):
        answer = http.get(path)
        assert answer.status_code == 200
        assert answer.headers["content-security-policy"] == page_policy(PAGE)
    worker = http.get("/r/abc/python-worker.js")
    assert worker.headers["content-security-policy"] == WORKER_POLICY
    assert "content-security-policy" not in http.get("/sw.js").headers


def test_a_new_build_brings_its_own_policy(tmp_path: Path) -> None:
    _build(tmp_path)
    http = TestClient(WebApp(tmp_path))
    first = http.get("/").headers["content-security-policy"]
    changed = PAGE.replace("var flet = {};", "var flet = {pyodide: true};")
    (tmp_path / "index.html").write_text(changed)
    build = json.loads((tmp_path / "BUILD.json").read_text())
    build["page_policy"] = page_policy(changed)
    # A build is swapped in whole (a new folder), so BUILD.json is a new file.
    (tmp_path / "BUILD.json").unlink()
    (tmp_path / "BUILD.json").write_text(json.dumps(build))
    second = http.get("/").headers["content-security-policy"]
    assert second != first
    assert _hash("var flet = {pyodide: true};") in second
