//! `floating/*` — floating (public) IPs (reference §6). A VM's public IP is a floating IP
//! attached to it; `floating/list` shows both attached and unattached ones.

use serde::{Deserialize, Serialize};

use super::Done;
use crate::server::lunanode::decode;

#[derive(Debug, Clone, Default, Serialize)]
pub struct FloatingList {}

/// `{"ips":[…]}` — the key is `ips`, not `floatings` (CONFIRMED, CS sample).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FloatingIps {
    /// Row by row: a row without an address is left out (logged once), the rest kept.
    #[serde(default, deserialize_with = "decode::rows")]
    pub ips: Vec<FloatingIp>,
}

/// One floating IP (fields CONFIRMED).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FloatingIp {
    /// `""` when missing: the panel knows a floating IP by its address.
    #[serde(default, deserialize_with = "decode::text")]
    pub id: String,
    pub ip: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub region: String,
    /// `vm` or `unattached` (CONFIRMED); other values (e.g. a load balancer) pass through.
    #[serde(default, deserialize_with = "decode::text")]
    pub attached_type: String,
    /// The VM id when attached; `""` when unattached (INFERRED).
    #[serde(default, deserialize_with = "decode::text")]
    pub attached_id: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub attached_name: String,
    /// Reverse DNS name.
    #[serde(default, deserialize_with = "decode::text")]
    pub hostname: String,
}

impl FloatingIp {
    /// Free to attach or to release with `floating/delete` (BTCPAY/GOGS test exactly this).
    pub fn is_unattached(&self) -> bool {
        self.attached_type == "unattached"
    }
}

/// `floating/add`: reserves a new IP in `region`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FloatingAdd {
    pub region: String,
}

/// `{"success":"yes","ip":"203.0.113.7"}` (CONFIRMED, WHMCS reads `ip`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FloatingAdded {
    pub ip: String,
}

/// `floating/delete`: gives an unattached IP back → `{"success":"yes"}` (CONFIRMED usage).
#[derive(Debug, Clone, Serialize)]
pub struct FloatingDelete {
    pub region: String,
    pub ip: String,
}

super::actions! {
    const FLOATING_ACTIONS;
    /// Every floating IP of the account, attached or not.
    floating_list: read "floating/list", FloatingList => FloatingIps;
    floating_add: write "floating/add", FloatingAdd => FloatingAdded;
    floating_delete: write "floating/delete", FloatingDelete => Done;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::lunanode::params;
    #[test]
    fn an_odd_floating_row_does_not_blank_the_list() {
        let list: FloatingIps = serde_json::from_str(
            r#"{"success":"yes","ips":[
                {"id":"1","ip":"203.0.113.5","region":"toronto","attached_type":"unattached","attached_id":""},
                {"id":"2","ip":null,"region":"toronto"},
                {"id":null,"ip":"203.0.113.7","region":"toronto","attached_type":"vm","attached_id":null},
                {"id":"4","ip":"203.0.113.8","region":"montreal","attached_type":"unattached"}]}"#,
        )
        .expect("one odd floating IP must not fail the whole floating/list");
        let ips: Vec<&str> = list.ips.iter().map(|f| f.ip.as_str()).collect();
        // An address is what identifies a floating IP: a row without one is left out.
        assert_eq!(ips, ["203.0.113.5", "203.0.113.7", "203.0.113.8"]);
    }

    #[test]
    fn decodes_the_reference_samples() {
        let list: FloatingIps = serde_json::from_str(
            r#"{"success":"yes","ips":[{"id":"1467","ip":"203.0.113.5","region":"toronto","attached_type":"vm",
                "attached_id":"11804","attached_name":"www-lunanode-toronto","hostname":"5.113.0.203.rdns.lunanode.com."},
                {"id":1468,"ip":"203.0.113.7","region":"toronto","attached_type":"unattached","attached_id":"",
                "attached_name":"","hostname":"7.113.0.203.rdns.lunanode.com."}]}"#,
        )
        .unwrap();
        assert_eq!(
            list.ips[0],
            FloatingIp {
                id: "1467".into(),
                ip: "203.0.113.5".into(),
                region: "toronto".into(),
                attached_type: "vm".into(),
                attached_id: "11804".into(),
                attached_name: "www-lunanode-toronto".into(),
                hostname: "5.113.0.203.rdns.lunanode.com.".into(),
            }
        );
        assert!(!list.ips[0].is_unattached() && list.ips[1].is_unattached());
        assert_eq!(list.ips[1].id, "1468");
        let empty: FloatingIps = serde_json::from_str(r#"{"success":"yes","ips":[]}"#).unwrap();
        assert!(empty.ips.is_empty());
        let added: FloatingAdded =
            serde_json::from_str(r#"{"success":"yes","ip":"203.0.113.7"}"#).unwrap();
        assert_eq!(added.ip, "203.0.113.7");
    }

    #[test]
    fn params_are_exactly_the_fields() {
        assert!(params(&FloatingList {}).unwrap().is_empty());
        let p = params(&FloatingDelete {
            region: "toronto".into(),
            ip: "203.0.113.7".into(),
        })
        .unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p["ip"], "203.0.113.7");
    }
}
