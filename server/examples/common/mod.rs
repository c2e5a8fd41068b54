//! What the benchmark examples share (`mod common;` in each; not an example itself).

use app::server::lunanode::actions::VmCreate;
use app::server::lunanode::{Credential, LunaNode};

/// Makes a VM called `hostname` (plan `s.1`, image 1000) on the emulator behind `client`;
/// returns its id.
pub async fn make_vm(client: &LunaNode, cred: &Credential, hostname: String) -> String {
    client
        .vm_create(
            cred,
            &VmCreate {
                hostname,
                plan_id: "s.1".into(),
                image_id: Some("1000".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .vm_id
}
