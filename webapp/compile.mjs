// Compile Python sources to bytecode with the very Python the browser runs:
// Pyodide in Node. No other Python 3.14 is needed on the build machine, and the
// .pyc files carry exactly the magic number the app's interpreter expects.
//
//   node compile.mjs <path of pyodide.mjs> <folder> <name shown in tracebacks>
//
// Every foo.py under <folder> gets a foo.pyc beside it (the layout a sourceless
// import reads). A file that does not compile is left without one: the app
// then ships its source. Prints one JSON line: {"compiled": n, "failed": [..]}.
import { pathToFileURL } from "node:url";

const [runtime, folder, shownAs] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(runtime).href);
const pyodide = await loadPyodide({ stdout: () => {}, stderr: () => {} });
pyodide.FS.mkdirTree("/src");
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: folder }, "/src");
pyodide.globals.set("shown_as", shownAs);
const result = pyodide.runPython(`
import json, os, py_compile

compiled, failed = 0, []
for root, _dirs, files in os.walk("/src"):
    for name in sorted(files):
        if not name.endswith(".py"):
            continue
        path = os.path.join(root, name)
        relative = os.path.relpath(path, "/src")
        try:
            py_compile.compile(
                path,
                cfile=path + "c",
                dfile=os.path.join(shown_as, relative),
                doraise=True,
            )
            compiled += 1
        except (py_compile.PyCompileError, SyntaxError, ValueError):
            failed.append(relative)
json.dumps({"compiled": compiled, "failed": failed})
`);
console.log(result);
