//! `floating/*`.

use super::{Ctx, Outcome};

/// This category's part of an account.
#[derive(Debug, Default)]
pub struct State {}

pub(crate) fn handle(_ctx: &mut Ctx<'_>, _action: &str) -> Option<Outcome> {
    None
}
