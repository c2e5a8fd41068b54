//! Server-only code, compiled with the `ssr` feature: the store, password hashing, sessions
//! and the accessors server functions use to reach them. Gated once, at `lib.rs`.

pub mod context;
pub mod lunanode;
pub mod password;
pub mod session;
pub mod store;
#[cfg(any(test, feature = "test-support"))]
pub mod testdb;

pub use context::{PanelSettings, ServerState};
