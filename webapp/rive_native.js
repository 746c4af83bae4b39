// Stands in for Rive's runtime, which Flutter's web client loads at every start
// (flet-web registers the Rive plugin; the app draws no Rive animation).
//
// The client appends a script at `<prefix>wasm/rive_native.js` and then awaits
// `RiveNative()`. Without this file that script answers 404 on every open and
// the wait never ends; here the promise never settles either, so nothing
// changes for the app except that nothing is missing (and no Rive wasm, some
// megabytes, is downloaded or started).
"use strict";
window.RiveNative = function () {
  return new Promise(function () {});
};
