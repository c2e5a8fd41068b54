// Tests of finish-site.mjs over a small split build made here (a real wasm module with
// imports, a loader, a manifest, chunks and hash.txt as cargo-leptos lays them out).
// Run by server/scripts/test.sh: node --test server/scripts/finish-site.test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliDecompressSync } from "node:zlib";

const SCRIPT = new URL("./finish-site.mjs", import.meta.url).pathname;
const LOADER_HASH = "-QRmBoPKz8ZDh_cf9btv1w";
const JS_HASH = "0YPevMuBNF4sDZlrVUvb1Q";
const WASM_HASH = "pPFRuq7Mfnq4X4LJkq8xsQ";
const CSS_HASH = "wdU2isG7S3Od8a0XxUYUOg";
const MANIFEST_HASH = "pVEvHfDbvNRZ6_yEG3ymMQ";
const CHUNKS = { chunk_14: "m3Tht-656lpiLtrLO8nGjQ", split_vm_area_1: "NUGBDQh8EjatXsVhRWQqYQ" };
const BINDGEN = ["__wbg_then_3a4f899454bcf8c9", "__wbg_new_bb74001155cb8ca8"];

const str = (s) => [s.length, ...Buffer.from(s)];
const leb = (n) => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...leb(n >> 7)]);
const section = (id, bytes) => [id, ...leb(bytes.length), ...bytes];
/** A module importing two functions from the script and one from the loader. */
function mainModule() {
  const imports = [
    ["./lunapanel_bg.js", BINDGEN[0]],
    [`./__wasm_split.${LOADER_HASH}.js`, "__wasm_split_load_vm_area_1"],
    ["./lunapanel_bg.js", BINDGEN[1]],
  ];
  return Buffer.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 0, 0]), // one type: () -> ()
    ...section(2, [imports.length, ...imports.flatMap(([m, n]) => [...str(m), ...str(n), 0, 0])]),
    ...section(7, [1, ...str("hydrate"), 0, 0]), // exports the first import as `hydrate`
  ]);
}

function site() {
  const root = mkdtempSync(join(tmpdir(), "finish-site-"));
  const pkg = join(root, "target/site/pkg");
  mkdirSync(pkg, { recursive: true });
  mkdirSync(join(root, "target/release"), { recursive: true });
  const write = (name, body) => {
    writeFileSync(join(pkg, name), body);
    writeFileSync(join(pkg, `${name}.br`), "stale");
    writeFileSync(join(pkg, `${name}.gz`), "stale");
  };
  write(`lunapanel.${WASM_HASH}.wasm`, mainModule());
  write(`lunapanel.${JS_HASH}.js`,
    `import*as n from"./__wasm_split.${LOADER_HASH}.js";`
    + `function g(){return{"./lunapanel_bg.js":{__proto__:null,${BINDGEN[0]}:function(_){},`
    + `${BINDGEN[1]}:function(_){}},"./__wasm_split.${LOADER_HASH}.js":n}}`);
  write(`lunapanel.${CSS_HASH}.css`, "body{}");
  const fetcher = (name) => `makeLoad(() => {\n    const src = fetch(new URL("./${name}.${CHUNKS[name]}.wasm", import.meta.url));\n}\n`;
  write(`__wasm_split.${LOADER_HASH}.js`,
    `import { initSync } from "./lunapanel.${JS_HASH}.js";\n`
    + `/* vm_area_1, dns_area_1 */\nconst __chunk_14 = ${fetcher("chunk_14")}, []);\n`
    + `export const __wasm_split_load_vm_area_1 = wrapAsyncCb(${fetcher("split_vm_area_1")}, [__chunk_14]));\n`);
  write(`__wasm_split_manifest.${MANIFEST_HASH}.json`, JSON.stringify({
    vm_area_1: [`chunk_14.${CHUNKS.chunk_14}`, `split_vm_area_1.${CHUNKS.split_vm_area_1}`],
  }));
  for (const [name, hash] of Object.entries(CHUNKS)) write(`${name}.${hash}.wasm`, `${name} body`);
  writeFileSync(join(root, "target/release/hash.txt"),
    `js: ${JS_HASH}\nwasm: ${WASM_HASH}\ncss: ${CSS_HASH}\nmanifest: ${MANIFEST_HASH}\nsplit: ${LOADER_HASH}`);
  return { root, pkg };
}

const finish = (root) => execFileSync("node", [SCRIPT, root], {
  encoding: "utf8", stdio: ["ignore", "pipe", "pipe"],
});
const hashes = (root) => Object.fromEntries(
  readFileSync(join(root, "target/release/hash.txt"), "utf8").trim().split("\n")
    .map((l) => l.split(": ")),
);

test("chunks move under the build, names follow contents, imports are short", () => {
  const { root, pkg } = site();
  assert.match(finish(root), /2 chunks under pkg\//);
  const h = hashes(root);
  assert.equal(h.css, CSS_HASH);
  assert.equal(h.manifest, MANIFEST_HASH);
  assert.equal(h.split, h.js, "the loader and the script share the build's name");
  assert.notEqual(h.js, JS_HASH);
  assert.notEqual(h.wasm, WASM_HASH);
  const build = h.js;

  // The chunks, with their compressed forms, in the build's directory; none left outside.
  assert.deepEqual(readdirSync(join(pkg, build)).sort(), [
    "chunk_14.wasm", "chunk_14.wasm.br", "chunk_14.wasm.gz",
    "split_vm_area_1.wasm", "split_vm_area_1.wasm.br", "split_vm_area_1.wasm.gz",
  ]);
  assert.equal(readFileSync(join(pkg, build, "chunk_14.wasm"), "utf8"), "chunk_14 body");
  assert.deepEqual(readdirSync(pkg).filter((f) => /^(chunk|split)_/.test(f)), []);
  for (const old of [`lunapanel.${JS_HASH}.js`, `lunapanel.${WASM_HASH}.wasm`,
    `__wasm_split.${LOADER_HASH}.js`]) {
    assert.ok(!existsSync(join(pkg, old)), old);
  }

  // The loader: chunks by the build's directory, no comments, the new script.
  const loader = readFileSync(join(pkg, `__wasm_split.${build}.js`), "utf8");
  assert.ok(loader.includes(`"./${build}/chunk_14.wasm"`));
  assert.ok(loader.includes(`"./${build}/split_vm_area_1.wasm"`));
  assert.ok(!loader.includes("/*"));
  assert.ok(loader.includes(`from "./lunapanel.${build}.js"`));
  assert.equal(brotliDecompressSync(readFileSync(join(pkg, `__wasm_split.${build}.js.br`)))
    .toString(), loader, "compressed again");

  // The module: valid, importing `a` and `b` from the script and the renamed loader.
  const wasm = readFileSync(join(pkg, `lunapanel.${h.wasm}.wasm`));
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(wasm));
  assert.deepEqual(imports.map((i) => `${i.module} ${i.name}`), [
    "./lunapanel_bg.js a",
    `./__wasm_split.${build}.js __wasm_split_load_vm_area_1`,
    "./lunapanel_bg.js b",
  ]);
  // The script defines the same names, and imports the renamed loader.
  const js = readFileSync(join(pkg, `lunapanel.${build}.js`), "utf8");
  assert.ok(js.includes("__proto__:null,a:function(_){},b:function(_){}"), js);
  assert.ok(!js.includes("__wbg_"));
  assert.ok(!js.includes(LOADER_HASH));

  // The manifest (the server's preload links) names the moved chunks.
  const manifest = JSON.parse(readFileSync(join(pkg, `__wasm_split_manifest.${MANIFEST_HASH}.json`)));
  assert.deepEqual(manifest, { vm_area_1: [`${build}/chunk_14`, `${build}/split_vm_area_1`] });

  // A second run changes nothing.
  assert.match(finish(root), /already finished/);
  assert.deepEqual(hashes(root), h);
});

test("the same build gets the same names", () => {
  const a = site();
  const b = site();
  finish(a.root);
  finish(b.root);
  assert.deepEqual(hashes(a.root), hashes(b.root));
});

test("a site that does not match hash.txt is refused", () => {
  const { root } = site();
  writeFileSync(join(root, "target/release/hash.txt"),
    `js: ${JS_HASH}\nwasm: AAAAAAAAAAAAAAAAAAAAAA\ncss: ${CSS_HASH}\nmanifest: ${MANIFEST_HASH}\nsplit: ${LOADER_HASH}`);
  assert.throws(() => finish(root), /hash\.txt and target\/site disagree/);
});

test("a run that stops on a mismatch moves and writes nothing", () => {
  const { root, pkg } = site();
  // The script no longer defines one of the module's imports.
  const js = join(pkg, `lunapanel.${JS_HASH}.js`);
  writeFileSync(js, readFileSync(js, "utf8").replace(`${BINDGEN[1]}:function(_){}`, ""));
  const before = readdirSync(pkg).sort();
  const hashTxt = readFileSync(join(root, "target/release/hash.txt"), "utf8");
  assert.throws(() => finish(root), /does not define every import/);
  assert.deepEqual(readdirSync(pkg).sort(), before);
  assert.equal(readFileSync(join(root, "target/release/hash.txt"), "utf8"), hashTxt);
});
