//! Startup scripts (`script/*`): list, read, write, delete. A script's id goes into
//! `vm/create`; the panel records which VMs it created with which script
//! ([`record_uses`]), since Luna Node does not say, so a script's page can name them.
//! Customers act on their own scripts (capability `scripts`).

use leptos::prelude::*;

use crate::error::AppError;
pub use crate::model::script::*;

#[cfg(feature = "ssr")]
pub mod ssr {
    use crate::error::{AppError, FieldErrors};
    use crate::model::script::{check_content, check_name};
    use crate::server::authz::{Grant, Permission};
    use crate::server::lunanode::actions as api;

    /// The name and content checked (both messages at once), trimmed name.
    pub fn checked(name: &str, content: &str) -> Result<(String, String), AppError> {
        let mut errors = FieldErrors::new();
        if let Some(e) = check_name(name) {
            errors.add("name", e);
        }
        if let Some(e) = check_content(content) {
            errors.add("content", e);
        }
        errors.into_result()?;
        // Sent with `\n` endings; Luna Node stores `\r\n` (CONFIRMED).
        Ok((
            name.trim().to_owned(),
            content.replace("\r\n", "\n").replace('\r', "\n"),
        ))
    }

    /// One script (`script/get`); "not found" for an id Luna Node does not know.
    pub async fn get<P: Permission>(g: &Grant<P>, id: &str) -> Result<api::Script, AppError> {
        g.also::<api::ScriptGet>(crate::server::authz::Target::script(id.to_owned()))
            .await?
            .call(
                &api::ScriptGet {
                    script_id: id.to_owned(),
                },
                "The startup script",
            )
            .await
    }

    /// Records that the panel created `vm_id` with `scripts` (best effort: a failure to
    /// record only loses the "used by" line).
    pub async fn record_uses<P: Permission>(
        g: &Grant<P>,
        scripts: &[String],
        vm_id: &str,
        hostname: &str,
    ) {
        for id in scripts {
            let id = id.trim();
            if id.is_empty() {
                continue;
            }
            if let Err(e) = g
                .state()
                .store
                .put_script_use(g.account, id, vm_id, hostname)
                .await
            {
                tracing::warn!(error = %e, "could not record a startup script's use");
            }
        }
    }
}

/// What must be typed to delete a script: its name, or its id when it has none.
pub fn confirm_word(name: &str, id: &str) -> String {
    if name.trim().is_empty() {
        id.to_owned()
    } else {
        name.trim().to_owned()
    }
}

/// The startup scripts the viewer may see, with size, lines and format.
#[server(name = ScriptListFn, endpoint = "scripts/list")]
pub async fn script_list() -> Result<Vec<ScriptRow>, AppError> {
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::ScriptList>(Target::Account).await?;
    let list = g.call(&api::ScriptList {}, "The script list").await?;
    let mut rows: Vec<ScriptRow> = list
        .scripts
        .into_iter()
        .filter(|s| g.sees(&crate::kinds::SCRIPT, &s.id))
        .map(|s| ScriptRow {
            bytes: stored_bytes(&s.content),
            lines: line_count(&s.content_lf()),
            format: Format::of(&s.content),
            id: s.id,
            name: s.name,
        })
        .collect();
    rows.sort_by_key(|a| a.name.to_lowercase());
    Ok(rows)
}

/// One script with its content and the VMs the panel made with it (those still there).
#[server(name = ScriptDetailFn, endpoint = "scripts/detail")]
pub async fn script_detail(script_id: String) -> Result<ScriptDetail, AppError> {
    use crate::model::vm::NamedId;
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;
    let id = script_id.trim().to_owned();
    let g = authorize::<api::ScriptGet>(Target::script(id.clone())).await?;
    let script = ssr::get(&g, &id).await?;
    let uses = g.state().store.script_uses(g.account, &id).await?;
    // Only VMs that still exist (the live list) and the viewer may see.
    let live = g.state().live.subscribe(g.account).borrow().clone();
    let used_by = uses
        .into_iter()
        .filter(|(vm, _)| g.sees(&crate::kinds::VM, vm))
        .filter_map(|(vm, recorded)| {
            let now = live.vms.iter().find(|v| v.vm_id == vm)?;
            Some(NamedId {
                name: if now.name.is_empty() {
                    recorded
                } else {
                    now.name.clone()
                },
                id: vm,
            })
        })
        .collect();
    Ok(ScriptDetail {
        content: script.content_lf(),
        id: script.id,
        name: script.name,
        used_by,
    })
}

/// Creates a script; answers its id.
#[server(name = ScriptCreateFn, endpoint = "scripts/create")]
pub async fn script_create(name: String, content: String) -> Result<String, AppError> {
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::ScriptCreate>(Target::Account).await?;
    let (name, content) = ssr::checked(&name, &content)?;
    // Held until the new script is claimed: parallel creates are counted one by one.
    let quota = g.quota_lock().await?;
    if let (Some(c), Some(lock)) = (g.customer(), &quota) {
        lock.check_count(&crate::kinds::SCRIPT, c.policy.quotas.scripts)?;
    }
    let made = g
        .call(&api::ScriptCreate { name, content }, "The startup script")
        .await?;
    g.claim(&crate::kinds::SCRIPT, &made.script_id).await?;
    drop(quota);
    Ok(made.script_id)
}

/// Replaces a script's name and content.
#[server(name = ScriptUpdateFn, endpoint = "scripts/update")]
pub async fn script_update(
    script_id: String,
    name: String,
    content: String,
) -> Result<(), AppError> {
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;
    let id = script_id.trim().to_owned();
    let g = authorize::<api::ScriptUpdate>(Target::script(id.clone())).await?;
    let (name, content) = ssr::checked(&name, &content)?;
    g.call(
        &api::ScriptUpdate {
            script_id: id,
            name,
            content,
        },
        "The startup script",
    )
    .await?;
    Ok(())
}

/// Deletes a script; `confirm` must be its name. VMs made with it keep running.
#[server(name = ScriptDeleteFn, endpoint = "scripts/delete")]
pub async fn script_delete(script_id: String, confirm: String) -> Result<(), AppError> {
    use crate::error::FieldErrors;
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;
    let id = script_id.trim().to_owned();
    let g = authorize::<api::ScriptDelete>(Target::script(id.clone())).await?;
    let script = ssr::get(&g, &id).await?;
    if !crate::components::confirm::confirms(&confirm, &confirm_word(&script.name, &id)) {
        return Err(FieldErrors::single(
            "confirm",
            "Type the script's name exactly to confirm.",
        ));
    }
    g.call(
        &api::ScriptDelete {
            script_id: id.clone(),
        },
        "The startup script",
    )
    .await?;
    g.release(&crate::kinds::SCRIPT, &id).await;
    Ok(())
}
