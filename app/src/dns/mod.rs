//! The DNS area: zones of both kinds (`dns2/*` and the legacy `dns/*` zones) with their
//! records, BIND zone files in and out, reverse DNS of every address (`dns/list`,
//! `dns/set`), dynamic DNS names (`dns/dyn-*`, in [`dynamic`]) and "publish DNS for this
//! VM" (in [`reverse`]). Every function starts at the one authorization point; a customer
//! acts only within their zones (records of their zones), on their addresses and names;
//! a zone they add is theirs in the same step, within their zone quota (both kinds count).
//!
//! The two zone kinds share the machinery here ([`ssr::Zk`]); each has its own endpoints,
//! named by its own id argument, so that the authorization matrix tries both.

use leptos::prelude::*;

pub use crate::model::dns::*;

use crate::error::AppError;

pub mod dynamic;
pub mod reverse;

#[cfg(feature = "ssr")]
pub mod check;
#[cfg(feature = "ssr")]
pub mod zonefile;

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use crate::error::{AppError, FieldErrors};
    use crate::kinds::{self, Kind};
    use crate::server::authz::{Grant, Permission, Target};
    use crate::server::lunanode::actions as api;

    use super::check;
    use super::*;
    pub use crate::server::authz::checked_target as target;

    /// Which of the two zone kinds.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Zk {
        Current,
        Legacy,
    }

    impl Zk {
        pub fn kind(self) -> &'static Kind {
            match self {
                Zk::Current => &kinds::ZONE,
                Zk::Legacy => &kinds::LEGACY_ZONE,
            }
        }

        pub fn legacy(self) -> bool {
            self == Zk::Legacy
        }
    }

    pub fn row(id: String, listed_name: &str, legacy: bool, ttl: Option<u32>) -> ZoneRow {
        let name = listed_name
            .trim()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        ZoneRow {
            id,
            display: check::display(&name),
            name,
            legacy,
            ttl,
        }
    }

    /// Every zone of one kind on the account (unfiltered).
    pub async fn all_zones<P: Permission>(g: &Grant<P>, zk: Zk) -> Result<Vec<ZoneRow>, AppError> {
        Ok(match zk {
            Zk::Current => g
                .also::<api::Dns2ZoneList>(Target::Account)
                .await?
                .call(&api::Dns2ZoneList {}, "The DNS zone list")
                .await?
                .zones
                .into_iter()
                .map(|z| row(z.id, &z.name, false, z.ttl))
                .collect(),
            Zk::Legacy => g
                .also::<api::DnsZoneList>(Target::Account)
                .await?
                .call(&api::DnsZoneList {}, "The legacy DNS zone list")
                .await?
                .zones
                .into_iter()
                .map(|z| row(z.id, &z.origin, true, z.ttl))
                .collect(),
        })
    }

    /// Zone `id` of kind `zk`, which the grant's target already named.
    pub async fn zone<P: Permission>(g: &Grant<P>, zk: Zk, id: &str) -> Result<ZoneRow, AppError> {
        let id = id.trim();
        all_zones(g, zk)
            .await?
            .into_iter()
            .find(|z| z.id == id)
            .ok_or_else(|| AppError::NotFound(zk.kind().what.into()))
    }

    /// The records of a zone, named relative to it.
    pub async fn records<P: Permission>(
        g: &Grant<P>,
        zk: Zk,
        zone: &ZoneRow,
    ) -> Result<Vec<RecordRow>, AppError> {
        let rel = |n: &str| check::relative(n, &zone.name);
        Ok(match zk {
            Zk::Current => g
                .also::<api::Dns2RecordList>(Target::res(zk.kind(), zone.id.clone()))
                .await?
                .call(
                    &api::Dns2RecordList {
                        zone_id: zone.id.clone(),
                    },
                    zk.kind().what,
                )
                .await?
                .records
                .into_iter()
                .map(|r| {
                    let route = route_of(&r);
                    let rtype = r.record_type.to_ascii_uppercase();
                    RecordRow {
                        id: r.id,
                        name: rel(&r.name),
                        priority: matches!(rtype.as_str(), "MX" | "SRV")
                            .then_some(r.aux.unwrap_or(0)),
                        rtype,
                        data: r.data,
                        ttl: r.ttl,
                        route,
                        weight: r.weight.unwrap_or(0),
                        global: r.global,
                        monitor_id: r.monitor_id.unwrap_or_default(),
                        monitor_name: String::new(),
                    }
                })
                .collect(),
            Zk::Legacy => g
                .also::<api::DnsRecordList>(Target::res(zk.kind(), zone.id.clone()))
                .await?
                .call(
                    &api::DnsRecordList {
                        zone_id: zone.id.clone(),
                    },
                    zk.kind().what,
                )
                .await?
                .records
                .into_iter()
                .map(|r| RecordRow {
                    id: r.id,
                    name: rel(&r.name),
                    rtype: r.record_type.to_ascii_uppercase(),
                    data: r.data,
                    ttl: r.ttl,
                    priority: None,
                    route: Route::Plain,
                    weight: 0,
                    global: None,
                    monitor_id: String::new(),
                    monitor_name: String::new(),
                })
                .collect(),
        })
    }

    /// A listed record's routing (the list's fields are INFERRED: named after
    /// `record-add`'s parameters).
    fn route_of(r: &api::Dns2Record) -> Route {
        match r.policy.trim().to_ascii_lowercase().as_str() {
            "latlong" => match (r.latitude, r.longitude) {
                (Some(a), Some(b)) => Route::LatLong(a, b),
                _ => Route::Plain,
            },
            "region" => {
                if !r.region.is_empty() {
                    Route::Region(r.region.clone())
                } else if !r.regiongroup.is_empty() {
                    Route::RegionGroup(r.regiongroup.clone())
                } else if !r.country.is_empty() {
                    Route::Country(r.country.to_ascii_uppercase())
                } else if !r.continent.is_empty() {
                    Route::Continent(r.continent.to_ascii_uppercase())
                } else {
                    Route::Plain
                }
            }
            _ => Route::Plain,
        }
    }

    /// The monitor checks failover may name: the caller's (a customer: theirs).
    pub async fn checks<P: Permission>(g: &Grant<P>) -> Vec<CheckChoice> {
        let Ok(list) = g.also::<api::MonitorCheckList>(Target::Account).await else {
            return Vec::new();
        };
        match list.call(&api::MonitorCheckList {}, "The check list").await {
            Ok(c) => c
                .checks
                .into_iter()
                .filter(|c| g.sees(&kinds::MONITORCHECK, &c.id))
                .map(|c| CheckChoice {
                    name: if c.name.is_empty() {
                        c.id.clone()
                    } else {
                        c.name
                    },
                    id: c.id,
                })
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The region codes the caller may use.
    pub async fn region_codes<P: Permission>(g: &Grant<P>) -> Vec<String> {
        crate::catalog::ssr::regions(g)
            .await
            .map(|r| r.into_iter().map(|r| r.code).collect())
            .unwrap_or_default()
    }

    /// The zone's page.
    pub async fn detail<P: Permission>(
        g: &Grant<P>,
        zk: Zk,
        id: &str,
    ) -> Result<ZoneDetail, AppError> {
        let zone = zone(g, zk, id).await?;
        let (records, checks, regions) = futures::join!(
            records(g, zk, &zone),
            async {
                if zk.legacy() {
                    Vec::new()
                } else {
                    checks(g).await
                }
            },
            region_codes(g)
        );
        let mut records = records?;
        for r in &mut records {
            if let Some(c) = checks.iter().find(|c| c.id == r.monitor_id) {
                r.monitor_name = c.name.clone();
            }
        }
        Ok(ZoneDetail {
            zone,
            records,
            checks,
            regions,
        })
    }

    /// Adds one checked record to a zone; returns its id (empty when not answered).
    pub async fn add<P: Permission>(
        g: &Grant<P>,
        zk: Zk,
        zone_id: &str,
        c: &check::Checked,
    ) -> Result<String, AppError> {
        let refusal = |e: AppError| {
            let said = match &e {
                AppError::Upstream { message, .. } => message.to_ascii_lowercase(),
                _ => String::new(),
            };
            let say = if said.contains("already exists") {
                "That record is in the zone already."
            } else if said.contains("cname") {
                "A CNAME must be the only record of its name (and not at the zone itself): \
                 remove the others first, or use ALIAS."
            } else {
                "Luna Node refused the record: check its name and data."
            };
            crate::error::refusal(e, &["already exists", "cname", "invalid"], say)
        };
        match zk {
            Zk::Current => {
                let req = c.dns2(zone_id).map_err(|e| super::ssr::field("rtype", e))?;
                let made = g
                    .also::<api::Dns2RecordAdd>(Target::res(zk.kind(), zone_id))
                    .await?
                    .call(&req, zk.kind().what)
                    .await
                    .map_err(refusal)?;
                Ok(made.record_id)
            }
            Zk::Legacy => {
                let req = c
                    .legacy(zone_id)
                    .map_err(|e| super::ssr::field("rtype", e))?;
                let made = g
                    .also::<api::DnsRecordAdd>(Target::res(zk.kind(), zone_id))
                    .await?
                    .call(&req, zk.kind().what)
                    .await
                    .map_err(refusal)?;
                Ok(made.record_id.unwrap_or_default())
            }
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        FieldErrors::single(field, message)
    }

    /// Checks `form` against zone `zone_id` and adds it.
    pub async fn add_record<P: Permission>(
        g: &Grant<P>,
        zk: Zk,
        zone_id: &str,
        form: &NewRecord,
    ) -> Result<String, AppError> {
        let detail = detail(g, zk, zone_id).await?;
        let c = check::record(
            form,
            &detail.zone.name,
            zk.legacy(),
            &detail.regions,
            &detail.checks,
        )
        .map_err(AppError::Validation)?;
        if detail.records.iter().any(|r| c.same_as(r)) {
            return Err(field("data", "That record is in the zone already."));
        }
        if c.rtype == "CNAME" {
            if detail.records.iter().any(|r| r.name == c.name) {
                return Err(field(
                    "name",
                    format!(
                        "{} has other records: a CNAME must be the only record of its name.",
                        c.name
                    ),
                ));
            }
        } else if let Some(r) = detail
            .records
            .iter()
            .find(|r| r.name == c.name && r.rtype == "CNAME")
        {
            return Err(field(
                "name",
                format!(
                    "{} is a CNAME (to {}): remove it first, or choose another name.",
                    c.name, r.data
                ),
            ));
        }
        add(g, zk, &detail.zone.id, &c).await
    }

    /// Removes record `record_id` of zone `zone_id` (which must hold it).
    pub async fn remove_record<P: Permission>(
        g: &Grant<P>,
        zk: Zk,
        zone_id: &str,
        record_id: &str,
    ) -> Result<(), AppError> {
        let zone = zone(g, zk, zone_id).await?;
        let record_id = record_id.trim().to_owned();
        let listed = records(g, zk, &zone).await?;
        if !listed.iter().any(|r| r.id == record_id) {
            return Err(AppError::NotFound("The record".into()));
        }
        match zk {
            Zk::Current => {
                g.also::<api::Dns2RecordRemove>(Target::res(zk.kind(), zone.id.clone()))
                    .await?
                    .call(
                        &api::Dns2RecordRemove {
                            zone_id: zone.id.clone(),
                            record_id,
                        },
                        "The record",
                    )
                    .await?;
            }
            Zk::Legacy => {
                g.also::<api::DnsRecordRemove>(Target::res(zk.kind(), zone.id.clone()))
                    .await?
                    .call(&api::DnsRecordRemove { record_id }, "The record")
                    .await?;
            }
        }
        Ok(())
    }

    /// Removes a zone; `confirm` must be its name (either form).
    pub async fn remove_zone<P: Permission>(
        g: &Grant<P>,
        zk: Zk,
        zone_id: &str,
        confirm: &str,
    ) -> Result<(), AppError> {
        let zone = zone(g, zk, zone_id).await?;
        let typed = confirm.trim().trim_end_matches('.').to_lowercase();
        if typed != zone.name && typed != zone.display.to_lowercase() {
            return Err(field("confirm", "Type the zone's name exactly to confirm."));
        }
        match zk {
            Zk::Current => {
                g.also::<api::Dns2ZoneRemove>(Target::res(zk.kind(), zone.id.clone()))
                    .await?
                    .call(
                        &api::Dns2ZoneRemove {
                            zone_id: zone.id.clone(),
                        },
                        zk.kind().what,
                    )
                    .await?;
            }
            Zk::Legacy => {
                g.also::<api::DnsZoneRemove>(Target::res(zk.kind(), zone.id.clone()))
                    .await?
                    .call(
                        &api::DnsZoneRemove {
                            zone_id: zone.id.clone(),
                        },
                        zk.kind().what,
                    )
                    .await?;
            }
        }
        g.release(zk.kind(), &zone.id).await;
        Ok(())
    }

    /// Reads (and with `apply`, adds) a zone file.
    pub async fn import<P: Permission>(
        g: &Grant<P>,
        zk: Zk,
        zone_id: &str,
        text: &str,
        apply: bool,
    ) -> Result<ImportPreview, AppError> {
        if text.len() > 512 * 1024 {
            return Err(field("text", "The file is larger than 512 KB: split it."));
        }
        if text.trim().is_empty() {
            return Err(field("text", "Paste the zone file, or choose one."));
        }
        let detail = detail(g, zk, zone_id).await?;
        let (mut preview, add_these) = super::zonefile::read(
            text,
            &detail.zone.name,
            zk.legacy(),
            &detail.records,
            &detail.regions,
        );
        if !apply {
            return Ok(preview);
        }
        let mut added = 0;
        let lines: Vec<usize> = preview.add.iter().map(|l| l.line).collect();
        let mut failed = Vec::new();
        for (c, line) in add_these.iter().zip(lines) {
            match add(g, zk, &detail.zone.id, c).await {
                Ok(_) => added += 1,
                Err(e) => failed.push(ImportLine {
                    line,
                    text: c.line(),
                    reason: e.to_string(),
                }),
            }
        }
        preview
            .add
            .retain(|l| !failed.iter().any(|f| f.line == l.line));
        preview.skipped.extend(failed);
        preview.skipped.sort_by_key(|l| l.line);
        preview.added = Some(added);
        Ok(preview)
    }
}

/// The caller's zones of both kinds (a customer: theirs).
#[server(name = ZoneListFn, endpoint = "zones/list")]
pub async fn zone_list() -> Result<ZonesView, AppError> {
    use crate::kinds;
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;
    use ssr::Zk;
    let g = authorize::<api::Dns2ZoneList>(Target::Account).await?;
    let (current, legacy) = futures::join!(
        ssr::all_zones(&g, Zk::Current),
        ssr::all_zones(&g, Zk::Legacy)
    );
    let mut zones: Vec<ZoneRow> = current?
        .into_iter()
        .filter(|z| g.sees(&kinds::ZONE, &z.id))
        .collect();
    let problem = match legacy {
        Ok(l) => {
            zones.extend(l.into_iter().filter(|z| g.sees(&kinds::LEGACY_ZONE, &z.id)));
            None
        }
        Err(e) => Some(e.to_string()),
    };
    zones.sort_by(|a, b| a.display.cmp(&b.display).then(a.legacy.cmp(&b.legacy)));
    Ok(ZonesView { zones, problem })
}

/// Adds a zone of either kind; returns its page (`""` when Luna Node made it but it could
/// not be found yet). A customer's is theirs at once, within their zone quota.
#[server(name = ZoneCreateFn, endpoint = "zones/create")]
pub async fn zone_create(zone: NewZone) -> Result<String, AppError> {
    use crate::kinds;
    use crate::server::authz::{authorize, Grant, Permission, Target};
    use crate::server::lunanode::actions as api;
    use ssr::Zk;
    async fn go<P: Permission>(g: Grant<P>, zone: NewZone, zk: Zk) -> Result<String, AppError> {
        let mut errors = crate::error::FieldErrors::new();
        let name = check::zone_name(&zone.name)
            .map_err(|e| errors.add("name", e))
            .ok();
        let ttl = match zone.ttl.trim() {
            "" => DEFAULT_TTL,
            t => t
                .parse::<u32>()
                .ok()
                .filter(|t| (60..=604_800).contains(t))
                .unwrap_or_else(|| {
                    errors.add("ttl", "Enter the default TTL in seconds, 60 to 604800.");
                    DEFAULT_TTL
                }),
        };
        errors.into_result()?;
        let Some((ascii, _)) = name else {
            return Err(ssr::field("name", "Enter the domain."));
        };
        let quota = g.quota_lock().await?;
        if let (Some(c), Some(lock)) = (g.customer(), &quota) {
            lock.check_counts(
                &[&kinds::ZONE, &kinds::LEGACY_ZONE],
                c.policy.quotas.zones,
                "DNS zones",
            )?;
        }
        let (current, legacy) = futures::join!(
            ssr::all_zones(&g, Zk::Current),
            ssr::all_zones(&g, Zk::Legacy)
        );
        let taken = current?
            .into_iter()
            .chain(legacy.unwrap_or_default())
            .find(|z| z.name == ascii);
        if let Some(z) = taken {
            let whose = if g.sees(z.kind(), &z.id) {
                "It is in your zones already."
            } else {
                "It is hosted on this account already."
            };
            return Err(ssr::field("name", format!("{ascii}: {whose}")));
        }
        let refusal = |e| {
            crate::error::refusal(
                e,
                &["exists", "already"],
                "Luna Node hosts that domain already (perhaps for another account).",
            )
        };
        let id = match zk {
            Zk::Current => {
                g.also::<api::Dns2ZoneAdd>(Target::Account)
                    .await?
                    .call(
                        &api::Dns2ZoneAdd {
                            name: ascii.clone(),
                            ttl,
                        },
                        "The zone",
                    )
                    .await
                    .map_err(refusal)?
                    .zone_id
            }
            Zk::Legacy => {
                g.also::<api::DnsZoneAdd>(Target::Account)
                    .await?
                    .call(
                        &api::DnsZoneAdd {
                            origin: format!("{ascii}."),
                            ttl: Some(ttl),
                        },
                        "The zone",
                    )
                    .await
                    .map_err(refusal)?
                    .zone_id
            }
        };
        let id = match id.filter(|i| !i.is_empty()) {
            Some(id) => Some(id),
            None => ssr::all_zones(&g, zk)
                .await
                .ok()
                .and_then(|l| l.into_iter().find(|z| z.name == ascii).map(|z| z.id)),
        };
        let Some(id) = id else {
            return Ok(String::new());
        };
        g.claim(zk.kind(), &id).await?;
        Ok(zone_path(zk.legacy(), &id))
    }
    if zone.legacy {
        let g = authorize::<api::DnsZoneAdd>(Target::Account).await?;
        go(g, zone, Zk::Legacy).await
    } else {
        let g = authorize::<api::Dns2ZoneAdd>(Target::Account).await?;
        go(g, zone, Zk::Current).await
    }
}

#[cfg(feature = "ssr")]
impl ZoneRow {
    fn kind(&self) -> &'static crate::kinds::Kind {
        if self.legacy {
            &crate::kinds::LEGACY_ZONE
        } else {
            &crate::kinds::ZONE
        }
    }
}

/// A current zone with one page of its records (`paging`: the records list's search,
/// filters, sort and page, as the zone page's URL asks; the first page of every record
/// when absent) and what the record form offers. Luna Node lists a zone's records whole;
/// the page is cut here, so a zone of thousands of records sends and draws one page.
#[server(name = ZoneDetailFn, endpoint = "zones/detail")]
pub async fn zone_detail(
    zone_id: String,
    #[server(default)] paging: crate::components::list_rules::PageRequest,
) -> Result<crate::components::list::PageOf<ZoneDetail>, AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::Dns2RecordList>(ssr::target(&crate::kinds::ZONE, &zone_id)?).await?;
    let d = ssr::detail(&g, ssr::Zk::Current, &zone_id).await?;
    Ok(crate::pages::dns::records_rules(false).page_of(d, &paging))
}

/// A legacy zone with one page of its records (as [`zone_detail`]).
#[server(name = LegacyZoneDetailFn, endpoint = "legacyzones/detail")]
pub async fn legacy_zone_detail(
    legacy_zone_id: String,
    #[server(default)] paging: crate::components::list_rules::PageRequest,
) -> Result<crate::components::list::PageOf<ZoneDetail>, AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g =
        authorize::<api::DnsRecordList>(ssr::target(&crate::kinds::LEGACY_ZONE, &legacy_zone_id)?)
            .await?;
    let d = ssr::detail(&g, ssr::Zk::Legacy, &legacy_zone_id).await?;
    Ok(crate::pages::dns::records_rules(true).page_of(d, &paging))
}

/// Adds a record to a current zone; returns its id.
#[server(name = RecordAddFn, endpoint = "zones/record_add")]
pub async fn record_add(zone_id: String, record: NewRecord) -> Result<String, AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::Dns2RecordAdd>(ssr::target(&crate::kinds::ZONE, &zone_id)?).await?;
    ssr::add_record(&g, ssr::Zk::Current, &zone_id, &record).await
}

/// Adds a record to a legacy zone; returns its id (empty when not answered).
#[server(name = LegacyRecordAddFn, endpoint = "legacyzones/record_add")]
pub async fn legacy_record_add(
    legacy_zone_id: String,
    record: NewRecord,
) -> Result<String, AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g =
        authorize::<api::DnsRecordAdd>(ssr::target(&crate::kinds::LEGACY_ZONE, &legacy_zone_id)?)
            .await?;
    ssr::add_record(&g, ssr::Zk::Legacy, &legacy_zone_id, &record).await
}

#[server(name = RecordRemoveFn, endpoint = "zones/record_remove")]
pub async fn record_remove(zone_id: String, record_id: String) -> Result<(), AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::Dns2RecordRemove>(ssr::target(&crate::kinds::ZONE, &zone_id)?).await?;
    ssr::remove_record(&g, ssr::Zk::Current, &zone_id, &record_id).await
}

#[server(name = LegacyRecordRemoveFn, endpoint = "legacyzones/record_remove")]
pub async fn legacy_record_remove(
    legacy_zone_id: String,
    record_id: String,
) -> Result<(), AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::DnsRecordRemove>(ssr::target(
        &crate::kinds::LEGACY_ZONE,
        &legacy_zone_id,
    )?)
    .await?;
    ssr::remove_record(&g, ssr::Zk::Legacy, &legacy_zone_id, &record_id).await
}

/// Removes a current zone and every record in it; `confirm` must be its name.
#[server(name = ZoneRemoveFn, endpoint = "zones/remove")]
pub async fn zone_remove(zone_id: String, confirm: String) -> Result<(), AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::Dns2ZoneRemove>(ssr::target(&crate::kinds::ZONE, &zone_id)?).await?;
    ssr::remove_zone(&g, ssr::Zk::Current, &zone_id, &confirm).await
}

#[server(name = LegacyZoneRemoveFn, endpoint = "legacyzones/remove")]
pub async fn legacy_zone_remove(legacy_zone_id: String, confirm: String) -> Result<(), AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g =
        authorize::<api::DnsZoneRemove>(ssr::target(&crate::kinds::LEGACY_ZONE, &legacy_zone_id)?)
            .await?;
    ssr::remove_zone(&g, ssr::Zk::Legacy, &legacy_zone_id, &confirm).await
}

/// A current zone as a BIND zone file.
#[server(name = ZoneExportFn, endpoint = "zones/export")]
pub async fn zone_export(zone_id: String) -> Result<String, AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::Dns2RecordList>(ssr::target(&crate::kinds::ZONE, &zone_id)?).await?;
    let d = ssr::detail(&g, ssr::Zk::Current, &zone_id).await?;
    Ok(zonefile::export(&d.zone.name, d.zone.ttl, &d.records))
}

#[server(name = LegacyZoneExportFn, endpoint = "legacyzones/export")]
pub async fn legacy_zone_export(legacy_zone_id: String) -> Result<String, AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g =
        authorize::<api::DnsRecordList>(ssr::target(&crate::kinds::LEGACY_ZONE, &legacy_zone_id)?)
            .await?;
    let d = ssr::detail(&g, ssr::Zk::Legacy, &legacy_zone_id).await?;
    Ok(zonefile::export(&d.zone.name, d.zone.ttl, &d.records))
}

/// Reads a BIND zone file against a current zone: with `apply` false only the preview
/// (nothing is written), with `apply` true the records of the preview are added.
#[server(name = ZoneImportFn, endpoint = "zones/import")]
pub async fn zone_import(
    zone_id: String,
    text: String,
    apply: bool,
) -> Result<ImportPreview, AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::Dns2RecordAdd>(ssr::target(&crate::kinds::ZONE, &zone_id)?).await?;
    ssr::import(&g, ssr::Zk::Current, &zone_id, &text, apply).await
}

#[server(name = LegacyZoneImportFn, endpoint = "legacyzones/import")]
pub async fn legacy_zone_import(
    legacy_zone_id: String,
    text: String,
    apply: bool,
) -> Result<ImportPreview, AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g =
        authorize::<api::DnsRecordAdd>(ssr::target(&crate::kinds::LEGACY_ZONE, &legacy_zone_id)?)
            .await?;
    ssr::import(&g, ssr::Zk::Legacy, &legacy_zone_id, &text, apply).await
}
