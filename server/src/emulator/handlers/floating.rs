//! `floating/*` — floating IPs (reference §6). A VM's public IP *is* a floating IP attached
//! to it, so `floating/list` derives the attached ones from the VMs (and the load balancers)
//! and keeps only the unattached ones here. New addresses come from the account's own range
//! of public addresses (as VMs' do), so no two accounts ever hold the same one.
//!
//! Shapes: list under `ips` with `attached_type` `vm` / `unattached` (CONFIRMED), `lb` for a
//! load balancer (UNKNOWN spelling); `floating/add` → `{"ip": …}` (CONFIRMED).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::dns::reverse_of;
use super::network::region;
use super::{lb, s, Ctx, Outcome, Params};
use crate::emulator::json::{done, obj, ok};
use crate::emulator::state::Account;

/// This category's part of an account.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// Unattached addresses held by the account, by address.
    free: BTreeMap<String, Free>,
    /// Ids of attached addresses, so an address keeps its id while it moves between attached
    /// and unattached.
    attached_ids: BTreeMap<String, u64>,
    /// Floating IP ids are their own sequence (a table of their own upstream).
    last_id: u64,
    /// Unused: addresses come from the account's own range (kept so saved states load).
    #[serde(default)]
    cursor: u8,
}

#[derive(Debug, Serialize, Deserialize)]
struct Free {
    id: u64,
    region: String,
}

impl State {
    fn fresh_id(&mut self) -> u64 {
        self.last_id += 1;
        self.last_id
    }

    /// The id of an attached address, assigned on first sight.
    fn attached_id(&mut self, ip: &str) -> u64 {
        if let Some(id) = self.attached_ids.get(ip) {
            return *id;
        }
        let id = self.fresh_id();
        self.attached_ids.insert(ip.to_owned(), id);
        id
    }
}

/// Takes the unattached floating IP `ip` of `region` off the free list, to attach it to
/// something (a VM, a load balancer). False if the account has no such free address.
pub(crate) fn take_unattached(state: &mut State, region: &str, ip: &str) -> bool {
    match state.free.get(ip) {
        Some(free) if free.region == region => {
            let id = free.id;
            state.free.remove(ip);
            state.attached_ids.insert(ip.to_owned(), id);
            true
        }
        _ => false,
    }
}

/// Puts a detached address back on the account as unattached (keeping its id if known).
pub(crate) fn release(state: &mut State, region: &str, ip: String) {
    let id = match state.attached_ids.remove(&ip) {
        Some(id) => id,
        None => match state.free.get(&ip) {
            Some(free) => free.id,
            None => state.fresh_id(),
        },
    };
    state.free.insert(
        ip,
        Free {
            id,
            region: region.to_owned(),
        },
    );
}

pub(crate) fn handle(ctx: &mut Ctx<'_>, action: &str) -> Option<Outcome> {
    let (account, p) = (&mut *ctx.account, ctx.p);
    Some(match action {
        "list" => Ok(list(account)),
        "add" => add(account, p),
        "delete" => delete(account, p),
        _ => return None,
    })
}

/// Every floating address the account holds: its VMs', its load balancers' and the
/// unattached ones.
pub(crate) fn held(account: &Account) -> impl Iterator<Item = String> + '_ {
    account
        .vms
        .values()
        .map(|vm| vm.public_ip.clone())
        .filter(|ip| !ip.is_empty())
        .chain(lb::floating_attachments(&account.lbs).map(|(ip, ..)| ip.to_owned()))
        .chain(account.floating.free.keys().cloned())
}

/// Whether the address is attached to one of the account's VMs or load balancers.
fn attached(account: &Account, ip: &str) -> bool {
    account.vms.values().any(|vm| vm.public_ip == ip)
        || lb::floating_attachments(&account.lbs).any(|(other, ..)| other == ip)
}

fn list(account: &mut Account) -> axum::response::Response {
    let mut entries: Vec<(u64, Value)> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for vm in account.vms.values() {
        if vm.public_ip.is_empty() {
            continue;
        }
        let id = account.floating.attached_id(&vm.public_ip);
        seen.push(vm.public_ip.clone());
        entries.push((
            id,
            json!({"id": s(id), "ip": vm.public_ip, "region": vm.region, "attached_type": "vm",
                   "attached_id": vm.id, "attached_name": vm.hostname, "hostname": reverse_of(account, &vm.public_ip)}),
        ));
    }
    for (ip, region, lb_id, name) in lb::floating_attachments(&account.lbs) {
        let id = account.floating.attached_id(ip);
        seen.push(ip.to_owned());
        entries.push((
            id,
            json!({"id": s(id), "ip": ip, "region": region, "attached_type": "lb",
                   "attached_id": s(lb_id), "attached_name": name, "hostname": reverse_of(account, ip)}),
        ));
    }
    // Forget ids of addresses that left the account while attached (a deleted VM's IP).
    account
        .floating
        .attached_ids
        .retain(|ip, _| seen.contains(ip));
    for (ip, free) in &account.floating.free {
        entries.push((
            free.id,
            json!({"id": s(free.id), "ip": ip, "region": free.region, "attached_type": "unattached",
                   "attached_id": "", "attached_name": "", "hostname": reverse_of(account, ip)}),
        ));
    }
    entries.sort_by_key(|(id, _)| *id);
    let ips = entries.into_iter().map(|(_, v)| v).collect();
    ok(obj([("ips", Value::Array(ips))]))
}

fn add(account: &mut Account, p: &Params) -> Outcome {
    let region = region(p)?;
    // A name set on an address the account gave back does not come back with it.
    super::dns::prune_rdns(account);
    // From the account's own range of public addresses: never another account's (Luna
    // Node's addresses are unique), never one just given back.
    let ip = loop {
        let ip = account.next_ips().0;
        if !attached(account, &ip) && !account.floating.free.contains_key(&ip) {
            break ip;
        }
    };
    let id = account.floating.fresh_id();
    account.floating.free.insert(
        ip.clone(),
        Free {
            id,
            region: region.to_owned(),
        },
    );
    Ok(ok(obj([("ip", s(ip))])))
}

fn delete(account: &mut Account, p: &Params) -> Outcome {
    let region = region(p)?;
    let ip = p.req("ip")?.trim();
    if account
        .floating
        .free
        .get(ip)
        .is_some_and(|f| f.region == region)
    {
        account.floating.free.remove(ip);
        return Ok(done());
    }
    if attached(account, ip) {
        return Err("the floating IP is attached; detach it first".into());
    }
    Err("invalid ip".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::state::default_rdns;

    #[test]
    fn an_address_keeps_its_id_while_attached_and_released() {
        let mut state = State::default();
        release(&mut state, "toronto", "198.51.100.7".into());
        let id = state.free["198.51.100.7"].id;
        assert!(!take_unattached(&mut state, "montreal", "198.51.100.7"));
        assert!(!take_unattached(&mut state, "toronto", "198.51.100.8"));
        assert!(take_unattached(&mut state, "toronto", "198.51.100.7"));
        assert!(state.free.is_empty());
        assert!(!take_unattached(&mut state, "toronto", "198.51.100.7"));
        release(&mut state, "toronto", "198.51.100.7".into());
        assert_eq!(state.free["198.51.100.7"].id, id);
        assert!(state.attached_ids.is_empty());
        assert_eq!(
            default_rdns("203.0.113.5"),
            "5.113.0.203.rdns.lunanode.com."
        );
    }
}
