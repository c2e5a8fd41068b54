//! `script/*`: startup scripts (reference §11, CONFIRMED: DOCS-script is complete; CS, BTCPAY
//! and BOLT use every shape below). A script's id goes into `vm/create`'s `scripts` list.
//!
//! Stored content comes back with `\r\n` line endings whatever was sent (CONFIRMED), so compare
//! contents after normalising line endings ([`Script::content_lf`]). Non-ASCII content is safe:
//! the signed `req` is ASCII-only JSON (reference §1.3; an em-dash in a startup script is what
//! broke a third-party client).

use serde::{Deserialize, Serialize};

use super::Done;
use crate::server::lunanode::decode;

#[derive(Debug, Clone, Default, Serialize)]
pub struct ScriptList {}

/// `{"success":"yes","scripts":[…]}`: a JSON array (CONFIRMED); an id-keyed object or `[]`
/// is accepted too.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Scripts {
    #[serde(default, deserialize_with = "decode::collection")]
    pub scripts: Vec<Script>,
}

/// One script, as listed and as `script/get` answers it (fields at the top level beside
/// `success`, not wrapped; CONFIRMED).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Script {
    #[serde(deserialize_with = "decode::id")]
    pub id: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub name: String,
    /// As stored: `\r\n` line endings.
    #[serde(default, deserialize_with = "decode::text")]
    pub content: String,
}

impl Script {
    /// The content with `\n` line endings (what an editor or a comparison wants).
    pub fn content_lf(&self) -> String {
        self.content.replace("\r\n", "\n")
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ScriptGet {
    pub script_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScriptCreate {
    pub name: String,
    /// The script body (shell script or cloud-config); any line endings.
    pub content: String,
}

/// `{"script_id":"1064","success":"yes"}` (CONFIRMED).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ScriptCreated {
    #[serde(deserialize_with = "decode::id")]
    pub script_id: String,
}

/// Replaces both the name and the content (both required, CONFIRMED).
#[derive(Debug, Clone, Serialize)]
pub struct ScriptUpdate {
    pub script_id: String,
    pub name: String,
    pub content: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScriptDelete {
    pub script_id: String,
}

super::actions! {
    const SCRIPT_ACTIONS;
    /// Every startup script of the account.
    script_list: read "script/list", ScriptList => Scripts;
    /// One script with its content.
    script_get: read "script/get", ScriptGet => Script;
    /// Creates a script; answers its id.
    script_create: write "script/create", ScriptCreate => ScriptCreated;
    /// Replaces a script's name and content.
    script_update: write "script/update", ScriptUpdate => Done;
    /// Deletes a script (VMs already created with it are unaffected).
    script_delete: write "script/delete", ScriptDelete => Done;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::lunanode::params;

    #[test]
    fn decodes_reference_samples() {
        let list: Scripts = serde_json::from_str(
            r##"{"success": "yes", "scripts": [
  {"id": "4", "name": "upgrade", "content": "#!/bin/bash\r\napt-get update; apt-get upgrade -y"}
]}"##,
        )
        .unwrap();
        assert_eq!(list.scripts.len(), 1);
        let s = &list.scripts[0];
        assert_eq!((s.id.as_str(), s.name.as_str()), ("4", "upgrade"));
        assert_eq!(
            s.content_lf(),
            "#!/bin/bash\napt-get update; apt-get upgrade -y"
        );

        let got: Script = serde_json::from_str(
            r##"{"id": "4", "name": "upgrade", "content": "#!/bin/bash\r\necho hi", "success": "yes"}"##,
        )
        .unwrap();
        assert_eq!(got.content, "#!/bin/bash\r\necho hi");

        let created: ScriptCreated =
            serde_json::from_str(r#"{"script_id": "1064", "success": "yes"}"#).unwrap();
        assert_eq!(created.script_id, "1064");
        let done: Done = serde_json::from_str(r#"{"success": "yes"}"#).unwrap();
        assert_eq!(done, Done {});
    }

    #[test]
    fn lenient_layouts() {
        let empty: Scripts = serde_json::from_str(r#"{"success":"yes","scripts":[]}"#).unwrap();
        assert!(empty.scripts.is_empty());
        let missing: Scripts = serde_json::from_str(r#"{"success":"yes"}"#).unwrap();
        assert!(missing.scripts.is_empty());
        let keyed: Scripts = serde_json::from_str(
            r#"{"success":"yes","scripts":{"12":{"id":12,"name":"b","content":""},"4":{"id":"4","name":"a"}}}"#,
        )
        .unwrap();
        assert_eq!(
            keyed
                .scripts
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>(),
            ["4", "12"]
        );
    }

    #[test]
    fn requests_carry_exactly_their_parameters() {
        let p = params(&ScriptUpdate {
            script_id: "4".into(),
            name: "upgrade".into(),
            content: "#!/bin/sh\necho — done\n".into(),
        })
        .unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(p["content"], "#!/bin/sh\necho — done\n");
        assert!(params(&ScriptList {}).unwrap().is_empty());
        assert_eq!(
            params(&ScriptGet {
                script_id: "4".into()
            })
            .unwrap()
            .len(),
            1
        );
    }
}
