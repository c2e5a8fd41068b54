//! The shared model: data types both the browser and the server use, at the bottom of the
//! layers. `server/` depends on these (and on `error` and `types`), never on the feature
//! modules above it (areas such as `vm`, `tenancy`, `image`), which re-export what they
//! need from here.

pub mod billing;
pub mod dns;
pub mod kinds;
pub mod mail;
pub mod monitor;
pub mod network;
pub mod script;
pub mod search;
pub mod securitygroup;
pub mod tenancy;
pub mod vm;
pub mod volume;
