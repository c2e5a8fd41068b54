//! The security-group area (`securitygroup/*`): groups per region, their rules (an editor,
//! presets and a lint that warns when SSH, RDP or a database port is open to the whole
//! internet), and the VMs that use each. Server functions and the types they share with the
//! pages (`crate::pages::security_groups`, `crate::pages::security_group_detail`, the VM
//! page's security-group card). Applying a group to a VM and removing it is
//! `crate::vm::vm_security_group`, which both pages call.
//!
//! Which VMs use a group comes from the live VM poller (`vm/info`'s `security_groups`, which
//! names groups, CONFIRMED), matched by name within the group's region: names are INFERRED
//! to be unique per region (the panel never makes two alike). No request makes `vm/info`
//! calls of its own for it.
//!
//! Every function starts at the one authorization point and calls Luna Node only through
//! its grant. A customer sees and changes only their groups, may name only their groups as
//! a rule's remote, owns a new group from the first moment, and is held to their
//! `security_groups` quota under their quota lock before Luna Node is asked. A region's
//! `default` group is the reseller's unless assigned.

use leptos::prelude::*;

pub use crate::model::securitygroup::*;

use crate::error::AppError;

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use crate::error::{AppError, FieldErrors, UpstreamProblem};
    use crate::kinds;
    use crate::server::authz::{Grant, Permission, QuotaLock, Target};
    use crate::server::lunanode::actions as api;
    use crate::server::lunanode::Action;
    use crate::vm::VmRow;

    use super::*;

    pub use crate::catalog::ssr::regions;

    pub const GROUP: &str = "The security group";
    pub const RULE: &str = "The rule";

    pub use crate::server::live::REREAD;

    /// A target for group `id`, if it looks like an id at all: junk answers "not found"
    /// with no upstream call.
    pub fn target(id: &str) -> Result<Target, AppError> {
        let id = id.trim();
        if !looks_like_id(id) {
            return Err(AppError::NotFound(GROUP.into()));
        }
        Ok(Target::securitygroup(id))
    }

    fn looks_like_id(id: &str) -> bool {
        !id.is_empty()
            && id.len() <= 64
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    }

    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        FieldErrors::single(field, message)
    }

    /// Every group of the account (not filtered: callers decide what the caller sees).
    pub async fn all_groups<P: Permission>(
        base: &Grant<P>,
    ) -> Result<Vec<api::SecurityGroup>, AppError> {
        let g = base.also::<api::SecurityGroupList>(Target::Account).await?;
        Ok(
            g.call(&api::SecurityGroupList {}, "The security group list")
                .await?
                .securitygroups,
        )
    }

    /// Group `id` of the account's `groups` (the caller's grant decided on it already).
    pub fn find(groups: &[api::SecurityGroup], id: &str) -> Result<api::SecurityGroup, AppError> {
        groups
            .iter()
            .find(|g| g.securitygroup_id == id.trim())
            .cloned()
            .ok_or_else(|| AppError::NotFound(GROUP.into()))
    }

    /// The groups of `region` (all of them: a rule's remote is named whoever owns it).
    pub fn region_groups(groups: &[api::SecurityGroup], region: &str) -> Vec<GroupChoice> {
        groups
            .iter()
            .filter(|g| g.region == region)
            .map(|g| GroupChoice {
                id: g.securitygroup_id.clone(),
                name: g.name.clone(),
            })
            .collect()
    }

    /// The groups of `region` the caller may pick (a customer: theirs).
    pub fn pickable<P: Permission>(
        g: &Grant<P>,
        groups: &[api::SecurityGroup],
        region: &str,
    ) -> Vec<GroupChoice> {
        region_groups(groups, region)
            .into_iter()
            .filter(|c| g.sees(&kinds::SECURITYGROUP, &c.id))
            .collect()
    }

    /// The rules of `group`, read as the panel shows them (`region` names remote groups).
    pub async fn rules_of<P: Permission>(
        base: &Grant<P>,
        group: &api::SecurityGroup,
        region: &[GroupChoice],
    ) -> Result<Vec<RuleRow>, AppError> {
        let g = base
            .also::<api::SecurityGroupRuleList>(target(&group.securitygroup_id)?)
            .await?;
        let req = api::SecurityGroupRuleList {
            region: group.region.clone(),
            group_id: group.securitygroup_id.clone(),
        };
        Ok(g.call(&req, GROUP)
            .await?
            .rules
            .into_iter()
            .map(|r| RuleRow {
                remote: Remote::read(&r.remote, region),
                id: r.id,
                direction: r.direction,
                ethertype: r.ethertype,
                protocol: r.protocol,
                port_range: r.port_range,
                label: r.label,
            })
            .collect())
    }

    /// The VMs the live poller knows (no upstream call of this request's own); empty when
    /// it cannot say.
    pub async fn known_vms<P: Permission>(g: &Grant<P>) -> Vec<VmRow> {
        match g.state().live.snapshot(g.account, REREAD * 4).await {
            Ok(s) => s.vms.clone(),
            Err(_) => Vec::new(),
        }
    }

    /// Whether `vm` has `group` (by name within its region, or by id).
    pub fn uses(vm: &VmRow, group: &api::SecurityGroup) -> bool {
        vm.region == group.region
            && vm
                .security_groups
                .iter()
                .any(|n| *n == group.name || *n == group.securitygroup_id)
    }

    /// A VM as the caller may see it.
    pub fn vm_ref<P: Permission>(g: &Grant<P>, vm: &VmRow) -> VmRef {
        if g.sees(&kinds::VM, &vm.vm_id) {
            VmRef {
                vm_id: vm.vm_id.clone(),
                name: vm.name.clone(),
                visible: true,
            }
        } else {
            VmRef {
                vm_id: String::new(),
                name: "a server not in your list".into(),
                visible: false,
            }
        }
    }

    /// The VMs using `group`, as the caller may see them.
    pub fn users_of<P: Permission>(
        g: &Grant<P>,
        vms: &[VmRow],
        group: &api::SecurityGroup,
    ) -> Vec<VmRef> {
        vms.iter()
            .filter(|v| uses(v, group))
            .map(|v| vm_ref(g, v))
            .collect()
    }

    /// A group's row: its rule count, users and warnings (`rules` as read, if they were).
    pub fn row<P: Permission>(
        g: &Grant<P>,
        group: &api::SecurityGroup,
        vms: &[VmRow],
        rules: Option<&[RuleRow]>,
    ) -> GroupRow {
        GroupRow {
            id: group.securitygroup_id.clone(),
            name: group.name.clone(),
            region: group.region.clone(),
            rules: rules.map(<[RuleRow]>::len),
            vms: users_of(g, vms, group),
            warnings: rules
                .map_or_else(Vec::new, |r| lint(&group.securitygroup_id, &group.name, r)),
        }
    }

    /// Whether another group of `region` is called `name` (any case): VMs know their
    /// groups by name, so the panel keeps names unique per region.
    pub fn name_taken(
        groups: &[api::SecurityGroup],
        region: &str,
        name: &str,
        except: Option<&str>,
    ) -> bool {
        groups.iter().any(|g| {
            g.region == region
                && Some(g.securitygroup_id.as_str()) != except
                && g.name.trim().eq_ignore_ascii_case(name.trim())
        })
    }

    pub fn taken_message(name: &str, region: &str) -> String {
        format!(
            "There is a group named “{}” in {region} already. VMs know their groups by name: \
             choose another.",
            name.trim()
        )
    }

    /// How many groups the customer holds, as the ledger says, of those still `listed`.
    pub fn held<'a>(ids: impl Iterator<Item = &'a str>, listed: &[api::SecurityGroup]) -> u32 {
        let count = ids
            .filter(|id| listed.iter().any(|g| g.securitygroup_id == *id))
            .count();
        u32::try_from(count).unwrap_or(u32::MAX)
    }

    /// Refuses a customer's new group when they hold their quota of groups already, before
    /// Luna Node is asked. Counted under their quota lock (held by the caller until the new
    /// group is claimed), from the ledger as read under it and `listed` (read under it).
    pub fn check_quota<P: Permission>(
        g: &Grant<P>,
        lock: &QuotaLock,
        listed: &[api::SecurityGroup],
    ) -> Result<(), AppError> {
        let Some(limit) = g.customer().and_then(|c| c.policy.quotas.security_groups) else {
            return Ok(());
        };
        let have = held(lock.held(kinds::SECURITYGROUP.key), listed);
        if have >= limit {
            return Err(AppError::Quota(format!(
                "Your plan allows {limit} security groups and you have {have}. Delete a group, \
                 or ask your provider for more."
            )));
        }
        Ok(())
    }

    /// Whether `e` is Luna Node refusing a change with words about one of `about` (its
    /// words are not documented: UNKNOWN).
    pub fn refused(e: &AppError, about: &[&str]) -> bool {
        match e {
            AppError::Upstream {
                problem: UpstreamProblem::Rejected,
                message,
            } => {
                let lower = message.to_ascii_lowercase();
                about.iter().any(|w| lower.contains(w))
            }
            _ => false,
        }
    }

    /// Luna Node's words for a duplicate rule (OpenStack's "already exists", INFERRED).
    pub const DUPLICATE: &[&str] = &["already exists", "duplicate"];

    /// Inserts `rule` into `group` (the grant decided on the group and the remote).
    pub async fn insert(
        g: &Grant<api::SecurityGroupRuleInsert>,
        group: &api::SecurityGroup,
        rule: &NewRule,
    ) -> Result<(), AppError> {
        let (remote_type, remote_value) = match &rule.remote {
            NewRemote::Cidr(c) => (api::RuleRemoteType::Cidr, c.clone()),
            NewRemote::Group(id) => (api::RuleRemoteType::Group, id.clone()),
        };
        let req = api::SecurityGroupRuleInsert {
            region: group.region.clone(),
            group_id: group.securitygroup_id.clone(),
            direction: match rule.direction {
                Direction::Ingress => api::RuleDirection::Ingress,
                Direction::Egress => api::RuleDirection::Egress,
            },
            ip_version: match rule.version {
                IpVersion::V4 => api::RuleIpVersion::V4,
                IpVersion::V6 => api::RuleIpVersion::V6,
            },
            protocol: match rule.protocol {
                Protocol::Any => api::RuleProtocol::Any,
                Protocol::Tcp => api::RuleProtocol::Tcp,
                Protocol::Udp => api::RuleProtocol::Udp,
                Protocol::Icmp => api::RuleProtocol::Icmp,
            },
            remote_type,
            remote_value,
            port_min: rule.ports.map(|p| p.min),
            port_max: rule.ports.map(|p| p.max),
            label: Some(rule.label.clone()).filter(|l| !l.is_empty()),
        };
        g.call(&req, GROUP).await.map(|_| ())
    }

    /// Adds VM `vm_id` to group `group_id` (`attach`) or takes it out, through `g` (a grant
    /// for `req`, decided on the VM and the group). Checked first, in words: the group must
    /// be of the VM's region, and the VM in it (to remove) or not (to add). The live VM list
    /// reads the VM again before this returns, so pages built on it show the change.
    pub async fn change_membership<A: Action + 'static>(
        g: &Grant<A>,
        vm_id: &str,
        group_id: &str,
        attach: bool,
        req: A,
    ) -> Result<(), AppError> {
        let vm = g
            .also::<api::VmInfo>(crate::vm::ssr::vm_target(vm_id)?)
            .await?;
        let info_req = api::VmInfo {
            vm_id: vm_id.to_owned(),
        };
        let (info, groups) = futures::join!(vm.call(&info_req, kinds::VM.what), all_groups(g));
        let (info, groups) = (info?, groups?);
        let group = find(&groups, group_id)?;
        let region = info.extra.map(|e| e.region).unwrap_or_default();
        if !region.is_empty() && group.region != region {
            return Err(field(
                "group_id",
                format!(
                    "Group “{}” is in {} and the VM in {region}: choose a group of the VM's \
                     region.",
                    group.name, group.region
                ),
            ));
        }
        let has = info
            .info
            .security_groups
            .iter()
            .any(|n| *n == group.name || *n == group.securitygroup_id);
        match (attach, has) {
            (true, true) => {
                return Err(AppError::Conflict(format!(
                    "The VM is in group “{}” already.",
                    group.name
                )))
            }
            (false, false) => {
                return Err(AppError::Conflict(format!(
                    "The VM is not in group “{}”.",
                    group.name
                )))
            }
            _ => {}
        }
        g.call(&req, "The VM or security group").await?;
        g.state().live.reread(g.account, &[vm_id], REREAD).await;
        Ok(())
    }
}

/// The caller's groups in every region: rule counts, the VMs using each, lint warnings;
/// the regions a group can be made in and (for a customer) their quota.
#[server(name = SecurityGroupListFn, endpoint = "securitygroups/list")]
pub async fn securitygroup_list() -> Result<GroupsView, AppError> {
    use crate::kinds;
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::SecurityGroupList>(Target::Account).await?;
    let (groups, regions, vms) =
        futures::join!(ssr::all_groups(&g), ssr::regions(&g), ssr::known_vms(&g));
    let groups = groups?;
    let mine: Vec<api::SecurityGroup> = groups
        .iter()
        .filter(|x| g.sees(&kinds::SECURITYGROUP, &x.securitygroup_id))
        .cloned()
        .collect();
    let rules = futures::future::join_all(mine.iter().map(|x| {
        let region = ssr::region_groups(&groups, &x.region);
        let g = &g;
        async move { ssr::rules_of(g, x, &region).await }
    }))
    .await;
    let mut failed = Vec::new();
    let rows: Vec<GroupRow> = mine
        .iter()
        .zip(rules)
        .map(|(x, rules)| match rules {
            Ok(r) => ssr::row(&g, x, &vms, Some(&r)),
            Err(e) => {
                failed.push(format!("{}: {e}", x.name));
                ssr::row(&g, x, &vms, None)
            }
        })
        .collect();
    let quota = g.customer().map(|c| GroupQuotaView {
        used: ssr::held(c.owned(kinds::SECURITYGROUP.key), &groups),
        limit: c.policy.quotas.security_groups,
    });
    let open = rows
        .iter()
        .flat_map(|g: &GroupRow| {
            g.warnings
                .iter()
                .map(move |w| (g.id.clone(), g.name.clone(), w.on_group()))
        })
        .collect();
    Ok(GroupsView {
        open,
        groups: rows,
        regions: regions.unwrap_or_default(),
        problem: (!failed.is_empty()).then(|| {
            format!(
                "The rules of some groups could not be read, so their warnings are not known \
                 ({}).",
                failed.join("; ")
            )
        }),
        quota,
    })
}

/// One group: its rules and warnings, the VMs using it, the VMs of its region it can be
/// applied to, and the region's other groups (to pick as a rule's remote).
#[server(name = SecurityGroupDetailFn, endpoint = "securitygroups/detail")]
pub async fn securitygroup_detail(group_id: String) -> Result<GroupDetail, AppError> {
    use crate::kinds;
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::SecurityGroupRuleList>(ssr::target(&group_id)?).await?;
    let (groups, vms) = futures::join!(ssr::all_groups(&g), ssr::known_vms(&g));
    let groups = groups?;
    let group = ssr::find(&groups, &group_id)?;
    let region = ssr::region_groups(&groups, &group.region);
    let rules = ssr::rules_of(&g, &group, &region).await?;
    let row = ssr::row(&g, &group, &vms, Some(&rules));
    Ok(GroupDetail {
        others: ssr::pickable(&g, &groups, &group.region)
            .into_iter()
            .filter(|c| c.id != group.securitygroup_id)
            .collect(),
        candidates: vms
            .iter()
            .filter(|v| v.region == group.region && !ssr::uses(v, &group))
            .filter(|v| g.sees(&kinds::VM, &v.vm_id))
            .map(|v| ssr::vm_ref(&g, v))
            .collect(),
        group: row,
        rules,
    })
}

/// Makes a group named `name` in `region`; returns its id. A customer's is theirs from the
/// first moment, within their quota.
#[server(name = SecurityGroupCreateFn, endpoint = "securitygroups/create")]
pub async fn securitygroup_create(region: String, name: String) -> Result<String, AppError> {
    use crate::error::FieldErrors;
    use crate::kinds;
    use crate::server::authz::{authorize_refs, Target};
    use crate::server::lunanode::actions as api;
    let region = region.trim().to_owned();
    let refs = if region.is_empty() {
        Vec::new()
    } else {
        vec![Target::Region(region.clone())]
    };
    let g = authorize_refs::<api::SecurityGroupCreate>(Target::Account, refs).await?;
    let mut errors = FieldErrors::new();
    if let Err(e) = check_group_name(&name) {
        errors.add("name", e);
    }
    if region.is_empty() {
        errors.add("region", "Choose a region.");
    }
    errors.into_result()?;
    let name = name.trim().to_owned();
    // Held until the new group is claimed: parallel creates are counted one after another.
    let quota = g.quota_lock().await?;
    let listed = ssr::all_groups(&g).await?;
    if ssr::name_taken(&listed, &region, &name, None) {
        return Err(ssr::field("name", ssr::taken_message(&name, &region)));
    }
    if let Some(lock) = &quota {
        ssr::check_quota(&g, lock, &listed)?;
    }
    let made = g
        .call(
            &api::SecurityGroupCreate {
                region: region.clone(),
                name,
            },
            "The region",
        )
        .await?;
    // Recorded in the same step: a customer's new group is theirs from the first moment.
    g.claim(&kinds::SECURITYGROUP, &made.group_id).await?;
    drop(quota);
    Ok(made.group_id)
}

/// Renames a group (never a region's `default`). The VMs using it follow (they know it by
/// name): the live VM list reads them again before this returns.
#[server(name = SecurityGroupRenameFn, endpoint = "securitygroups/rename")]
pub async fn securitygroup_rename(group_id: String, name: String) -> Result<(), AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::SecurityGroupRename>(ssr::target(&group_id)?).await?;
    check_group_name(&name).map_err(|e| ssr::field("name", e))?;
    let (groups, vms) = futures::join!(ssr::all_groups(&g), ssr::known_vms(&g));
    let groups = groups?;
    let group = ssr::find(&groups, &group_id)?;
    let name = name.trim().to_owned();
    if group.name == name {
        return Ok(());
    }
    if group.name == DEFAULT_GROUP {
        return Err(AppError::Conflict(
            "A region's default group keeps its name.".into(),
        ));
    }
    if ssr::name_taken(&groups, &group.region, &name, Some(&group.securitygroup_id)) {
        return Err(ssr::field("name", ssr::taken_message(&name, &group.region)));
    }
    g.call(
        &api::SecurityGroupRename {
            region: group.region.clone(),
            group_id: group.securitygroup_id.clone(),
            name,
        },
        ssr::GROUP,
    )
    .await?;
    let users: Vec<&str> = vms
        .iter()
        .filter(|v| ssr::uses(v, &group))
        .map(|v| v.vm_id.as_str())
        .collect();
    if !users.is_empty() {
        g.state().live.reread(g.account, &users, ssr::REREAD).await;
    }
    Ok(())
}

/// Deletes a group; `confirm` must be its name. Refused while VMs use it, naming them
/// (checked first from the live VM list; Luna Node's own refusal is said in the same words,
/// after the region's VMs are read again to name them). Never a region's `default`.
#[server(name = SecurityGroupDeleteFn, endpoint = "securitygroups/delete")]
pub async fn securitygroup_delete(group_id: String, confirm: String) -> Result<(), AppError> {
    use crate::kinds;
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::SecurityGroupDelete>(ssr::target(&group_id)?).await?;
    let (groups, vms) = futures::join!(ssr::all_groups(&g), ssr::known_vms(&g));
    let group = ssr::find(&groups?, &group_id)?;
    if confirm.trim() != group.name.trim() {
        return Err(ssr::field(
            "confirm",
            "Type the group's name exactly to confirm.",
        ));
    }
    if group.name == DEFAULT_GROUP {
        return Err(AppError::Conflict(
            "A region's default group cannot be deleted.".into(),
        ));
    }
    let in_use = |users: &[VmRef]| {
        let who = if users.is_empty() {
            "a VM".to_owned()
        } else {
            crate::model::securitygroup::users(users)
        };
        AppError::Conflict(format!(
            "The group is in use by {who}: remove it from {} first (under “VMs using it”), \
             then delete it.",
            if users.len() == 1 { "that VM" } else { "them" }
        ))
    };
    let users = ssr::users_of(&g, &vms, &group);
    if !users.is_empty() {
        return Err(in_use(&users));
    }
    let id = group.securitygroup_id.clone();
    let deleted = g
        .call(
            &api::SecurityGroupDelete {
                region: group.region.clone(),
                group_id: id.clone(),
            },
            ssr::GROUP,
        )
        .await;
    if let Err(e) = deleted {
        if !ssr::refused(&e, &["in use", "in-use", "used by", "is used"]) {
            return Err(e);
        }
        // The live list did not know yet: read the region's VMs again to name them.
        let region: Vec<&str> = vms
            .iter()
            .filter(|v| v.region == group.region)
            .map(|v| v.vm_id.as_str())
            .collect();
        g.state().live.reread(g.account, &region, ssr::REREAD).await;
        let now = ssr::known_vms(&g).await;
        return Err(in_use(&ssr::users_of(&g, &now, &group)));
    }
    g.release(&kinds::SECURITYGROUP, &id).await;
    Ok(())
}

/// Adds a rule to a group. Every field is checked; a remote group is picked by id among the
/// region's groups the caller may use (a customer: theirs).
#[server(name = SecurityGroupRuleInsertFn, endpoint = "securitygroups/rule_insert")]
pub async fn securitygroup_rule_insert(group_id: String, rule: RuleForm) -> Result<(), AppError> {
    use crate::server::authz::authorize_refs;
    use crate::server::lunanode::actions as api;
    let remote = rule.remote_group.trim();
    let refs = if rule.remote_type.trim() == "group" && !remote.is_empty() {
        vec![ssr::target(remote)?]
    } else {
        Vec::new()
    };
    let g = authorize_refs::<api::SecurityGroupRuleInsert>(ssr::target(&group_id)?, refs).await?;
    let groups = ssr::all_groups(&g).await?;
    let group = ssr::find(&groups, &group_id)?;
    let pickable: Vec<GroupChoice> = ssr::pickable(&g, &groups, &group.region);
    let new = rule.check(&pickable).map_err(AppError::Validation)?;
    let region = ssr::region_groups(&groups, &group.region);
    let existing = ssr::rules_of(&g, &group, &region).await?;
    let exists = || {
        AppError::Conflict(format!(
            "The group has this rule already ({}).",
            new.describe(&region)
        ))
    };
    if existing.iter().any(|r| new.matches(r)) {
        return Err(exists());
    }
    ssr::insert(&g, &group, &new).await.map_err(|e| {
        if ssr::refused(&e, ssr::DUPLICATE) {
            exists()
        } else {
            e
        }
    })
}

/// Adds a preset's rules (SSH; HTTP and HTTPS; ping; everything) from `cidr` to a group;
/// says which it added and which the group had already.
#[server(name = SecurityGroupPresetFn, endpoint = "securitygroups/preset")]
pub async fn securitygroup_preset(
    group_id: String,
    preset: String,
    cidr: String,
) -> Result<PresetOutcome, AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::SecurityGroupRuleInsert>(ssr::target(&group_id)?).await?;
    let Some(preset) = Preset::parse(&preset) else {
        return Err(ssr::field("preset", "Choose a preset."));
    };
    let rules = preset.rules(&cidr).map_err(|e| ssr::field("cidr", e))?;
    let groups = ssr::all_groups(&g).await?;
    let group = ssr::find(&groups, &group_id)?;
    let region = ssr::region_groups(&groups, &group.region);
    let existing = ssr::rules_of(&g, &group, &region).await?;
    let mut outcome = PresetOutcome::default();
    for rule in rules {
        let words = rule.describe(&region);
        if existing.iter().any(|r| rule.matches(r)) {
            outcome.existed.push(words);
            continue;
        }
        match ssr::insert(&g, &group, &rule).await {
            Ok(()) => outcome.added.push(words),
            Err(e) if ssr::refused(&e, ssr::DUPLICATE) => outcome.existed.push(words),
            Err(e) => return Err(e),
        }
    }
    Ok(outcome)
}

/// Deletes one rule of a group.
#[server(name = SecurityGroupRuleDeleteFn, endpoint = "securitygroups/rule_delete")]
pub async fn securitygroup_rule_delete(group_id: String, rule_id: String) -> Result<(), AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::SecurityGroupRuleDelete>(ssr::target(&group_id)?).await?;
    let groups = ssr::all_groups(&g).await?;
    let group = ssr::find(&groups, &group_id)?;
    let region = ssr::region_groups(&groups, &group.region);
    let rule_id = rule_id.trim().to_owned();
    let rules = ssr::rules_of(&g, &group, &region).await?;
    if !rules.iter().any(|r| r.id == rule_id) {
        return Err(AppError::NotFound(ssr::RULE.into()));
    }
    g.call(
        &api::SecurityGroupRuleDelete {
            region: group.region.clone(),
            group_id: group.securitygroup_id.clone(),
            rule_id,
        },
        ssr::RULE,
    )
    .await?;
    Ok(())
}

/// A VM's security groups for its page: each with its warnings (the caller's groups; a
/// customer's VM may also be in their provider's groups, named but not opened), and the
/// groups of its region it can be given.
#[server(name = SecurityGroupOfVmFn, endpoint = "securitygroups/of_vm")]
pub async fn securitygroup_of_vm(vm_id: String) -> Result<VmGroupsView, AppError> {
    use crate::kinds;
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::VmInfo>(crate::vm::ssr::vm_target(&vm_id)?).await?;
    let req = api::VmInfo {
        vm_id: vm_id.trim().to_owned(),
    };
    let (info, groups) = futures::join!(g.call(&req, kinds::VM.what), ssr::all_groups(&g));
    let (info, groups) = (info?, groups?);
    let region = info.extra.map(|e| e.region).unwrap_or_default();
    let names = info.info.security_groups;
    let here: Vec<api::SecurityGroup> = groups
        .iter()
        .filter(|x| region.is_empty() || x.region == region)
        .cloned()
        .collect();
    let choices = ssr::region_groups(&here, &region);
    let theirs: Vec<Option<api::SecurityGroup>> = names
        .iter()
        .map(|n| {
            here.iter()
                .find(|x| x.name == *n)
                .or_else(|| here.iter().find(|x| x.securitygroup_id == *n))
                .filter(|x| g.sees(&kinds::SECURITYGROUP, &x.securitygroup_id))
                .cloned()
        })
        .collect();
    let rules = futures::future::join_all(theirs.iter().map(|x| {
        let (g, choices) = (&g, &choices);
        async move {
            match x {
                Some(x) => Some(ssr::rules_of(g, x, choices).await),
                None => None,
            }
        }
    }))
    .await;
    let mut failed = Vec::new();
    let vm_groups = names
        .iter()
        .zip(theirs.iter().zip(rules))
        .map(|(name, (group, rules))| match (group, rules) {
            (Some(x), Some(rules)) => VmGroup {
                id: x.securitygroup_id.clone(),
                name: x.name.clone(),
                visible: true,
                warnings: match rules {
                    Ok(r) => lint(&x.securitygroup_id, &x.name, &r),
                    Err(e) => {
                        failed.push(format!("{}: {e}", x.name));
                        Vec::new()
                    }
                },
            },
            _ => VmGroup {
                id: String::new(),
                name: name.clone(),
                visible: false,
                warnings: Vec::new(),
            },
        })
        .collect();
    Ok(VmGroupsView {
        available: ssr::pickable(&g, &here, &region)
            .into_iter()
            .filter(|c| !names.iter().any(|n| *n == c.name || *n == c.id))
            .collect(),
        groups: vm_groups,
        problem: (!failed.is_empty()).then(|| {
            format!(
                "The rules of some groups could not be read, so their warnings are not known \
                 ({}).",
                failed.join("; ")
            )
        }),
        region,
    })
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::ssr::{held, name_taken, refused, target, uses};
    use crate::error::{AppError, UpstreamProblem};
    use crate::server::lunanode::actions as api;

    fn group(id: &str, name: &str, region: &str) -> api::SecurityGroup {
        api::SecurityGroup {
            securitygroup_id: id.into(),
            name: name.into(),
            region: region.into(),
        }
    }

    #[test]
    fn junk_ids_are_not_found_before_anything_is_asked() {
        for junk in ["", " ", "../etc", "a b", &"9".repeat(65), "1;2"] {
            assert_eq!(
                target(junk),
                Err(AppError::NotFound("The security group".into())),
                "{junk:?}"
            );
        }
        assert!(target(" 1226 ").is_ok());
    }

    #[test]
    fn names_are_unique_per_region_and_vms_match_by_name_within_it() {
        let groups = [group("1", "web", "toronto"), group("2", "db", "montreal")];
        assert!(name_taken(&groups, "toronto", "WEB", None));
        assert!(!name_taken(&groups, "montreal", "web", None));
        assert!(!name_taken(&groups, "toronto", "web", Some("1")), "itself");
        let mut vm = crate::vm::VmRow {
            vm_id: "v".into(),
            name: "v".into(),
            plan_id: String::new(),
            plan_name: String::new(),
            region: "toronto".into(),
            ip: String::new(),
            private_ip: String::new(),
            vcpu: None,
            ram_mb: None,
            disk_gb: None,
            status: None,
            status_raw: String::new(),
            task_state: String::new(),
            checked_at: None,
            security_groups: vec!["web".into()],
        };
        assert!(uses(&vm, &groups[0]));
        vm.region = "montreal".into();
        assert!(
            !uses(&vm, &groups[0]),
            "a same-named group of another region"
        );
        assert_eq!(held(["1", "3"].into_iter(), &groups), 1, "3 is gone");
        let rejected = AppError::Upstream {
            problem: UpstreamProblem::Rejected,
            message: "Luna Node refused the request: the security group is in use by a VM".into(),
        };
        assert!(refused(&rejected, &["in use"]));
        assert!(!refused(&rejected, &["already exists"]));
        assert!(!refused(&AppError::Conflict("in use".into()), &["in use"]));
    }
}
