// The app's Python, in a Web Worker (replaces flet-web's python-worker.js).
//
// flet-web starts Python only once Flutter has loaded and asks for it, then
// downloads and unpacks the app and imports it: one step after the other.
// Here the page starts this worker as soon as its first script runs
// (webapp/python.js), and the worker at once
//   - fetches the app archive while Pyodide boots,
//   - writes the app's files (bytecode, packed by webapp.build) under /app,
//   - imports the app and reads its store (main.prepare()),
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
// A native library's entry is [path, 0, url]: its file is written empty (so
// that Python's import finds it) and its code is compiled from `url`.
function readIndex(buffer) {
  const length = new DataView(buffer).getUint32(0, true);
  const index = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, length)));
  return { index, start: 4 + length };
}

function writeApp(FS, buffer) {
  const { index, start } = readIndex(buffer);
  const folders = new Set();
  let offset = start;
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

// Compile the app's native libraries from their own URLs while Pyodide boots:
// a streamed compile of a cached file reuses the code the browser kept from
// the last start. Resolves to a Map of /app path → WebAssembly.Module, or of
// /app path → the file's bytes where a browser cannot compile it that way
// (Pyodide then compiles them as it would have from the pack).
async function compileLibraries(archive) {
  const { index } = readIndex(await archive);
  const compiled = await Promise.all(
    index
      .filter((entry) => entry.length > 2)
      .map(async ([path, , url]) => {
        try {
          return ["/app/" + path, await WebAssembly.compileStreaming(fetch(url))];
        } catch (error) {
          const response = await fetch(url);
          if (!response.ok) {
            throw new Error(`a library of the app answered HTTP ${response.status}`);
          }
          return ["/app/" + path, new Uint8Array(await response.arrayBuffer())];
        }
      }),
  );
  return new Map(compiled);
}

// Pyodide loads a library that Python imports by reading its file (Emscripten's
// dynamic linker, which also takes a module already compiled): hand it the
// compiled one instead of the empty placeholder.
function serveCompiled(FS, libraries) {
  for (const [path, code] of libraries) {
    if (!(code instanceof WebAssembly.Module)) {
      FS.writeFile(path, code);
      libraries.delete(path);
    }
  }
  const readFile = FS.readFile;
  FS.readFile = function (path, options) {
    const module = libraries.get(path);
    if (module !== undefined && options && options.encoding === "binary") {
      return module;
    }
    return readFile.apply(this, arguments);
  };
}

async function boot(message) {
  mark("worker started");
  const archive = fetch(message.archiveUrl).then((response) => {
    if (!response.ok) {
      throw new Error(`the app archive answered HTTP ${response.status}`);
    }
    return response.arrayBuffer();
  });
  const libraries = compileLibraries(archive);
  const { loadPyodide } = await import(message.pyodideUrl);
  const pyodide = await loadPyodide();
  mark("pyodide ready");
  pyodide.registerJsModule("flet_js", self.flet_js);
  writeApp(pyodide.FS, await archive);
  serveCompiled(pyodide.FS, await libraries);
  mark("app written");
  await pyodide.runPythonAsync(`
import sys
sys.path.insert(0, "/app")
import main
await main.prepare()
`);
  mark("app prepared");
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
  } else if (message && message.type === "painted") {
    // The page has drawn what the app sent before asking (sync.transport).
    self.dispatchEvent(new Event("timeliste-painted"));
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
