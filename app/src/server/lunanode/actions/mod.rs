//! Every API action as a typed request with its typed response, and one client method per
//! action, one file per category. Each file declares its actions once with [`actions!`];
//! [`all`] lists them all (the emulator's coverage test and the authorization matrix read it).

mod account;
mod dns;
mod dns2;
mod email;
mod floating;
mod image;
mod lb;
mod monitor;
mod network;
mod script;
mod securitygroup;
mod sshkey;
mod vm;
mod volume;

pub use account::*;
pub use dns::*;
pub use dns2::*;
pub use email::*;
pub use floating::*;
pub use image::*;
pub use lb::*;
pub use monitor::*;
pub use network::*;
pub use script::*;
pub use securitygroup::*;
pub use sshkey::*;
pub use vm::*;
pub use volume::*;

use serde::Deserialize;

/// The answer of actions that return nothing but `success`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Done {}

/// One declared action: its path and whether it only reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionInfo {
    pub path: &'static str,
    pub read: bool,
    /// What code outside the client names to make the call: the request type
    /// (`VolumeCreate`), or the client method for an action without one.
    pub ty: &'static str,
}

/// Declares a category's actions: `Action` impls, one client method each, and the
/// category's `ACTIONS` list. Used once per category file.
macro_rules! actions {
    (const $list:ident; $( $(#[$doc:meta])* $method:ident: $kind:ident $path:literal, $req:ty => $resp:ty; )*) => {
        $(
            impl $crate::server::lunanode::Action for $req {
                const PATH: &'static str = $path;
                const READ: bool = $crate::server::lunanode::actions::actions!(@read $kind);
                type Response = $resp;
            }
        )*

        impl $crate::server::lunanode::LunaNode {
            $(
                $(#[$doc])*
                pub async fn $method(
                    &self,
                    cred: &$crate::server::lunanode::Credential,
                    req: &$req,
                ) -> Result<$resp, $crate::server::lunanode::UpstreamError> {
                    self.call(cred, req).await
                }
            )*
        }

        /// This category's actions.
        pub const $list: &[$crate::server::lunanode::actions::ActionInfo] = &[
            $( $crate::server::lunanode::actions::ActionInfo { path: $path, read: $crate::server::lunanode::actions::actions!(@read $kind), ty: stringify!($req) }, )*
        ];
    };
    (@read read) => { true };
    (@read write) => { false };
}
pub(crate) use actions;

/// `Display` and case-insensitive `FromStr` for an enum with `ALL` and `as_str` (the API's
/// spelling of each value).
macro_rules! text_enum {
    ($t:ty) => {
        impl ::std::fmt::Display for $t {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $t {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .into_iter()
                    .find(|t| t.as_str().eq_ignore_ascii_case(s.trim()))
                    .ok_or_else(|| format!("unknown {} {s:?}", stringify!($t)))
            }
        }
    };
}
pub(crate) use text_enum;

/// Every action the client has, across all categories.
pub fn all() -> Vec<ActionInfo> {
    [
        ACCOUNT_ACTIONS,
        VM_ACTIONS,
        SSHKEY_ACTIONS,
        &[IMAGE_RETRIEVE],
        IMAGE_ACTIONS,
        VOLUME_ACTIONS,
        FLOATING_ACTIONS,
        NETWORK_ACTIONS,
        LB_ACTIONS,
        SECURITYGROUP_ACTIONS,
        SCRIPT_ACTIONS,
        DNS2_ACTIONS,
        DNS_ACTIONS,
        MONITOR_ACTIONS,
        EMAIL_ACTIONS,
    ]
    .concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_declared_once() {
        let all = all();
        let mut paths: Vec<&str> = all.iter().map(|a| a.path).collect();
        paths.sort_unstable();
        let before = paths.len();
        paths.dedup();
        assert_eq!(before, paths.len());
        assert!(all.iter().all(|a| a.path.split('/').count() == 2));
    }

    /// The code of `text` a caller could use: no comments, no test module.
    fn code_of(text: &str) -> String {
        let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
        text.lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("readable source tree") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// Every action of the reference (the wiki's 111, kept beside this file) is in the
    /// client, and code outside the client (a server function, a poller) makes the call:
    /// coverage cannot silently drop. Fails with the list of the missing ones.
    #[test]
    fn every_reference_action_is_reachable() {
        let reference: Vec<&str> = include_str!("reference-actions.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(reference.len(), 111, "the reference lists 111 actions");
        let all = all();
        let not_in_client: Vec<&str> = reference
            .iter()
            .copied()
            .filter(|p| !all.iter().any(|a| a.path == *p))
            .collect();
        assert!(
            not_in_client.is_empty(),
            "not in the client: {not_in_client:?}"
        );
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&root, &mut files);
        let client = root.join("server").join("lunanode");
        let code: Vec<String> = files
            .iter()
            .filter(|f| !f.starts_with(&client))
            .map(|f| code_of(&std::fs::read_to_string(f).expect("readable source")))
            .collect();
        assert!(code.len() > 50, "the app's sources were found");
        let word = |text: &str, w: &str| {
            text.match_indices(w).any(|(i, _)| {
                let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
                !text[..i].ends_with(ident) && !text[i + w.len()..].starts_with(ident)
            })
        };
        let unreached: Vec<&str> = reference
            .iter()
            .copied()
            .filter(|p| {
                let ty = all.iter().find(|a| a.path == *p).map_or("", |a| a.ty);
                !code.iter().any(|c| word(c, ty))
            })
            .collect();
        assert!(
            unreached.is_empty(),
            "{} of {} reference actions are called by no code outside the client: {unreached:?}",
            unreached.len(),
            reference.len()
        );
    }

    #[test]
    fn the_reachability_check_sees_words_not_parts() {
        let code = code_of("let x = api::VolumeCreateX {};\n// api::VolumeCreate {}\n");
        assert!(!code.contains("VolumeCreate {}"), "comments are not code");
        assert!(code.contains("VolumeCreateX"));
    }
}
