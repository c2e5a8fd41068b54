//! One file per route.

pub mod account;
pub mod admin;
pub mod not_found;
pub mod overview;
pub mod sign_in;
pub mod sign_up;
