//! What each action does to the emulated account, and its answer in the service's shape,
//! one file per category. Error texts are the service's where known (reference §2.2),
//! clear ones otherwise.

pub(crate) mod account;
pub(crate) mod dns;
pub(crate) mod dns2;
pub(crate) mod email;
pub(crate) mod floating;
pub(crate) mod image;
pub(crate) mod lb;
pub(crate) mod monitor;
pub(crate) mod network;
pub(crate) mod script;
pub(crate) mod securitygroup;
pub(crate) mod sshkey;
pub(crate) mod vm;
pub(crate) mod volume;

use std::collections::BTreeMap;
use std::time::Instant;

use axum::response::Response;
use serde_json::Value;

use super::json::fail;
use super::state::Account;
use super::World;

/// The request's parameters (all strings, `api_*` removed).
pub struct Params(pub BTreeMap<String, String>);

type Outcome = Result<Response, String>;

impl Params {
    /// A required parameter: missing or empty gives `"{name} not set"` (the service's
    /// wording for `region`, CONFIRMED).
    pub fn req(&self, name: &str) -> Result<&str, String> {
        self.opt(name).ok_or_else(|| format!("{name} not set"))
    }

    pub fn opt(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }
}

/// A string JSON value (the API sends every scalar as a string).
pub fn s(v: impl ToString) -> Value {
    Value::String(v.to_string())
}

/// What a handler works on.
pub(crate) struct Ctx<'a> {
    pub account: &'a mut Account,
    pub p: &'a Params,
    pub now: Instant,
    pub scale: f64,
    /// Mail domains other accounts host (filled for `email/domain-add` only): a domain's
    /// mail is hosted once service-wide (INFERRED).
    pub mail_elsewhere: Vec<String>,
}

pub(crate) fn dispatch(
    world: &mut World,
    api_id: &str,
    category: &str,
    action: &str,
    p: &Params,
) -> Response {
    let now = Instant::now();
    let (durations, scale) = (world.durations, world.scale);
    let mail_elsewhere = if (category, action) == ("email", "domain-add") {
        world
            .accounts
            .iter()
            .filter(|(id, _)| id.as_str() != api_id)
            .flat_map(|(_, a)| a.email.domains.values().map(|d| d.name.clone()))
            .collect()
    } else {
        Vec::new()
    };
    let Some(account) = world.accounts.get_mut(api_id) else {
        return fail(super::AUTH_FAILURE);
    };
    account.advance(now, durations, scale);
    let mut ctx = Ctx {
        account,
        p,
        now,
        scale,
        mail_elsewhere,
    };
    let handled = match category {
        "billing" | "region" | "plan" => account::handle(&mut ctx, category, action),
        "vm" => vm::handle(&mut ctx, action),
        "sshkey" => sshkey::handle(&mut ctx, action),
        "image" => image::handle(&mut ctx, action),
        "volume" => volume::handle(&mut ctx, action),
        "floating" => floating::handle(&mut ctx, action),
        "network" => network::handle(&mut ctx, action),
        "lb" => lb::handle(&mut ctx, action),
        "securitygroup" => securitygroup::handle(&mut ctx, action),
        "script" => script::handle(&mut ctx, action),
        "dns2" => dns2::handle(&mut ctx, action),
        "dns" => dns::handle(&mut ctx, action),
        "monitor" => monitor::handle(&mut ctx, action),
        "email" => email::handle(&mut ctx, action),
        _ => None,
    };
    match handled {
        Some(Ok(response)) => response,
        Some(Err(text)) => fail(&text),
        None => fail("invalid action"),
    }
}
