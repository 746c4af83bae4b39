// Between Flutter and the app's Python worker (replaces flet-web's python.js).
//
// Flutter calls jsConnect / jsSend / jsDisconnect (the names flet-web's Dart
// code uses). The difference from flet-web: the worker is started right here,
// when the page's head runs, so Pyodide boots and the app imports while
// Flutter is still loading; jsConnect then takes that worker over.
"use strict";
(function () {
  const base = flet.entrypointBaseUrl.replace(/\/$/, "");
  const apps = {};

  function startWorker() {
    const worker = new Worker(base + "/python-worker.js", { type: "module" });
    worker.postMessage({
      type: "boot",
      pyodideUrl: flet.pyodideUrl,
      archiveUrl: flet.appPackageUrl,
    });
    return worker;
  }

  let early = startWorker();

  // Only a window hears the browser go offline or back online: pass it on to
  // the app's Python, which then syncs at once instead of at its next try.
  function tellNetwork() {
    const message = { type: "network", online: navigator.onLine };
    for (const worker of [early, ...Object.values(apps)]) {
      if (worker) {
        worker.postMessage(message);
      }
    }
  }
  window.addEventListener("online", tellNetwork);
  window.addEventListener("offline", tellNetwork);

  globalThis.jsConnect = async function (appId, args, dartOnMessage) {
    // Flutter has loaded and drawn its first frame (bench/bench_app.py reads this).
    console.debug(`timeliste: flutter ready at ${Math.round(performance.timeOrigin + performance.now())}`);
    // A second connect (Flutter reconnecting) gets a fresh Python.
    const worker = early || startWorker();
    early = null;
    apps[appId] = worker;
    const started = new Promise((resolve, reject) => {
      worker.onmessage = (event) => {
        if (typeof event.data !== "string") {
          dartOnMessage(event.data);
        } else if (event.data === "timeliste-paint?") {
          // The app holds its first requests until the first screen is drawn
          // (sync.transport): answer once a frame has been drawn after the
          // messages that came before this question.
          requestAnimationFrame(() => {
            setTimeout(() => worker.postMessage({ type: "painted" }), 0);
          });
        } else if (event.data === "initialized") {
          resolve();
        } else {
          reject(event.data);
        }
      };
    });
    worker.postMessage({ type: "connect", args: args, documentUrl: document.URL });
    try {
      await started;
    } catch (error) {
      console.error("Python worker init error:", error);
      await globalThis.jsDisconnect(appId);
      throw error;
    }
  };

  globalThis.jsSend = async function (appId, data) {
    const worker = apps[appId];
    if (worker) {
      // The packet is Dart's own copy: hand its buffer over instead of cloning it.
      worker.postMessage(data, [data.buffer]);
    }
  };

  globalThis.jsDisconnect = async function (appId) {
    const worker = apps[appId];
    if (worker) {
      delete apps[appId];
      worker.onmessage = null;
      worker.terminate();
    }
  };
})();
