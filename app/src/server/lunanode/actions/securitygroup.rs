//! `securitygroup/*`.

#[allow(unused_imports)] // filled in as the category's actions are added
use serde::{Deserialize, Serialize};

super::actions! {
    const SECURITYGROUP_ACTIONS;
}
