// The app's Python, in a Web Worker (replaces flet-web's python-worker.js).
//
// flet-web starts Python only once Flutter has loaded and asks for it, then
// downloads and unpacks the app and imports it: one step after the other.
// Here the page starts this worker as soon as its first script runs
// (webapp/python.js), and the worker at once
//   - fetches the app archive while Pyodide boots,
//   - writes the app's files (bytecode, packed by webapp.build) under /app,
//   - imports the app (main.prepare()),
// all while Flutter loads. When Flutter connects, main.start() runs the app
// and the worker answers "initialized", as flet-web's worker does.
//
// Each step is logged at debug level with the time since the page started
// (bench/bench_app.py reads these to say where an open spends its time).
"use strict";

self.flet_js = {};
let booting = null;

function mark(step) {
  console.debug(`timeliste: ${step} at ${Math.round(performance.timeOrigin + performance.now())}`);
}

// The app's files, packed by webapp.build: u32 little-endian n, n bytes of JSON
// [[path, size], ...], then the contents in that order. Written out under /app.
function writeApp(FS, buffer) {
  const length = new DataView(buffer).getUint32(0, true);
  const index = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, length)));
  const folders = new Set();
  let offset = 4 + length;
  for (const [path, size] of index) {
    const full = "/app/" + path;
    const folder = full.slice(0, full.lastIndexOf("/"));
    if (!folders.has(folder)) {
      FS.mkdirTree(folder);
      folders.add(folder);
    }
    FS.writeFile(full, new Uint8Array(buffer, offset, size));
    offset += size;
  }
}

async function boot(message) {
  mark("worker started");
  const archive = fetch(message.archiveUrl).then((response) => {
    if (!response.ok) {
      throw new Error(`the app archive answered HTTP ${response.status}`);
    }
    return response.arrayBuffer();
  });
  const { loadPyodide } = await import(message.pyodideUrl);
  const pyodide = await loadPyodide();
  mark("pyodide ready");
  pyodide.registerJsModule("flet_js", self.flet_js);
  writeApp(pyodide.FS, await archive);
  mark("app written");
  await pyodide.runPythonAsync(`
import sys
sys.path.insert(0, "/app")
import main
main.prepare()
`);
  mark("app imported");
  return pyodide;
}

async function connect(message) {
  const pyodide = await booting;
  self.flet_js.args = message.args;
  self.flet_js.documentUrl = message.documentUrl;
  pyodide.runPython("import main; main.start()");
  if (typeof self.flet_js.start_connection !== "function") {
    throw new Error("the app did not start Flet's connection");
  }
  await self.flet_js.start_connection((packet) => {
    // A Python bytes object: copy it out once, hand the buffer over.
    const bytes = packet.toJs();
    self.postMessage(bytes, [bytes.buffer]);
  });
  mark("connected");
}

self.onmessage = (event) => {
  const message = event.data;
  if (message && message.type === "boot" && booting === null) {
    booting = boot(message);
    // Reported when Flutter connects (a message posted before then is lost).
    booting.catch(() => {});
  } else if (message && message.type === "connect") {
    connect(message).then(
      () => self.postMessage("initialized"),
      (error) => self.postMessage(String(error)),
    );
  } else if (message && message.type === "network") {
    // The window heard the browser go offline or back online (webapp/python.js);
    // the app listens for this (sync.runtime.watch_network).
    self.dispatchEvent(new CustomEvent("timeliste-network", { detail: message.online }));
  } else if (typeof self.flet_js.send === "function") {
    self.flet_js.send(message);
  } else {
    console.error("Timeliste: a message for Python arrived before the app started.");
  }
};
