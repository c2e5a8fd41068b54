//! Link flag for the split wasm (`cargo leptos build --split`).
//!
//! An optimising link merges all static data into one segment, and wasm-split then has to keep
//! every page's text, vtables and panic locations in the main module (cargo-leptos issue #679).
//! Keeping the segments apart lets wasm-split move each area's data into that area's chunk.
//! Only the wasm32 cdylib is affected; the server build is not.
fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo::rustc-link-arg-cdylib=--no-merge-data-segments");
    }
}
