//! Every API action as a typed request with its typed response, and one client method per
//! action. Declared once in [`actions!`], which also lists them in [`ALL`] (the emulator's
//! coverage test and the authorization matrix read that list).

mod account;
mod sshkey;
mod vm;

pub use account::*;
pub use sshkey::*;
pub use vm::*;

use serde::Deserialize;

use super::{Action, Credential, LunaNode, UpstreamError};

/// The answer of actions that return nothing but `success`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Done {}

/// One declared action: its path and whether it only reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionInfo {
    pub path: &'static str,
    pub read: bool,
}

macro_rules! actions {
    ($( $(#[$doc:meta])* $method:ident: $kind:ident $path:literal, $req:ty => $resp:ty; )*) => {
        $(
            impl Action for $req {
                const PATH: &'static str = $path;
                const READ: bool = actions!(@read $kind);
                type Response = $resp;
            }
        )*

        impl LunaNode {
            $(
                $(#[$doc])*
                pub async fn $method(&self, cred: &Credential, req: &$req) -> Result<$resp, UpstreamError> {
                    self.call(cred, req).await
                }
            )*
        }

        /// Every action the client has.
        pub const ALL: &[ActionInfo] = &[
            $( ActionInfo { path: $path, read: actions!(@read $kind) }, )*
        ];
    };
    (@read read) => { true };
    (@read write) => { false };
}

actions! {
    /// Account credit in USD.
    billing_credit: read "billing/credit", BillingCredit => Credit;
    /// Region codes and names.
    region_list: read "region/list", RegionList => Regions;
    /// Plans with specs and prices.
    plan_list: read "plan/list", PlanList => Plans;

    vm_list: read "vm/list", VmList => VmListResponse;
    vm_info: read "vm/info", VmInfo => VmInfoResponse;
    vm_create: write "vm/create", VmCreate => VmCreated;
    vm_start: write "vm/start", VmStart => Done;
    vm_stop: write "vm/stop", VmStop => Done;
    vm_reboot: write "vm/reboot", VmReboot => Done;
    vm_delete: write "vm/delete", VmDelete => Done;
    vm_rename: write "vm/rename", VmRename => Done;

    sshkey_list: read "sshkey/list", SshKeyList => SshKeys;
    sshkey_add: write "sshkey/add", SshKeyAdd => SshKeyAdded;
    sshkey_remove: write "sshkey/remove", SshKeyRemove => Done;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_declared_once() {
        let mut paths: Vec<&str> = ALL.iter().map(|a| a.path).collect();
        paths.sort_unstable();
        let before = paths.len();
        paths.dedup();
        assert_eq!(before, paths.len());
        assert!(ALL.iter().all(|a| a.path.split('/').count() == 2));
    }
}
