//! `securitygroup/*` (reference §10; parameters and list/create/rule-list shapes CONFIRMED by
//! DOCS-sg). Every region has a group named `default`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Done;
use crate::server::lunanode::decode;

#[derive(Debug, Clone, Default, Serialize)]
pub struct SecurityGroupList {}

/// `{"securitygroups":[…]}` (CONFIRMED); any collection layout accepted.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SecurityGroups {
    #[serde(default, deserialize_with = "decode::collection")]
    pub securitygroups: Vec<SecurityGroup>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SecurityGroup {
    #[serde(deserialize_with = "decode::id")]
    pub securitygroup_id: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub name: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub region: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SecurityGroupCreate {
    pub region: String,
    pub name: String,
}

/// `{"group_id":"1226","success":"yes"}` (CONFIRMED).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SecurityGroupCreated {
    #[serde(deserialize_with = "decode::id")]
    pub group_id: String,
}

/// `securitygroup/delete` → `{"success":"yes"}` (CONFIRMED).
#[derive(Debug, Clone, Serialize)]
pub struct SecurityGroupDelete {
    pub region: String,
    pub group_id: String,
}

/// `securitygroup/rename` → `{"success":"yes"}` (CONFIRMED).
#[derive(Debug, Clone, Serialize)]
pub struct SecurityGroupRename {
    pub region: String,
    pub group_id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SecurityGroupRuleList {
    pub region: String,
    pub group_id: String,
}

/// The group's rules, which `rule-list` sends as numbered top-level keys beside `success`
/// (CONFIRMED, DOCS-sg; the numbers are indices, not rule ids).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "Value")]
pub struct SecurityGroupRules {
    pub rules: Vec<SecurityGroupRule>,
}

impl TryFrom<Value> for SecurityGroupRules {
    type Error = serde_json::Error;

    fn try_from(body: Value) -> Result<Self, Self::Error> {
        Ok(SecurityGroupRules {
            rules: decode::numbered_top_level(&body)?,
        })
    }
}

/// One rule (fields CONFIRMED; value formats beyond `*` INFERRED).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SecurityGroupRule {
    /// A UUID; what `rule-delete` takes as `rule_id` (INFERRED).
    #[serde(deserialize_with = "decode::id")]
    pub id: String,
    /// `ingress` or `egress`.
    #[serde(default, deserialize_with = "decode::text")]
    pub direction: String,
    /// `IPv4` or `IPv6`.
    #[serde(default, deserialize_with = "decode::text")]
    pub ethertype: String,
    /// `*`, `tcp`, `udp` or `icmp`.
    #[serde(default, deserialize_with = "decode::text")]
    pub protocol: String,
    /// `*` (CONFIRMED), or INFERRED `22` / `1000-2000`.
    #[serde(default, deserialize_with = "decode::text")]
    pub port_range: String,
    /// `*` (CONFIRMED), a CIDR, or a remote group's name (both INFERRED).
    #[serde(default, deserialize_with = "decode::text")]
    pub remote: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleDirection {
    Ingress,
    Egress,
}

/// The rule's IP version (the API's `type` parameter: `4` or `6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RuleIpVersion {
    #[serde(rename = "4")]
    V4,
    #[serde(rename = "6")]
    V6,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleProtocol {
    #[serde(rename = "*")]
    Any,
    Tcp,
    Udp,
    Icmp,
}

/// What `remote_value` is: a CIDR or a security group id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleRemoteType {
    Cidr,
    Group,
}

/// `securitygroup/rule-insert` → `{"success":"yes"}` (payload INFERRED; no rule id is
/// known to come back, so re-list to find the new rule).
#[derive(Debug, Clone, Serialize)]
pub struct SecurityGroupRuleInsert {
    pub region: String,
    pub group_id: String,
    pub direction: RuleDirection,
    #[serde(rename = "type")]
    pub ip_version: RuleIpVersion,
    pub protocol: RuleProtocol,
    pub remote_type: RuleRemoteType,
    /// A CIDR such as `0.0.0.0/0`, or a group id.
    pub remote_value: String,
    /// Only for `tcp`/`udp`; one port when `port_max` is unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_min: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_max: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// `securitygroup/rule-delete` → `{"success":"yes"}` (INFERRED payload).
#[derive(Debug, Clone, Serialize)]
pub struct SecurityGroupRuleDelete {
    pub region: String,
    pub group_id: String,
    /// The rule's UUID `id` from `rule-list`.
    pub rule_id: String,
}

super::actions! {
    const SECURITYGROUP_ACTIONS;
    /// Every region's security groups.
    securitygroup_list: read "securitygroup/list", SecurityGroupList => SecurityGroups;
    securitygroup_create: write "securitygroup/create", SecurityGroupCreate => SecurityGroupCreated;
    securitygroup_delete: write "securitygroup/delete", SecurityGroupDelete => Done;
    securitygroup_rename: write "securitygroup/rename", SecurityGroupRename => Done;
    securitygroup_rule_list: read "securitygroup/rule-list", SecurityGroupRuleList => SecurityGroupRules;
    securitygroup_rule_insert: write "securitygroup/rule-insert", SecurityGroupRuleInsert => Done;
    securitygroup_rule_delete: write "securitygroup/rule-delete", SecurityGroupRuleDelete => Done;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::lunanode::params;

    #[test]
    fn decodes_the_reference_samples() {
        let list: SecurityGroups = serde_json::from_str(
            r#"{"success": "yes", "securitygroups": [{"securitygroup_id": "4", "name": "default", "region": "toronto"}]}"#,
        )
        .unwrap();
        assert_eq!(
            list.securitygroups,
            [SecurityGroup {
                securitygroup_id: "4".into(),
                name: "default".into(),
                region: "toronto".into()
            }]
        );
        // DOCS' example omits "success"; the client only decodes checked bodies, but the
        // shape must not depend on it.
        let docs: SecurityGroups = serde_json::from_str(r#"{"securitygroups":[]}"#).unwrap();
        assert!(docs.securitygroups.is_empty());
        let created: SecurityGroupCreated =
            serde_json::from_str(r#"{"group_id": "1226", "success": "yes"}"#).unwrap();
        assert_eq!(created.group_id, "1226");
        let rules: SecurityGroupRules = serde_json::from_str(
            r#"{
  "0": {"id": "9b7aecb7-e060-4ead-a658-4a45c78af7e2", "direction": "egress", "ethertype": "IPv6",
        "protocol": "*", "port_range": "*", "remote": "*", "label": ""},
  "1": {"id": "c1c7f395-cf76-4725-826e-97cfadc6881f", "direction": "egress", "ethertype": "IPv4",
        "protocol": "*", "port_range": "*", "remote": "*", "label": ""},
  "success": "yes"
}"#,
        )
        .unwrap();
        assert_eq!(rules.rules.len(), 2);
        assert_eq!(rules.rules[0].ethertype, "IPv6");
        assert_eq!(rules.rules[1].id, "c1c7f395-cf76-4725-826e-97cfadc6881f");
        let none: SecurityGroupRules = serde_json::from_str(r#"{"success":"yes"}"#).unwrap();
        assert!(none.rules.is_empty());
    }

    #[test]
    fn rule_insert_params() {
        let rule = SecurityGroupRuleInsert {
            region: "toronto".into(),
            group_id: "4".into(),
            direction: RuleDirection::Ingress,
            ip_version: RuleIpVersion::V4,
            protocol: RuleProtocol::Tcp,
            remote_type: RuleRemoteType::Cidr,
            remote_value: "0.0.0.0/0".into(),
            port_min: Some(22),
            port_max: None,
            label: None,
        };
        let p = params(&rule).unwrap();
        assert_eq!(p["type"], "4");
        assert_eq!(p["direction"], "ingress");
        assert_eq!(p["protocol"], "tcp");
        assert_eq!(p["remote_type"], "cidr");
        assert_eq!(p["port_min"], "22");
        assert!(!p.contains_key("port_max") && !p.contains_key("label"));
        assert_eq!(p.len(), 8);
        let p = params(&SecurityGroupRuleInsert {
            protocol: RuleProtocol::Any,
            ip_version: RuleIpVersion::V6,
            port_min: None,
            ..rule
        })
        .unwrap();
        assert_eq!((p["protocol"].as_str(), p["type"].as_str()), ("*", "6"));
        assert!(!p.contains_key("port_min"));
    }
}
