//! `billing/*`, `region/*`, `plan/*`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::server::lunanode::decode;

#[derive(Debug, Clone, Default, Serialize)]
pub struct BillingCredit {}

/// `{"success":"yes","credit":"4.81033438"}` (reference §16, CONFIRMED).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Credit {
    #[serde(deserialize_with = "decode::num")]
    pub credit: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RegionList {}

/// Region code → display name (an object; reference §9, CONFIRMED).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Regions {
    #[serde(deserialize_with = "decode::keyed")]
    pub regions: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PlanList {}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Plans {
    /// Read row by row: a plan whose size or price is not a number cannot be priced or held
    /// against a quota, so it is left out (logged once) and the others are offered.
    #[serde(deserialize_with = "decode::rows")]
    pub plans: Vec<Plan>,
}

/// One plan (reference §9, CONFIRMED fields; `price` is USD per hour).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Plan {
    #[serde(deserialize_with = "decode::id")]
    pub plan_id: String,
    pub name: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub category: String,
    #[serde(deserialize_with = "decode::num")]
    pub vcpu: u32,
    /// MB.
    #[serde(deserialize_with = "decode::num")]
    pub ram: u32,
    /// GB.
    #[serde(deserialize_with = "decode::num")]
    pub storage: u32,
    /// GB per month.
    #[serde(default, deserialize_with = "decode::opt_num")]
    pub bandwidth: Option<u64>,
    #[serde(deserialize_with = "decode::num")]
    pub price: f64,
    #[serde(default, deserialize_with = "decode::text")]
    pub price_monthly_nice: String,
    #[serde(default, deserialize_with = "decode::text")]
    pub regions_nice: String,
}

super::actions! {
    const ACCOUNT_ACTIONS;
    /// Account credit in USD.
    billing_credit: read "billing/credit", BillingCredit => Credit;
    /// Region codes and names.
    region_list: read "region/list", RegionList => Regions;
    /// Plans with specs and prices.
    plan_list: read "plan/list", PlanList => Plans;
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn an_odd_plan_row_does_not_blank_the_list() {
        let plans: Plans = serde_json::from_str(
            r#"{"success":"yes","plans":[
                {"plan_id":"1","name":"s.1","vcpu":"1","ram":"1024","storage":"20","price":"0.01"},
                {"plan_id":"2","name":"odd-ram","vcpu":"1","ram":"","storage":"20","price":"0.01"},
                {"plan_id":"3","name":"odd-price","vcpu":"1","ram":"2048","storage":"20","price":null},
                {"plan_id":"4","name":"m.2","vcpu":"2","ram":"2048","storage":"40","price":"0.02"}]}"#,
        )
        .expect("one odd plan must not fail the whole plan/list");
        let names: Vec<&str> = plans.plans.iter().map(|p| p.name.as_str()).collect();
        // A plan of unknown size or price cannot be priced or held against a quota: it is
        // left out (and logged once); the others are offered.
        assert_eq!(names, ["s.1", "m.2"]);
    }

    #[test]
    fn decodes_reference_samples() {
        let c: Credit = serde_json::from_str(r#"{"success":"yes","credit":"4.81033438"}"#).unwrap();
        assert!((c.credit - 4.810_334_38).abs() < 1e-9);
        let r: Regions = serde_json::from_str(
            r#"{"success":"yes","regions":{"toronto":"Toronto, Canada","montreal":"Montreal, Canada","roubaix":"Roubaix, France"}}"#,
        )
        .unwrap();
        assert_eq!(r.regions.len(), 3);
        assert_eq!(r.regions["roubaix"], "Roubaix, France");
        let p: Plans = serde_json::from_str(
            r#"{"success":"yes","plans":[{"plan_id":"1","name":"512 MB","category":"SSD-Cached","vcpu":"1","ram":"512",
                "storage":"15","bandwidth":"1000","ips":"30","price":"0.005","price_nice":"$0.005","metadata_json":"","metadata":""}]}"#,
        )
        .unwrap();
        let plan = &p.plans[0];
        assert_eq!(
            (
                plan.plan_id.as_str(),
                plan.ram,
                plan.storage,
                plan.bandwidth
            ),
            ("1", 512, 15, Some(1000))
        );
        assert!((plan.price - 0.005).abs() < 1e-12);
    }
}
