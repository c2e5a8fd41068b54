//! Dynamic DNS names (`dns/dyn-*`): list, add, update, remove. A customer acts on theirs;
//! what they add is theirs at once.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::dns::*;

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use crate::error::{AppError, FieldErrors};
    use crate::kinds;
    use crate::model::dns::{DynRow, DYN_DOMAIN};
    use crate::server::authz::{Grant, Permission, Target};
    use crate::server::lunanode::actions as api;

    /// Every dynamic name of the account (unfiltered).
    pub async fn all<P: Permission>(g: &Grant<P>) -> Result<Vec<api::DnsDyn>, AppError> {
        Ok(g.also::<api::DnsDynList>(Target::Account)
            .await?
            .call(&api::DnsDynList {}, "The dynamic DNS list")
            .await?
            .dyns)
    }

    pub fn row(d: api::DnsDyn, has_link: bool) -> DynRow {
        let label = d.name.trim().trim_end_matches('.').to_ascii_lowercase();
        let fqdn = if label.ends_with(DYN_DOMAIN) {
            label.clone()
        } else {
            format!("{label}.{DYN_DOMAIN}")
        };
        DynRow {
            id: d.id,
            name: label,
            ip: d.ip,
            fqdn,
            has_link,
        }
    }

    /// A dynamic name as typed: one label (the full name under lndyn.com is taken too).
    pub fn label(text: &str) -> Result<String, String> {
        let t = text.trim().trim_end_matches('.').to_ascii_lowercase();
        let t = t
            .strip_suffix(&format!(".{DYN_DOMAIN}"))
            .unwrap_or(&t)
            .to_owned();
        let ok = !t.is_empty()
            && t.len() <= 63
            && !t.starts_with('-')
            && !t.ends_with('-')
            && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if ok {
            Ok(t)
        } else {
            Err(format!(
                "One name of letters, digits and hyphens (it becomes name.{DYN_DOMAIN})."
            ))
        }
    }

    pub fn address(text: &str) -> Result<String, String> {
        text.trim()
            .parse::<std::net::IpAddr>()
            .map(|a| a.to_string())
            .map_err(|_| "Enter an IPv4 or IPv6 address.".to_owned())
    }

    /// Checks a typed name and address together.
    pub fn form(name: &str, ip: &str) -> Result<(String, String), AppError> {
        let mut errors = FieldErrors::new();
        let name = label(name).map_err(|e| errors.add("name", e)).ok();
        let ip = address(ip).map_err(|e| errors.add("address", e)).ok();
        errors.into_result()?;
        match (name, ip) {
            (Some(n), Some(i)) => Ok((n, i)),
            _ => Err(FieldErrors::single("name", "Check the form.")),
        }
    }

    /// Luna Node's refusal of a name in words.
    pub fn refusal(e: AppError) -> AppError {
        crate::error::refusal(
            e,
            &["in use", "taken", "exists"],
            "That name is taken: choose another.",
        )
    }

    /// The entry `id`, when the account has it.
    pub async fn find<P: Permission>(g: &Grant<P>, id: &str) -> Result<api::DnsDyn, AppError> {
        all(g)
            .await?
            .into_iter()
            .find(|d| d.id == id.trim())
            .ok_or_else(|| AppError::NotFound(kinds::DYN.what.into()))
    }
}

/// The caller's dynamic DNS names, and the address this request came from.
#[server(name = DynListFn, endpoint = "dyndns/list")]
pub async fn dyn_list() -> Result<DynView, AppError> {
    use crate::kinds;
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::DnsDynList>(Target::Account).await?;
    let linked = g
        .state()
        .store
        .dyn_links(g.account)
        .await
        .unwrap_or_default();
    let dyns = ssr::all(&g)
        .await?
        .into_iter()
        .filter(|d| g.sees(&kinds::DYN, &d.id))
        .map(|d| {
            let has = linked.contains(&d.id);
            ssr::row(d, has)
        })
        .collect();
    Ok(DynView {
        dyns,
        your_ip: g.client_ip().unwrap_or_default().to_owned(),
    })
}

/// Adds a dynamic name pointing at `address`; returns its id when it can be found. A
/// customer's is theirs at once.
#[server(name = DynAddFn, endpoint = "dyndns/add")]
pub async fn dyn_add(name: String, address: String) -> Result<String, AppError> {
    use crate::kinds;
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::DnsDynAdd>(Target::Account).await?;
    let (name, ip) = ssr::form(&name, &address)?;
    let before = ssr::all(&g).await?;
    if before
        .iter()
        .any(|d| d.name.trim_end_matches('.').eq_ignore_ascii_case(&name))
    {
        return Err(crate::error::FieldErrors::single(
            "name",
            format!("{name}.{DYN_DOMAIN} is on this account already."),
        ));
    }
    g.call(
        &api::DnsDynAdd {
            name: name.clone(),
            ip,
        },
        "The dynamic DNS name",
    )
    .await
    .map_err(ssr::refusal)?;
    // `dyn-add` answers no id (INFERRED): find the new entry by its name.
    let made = ssr::all(&g)
        .await
        .ok()
        .and_then(|l| {
            l.into_iter().find(|d| {
                ssr::label(&d.name).ok().as_deref() == Some(name.as_str())
                    && !before.iter().any(|b| b.id == d.id)
            })
        })
        .map(|d| d.id);
    let Some(id) = made else {
        return Ok(String::new());
    };
    g.claim(&kinds::DYN, &id).await?;
    Ok(id)
}

/// Points dynamic name `dyn_id` at `address` (and renames it to `name`).
#[server(name = DynUpdateFn, endpoint = "dyndns/update")]
pub async fn dyn_update(dyn_id: String, name: String, address: String) -> Result<(), AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::DnsDynUpdate>(crate::server::authz::checked_target(
        &crate::kinds::DYN,
        &dyn_id,
    )?)
    .await?;
    let (name, ip) = ssr::form(&name, &address)?;
    let d = ssr::find(&g, &dyn_id).await?;
    g.call(
        &api::DnsDynUpdate {
            dyn_id: d.id,
            name,
            ip,
        },
        crate::kinds::DYN.what,
    )
    .await
    .map_err(ssr::refusal)?;
    Ok(())
}

/// Removes dynamic name `dyn_id` (and its update link).
#[server(name = DynRemoveFn, endpoint = "dyndns/remove")]
pub async fn dyn_remove(dyn_id: String) -> Result<(), AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::DnsDynRemove>(crate::server::authz::checked_target(
        &crate::kinds::DYN,
        &dyn_id,
    )?)
    .await?;
    let d = ssr::find(&g, &dyn_id).await?;
    g.call(
        &api::DnsDynRemove {
            dyn_id: d.id.clone(),
        },
        crate::kinds::DYN.what,
    )
    .await?;
    let _ = g.state().store.delete_dyn_link(g.account, &d.id).await;
    g.release(&crate::kinds::DYN, &d.id).await;
    Ok(())
}

/// Makes (or replaces) the update link of dynamic name `dyn_id`, returned once: a router or
/// a cron job that fetches it points the name at its own address (or at `&ip=`). The link
/// acts as the caller, decided afresh at every use; only its hash is kept.
#[server(name = DynLinkFn, endpoint = "dyndns/link")]
pub async fn dyn_link(dyn_id: String) -> Result<String, AppError> {
    use base64::Engine;
    use rand::RngCore;

    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::DnsDynUpdate>(crate::server::authz::checked_target(
        &crate::kinds::DYN,
        &dyn_id,
    )?)
    .await?;
    let d = ssr::find(&g, &dyn_id).await?;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    g.state()
        .store
        .put_dyn_link(
            g.account,
            &d.id,
            &crate::auth::token_hash(&token),
            g.actor.id,
        )
        .await?;
    Ok(format!(
        "{}{}?token={token}",
        g.state().settings.public_origin,
        UPDATE_PATH
    ))
}

/// Where update links point.
pub const UPDATE_PATH: &str = "/api/dyn/update";

#[cfg(feature = "ssr")]
pub mod update {
    //! `GET|POST /api/dyn/update?token=…[&ip=…]`: the other end of an update link. Answers in
    //! the words of the dyndns2 protocol routers speak (`good <ip>`, `nochg <ip>`,
    //! `badauth`, `nohost`, `911`), as plain text.

    use std::net::SocketAddr;

    use axum::extract::{ConnectInfo, Query, State};
    use axum::response::{IntoResponse, Response};
    use http::StatusCode;

    use crate::server::authz::{authorize_as, RequestMeta, Target};
    use crate::server::lunanode::actions as api;
    use crate::server::ServerState;

    #[derive(Debug, serde::Deserialize)]
    pub struct UpdateQuery {
        #[serde(default)]
        token: String,
        /// The address to point at; the caller's own when absent (`myip` as dyndns2 says).
        #[serde(default, alias = "myip")]
        ip: Option<String>,
    }

    fn said(status: StatusCode, text: String) -> Response {
        (
            status,
            [
                (http::header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (http::header::CACHE_CONTROL, "no-store"),
            ],
            text,
        )
            .into_response()
    }

    pub async fn handler(
        State(state): State<ServerState>,
        ConnectInfo(peer): ConnectInfo<SocketAddr>,
        Query(q): Query<UpdateQuery>,
    ) -> Response {
        let bad = || said(StatusCode::UNAUTHORIZED, "badauth\n".into());
        if q.token.trim().is_empty() || q.token.len() > 128 {
            return bad();
        }
        let hash = crate::auth::token_hash(&q.token);
        let Ok(Some((_, dyn_id, created_by))) = state.store.dyn_link(&hash).await else {
            return bad();
        };
        let Ok(Some(actor)) = state.store.user_by_id(created_by).await else {
            return bad();
        };
        let ip = match q.ip.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(ip) => match super::ssr::address(ip) {
                Ok(ip) => ip,
                Err(_) => return said(StatusCode::BAD_REQUEST, "notfqdn\n".into()),
            },
            None => peer.ip().to_canonical().to_string(),
        };
        let meta = RequestMeta::from_peer(peer.ip());
        // The link's maker must still be allowed to update this name.
        let target = Target::res(&crate::kinds::DYN, dyn_id.clone());
        let g =
            match authorize_as::<api::DnsDynUpdate>(actor, state, meta, target, Vec::new()).await {
                Ok(g) => g,
                Err(_) => return bad(),
            };
        let d = match super::ssr::find(&g, &dyn_id).await {
            Ok(d) => d,
            Err(crate::error::AppError::NotFound(_)) => {
                return said(StatusCode::NOT_FOUND, "nohost\n".into())
            }
            Err(_) => return said(StatusCode::SERVICE_UNAVAILABLE, "911\n".into()),
        };
        if d.ip.trim() == ip {
            return said(StatusCode::OK, format!("nochg {ip}\n"));
        }
        let req = api::DnsDynUpdate {
            dyn_id: d.id,
            name: d.name,
            ip: ip.clone(),
        };
        match g.call(&req, crate::kinds::DYN.what).await {
            Ok(_) => said(StatusCode::OK, format!("good {ip}\n")),
            Err(_) => said(StatusCode::SERVICE_UNAVAILABLE, "911\n".into()),
        }
    }
}
