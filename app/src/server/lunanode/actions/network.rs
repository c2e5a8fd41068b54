//! `network/*` — virtual networks (reference §7).

use serde::{Deserialize, Serialize};

use super::Done;
use crate::server::lunanode::decode;

/// `network/list`; without `region`, every region's networks.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NetworkList {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// `{"networks":[…]}` — a JSON array (CONFIRMED, CS sample); any collection layout accepted.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Networks {
    #[serde(default, deserialize_with = "decode::collection")]
    pub networks: Vec<Network>,
}

/// One network. Every region has a default one named `Luna Node`, `172.20.0.0/16`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Network {
    #[serde(deserialize_with = "decode::id")]
    pub net_id: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub name: String,
    /// CIDR, e.g. `172.20.0.0/16` (CONFIRMED).
    #[serde(default, deserialize_with = "decode::text")]
    pub subnet: String,
    /// UNKNOWN whether the service sends it (the CS sample has no region): `""` when absent;
    /// filter with [`NetworkList::region`] to know a network's region for sure.
    #[serde(default, deserialize_with = "decode::text")]
    pub region: String,
    /// The network's DNS servers: UNKNOWN whether `network/list` shows them (the CS sample
    /// has none); empty when it does not. A list or a comma-separated string is read.
    #[serde(default, deserialize_with = "decode::strings")]
    pub dns: Vec<String>,
}

/// `network/create` (WIKI: all four required).
#[derive(Debug, Clone, Default, Serialize)]
pub struct NetworkCreate {
    pub region: String,
    pub name: String,
    /// The first three octets of a private /24: `192.168.30` means `192.168.30.0/24`.
    pub subnet: String,
    /// DNS server addresses (sent comma-separated, e.g. `8.8.8.8,8.8.4.4`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns: Vec<String>,
}

/// `network/create`'s answer: INFERRED `{"success":"yes","net_id":"…"}`; `None` if the
/// service sends no id (re-list to find the network then).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NetworkCreated {
    #[serde(default, deserialize_with = "decode::opt_id")]
    pub net_id: Option<String>,
}

/// `network/delete` → `{"success":"yes"}` (CONFIRMED, CS).
#[derive(Debug, Clone, Serialize)]
pub struct NetworkDelete {
    pub region: String,
    pub net_id: String,
}

super::actions! {
    const NETWORK_ACTIONS;
    /// Virtual networks, optionally of one region.
    network_list: read "network/list", NetworkList => Networks;
    /// Creates a /24 network.
    network_create: write "network/create", NetworkCreate => NetworkCreated;
    /// Deletes a network (not the region's default one).
    network_delete: write "network/delete", NetworkDelete => Done;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::lunanode::params;

    #[test]
    fn decodes_the_reference_sample() {
        // CS sample (PHP escapes the slash).
        let list: Networks = serde_json::from_str(
            r#"{"success":"yes","networks":[{"net_id":"4","name":"Luna Node","subnet":"172.20.0.0\/16"}]}"#,
        )
        .unwrap();
        assert_eq!(
            list.networks,
            [Network {
                net_id: "4".into(),
                name: "Luna Node".into(),
                subnet: "172.20.0.0/16".into(),
                region: String::new(),
                dns: vec![],
            }]
        );
        let empty: Networks = serde_json::from_str(r#"{"success":"yes","networks":[]}"#).unwrap();
        assert!(empty.networks.is_empty());
        let keyed: Networks = serde_json::from_str(
            r#"{"success":"yes","networks":{"7":{"net_id":7,"name":"lan","subnet":"192.168.30.0/24","region":"toronto","dns":"8.8.8.8, 1.1.1.1"}}}"#,
        )
        .unwrap();
        assert_eq!(
            (
                keyed.networks[0].net_id.as_str(),
                keyed.networks[0].region.as_str()
            ),
            ("7", "toronto")
        );
        assert_eq!(keyed.networks[0].dns, ["8.8.8.8", "1.1.1.1"]);
    }

    #[test]
    fn create_answer_is_lenient() {
        let c: NetworkCreated =
            serde_json::from_str(r#"{"success":"yes","net_id":"4012"}"#).unwrap();
        assert_eq!(c.net_id.as_deref(), Some("4012"));
        let c: NetworkCreated = serde_json::from_str(r#"{"success":"yes","net_id":12}"#).unwrap();
        assert_eq!(c.net_id.as_deref(), Some("12"));
        let c: NetworkCreated = serde_json::from_str(r#"{"success":"yes"}"#).unwrap();
        assert_eq!(c.net_id, None);
    }

    #[test]
    fn params_omit_unset_options() {
        assert!(params(&NetworkList::default()).unwrap().is_empty());
        let p = params(&NetworkCreate {
            region: "toronto".into(),
            name: "lan".into(),
            subnet: "192.168.30".into(),
            dns: vec!["8.8.8.8".into(), "8.8.4.4".into()],
        })
        .unwrap();
        assert_eq!(p["dns"], "8.8.8.8,8.8.4.4");
        assert_eq!(p["subnet"], "192.168.30");
        assert_eq!(p.len(), 4);
        let p = params(&NetworkCreate {
            dns: vec![],
            ..Default::default()
        })
        .unwrap();
        assert!(!p.contains_key("dns"));
    }
}
