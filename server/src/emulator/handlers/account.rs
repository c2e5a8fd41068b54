//! `billing/credit`, `region/list`, `plan/list`.

use serde_json::{json, Map, Value};

use super::{s, Ctx, Outcome};
use crate::emulator::json::{obj, ok};
use crate::emulator::state::{PLANS, REGIONS};

pub(crate) fn handle(ctx: &mut Ctx<'_>, category: &str, action: &str) -> Option<Outcome> {
    Some(Ok(match (category, action) {
        ("billing", "credit") => ok(obj([(
            "credit",
            s(format!("{:.8}", ctx.account.credit(ctx.now, ctx.scale))),
        )])),
        ("region", "list") => {
            let regions: Map<String, Value> = REGIONS
                .iter()
                .map(|(c, n)| ((*c).to_owned(), s(n)))
                .collect();
            ok(obj([("regions", Value::Object(regions))]))
        }
        ("plan", "list") => ok(obj([("plans", plan_list())])),
        _ => return None,
    }))
}

fn plan_list() -> Value {
    Value::Array(
        PLANS
            .iter()
            .map(|p| {
                json!({
                    "plan_id": s(p.id), "name": p.name, "category": p.category,
                    "vcpu": s(p.vcpu), "ram": s(p.ram_mb), "storage": s(p.storage_gb),
                    "bandwidth": s(p.bandwidth_gb), "price": s(p.price_hourly),
                    "price_nice": format!("${}", p.price_hourly),
                    "price_monthly_nice": format!("${:.2}/month", p.price_hourly * 730.0),
                    "regions_nice": REGIONS.iter().map(|(_, n)| *n).collect::<Vec<_>>().join(", "),
                    "metadata_json": "", "metadata": ""
                })
            })
            .collect(),
    )
}
