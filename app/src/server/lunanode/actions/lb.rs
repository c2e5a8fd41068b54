//! `lb/*` — load balancers (reference §8). The member actions are spelled with underscores
//! (`lb/member_add`, `lb/member_remove`), unlike the rest of the API (CONFIRMED, WIKI).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Done;
use crate::server::lunanode::decode;

/// `lb/list`. `region` is required (the service answers `region not set`, CONFIRMED).
#[derive(Debug, Clone, Default, Serialize)]
pub struct LbList {
    pub region: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub net_id: Option<String>,
}

/// `{"lb":[…]}` — the key is singular (CONFIRMED, CS sample); any collection layout accepted.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Lbs {
    #[serde(rename = "lb", default, deserialize_with = "decode::collection")]
    pub lbs: Vec<LbSummary>,
}

/// One `lb/list` entry (CONFIRMED fields); details come from `lb/info`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LbSummary {
    #[serde(deserialize_with = "decode::id")]
    pub id: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub name: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub region: String,
}

/// How connections are spread over the members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LbMethod {
    RoundRobin,
    LeastConnections,
    SourceIp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LbProtocol {
    Http,
    Https,
    Tcp,
}

/// `lb/create` (WIKI: every parameter required).
#[derive(Debug, Clone, Serialize)]
pub struct LbCreate {
    pub region: String,
    pub net_id: String,
    pub name: String,
    pub method: LbMethod,
    pub protocol: LbProtocol,
    /// Concurrent connections; `-1` = unlimited.
    pub connection_limit: i32,
    pub port: u16,
}

/// `lb/create`'s answer: INFERRED `{"success":"yes","lb_id":"…"}`; `None` if the service
/// sends no id (re-list to find it then).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LbCreated {
    #[serde(default, deserialize_with = "decode::opt_id")]
    pub lb_id: Option<String>,
}

/// `lb/delete` → `{"success":"yes"}` (CONFIRMED, CS).
#[derive(Debug, Clone, Serialize)]
pub struct LbDelete {
    pub region: String,
    pub lb_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LbInfo {
    pub region: String,
    pub lb_id: String,
}

/// `lb/info`'s answer. The shape is UNKNOWN (only "it shows the member ids" is known); the
/// details are read from an `info` object (INFERRED, like `vm/info`), else an `lb` object,
/// else the top level (like `script/get`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "Value")]
pub struct LbInfoResponse {
    pub info: LbDetails,
}

impl TryFrom<Value> for LbInfoResponse {
    type Error = serde_json::Error;

    fn try_from(mut body: Value) -> Result<Self, Self::Error> {
        let inner = ["info", "lb"]
            .into_iter()
            .find_map(|k| body.get_mut(k).filter(|v| v.is_object()).map(Value::take));
        Ok(LbInfoResponse {
            info: serde_json::from_value(inner.unwrap_or(body))?,
        })
    }
}

/// A load balancer's settings and members (every field INFERRED, so all are optional).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LbDetails {
    #[serde(default, deserialize_with = "decode::text")]
    pub id: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub name: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub region: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub net_id: String,
    /// `ROUND_ROBIN`, `LEAST_CONNECTIONS` or `SOURCE_IP` (kept as text: UNKNOWN spelling).
    #[serde(default, deserialize_with = "decode::text")]
    pub method: String,
    /// `HTTP`, `HTTPS` or `TCP`.
    #[serde(default, deserialize_with = "decode::text")]
    pub protocol: String,
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub port: Option<u16>,
    /// `-1` = unlimited.
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub connection_limit: Option<i64>,
    /// The virtual IP inside the network.
    #[serde(default, alias = "vip_address", deserialize_with = "decode::text")]
    pub vip: String,
    /// The associated floating IP; `""` when none.
    #[serde(default, deserialize_with = "decode::text")]
    pub floating_ip: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub status: String,
    #[serde(default, deserialize_with = "decode::collection")]
    pub members: Vec<LbMember>,
}

/// A back-end member (INFERRED fields); `id` is what `lb/member_remove` takes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LbMember {
    #[serde(deserialize_with = "decode::id")]
    pub id: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub ip: String,
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub port: Option<u16>,
    #[serde(default, deserialize_with = "decode::text")]
    pub status: String,
}

/// `lb/member_add` → `{"success":"yes"}` (INFERRED). No member id is returned (WIKI points
/// to `lb/info` for member ids), so re-read `lb/info` to find the new member.
#[derive(Debug, Clone, Serialize)]
pub struct LbMemberAdd {
    pub region: String,
    pub lb_id: String,
    pub ip: String,
    pub port: u16,
}

/// `lb/member_remove` → `{"success":"yes"}` (INFERRED).
#[derive(Debug, Clone, Serialize)]
pub struct LbMemberRemove {
    pub region: String,
    pub lb_id: String,
    pub member_id: String,
}

/// `lb/associate`: attaches an unattached floating IP of the region → `{"success":"yes"}`
/// (INFERRED).
#[derive(Debug, Clone, Serialize)]
pub struct LbAssociate {
    pub region: String,
    pub lb_id: String,
    pub ip: String,
}

super::actions! {
    const LB_ACTIONS;
    /// Load balancers of a region, optionally of one network.
    lb_list: read "lb/list", LbList => Lbs;
    lb_create: write "lb/create", LbCreate => LbCreated;
    lb_delete: write "lb/delete", LbDelete => Done;
    /// Settings, virtual IP and members.
    lb_info: read "lb/info", LbInfo => LbInfoResponse;
    lb_member_add: write "lb/member_add", LbMemberAdd => Done;
    lb_member_remove: write "lb/member_remove", LbMemberRemove => Done;
    /// Puts a floating IP in front of the load balancer.
    lb_associate: write "lb/associate", LbAssociate => Done;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::lunanode::params;

    #[test]
    fn decodes_the_reference_list_sample() {
        let list: Lbs = serde_json::from_str(
            r#"{"success": "yes", "lb": [{"region": "toronto", "id": "138", "name": "lndapi lb"}]}"#,
        )
        .unwrap();
        assert_eq!(
            list.lbs,
            [LbSummary {
                id: "138".into(),
                name: "lndapi lb".into(),
                region: "toronto".into()
            }]
        );
        let empty: Lbs = serde_json::from_str(r#"{"success":"yes","lb":[]}"#).unwrap();
        assert!(empty.lbs.is_empty());
    }

    #[test]
    fn decodes_info_in_any_of_the_inferred_layouts() {
        let wrapped = r#"{"success":"yes","info":{"id":"138","name":"web","region":"toronto","net_id":"4",
            "method":"ROUND_ROBIN","protocol":"HTTP","port":"80","connection_limit":"-1","vip":"172.20.0.10",
            "floating_ip":"","status":"ACTIVE",
            "members":[{"id":"140","ip":"10.20.0.5","port":"8080","status":"ACTIVE"}]}}"#;
        let info = serde_json::from_str::<LbInfoResponse>(wrapped)
            .unwrap()
            .info;
        assert_eq!(info.connection_limit, Some(-1));
        assert_eq!((info.port, info.vip.as_str()), (Some(80), "172.20.0.10"));
        assert_eq!(
            info.members,
            [LbMember {
                id: "140".into(),
                ip: "10.20.0.5".into(),
                port: Some(8080),
                status: "ACTIVE".into()
            }]
        );
        let top = r#"{"success":"yes","name":"web","vip_address":"172.20.0.11",
            "members":{"141":{"id":141,"ip":"10.20.0.6","port":443}}}"#;
        let info = serde_json::from_str::<LbInfoResponse>(top).unwrap().info;
        assert_eq!(info.vip, "172.20.0.11");
        assert_eq!(info.members[0].id, "141");
        assert_eq!(info.port, None);
        let created: LbCreated =
            serde_json::from_str(r#"{"success":"yes","lb_id":"138"}"#).unwrap();
        assert_eq!(created.lb_id.as_deref(), Some("138"));
    }

    #[test]
    fn params_are_the_wiki_spellings() {
        let p = params(&LbCreate {
            region: "toronto".into(),
            net_id: "4".into(),
            name: "web".into(),
            method: LbMethod::LeastConnections,
            protocol: LbProtocol::Https,
            connection_limit: -1,
            port: 443,
        })
        .unwrap();
        assert_eq!(p["method"], "LEAST_CONNECTIONS");
        assert_eq!(p["protocol"], "HTTPS");
        assert_eq!(p["connection_limit"], "-1");
        assert_eq!(p["port"], "443");
        let p = params(&LbList {
            region: "toronto".into(),
            net_id: None,
        })
        .unwrap();
        assert_eq!(p.len(), 1, "unset net_id is omitted: {p:?}");
        assert_eq!(
            serde_json::to_value(LbMethod::SourceIp).unwrap(),
            "SOURCE_IP"
        );
        assert_eq!(
            LB_ACTIONS
                .iter()
                .map(|a| a.path)
                .filter(|p| p.contains("member"))
                .collect::<Vec<_>>(),
            ["lb/member_add", "lb/member_remove"]
        );
    }
}
