//! Server-only code, compiled with the `ssr` feature: the store, password hashing, sessions,
//! the master-key vault, the Luna Node client and the accessors server functions use to
//! reach them. Gated once, at `lib.rs`.

pub mod authz;
pub mod budget;
pub mod cluster;
pub mod context;
pub mod events;
pub mod lists;
pub mod live;
pub mod lunanode;
pub mod made;
pub mod metrics;
pub mod password;
pub mod refcache;
pub mod session;
pub mod store;
pub mod throttle;
pub mod totp;
pub mod upstream;
pub mod vault;

#[cfg(any(test, feature = "test-support"))]
pub mod testdb;

pub use context::{PanelSettings, ServerState};
