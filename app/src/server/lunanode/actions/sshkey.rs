//! `sshkey/*` (not in the 2018 wiki; reference §12, CONFIRMED).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Done;
use crate::server::lunanode::decode;

#[derive(Debug, Clone, Default, Serialize)]
pub struct SshKeyList {}

/// The keys, which `sshkey/list` sends as numbered top-level keys beside `success`
/// (the numbers are indices, not key ids).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "Value")]
pub struct SshKeys {
    pub keys: Vec<SshKey>,
}

impl TryFrom<Value> for SshKeys {
    type Error = serde_json::Error;

    fn try_from(body: Value) -> Result<Self, Self::Error> {
        Ok(SshKeys {
            keys: decode::numbered_top_level(&body)?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SshKey {
    #[serde(deserialize_with = "decode::id")]
    pub id: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub name: String,
    /// The public key line (`val` duplicates it in newer answers; `value` is read).
    #[serde(default, deserialize_with = "decode::text")]
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SshKeyAdd {
    pub label: String,
    /// The whole public key line.
    pub sshkey: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SshKeyAdded {
    /// CONFIRMED in the answer, yet a write whose envelope says `success` is done even when
    /// the id is missing: `""` then (the panel finds the new resource by name).
    #[serde(default, deserialize_with = "decode::text")]
    pub key_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SshKeyRemove {
    pub key_id: String,
}

super::actions! {
    const SSHKEY_ACTIONS;
    sshkey_list: read "sshkey/list", SshKeyList => SshKeys;
    sshkey_add: write "sshkey/add", SshKeyAdd => SshKeyAdded;
    sshkey_remove: write "sshkey/remove", SshKeyRemove => Done;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_numbered_top_level_keys() {
        let keys: SshKeys = serde_json::from_str(
            r#"{"0":{"id":"4055","name":"augustfengd","value":"ssh-ed25519 AAAA user","val":"ssh-ed25519 AAAA user"},
                "1":{"id":"4075","name":"temp","value":"ssh-ed25519 AAAA other","val":"x"},"success":"yes"}"#,
        )
        .unwrap();
        assert_eq!(keys.keys.len(), 2);
        assert_eq!(keys.keys[1].id, "4075");
        let none: SshKeys = serde_json::from_str(r#"{"success":"yes"}"#).unwrap();
        assert!(none.keys.is_empty());
        let added: SshKeyAdded =
            serde_json::from_str(r#"{"key_id":"1862","success":"yes"}"#).unwrap();
        assert_eq!(added.key_id, "1862");
        // Made, but the answer does not say which: still a success.
        let added: SshKeyAdded = serde_json::from_str(r#"{"success":"yes"}"#).unwrap();
        assert_eq!(added.key_id, "");
    }
}
