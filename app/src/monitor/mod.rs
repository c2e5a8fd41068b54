//! The monitoring area (`monitor/*`, reference §15): uptime checks with their status, the
//! contacts who hear about them (e-mail, SMS, HTTP) and the alerts tying the two together,
//! edited from either side; which DNS records fail over on a check (dns2 `monitor_id`),
//! said in the list and before a check is removed; and "monitor this VM" (a ping check on
//! its public address, and an HTTP check if asked). Pages: `crate::pages::monitoring`.
//!
//! Checks and contacts are kinds of the registry: every function starts at the one
//! authorization point with the check or contact it names as its target (a customer acts
//! only on theirs, and alerts only their contacts about their checks); what a customer
//! adds is theirs in the same step, within their quota, under their quota lock.

use leptos::prelude::*;

pub use crate::model::monitor::*;

use crate::error::AppError;

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use std::collections::BTreeMap;

    use crate::dns::ssr::Zk;
    use crate::error::{AppError, FieldErrors, UpstreamProblem};
    use crate::kinds;
    use crate::server::authz::{Grant, Permission, Target};
    use crate::server::lunanode::actions as api;

    use super::*;
    pub use crate::server::authz::checked_target as target;

    pub fn check_target(id: &str) -> Result<Target, AppError> {
        target(&kinds::MONITORCHECK, id)
    }

    pub fn contact_target(id: &str) -> Result<Target, AppError> {
        target(&kinds::MONITORCONTACT, id)
    }

    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        FieldErrors::single(field, message)
    }

    /// Every check of the account (unfiltered).
    pub async fn all_checks<P: Permission>(
        g: &Grant<P>,
    ) -> Result<Vec<api::MonitorCheck>, AppError> {
        Ok(g.also::<api::MonitorCheckList>(Target::Account)
            .await?
            .call(&api::MonitorCheckList {}, "The monitor check list")
            .await?
            .checks)
    }

    /// Check `id` of the account, which the grant's target already named.
    pub async fn check<P: Permission>(
        g: &Grant<P>,
        id: &str,
    ) -> Result<api::MonitorCheck, AppError> {
        let id = id.trim();
        all_checks(g)
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| AppError::NotFound(kinds::MONITORCHECK.what.into()))
    }

    /// Every contact of the account (unfiltered).
    pub async fn all_contacts<P: Permission>(
        g: &Grant<P>,
    ) -> Result<Vec<api::MonitorContact>, AppError> {
        Ok(g.also::<api::MonitorContactList>(Target::Account)
            .await?
            .call(&api::MonitorContactList {}, "The contact list")
            .await?
            .contacts)
    }

    /// The check types, as the form shows them: required parameters first, then the rest
    /// in Luna Node's order of names.
    pub async fn types<P: Permission>(g: &Grant<P>) -> Result<Vec<CheckTypeView>, AppError> {
        let answer = g
            .also::<api::MonitorCheckTypes>(Target::Account)
            .await?
            .call(&api::MonitorCheckTypes {}, "The check types")
            .await?;
        Ok(answer
            .types
            .into_iter()
            .map(|(code, t)| type_view(code, t))
            .collect())
    }

    pub fn type_view(code: String, t: api::MonitorCheckType) -> CheckTypeView {
        let name = if t.name.trim().is_empty() {
            code.clone()
        } else {
            t.name.trim().to_owned()
        };
        let short_name = if t.short_name.trim().is_empty() {
            name.clone()
        } else {
            t.short_name.trim().to_owned()
        };
        let mut params: Vec<ParamView> = t
            .params
            .into_iter()
            .map(|(code, p)| ParamView {
                label: if p.name.trim().is_empty() {
                    code.clone()
                } else {
                    p.name.trim().to_owned()
                },
                input: match p.kind {
                    api::ParamKind::Boolean => ParamInput::Boolean,
                    api::ParamKind::Choice(values) if !values.is_empty() => {
                        ParamInput::Choice(values.into_iter().collect())
                    }
                    _ => ParamInput::Text,
                },
                required: p.required,
                default: p.default,
                help: p.help,
                placeholder: p.placeholder,
                code,
            })
            .collect();
        params.sort_by_key(|p| !p.required);
        CheckTypeView {
            code,
            name,
            short_name,
            params,
        }
    }

    /// The alerts of check `id` (a grant for it is decided inside).
    pub async fn alerts<P: Permission>(
        g: &Grant<P>,
        id: &str,
    ) -> Result<Vec<api::MonitorAlert>, AppError> {
        Ok(g.also::<api::MonitorAlertList>(check_target(id)?)
            .await?
            .call(
                &api::MonitorAlertList {
                    check_id: id.to_owned(),
                },
                kinds::MONITORCHECK.what,
            )
            .await?
            .alerts)
    }

    /// Every record of the caller's current zones that fails over on a check: (check id,
    /// record). Zones are read side by side; one that cannot be read fails the whole.
    pub async fn dns_uses<P: Permission>(g: &Grant<P>) -> Result<Vec<(String, DnsUse)>, AppError> {
        let zones: Vec<crate::model::dns::ZoneRow> = crate::dns::ssr::all_zones(g, Zk::Current)
            .await?
            .into_iter()
            .filter(|z| g.sees(&kinds::ZONE, &z.id))
            .collect();
        let read = futures::future::join_all(zones.iter().map(|z| async move {
            crate::dns::ssr::records(g, Zk::Current, z)
                .await
                .map(|records| (z, records))
        }))
        .await;
        let mut out = Vec::new();
        for r in read {
            let (zone, records) = r?;
            for rec in records {
                let id = rec.monitor_id.trim();
                if id.is_empty() {
                    continue;
                }
                out.push((
                    id.to_owned(),
                    DnsUse {
                        zone_id: zone.id.clone(),
                        zone: zone.display.clone(),
                        name: rec.name,
                        rtype: rec.rtype,
                        data: rec.data,
                    },
                ));
            }
        }
        Ok(out)
    }

    /// Whether a parameter's value must not be shown.
    fn secret(code: &str) -> bool {
        let c = code.to_ascii_lowercase();
        ["password", "secret", "token", "key"]
            .iter()
            .any(|w| c.contains(w))
    }

    fn text(v: &serde_json::Value) -> String {
        match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        }
    }

    /// A check's parameters for display: (label, value), secrets masked.
    pub fn shown_params(c: &api::MonitorCheck, t: Option<&CheckTypeView>) -> Vec<(String, String)> {
        let raw: BTreeMap<String, String> = if c.data_nice.is_empty() {
            c.params()
        } else {
            c.data_nice
                .iter()
                .map(|(k, v)| (k.clone(), text(v)))
                .collect()
        };
        raw.into_iter()
            .map(|(code, value)| {
                let p = t.and_then(|t| t.params.iter().find(|p| p.code == code));
                let label = p.map_or_else(|| code.clone(), |p| p.label.clone());
                let value = if secret(&code) && !value.is_empty() {
                    "••••••••".to_owned()
                } else {
                    match p.map(|p| &p.input) {
                        Some(ParamInput::Choice(values)) => values
                            .iter()
                            .find(|(v, _)| *v == value)
                            .map_or(value, |(_, l)| l.clone()),
                        _ => value,
                    }
                };
                (label, value)
            })
            .collect()
    }

    /// A check as the caller sees it. `alerts`: its alerts, if read; `contacts`: the
    /// account's contacts; `dns`: the records using checks, if read.
    pub fn row<P: Permission>(
        g: &Grant<P>,
        c: &api::MonitorCheck,
        types: &[CheckTypeView],
        alerts: Option<&[api::MonitorAlert]>,
        contacts: &[api::MonitorContact],
        dns: Option<&[(String, DnsUse)]>,
    ) -> CheckRow {
        let t = types
            .iter()
            .find(|t| t.code == c.check_type)
            .cloned()
            .or_else(|| {
                c.type_details
                    .clone()
                    .map(|d| type_view(c.check_type.clone(), d))
            });
        let params = shown_params(c, t.as_ref());
        let summary = if !c.data_summary.trim().is_empty() && !c.data_nice.is_empty() {
            c.data_summary.trim().to_owned()
        } else {
            params
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let type_name = match &t {
            Some(t) => t.short_name.clone(),
            None if c.check_type.is_empty() => "Unknown".into(),
            None => c.check_type.clone(),
        };
        CheckRow {
            name: if c.name.trim().is_empty() {
                c.id.clone()
            } else {
                c.name.trim().to_owned()
            },
            id: c.id.clone(),
            type_code: c.check_type.clone(),
            type_name,
            summary,
            params,
            interval: c.check_interval,
            delay: c.delay,
            status: CheckStatus::read(&c.status, c.enabled),
            alerts: alerts.map(|list| {
                list.iter()
                    .map(|a| {
                        let visible = g.sees(&kinds::MONITORCONTACT, &a.contact_id);
                        let contact = match contacts.iter().find(|k| k.id == a.contact_id) {
                            Some(k) if visible => describe_contact(&k.contact_type, &k.rel),
                            _ if visible => format!("Contact {}", a.contact_id),
                            _ => "A contact of your provider".to_owned(),
                        };
                        CheckAlert {
                            alert_id: a.id.clone(),
                            contact_id: a.contact_id.clone(),
                            contact,
                            visible,
                        }
                    })
                    .collect()
            }),
            dns: dns.map(|uses| {
                uses.iter()
                    .filter(|(id, _)| *id == c.id)
                    .map(|(_, u)| u.clone())
                    .collect()
            }),
        }
    }

    pub fn contact_row(c: &api::MonitorContact, checks: &[CheckRow]) -> ContactRow {
        ContactRow {
            id: c.id.clone(),
            kind: c.contact_type.clone(),
            kind_label: contact_kind(&c.contact_type)
                .map_or_else(|| c.contact_type.clone(), |k| k.label.to_owned()),
            value: c.rel.clone(),
            alerts: checks
                .iter()
                .flat_map(|k| {
                    k.alerts
                        .iter()
                        .flatten()
                        .filter(|a| a.contact_id == c.id)
                        .map(|a| ContactAlert {
                            alert_id: a.alert_id.clone(),
                            check_id: k.id.clone(),
                            check: k.name.clone(),
                        })
                })
                .collect(),
        }
    }

    /// A customer's count of `kind` against `limit`, from their scope.
    pub fn quota<P: Permission>(
        g: &Grant<P>,
        kind: &kinds::Kind,
        listed: &[&str],
        limit: impl Fn(&crate::model::tenancy::Quotas) -> Option<u32>,
    ) -> Option<Quota> {
        let c = g.customer()?;
        let held = c.owned(kind.key).filter(|id| listed.contains(id)).count();
        Some((
            u32::try_from(held).unwrap_or(u32::MAX),
            limit(&c.policy.quotas),
        ))
    }

    /// Luna Node's refusal of a check, beside the field it names (its words are the
    /// emulator's `invalid <param>` / `<param> not set`, INFERRED for the service).
    pub fn check_refusal(
        e: AppError,
        params: &BTreeMap<String, String>,
        types: &[CheckTypeView],
        code: &str,
    ) -> AppError {
        let AppError::Upstream {
            problem: UpstreamProblem::Rejected,
            message,
        } = &e
        else {
            return e;
        };
        let lower = message.to_ascii_lowercase();
        if lower.contains("interval") {
            return field("interval", "Luna Node does not take this interval.");
        }
        if lower.contains("delay") {
            return field("delay", "Luna Node does not take this number of results.");
        }
        if lower.contains("check type") {
            return field("check_type", "Luna Node does not offer this type of check.");
        }
        let known: Vec<&str> = types
            .iter()
            .find(|t| t.code == code)
            .map(|t| t.params.iter().map(|p| p.code.as_str()).collect())
            .unwrap_or_else(|| params.keys().map(String::as_str).collect());
        for p in known {
            let p_lower = p.to_ascii_lowercase();
            if lower.contains(&format!("invalid {p_lower}")) {
                return field(&param_field(p), "Luna Node does not take this value.");
            }
            if lower.contains(&format!("{p_lower} not set")) {
                return field(&param_field(p), "Luna Node needs this.");
            }
        }
        e
    }

    /// Adds a checked check; returns its id (found by name when the answer has none).
    pub async fn add_check<P: Permission>(
        g: &Grant<P>,
        c: &CheckedCheck,
        types: &[CheckTypeView],
    ) -> Result<Option<String>, AppError> {
        let mut req = api::MonitorCheckAdd::new(&c.name, &c.check_type, c.interval, c.delay);
        for (k, v) in &c.params {
            req = req.param(k, v);
        }
        let before: Vec<String> = all_checks(g).await?.into_iter().map(|c| c.id).collect();
        let made = g
            .also::<api::MonitorCheckAdd>(g.target().clone())
            .await?
            .call(&req, "The check")
            .await
            .map_err(|e| check_refusal(e, &c.params, types, &c.check_type))?;
        Ok(match made.check_id.filter(|i| !i.is_empty()) {
            Some(id) => Some(id),
            None => all_checks(g).await.ok().and_then(|l| {
                l.into_iter()
                    .find(|x| x.name == c.name && !before.contains(&x.id))
                    .map(|x| x.id)
            }),
        })
    }

    /// What a customer is told when a value is a contact on the account already.
    pub fn contact_taken(theirs: bool) -> &'static str {
        if theirs {
            "You have this contact already."
        } else {
            "This is a contact on this account already (ask your provider)."
        }
    }

    /// The target parameter of a type: where "monitor this VM" puts the address.
    pub fn has_param(t: &CheckTypeView, code: &str) -> bool {
        t.params.iter().any(|p| p.code == code)
    }

    /// Whether check `c` watches `ip` (its target, address or URL names it).
    pub fn watches(c: &api::MonitorCheck, ip: &str) -> bool {
        let params = c.params();
        let host_of = |v: &str| -> String {
            let v = v
                .trim()
                .trim_start_matches("https://")
                .trim_start_matches("http://");
            let host = v.split(['/', '?', '#']).next().unwrap_or("");
            let host = host.trim_start_matches('[');
            match host.split_once(']') {
                Some((h, _)) => h.to_owned(),
                None if host.matches(':').count() == 1 => {
                    host.split(':').next().unwrap_or("").to_owned()
                }
                None => host.to_owned(),
            }
        };
        ["target", "address", "url", "name"]
            .iter()
            .filter_map(|k| params.get(*k))
            .any(|v| host_of(v) == ip)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn check(kind: &str, data: &str) -> api::MonitorCheck {
            serde_json::from_value(serde_json::json!({
                "id": "1", "name": "x", "type": kind, "data": data,
            }))
            .unwrap()
        }

        #[test]
        fn checks_watch_an_address_by_target_or_url() {
            assert!(watches(
                &check("icmp", r#"{"target":"192.0.2.1"}"#),
                "192.0.2.1"
            ));
            assert!(watches(
                &check("http", r#"{"url":"http://192.0.2.1/health"}"#),
                "192.0.2.1"
            ));
            assert!(watches(
                &check("tcp", r#"{"address":"192.0.2.1:22"}"#),
                "192.0.2.1"
            ));
            assert!(watches(
                &check("http", r#"{"url":"http://[2602:ffb6::1]:8080/"}"#),
                "2602:ffb6::1"
            ));
            assert!(!watches(
                &check("icmp", r#"{"target":"192.0.2.10"}"#),
                "192.0.2.1"
            ));
            assert!(!watches(&check("icmp", "not json"), "192.0.2.1"));
        }

        #[test]
        fn secrets_are_masked_and_choices_labelled() {
            let mut c = check(
                "http",
                r#"{"url":"https://x.example/","password":"hunter2","method":"GET"}"#,
            );
            c.data_nice = BTreeMap::new();
            let t = CheckTypeView {
                code: "http".into(),
                name: "HTTP".into(),
                short_name: "HTTP".into(),
                params: vec![ParamView {
                    code: "method".into(),
                    label: "Method".into(),
                    input: ParamInput::Choice(vec![("GET".into(), "Get it".into())]),
                    required: false,
                    default: String::new(),
                    help: String::new(),
                    placeholder: String::new(),
                }],
            };
            let shown = shown_params(&c, Some(&t));
            assert!(
                shown.contains(&("password".into(), "••••••••".into())),
                "{shown:?}"
            );
            assert!(shown.contains(&("Method".into(), "Get it".into())));
            assert!(!format!("{shown:?}").contains("hunter2"));
        }

        #[test]
        fn refusals_land_beside_their_field() {
            let rejected = |m: &str| AppError::Upstream {
                problem: UpstreamProblem::Rejected,
                message: format!("Luna Node refused the request: {m}"),
            };
            let params: BTreeMap<String, String> = [("url".to_owned(), "x".to_owned())].into();
            let e = check_refusal(rejected("invalid url"), &params, &[], "http");
            assert!(e.field("param-url").is_some(), "{e:?}");
            let e = check_refusal(rejected("invalid check interval"), &params, &[], "http");
            assert!(e.field("interval").is_some());
            let e = check_refusal(rejected("something else"), &params, &[], "http");
            assert!(matches!(e, AppError::Upstream { .. }));
        }
    }
}

/// The caller's checks (a customer: theirs) with their status, alerts and the DNS records
/// failing over on them; the caller's contacts with the checks they hear about; the check
/// types for the add form. What cannot be read (alerts, records, types) is said, not fatal.
#[server(name = MonitorListFn, endpoint = "monitor/list")]
pub async fn monitor_list() -> Result<MonitorView, AppError> {
    use crate::kinds;
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::MonitorCheckList>(Target::Account).await?;
    let (checks, contacts, types, dns) = futures::join!(
        ssr::all_checks(&g),
        ssr::all_contacts(&g),
        ssr::types(&g),
        ssr::dns_uses(&g)
    );
    let checks: Vec<api::MonitorCheck> = checks?
        .into_iter()
        .filter(|c| g.sees(&kinds::MONITORCHECK, &c.id))
        .collect();
    let mut problems = Vec::new();
    let contacts = contacts.unwrap_or_else(|e| {
        problems.push(format!("The contacts could not be read: {e}"));
        Vec::new()
    });
    let types = types.unwrap_or_else(|e| {
        problems.push(format!("The check types could not be read: {e}"));
        Vec::new()
    });
    let dns = dns
        .map_err(|e| {
            problems.push(format!(
                "Which DNS records fail over on a check is not known: {e}"
            ))
        })
        .ok();
    let alerts = futures::future::join_all(checks.iter().map(|c| ssr::alerts(&g, &c.id))).await;
    let mut failed = 0;
    let mut rows: Vec<CheckRow> = checks
        .iter()
        .zip(alerts)
        .map(|(c, a)| {
            let a = a.map_err(|_| failed += 1).ok();
            ssr::row(&g, c, &types, a.as_deref(), &contacts, dns.as_deref())
        })
        .collect();
    if failed > 0 {
        problems.push(format!(
            "The alerts of {} could not be read.",
            plural(failed, "check", "checks")
        ));
    }
    rows.sort_by_key(|a| a.name.to_lowercase());
    let mut contact_rows: Vec<ContactRow> = contacts
        .iter()
        .filter(|c| g.sees(&kinds::MONITORCONTACT, &c.id))
        .map(|c| ssr::contact_row(c, &rows))
        .collect();
    contact_rows.sort_by(|a, b| (&a.kind_label, &a.value).cmp(&(&b.kind_label, &b.value)));
    let check_ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let contact_ids: Vec<&str> = contact_rows.iter().map(|r| r.id.as_str()).collect();
    Ok(MonitorView {
        check_quota: ssr::quota(&g, &kinds::MONITORCHECK, &check_ids, |q| q.monitor_checks),
        contact_quota: ssr::quota(&g, &kinds::MONITORCONTACT, &contact_ids, |q| {
            q.monitor_contacts
        }),
        check_names: rows
            .iter()
            .map(|c: &CheckRow| (c.id.clone(), c.name.clone()))
            .collect(),
        checks: rows,
        contacts: contact_rows,
        types,
        problem: (!problems.is_empty()).then(|| problems.join(" ")),
    })
}

/// One check with its alerts, the DNS records failing over on it, and the caller's
/// contacts (to alert one more).
#[server(name = MonitorCheckDetailFn, endpoint = "monitor/check_detail")]
pub async fn monitor_check_detail(check_id: String) -> Result<CheckDetail, AppError> {
    use crate::kinds;
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::MonitorCheckList>(ssr::check_target(&check_id)?).await?;
    let c = ssr::check(&g, &check_id).await?;
    let (alerts, contacts, types, dns) = futures::join!(
        ssr::alerts(&g, &c.id),
        ssr::all_contacts(&g),
        ssr::types(&g),
        ssr::dns_uses(&g)
    );
    let mut problems = Vec::new();
    let contacts = contacts.unwrap_or_else(|e| {
        problems.push(format!("The contacts could not be read: {e}"));
        Vec::new()
    });
    let alerts = alerts
        .map_err(|e| problems.push(format!("The alerts could not be read: {e}")))
        .ok();
    let dns = dns
        .map_err(|e| {
            problems.push(format!(
                "Which DNS records fail over on it is not known: {e}"
            ))
        })
        .ok();
    let row = ssr::row(
        &g,
        &c,
        &types.unwrap_or_default(),
        alerts.as_deref(),
        &contacts,
        dns.as_deref(),
    );
    let mut contact_rows: Vec<ContactRow> = contacts
        .iter()
        .filter(|k| g.sees(&kinds::MONITORCONTACT, &k.id))
        .map(|k| ssr::contact_row(k, std::slice::from_ref(&row)))
        .collect();
    contact_rows.sort_by(|a, b| (&a.kind_label, &a.value).cmp(&(&b.kind_label, &b.value)));
    Ok(CheckDetail {
        check: row,
        contacts: contact_rows,
        problem: (!problems.is_empty()).then(|| problems.join(" ")),
    })
}

/// Adds a check built from a type `check-types` offers; returns its page. A customer's is
/// theirs at once, within their quota.
#[server(name = MonitorCheckAddFn, endpoint = "monitor/check_add")]
pub async fn monitor_check_add(check: NewCheck) -> Result<String, AppError> {
    use crate::kinds;
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::MonitorCheckAdd>(Target::Account).await?;
    let types = ssr::types(&g).await?;
    let checked = check.check(&types).map_err(AppError::Validation)?;
    let quota = g.quota_lock().await?;
    if let (Some(c), Some(lock)) = (g.customer(), &quota) {
        lock.check_count(&kinds::MONITORCHECK, c.policy.quotas.monitor_checks)?;
    }
    let id = ssr::add_check(&g, &checked, &types).await?;
    let Some(id) = id else {
        return Ok(String::new());
    };
    g.claim(&kinds::MONITORCHECK, &id).await?;
    drop(quota);
    Ok(format!("/monitoring/checks/{id}"))
}

/// Removes a check and its alerts; `confirm` must be its name. The page warns first of the
/// DNS records failing over on it (they stay, no longer tied to a check).
#[server(name = MonitorCheckRemoveFn, endpoint = "monitor/check_remove")]
pub async fn monitor_check_remove(check_id: String, confirm: String) -> Result<(), AppError> {
    use crate::kinds;
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::MonitorCheckRemove>(ssr::check_target(&check_id)?).await?;
    let c = ssr::check(&g, &check_id).await?;
    let name = if c.name.trim().is_empty() {
        c.id.clone()
    } else {
        c.name.trim().to_owned()
    };
    if confirm.trim() != name {
        return Err(ssr::field(
            "confirm",
            "Type the check's name exactly to confirm.",
        ));
    }
    g.call(
        &api::MonitorCheckRemove {
            check_id: c.id.clone(),
        },
        kinds::MONITORCHECK.what,
    )
    .await?;
    g.release(&kinds::MONITORCHECK, &c.id).await;
    Ok(())
}

/// Adds a contact (an e-mail address, a phone number for SMS, or a webhook URL, checked
/// per type); returns its id. A customer's is theirs at once, within their quota.
#[server(name = MonitorContactAddFn, endpoint = "monitor/contact_add")]
pub async fn monitor_contact_add(contact: NewContact) -> Result<String, AppError> {
    use crate::kinds;
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::MonitorContactAdd>(Target::Account).await?;
    let (kind, value) = contact.check().map_err(AppError::Validation)?;
    let quota = g.quota_lock().await?;
    if let (Some(c), Some(lock)) = (g.customer(), &quota) {
        lock.check_count(&kinds::MONITORCONTACT, c.policy.quotas.monitor_contacts)?;
    }
    let before = ssr::all_contacts(&g).await?;
    if let Some(k) = before
        .iter()
        .find(|k| k.contact_type == kind && k.rel.eq_ignore_ascii_case(&value))
    {
        let theirs = g.sees(&kinds::MONITORCONTACT, &k.id);
        return Err(ssr::field("value", ssr::contact_taken(theirs)));
    }
    let made = g
        .call(
            &api::MonitorContactAdd {
                contact_type: kind.clone(),
                rel: value.clone(),
            },
            "The contact",
        )
        .await
        .map_err(|e| {
            let said = e.to_string().to_ascii_lowercase();
            if said.contains("already") || said.contains("exists") {
                ssr::field("value", ssr::contact_taken(false))
            } else if said.contains("invalid") {
                ssr::field(
                    "value",
                    "Luna Node does not take this address, number or URL.",
                )
            } else {
                e
            }
        })?;
    let id = match made.contact_id.filter(|i| !i.is_empty()) {
        Some(id) => Some(id),
        None => ssr::all_contacts(&g).await.ok().and_then(|l| {
            l.into_iter()
                .find(|k| {
                    k.contact_type == kind && k.rel == value && !before.iter().any(|b| b.id == k.id)
                })
                .map(|k| k.id)
        }),
    };
    let Some(id) = id else {
        return Ok(String::new());
    };
    g.claim(&kinds::MONITORCONTACT, &id).await?;
    drop(quota);
    Ok(id)
}

/// Removes a contact (and the alerts that name it).
#[server(name = MonitorContactRemoveFn, endpoint = "monitor/contact_remove")]
pub async fn monitor_contact_remove(contact_id: String) -> Result<(), AppError> {
    use crate::kinds;
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::MonitorContactRemove>(ssr::contact_target(&contact_id)?).await?;
    let id = contact_id.trim().to_owned();
    if !ssr::all_contacts(&g).await?.iter().any(|k| k.id == id) {
        return Err(AppError::NotFound(kinds::MONITORCONTACT.what.into()));
    }
    g.call(
        &api::MonitorContactRemove {
            contact_id: id.clone(),
        },
        kinds::MONITORCONTACT.what,
    )
    .await?;
    g.release(&kinds::MONITORCONTACT, &id).await;
    Ok(())
}

/// Has contact `contact_id` hear about check `check_id` (a customer: both theirs).
#[server(name = MonitorAlertAddFn, endpoint = "monitor/alert_add")]
pub async fn monitor_alert_add(check_id: String, contact_id: String) -> Result<(), AppError> {
    use crate::kinds;
    use crate::server::authz::authorize_refs;
    use crate::server::lunanode::actions as api;
    let g = authorize_refs::<api::MonitorAlertAdd>(
        ssr::check_target(&check_id)?,
        vec![ssr::contact_target(&contact_id)?],
    )
    .await?;
    let (check, contacts) = futures::join!(ssr::check(&g, &check_id), ssr::all_contacts(&g));
    let check = check?;
    let contact_id = contact_id.trim().to_owned();
    if !contacts?.iter().any(|k| k.id == contact_id) {
        return Err(AppError::NotFound(kinds::MONITORCONTACT.what.into()));
    }
    if ssr::alerts(&g, &check.id)
        .await?
        .iter()
        .any(|a| a.contact_id == contact_id)
    {
        return Err(AppError::Conflict(
            "That contact hears about this check already.".into(),
        ));
    }
    g.call(
        &api::MonitorAlertAdd {
            check_id: check.id,
            contact_id,
        },
        "The check or contact",
    )
    .await
    .map_err(|e| {
        crate::error::refusal(
            e,
            &["already", "exists"],
            "That contact hears about this check already.",
        )
    })?;
    Ok(())
}

/// Removes alert `alert_id` of check `check_id` (a customer: one naming their contact).
#[server(name = MonitorAlertRemoveFn, endpoint = "monitor/alert_remove")]
pub async fn monitor_alert_remove(check_id: String, alert_id: String) -> Result<(), AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::MonitorAlertRemove>(ssr::check_target(&check_id)?).await?;
    let check = ssr::check(&g, &check_id).await?;
    let alert_id = alert_id.trim().to_owned();
    let alert = ssr::alerts(&g, &check.id)
        .await?
        .into_iter()
        .find(|a| a.id == alert_id)
        .ok_or_else(|| AppError::NotFound("The alert".into()))?;
    // The contact must be the caller's too (a provider's contact on a customer's check
    // stays the provider's to remove).
    let g = if alert.contact_id.is_empty() {
        g
    } else {
        g.also::<api::MonitorAlertRemove>(ssr::contact_target(&alert.contact_id)?)
            .await
            .map_err(|_| AppError::NotFound("The alert".into()))?
    };
    g.call(&api::MonitorAlertRemove { alert_id }, "The alert")
        .await?;
    Ok(())
}

/// What "monitor this VM" offers on VM `vm_id`'s page.
#[server(name = MonitorOfVmFn, endpoint = "monitor/of_vm")]
pub async fn monitor_of_vm(vm_id: String) -> Result<VmMonitoring, AppError> {
    use crate::kinds;
    use crate::server::authz::authorize;
    use crate::server::authz::checked_target;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::VmInfo>(checked_target(&kinds::VM, &vm_id)?).await?;
    let info = g
        .call(
            &api::VmInfo {
                vm_id: vm_id.trim().to_owned(),
            },
            kinds::VM.what,
        )
        .await?;
    let ip = info.info.ip.trim().to_owned();
    let (checks, types) = futures::join!(ssr::all_checks(&g), ssr::types(&g));
    let types = types.unwrap_or_default();
    let offers = |code: &str, param: &str| {
        types
            .iter()
            .any(|t| t.code == code && ssr::has_param(t, param))
    };
    Ok(VmMonitoring {
        checks: if ip.is_empty() {
            Vec::new()
        } else {
            checks?
                .iter()
                .filter(|c| g.sees(&kinds::MONITORCHECK, &c.id) && ssr::watches(c, &ip))
                .map(|c| (c.id.clone(), c.name.clone(), c.check_type.clone()))
                .collect()
        },
        ping: offers("icmp", "target"),
        http: offers("http", "url"),
        ip,
    })
}

/// "Monitor this VM": a ping check on its public address and, with `http`, an HTTP check
/// of `http://<address>/`, each unless one is there already; within a customer's quota
/// (both counted before either is made). Says what it added and what was there.
#[server(name = MonitorWatchVmFn, endpoint = "monitor/watch_vm")]
pub async fn monitor_watch_vm(vm_id: String, http: bool) -> Result<WatchReport, AppError> {
    use crate::kinds;
    use crate::server::authz::{authorize, checked_target};
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::MonitorCheckAdd>(checked_target(&kinds::VM, &vm_id)?).await?;
    let vm_id = vm_id.trim().to_owned();
    let info = g
        .also::<api::VmInfo>(checked_target(&kinds::VM, &vm_id)?)
        .await?
        .call(
            &api::VmInfo {
                vm_id: vm_id.clone(),
            },
            kinds::VM.what,
        )
        .await?;
    let ip = info.info.ip.trim().to_owned();
    if ip.is_empty() {
        return Err(AppError::Conflict(
            "The VM has no public address yet: there is nothing to monitor from outside.".into(),
        ));
    }
    let hostname = crate::network::ssr::known_vms(&g)
        .await
        .into_iter()
        .find(|v| v.vm_id == vm_id)
        .map(|v| v.name)
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| ip.clone());
    let types = ssr::types(&g).await?;
    let mut wanted: Vec<(&str, &str, String, &str)> = vec![("icmp", "target", ip.clone(), "Ping")];
    if http {
        let host = if ip.contains(':') {
            format!("[{ip}]")
        } else {
            ip.clone()
        };
        wanted.push(("http", "url", format!("http://{host}/"), "HTTP"));
    }
    let quota = g.quota_lock().await?;
    let existing = ssr::all_checks(&g).await?;
    let mut report = WatchReport::default();
    let mut todo = Vec::new();
    for (code, param, value, label) in wanted {
        let Some(t) = types
            .iter()
            .find(|t| t.code == code && ssr::has_param(t, param))
        else {
            report
                .failed
                .push(format!("{label}: Luna Node offers no such check."));
            continue;
        };
        let there = existing
            .iter()
            .find(|c| c.check_type == code && c.params().get(param).is_some_and(|v| *v == value));
        match there {
            Some(c) if g.sees(&kinds::MONITORCHECK, &c.id) => {
                report.existed.push(format!("{label} check “{}”", c.name));
            }
            _ => todo.push((t, param, value, label)),
        }
    }
    if let (Some(c), Some(lock)) = (g.customer(), &quota) {
        if let Some(limit) = c.policy.quotas.monitor_checks {
            let held = lock
                .held(kinds::MONITORCHECK.key)
                .filter(|id| existing.iter().any(|c| c.id == *id))
                .count();
            if held + todo.len() > limit as usize {
                return Err(AppError::Quota(format!(
                    "Your plan allows {limit} monitor checks and you have {held}: this needs {} \
                     more. Remove a check, or ask your provider for more.",
                    todo.len()
                )));
            }
        }
    }
    for (t, param, value, label) in todo {
        let name: String = format!("{}-{hostname}", t.code)
            .chars()
            .take(MAX_NAME)
            .collect();
        let form = NewCheck {
            name,
            check_type: t.code.clone(),
            interval: DEFAULT_INTERVAL.to_string(),
            delay: DEFAULT_DELAY.to_string(),
            params: [(param.to_owned(), value)].into(),
        };
        let outcome = async {
            let checked = form.check(&types).map_err(AppError::Validation)?;
            let id = ssr::add_check(&g, &checked, &types).await?;
            if let Some(id) = &id {
                g.claim(&kinds::MONITORCHECK, id).await?;
            }
            Ok::<_, AppError>(checked.name)
        }
        .await;
        match outcome {
            Ok(name) => report.added.push(format!("{label} check “{name}”")),
            Err(e) => report.failed.push(format!("{label}: {e}")),
        }
    }
    drop(quota);
    Ok(report)
}
