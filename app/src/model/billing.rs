//! What the account costs: the run rate by area (VMs by plan, volumes by GB, floating IPs,
//! load balancers), days of credit left at that rate, the change since the day before, and
//! for a reseller the same per customer — the base to charge them on.
//!
//! Plan prices are Luna Node's (`plan/list`, CONFIRMED hourly USD). The prices of volumes,
//! floating IPs and load balancers are INFERRED constants (no API answer states them), so
//! their lines are marked as estimates.

use serde::{Deserialize, Serialize};

use super::network::{FLOATING_USD_PER_MONTH_INFERRED, LB_USD_PER_MONTH_INFERRED};
use super::vm::HOURS_PER_MONTH;
use super::volume::VOLUME_USD_PER_GB_MONTH_INFERRED;

/// One area's line: how many, what they are, and what they cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaCost {
    /// `vms`, `volumes`, `floating`, `lbs`.
    pub key: String,
    pub label: String,
    pub count: usize,
    /// "2 × m.2, 1 × s.1 (1 shelved, not billed for its plan)", "120 GB".
    pub detail: String,
    pub hourly: f64,
    /// From an INFERRED price, not Luna Node's list.
    pub estimate: bool,
}

impl AreaCost {
    pub fn monthly(&self) -> f64 {
        self.hourly * HOURS_PER_MONTH
    }
}

/// What a customer's resources cost at Luna Node's prices (a reseller's view).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerCost {
    pub customer_id: i64,
    pub name: String,
    pub areas: Vec<AreaCost>,
}

impl CustomerCost {
    pub fn hourly(&self) -> f64 {
        self.areas.iter().map(|a| a.hourly).sum()
    }
}

/// The change since the newest record of an earlier day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SinceBefore {
    /// The day compared with (`YYYY-MM-DD`, UTC).
    pub day: String,
    /// Credit now minus credit then (negative: spent), when both are known.
    pub credit: Option<f64>,
    /// Monthly run rate now minus then.
    pub monthly: f64,
}

/// The overview's cost card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Billing {
    /// USD; `None` for a customer (the credit is their reseller's).
    pub credit: Option<f64>,
    pub areas: Vec<AreaCost>,
    /// Reseller: one line per customer with anything assigned, then what is the reseller's own.
    pub customers: Vec<CustomerCost>,
    /// Areas whose list could not be read (left out of the totals, said on the page).
    pub missing: Vec<String>,
    pub since: Option<SinceBefore>,
}

impl Billing {
    pub fn hourly(&self) -> f64 {
        self.areas.iter().map(|a| a.hourly).sum()
    }

    pub fn monthly(&self) -> f64 {
        self.hourly() * HOURS_PER_MONTH
    }

    /// Days the credit lasts at the current rate; `None` without credit or without cost.
    pub fn days_left(&self) -> Option<f64> {
        let credit = self.credit?;
        let daily = self.hourly() * 24.0;
        (daily > 0.0).then(|| (credit / daily).max(0.0))
    }
}

/// One VM as priced: its plan's hourly price (`None`: a plan not in the list) and
/// whether it is shelved (the plan price stops; INFERRED from the wiki's shelving guide).
#[derive(Debug, Clone, PartialEq)]
pub struct PricedVm {
    pub plan: String,
    pub hourly: Option<f64>,
    pub shelved: bool,
}

/// The VM line from the VMs' plans.
pub fn vm_area(vms: &[PricedVm]) -> AreaCost {
    let mut by_plan: Vec<(String, usize)> = Vec::new();
    let (mut hourly, mut shelved, mut unpriced) = (0.0, 0, 0);
    for vm in vms {
        if vm.shelved {
            shelved += 1;
            continue;
        }
        match vm.hourly {
            Some(h) => hourly += h,
            None => unpriced += 1,
        }
        match by_plan.iter_mut().find(|(p, _)| *p == vm.plan) {
            Some((_, n)) => *n += 1,
            None => by_plan.push((vm.plan.clone(), 1)),
        }
    }
    by_plan.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut detail: Vec<String> = by_plan
        .iter()
        .map(|(p, n)| format!("{n} × {}", if p.is_empty() { "unknown plan" } else { p }))
        .collect();
    if shelved > 0 {
        detail.push(format!("{shelved} shelved (storage only)"));
    }
    if unpriced > 0 {
        detail.push(format!("{unpriced} on a plan without a listed price"));
    }
    AreaCost {
        key: "vms".into(),
        label: "Virtual machines".into(),
        count: vms.len(),
        detail: if detail.is_empty() {
            "None".into()
        } else {
            detail.join(", ")
        },
        hourly,
        estimate: false,
    }
}

/// The volume line from the volumes' sizes in GB (`None`: size unknown).
pub fn volume_area(sizes: &[Option<u32>]) -> AreaCost {
    let gb: u64 = sizes.iter().flatten().map(|&g| u64::from(g)).sum();
    let unknown = sizes.iter().filter(|s| s.is_none()).count();
    let mut detail = format!("{gb} GB");
    if unknown > 0 {
        detail.push_str(&format!(" ({unknown} of unknown size)"));
    }
    AreaCost {
        key: "volumes".into(),
        label: "Volumes".into(),
        count: sizes.len(),
        detail,
        hourly: gb as f64 * VOLUME_USD_PER_GB_MONTH_INFERRED / HOURS_PER_MONTH,
        estimate: true,
    }
}

/// A line of `count` things at a flat monthly price.
pub fn flat_area(key: &str, label: &str, count: usize, monthly_each: f64) -> AreaCost {
    AreaCost {
        key: key.into(),
        label: label.into(),
        count,
        detail: if count == 0 {
            "None".into()
        } else {
            format!("{count} at {:.2} USD/month each", monthly_each)
        },
        hourly: count as f64 * monthly_each / HOURS_PER_MONTH,
        estimate: true,
    }
}

pub fn floating_area(count: usize) -> AreaCost {
    flat_area(
        "floating",
        "Floating IPs",
        count,
        FLOATING_USD_PER_MONTH_INFERRED,
    )
}

pub fn lb_area(count: usize) -> AreaCost {
    flat_area("lbs", "Load balancers", count, LB_USD_PER_MONTH_INFERRED)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vm(plan: &str, hourly: Option<f64>, shelved: bool) -> PricedVm {
        PricedVm {
            plan: plan.into(),
            hourly,
            shelved,
        }
    }

    #[test]
    fn vms_by_plan_without_shelved_or_unpriced() {
        let a = vm_area(&[
            vm("m.2", Some(0.02), false),
            vm("s.1", Some(0.005), false),
            vm("m.2", Some(0.02), false),
            vm("m.2", Some(0.02), true),
            vm("x.9", None, false),
        ]);
        assert_eq!(a.count, 5);
        assert!((a.hourly - 0.045).abs() < 1e-9);
        assert_eq!(
            a.detail,
            "2 × m.2, 1 × s.1, 1 × x.9, 1 shelved (storage only), 1 on a plan without a listed price"
        );
        assert!(!a.estimate);
        assert_eq!(vm_area(&[]).detail, "None");
    }

    #[test]
    fn volumes_flat_prices_and_days_left() {
        let v = volume_area(&[Some(100), None, Some(20)]);
        assert_eq!(v.detail, "120 GB (1 of unknown size)");
        assert!((v.monthly() - 6.0).abs() < 1e-9);
        let f = floating_area(2);
        assert!((f.monthly() - 3.0).abs() < 1e-9);
        assert_eq!(lb_area(0).detail, "None");
        let b = Billing {
            credit: Some(73.0),
            areas: vec![flat_area("x", "X", 1, 73.0)],
            customers: vec![],
            missing: vec![],
            since: None,
        };
        // 73 USD/month = 0.1 USD/hour = 2.4 USD/day: 30.4 days.
        assert!((b.days_left().unwrap() - 73.0 / 2.4).abs() < 1e-9);
        let free = Billing {
            areas: vec![],
            ..b.clone()
        };
        assert_eq!(free.days_left(), None);
        let customer = Billing { credit: None, ..b };
        assert_eq!(customer.days_left(), None);
    }
}
