//! `sshkey/*` (reference §12).

use serde_json::{json, Map};

use super::Params;
use super::{s, Ctx, Outcome};
use crate::emulator::json::{done, obj, ok};
use crate::emulator::state::{Account, SshKey};

pub(crate) fn handle(ctx: &mut Ctx<'_>, action: &str) -> Option<Outcome> {
    let (account, p) = (&mut *ctx.account, ctx.p);
    Some(match action {
        "list" => {
            // Numbered top-level keys beside "success" (reference §12, CONFIRMED).
            let mut fields = Map::new();
            for (i, key) in account.ssh_keys.values().enumerate() {
                fields.insert(
                    i.to_string(),
                    json!({"id": s(key.id), "name": key.name, "value": key.value, "val": key.value}),
                );
            }
            Ok(ok(fields))
        }
        "add" => sshkey_add(account, p),
        "remove" => p.req("key_id").and_then(|id| {
            id.parse::<u64>()
                .ok()
                .and_then(|id| account.ssh_keys.remove(&id))
                .map(|_| done())
                .ok_or_else(|| "invalid key".to_owned())
        }),
        _ => return None,
    })
}

fn sshkey_add(account: &mut Account, p: &Params) -> Outcome {
    let label = p.req("label")?.to_owned();
    let key = p.req("sshkey")?.trim().to_owned();
    let kind = key.split_whitespace().next().unwrap_or("");
    if !matches!(
        kind,
        "ssh-rsa"
            | "ssh-ed25519"
            | "ecdsa-sha2-nistp256"
            | "ecdsa-sha2-nistp384"
            | "ecdsa-sha2-nistp521"
    ) || key.split_whitespace().count() < 2
    {
        return Err("invalid SSH public key".into());
    }
    if account.ssh_keys.values().any(|k| k.name == label) {
        // Duplicate labels fail upstream (reference §12, CONFIRMED symptom).
        return Err("a key with this label already exists".into());
    }
    let id = account.next_id();
    account.ssh_keys.insert(
        id,
        SshKey {
            id,
            name: label,
            value: key,
        },
    );
    Ok(ok(obj([("key_id", s(id))])))
}
