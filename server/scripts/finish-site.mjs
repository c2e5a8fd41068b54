// Finishes the split release build that `cargo leptos build --release --precompress --split`
// leaves in target/site/pkg (run by server/scripts/build-site.sh after it; idempotent).
//
// 1. The split loader (`__wasm_split.<hash>.js`) is on every first visit: the main module
//    imports it. cargo-leptos names each of its ~400 chunks by its own content hash
//    (`chunk_14.m3Tht-656lpiLtrLO8nGjQ.wasm`), and those random 22 characters are most of
//    the loader's brotli size (8.6 of 14.3 KB), since nothing compresses them. Here the
//    chunks move into one directory named by the build (`pkg/<build>/chunk_14.wasm`): the
//    name is repeated, not random, and a new build still means new URLs, so the chunks stay
//    `Cache-Control: immutable` (the server treats a `<build>/` directory as a fingerprint).
//    The loader's comments (the split points each chunk serves) go too.
// 2. cargo-leptos hashes the main script and module before it writes the loader's final name
//    into them, so a build that changed only chunks could keep their names with new
//    content, and a browser holding them as immutable would load the old loader. Here their
//    names are made from what they finally hold: the main module's from its bytes, the main
//    script's and the loader's (which import each other) from all three.
// 3. The main module's imports from its script (~220 functions, `__wbg_then_3a4f899454bcf8c9`)
//    are named `a`, `b`, … in both: wasm-bindgen's 16 hex digits in each name are in the
//    module and the script, and nothing compresses them either (4.6 KB of brotli together).
// 4. Every rewritten file is compressed again (brotli at quality 11 and gzip, as the build's
//    `--precompress` does), `hash.txt` names the new files, and the old ones are removed.
import { createHash } from "node:crypto";
import {
  existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync,
} from "node:fs";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const root = process.argv[2] ?? ".";
const pkg = `${root}/target/site/pkg`;
const hashFile = `${root}/target/release/hash.txt`;
const NAME = "lunapanel";
// Bump when the output's form changes: the same input then gets new names.
const FORM = "finish-site 1";
const HASH = /^[A-Za-z0-9_-]{22}$/;

const fingerprint = (...parts) => {
  const h = createHash("md5");
  for (const p of parts) h.update(p);
  return h.digest("base64url");
};
const compress = (path) => {
  const body = readFileSync(path);
  writeFileSync(`${path}.br`, brotliCompressSync(body, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
    },
  }));
  writeFileSync(`${path}.gz`, gzipSync(body, { level: 9 }));
};
const remove = (path) => {
  for (const p of [path, `${path}.br`, `${path}.gz`]) rmSync(p, { force: true });
};
const fail = (msg) => {
  console.error(`finish-site: ${msg}`);
  process.exit(1);
};

// Unsigned LEB128, as the wasm binary format writes its sizes and counts.
const readLeb = (buf, at) => {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = buf[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return [value, at];
  }
};
const leb = (value) => {
  const out = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return Buffer.from(out);
};
const shortName = (i) => {
  let name = "";
  do {
    name = "abcdefghijklmnopqrstuvwxyz"[i % 26] + name;
    i = Math.floor(i / 26) - 1;
  } while (i >= 0);
  return name;
};

/**
 * Renames the functions `wasm` imports from `module` (`a`, `b`, …): the new module and the
 * map from old names to new.
 */
function minifyImports(wasm, module) {
  if (wasm.readUInt32LE(0) !== 0x6d736100) fail("the main module is not WebAssembly");
  const sections = [wasm.subarray(0, 8)];
  const renamed = new Map();
  let at = 8;
  while (at < wasm.length) {
    const id = wasm[at];
    const [size, body] = readLeb(wasm, at + 1);
    const end = body + size;
    if (id !== 2) {
      sections.push(wasm.subarray(at, end));
      at = end;
      continue;
    }
    // The import section: (module, name, kind, description) for each import.
    const [count, first] = readLeb(wasm, body);
    const parts = [leb(count)];
    let p = first;
    const name = () => {
      const [len, start] = readLeb(wasm, p);
      p = start + len;
      return wasm.subarray(start, p);
    };
    for (let i = 0; i < count; i++) {
      const mod = name();
      const field = name();
      const kind = wasm[p];
      const descStart = p + 1;
      p = descStart;
      if (kind === 0) [, p] = readLeb(wasm, p); // function: its type
      else if (kind === 1 || kind === 2) { // table (element type, limits) or memory (limits)
        if (kind === 1) p += 1;
        const flags = wasm[p++];
        [, p] = readLeb(wasm, p);
        if (flags & 1) [, p] = readLeb(wasm, p);
      } else if (kind === 3) p += 2; // global: value type, mutability
      else if (kind === 4) [, p] = readLeb(wasm, p + 1); // tag: attribute, type
      else fail(`unknown import kind ${kind}`);
      let newField = field;
      if (kind === 0 && mod.toString() === module) {
        const short = shortName(renamed.size);
        renamed.set(field.toString(), short);
        newField = Buffer.from(short);
      }
      parts.push(leb(mod.length), mod, leb(newField.length), newField, wasm.subarray(descStart - 1, p));
    }
    if (p !== end) fail("could not read the main module's imports");
    const content = Buffer.concat(parts);
    sections.push(Buffer.from([2]), leb(content.length), content);
    at = end;
  }
  return [Buffer.concat(sections), renamed];
}

if (!existsSync(hashFile)) fail(`${hashFile} is missing: run cargo leptos build --release first`);
const hashes = Object.fromEntries(
  readFileSync(hashFile, "utf8").split("\n").filter((l) => l.includes(":"))
    .map((l) => l.split(":").map((s) => s.trim())),
);
if (!hashes.split) {
  console.log("finish-site: not a split build, nothing to do");
  process.exit(0);
}
for (const k of ["js", "wasm", "split", "manifest"]) {
  if (!HASH.test(hashes[k] ?? "")) fail(`hash.txt has no ${k} fingerprint`);
}
const jsPath = `${pkg}/${NAME}.${hashes.js}.js`;
const wasmPath = `${pkg}/${NAME}.${hashes.wasm}.wasm`;
const loaderPath = `${pkg}/__wasm_split.${hashes.split}.js`;
const manifestPath = `${pkg}/__wasm_split_manifest.${hashes.manifest}.json`;
for (const p of [jsPath, wasmPath, loaderPath, manifestPath]) {
  if (!existsSync(p)) fail(`${p} is missing (hash.txt and target/site disagree)`);
}

const loader = readFileSync(loaderPath, "utf8");
const mainJs = readFileSync(jsPath, "utf8");
// A chunk the loader fetches, as cargo-leptos names it.
const CHUNK = /"\.\/((?:chunk|split)_[A-Za-z0-9_]+)\.([A-Za-z0-9_-]{22})\.wasm"/g;
if (!new RegExp(CHUNK.source).test(loader)) {
  console.log("finish-site: already finished");
  process.exit(0);
}

// The build's name: everything the loader, the main script and the main module hold (the
// loader names every chunk by its content hash). The module is in it because the script's
// short import names follow the module's imports.
const mainWasm = readFileSync(wasmPath);
const build = fingerprint(FORM, loader, mainJs, mainWasm);
const dir = `${pkg}/${build}`;

// Everything is read and checked before anything moves: a run that stops leaves the build
// as cargo-leptos made it.
const moves = [];
const newLoaderBody = loader
  .replace(CHUNK, (_, base, hash) => {
    const from = `${pkg}/${base}.${hash}.wasm`;
    if (!existsSync(from)) fail(`the loader names ${from}, which is missing`);
    moves.push([base, from]);
    return `"./${build}/${base}.wasm"`;
  })
  // `/* access_area_…, account_area_… */`: which split points share a chunk.
  .replace(/^\/\* [^*]* \*\/\n/gm, "");
const movedBases = new Set(moves.map(([base]) => base));

const oldLoaderName = `__wasm_split.${hashes.split}.js`;
const newLoaderName = `__wasm_split.${build}.js`;
const oldJsName = `${NAME}.${hashes.js}.js`;
const newJsName = `${NAME}.${build}.js`;
const replaceAll = (text, from, to) => {
  if (!text.includes(from)) fail(`expected a reference to ${from}`);
  return text.split(from).join(to);
};

const newLoader = replaceAll(newLoaderBody, `./${oldJsName}`, `./${newJsName}`);
const [wasm, renamed] = minifyImports(mainWasm, `./${NAME}_bg.js`);
if (renamed.size === 0) fail(`the main module imports nothing from ./${NAME}_bg.js`);
// In the script each import is a key of the object of imports, once.
const seen = new Set();
const importKey = new RegExp(
  `\\b(${[...renamed.keys()].map((n) => n.replace(/\$/g, "\\$")).join("|")}):`, "g",
);
const newJs = replaceAll(mainJs, oldLoaderName, newLoaderName).replace(importKey, (_, n) => {
  if (seen.has(n)) fail(`the script defines the import ${n} twice`);
  seen.add(n);
  return `${renamed.get(n)}:`;
});
if (seen.size !== renamed.size) fail("the script does not define every import the module has");
// The main module imports the loader's functions by its file name (the same length).
const oldRef = Buffer.from(oldLoaderName);
const newRef = Buffer.from(newLoaderName);
let refs = 0;
for (let i = wasm.indexOf(oldRef); i !== -1; i = wasm.indexOf(oldRef, i + oldRef.length)) {
  newRef.copy(wasm, i);
  refs += 1;
}
if (refs === 0) fail(`the main module does not import ${oldLoaderName}`);
const wasmHash = fingerprint(wasm);

const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
for (const modules of Object.values(manifest)) {
  for (const [i, m] of modules.entries()) {
    const base = m.replace(/\.[A-Za-z0-9_-]{22}$/, "");
    if (!movedBases.has(base)) fail(`the manifest names ${m}, which the loader does not`);
    modules[i] = `${build}/${base}`;
  }
}

const loaderBefore = readFileSync(`${loaderPath}.br`).length;

// Chunks of earlier builds finished in this tree.
for (const entry of readdirSync(pkg)) {
  if (HASH.test(entry) && entry !== build && statSync(`${pkg}/${entry}`).isDirectory()) {
    rmSync(`${pkg}/${entry}`, { recursive: true, force: true });
  }
}
mkdirSync(dir, { recursive: true });
for (const [base, from] of moves) {
  for (const ext of ["", ".br", ".gz"]) {
    if (existsSync(from + ext)) renameSync(from + ext, `${dir}/${base}.wasm${ext}`);
  }
}
const outputs = [
  [`${pkg}/${newLoaderName}`, newLoader],
  [`${pkg}/${newJsName}`, newJs],
  [`${pkg}/${NAME}.${wasmHash}.wasm`, wasm],
  [manifestPath, JSON.stringify(manifest)],
];
for (const p of [loaderPath, jsPath, wasmPath]) remove(p);
for (const [p, body] of outputs) {
  writeFileSync(p, body);
  compress(p);
}
writeFileSync(hashFile, readFileSync(hashFile, "utf8")
  .replace(/^js: .*$/m, `js: ${build}`)
  .replace(/^wasm: .*$/m, `wasm: ${wasmHash}`)
  .replace(/^split: .*$/m, `split: ${build}`));

console.log(
  `finish-site: ${moves.length} chunks under pkg/${build}/; the loader ${loaderBefore} -> `
  + `${readFileSync(`${pkg}/${newLoaderName}.br`).length} bytes brotli`,
);
