//! SSH keys of the account (a customer: theirs), which new VMs are made with.

use leptos::prelude::*;

use crate::error::AppError;
pub use crate::model::vm::SshKeyView;
#[cfg(feature = "ssr")]
use crate::server::authz::{authorize, Target};

#[cfg(feature = "ssr")]
mod ssr {
    use crate::server::authz::{Grant, Permission};
    use crate::server::lunanode::actions as api;
    use crate::server::made::{find_made, newest};

    /// The SSH key `sshkey/add` made: the newest one listed under this label and key line.
    pub async fn made_key<P: Permission>(g: &Grant<P>, label: &str, line: &str) -> Option<String> {
        find_made(g, &api::SshKeyList {}, "sshkey", label, |l| {
            newest(
                l.keys
                    .iter()
                    .filter(|k| k.name == label && (k.value.trim() == line || k.value.is_empty()))
                    .map(|k| k.id.as_str()),
            )
        })
        .await
    }
}

/// The account's SSH keys.
#[server(name = SshkeyListFn, endpoint = "sshkeys/list")]
pub async fn sshkey_list() -> Result<Vec<SshKeyView>, AppError> {
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::SshKeyList>(Target::Account).await?;
    let keys = g.call(&api::SshKeyList {}, "The SSH key list").await?;
    Ok(keys
        .keys
        .into_iter()
        .filter(|k| g.sees(&crate::kinds::SSHKEY, &k.id))
        .map(|k| SshKeyView {
            id: k.id,
            name: k.name,
            value: k.value,
        })
        .collect())
}

/// Checks an OpenSSH public key line.
pub fn check_ssh_key(value: &str) -> Result<(), String> {
    let mut parts = value.split_whitespace();
    let (Some(kind), Some(body)) = (parts.next(), parts.next()) else {
        return Err("Paste a public key line such as \"ssh-ed25519 AAAA… you@host\".".into());
    };
    const KINDS: &[&str] = &[
        "ssh-ed25519",
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    ];
    if !KINDS.contains(&kind) {
        return Err(format!("\"{kind}\" is not a public key type OpenSSH knows. Paste the .pub file's contents, not the private key."));
    }
    if body.len() < 16
        || !body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c))
    {
        return Err("The key's base64 part looks damaged.".into());
    }
    Ok(())
}

/// Adds an SSH key; returns its id (`""` when Luna Node made it but it could not be found
/// yet).
#[server(name = SshkeyAddFn, endpoint = "sshkeys/add")]
pub async fn sshkey_add(name: String, value: String) -> Result<String, AppError> {
    use crate::error::FieldErrors;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::SshKeyAdd>(Target::Account).await?;
    let mut errors = FieldErrors::new();
    let name = name.trim().to_owned();
    if name.is_empty() || name.len() > 64 {
        errors.add("name", "Give the key a name of 1 to 64 characters.");
    }
    let value = value.trim().to_owned();
    if let Err(e) = check_ssh_key(&value) {
        errors.add("value", e);
    }
    errors.into_result()?;
    let added = g
        .call(
            &api::SshKeyAdd {
                label: name.clone(),
                sshkey: value.clone(),
            },
            "The SSH key",
        )
        .await?;
    // `success` means made, even without the id (then found by label and key line).
    let key_id = match added.key_id {
        id if !id.is_empty() => Some(id),
        _ => ssr::made_key(&g, &name, &value).await,
    };
    match key_id {
        Some(id) => {
            g.claim(&crate::kinds::SSHKEY, &id).await?;
            Ok(id)
        }
        None => Ok(String::new()),
    }
}

/// Removes an SSH key.
#[server(name = SshkeyRemoveFn, endpoint = "sshkeys/remove")]
pub async fn sshkey_remove(key_id: String) -> Result<(), AppError> {
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::SshKeyRemove>(Target::sshkey(key_id.clone())).await?;
    g.call(
        &api::SshKeyRemove {
            key_id: key_id.clone(),
        },
        "The SSH key",
    )
    .await?;
    g.release(&crate::kinds::SSHKEY, &key_id).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_keys_are_checked() {
        assert!(check_ssh_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGnq me@host").is_ok());
        assert!(check_ssh_key("-----BEGIN OPENSSH PRIVATE KEY-----").is_err());
        assert!(check_ssh_key("ssh-ed25519").is_err());
        assert!(check_ssh_key("ssh-ed25519 not*base64*at*all!").is_err());
    }
}
