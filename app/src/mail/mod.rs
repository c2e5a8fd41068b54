//! The hosted e-mail area (`email/*`, reference §17): usage against the plan, mail domains
//! (add within a customer's quota, remove with its mailboxes and aliases), DKIM on and off
//! (the key pair made here, the private half sent to Luna Node and never kept), mailboxes
//! (a generated password shown once, a new password, remove), aliases with their targets,
//! and the health of the MX, SPF and DKIM records in the domain's DNS zone with "publish
//! the missing records". Pages: `crate::pages::mail` and `crate::pages::mail_domain`.
//!
//! Every function starts at the one authorization point with the mail domain as its
//! target (a customer acts only within their domains); mailboxes and aliases are the
//! domain's sub-resources, found in the domain's own lists before anything is done to
//! them. Publishing into a zone is decided again for that zone (a customer: their own
//! zone, with the "dns" capability).

use leptos::prelude::*;

pub use crate::model::mail::*;

use crate::error::AppError;

#[cfg(feature = "ssr")]
pub mod dkim;
#[cfg(feature = "ssr")]
pub mod health;

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use rand::Rng;
    use zeroize::Zeroize;

    use crate::dns::check;
    use crate::dns::ssr::Zk;
    use crate::error::{AppError, FieldErrors, UpstreamProblem};
    use crate::kinds;
    use crate::model::dns::{NewRecord, ZoneRow};
    use crate::server::authz::{Grant, Permission, Target};
    use crate::server::lunanode::actions as api;

    use super::*;
    pub use crate::server::authz::checked_target as target;

    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        FieldErrors::single(field, message)
    }

    pub fn domain_target(id: &str) -> Result<Target, AppError> {
        target(&kinds::MAILDOMAIN, id)
    }

    /// Every hosted domain of the account (unfiltered).
    pub async fn all_domains<P: Permission>(
        g: &Grant<P>,
    ) -> Result<Vec<api::EmailDomain>, AppError> {
        Ok(g.also::<api::EmailDomainList>(Target::Account)
            .await?
            .call(&api::EmailDomainList {}, "The mail domain list")
            .await?
            .domains)
    }

    /// Domain `id`, which the grant's target already named.
    pub async fn domain<P: Permission>(
        g: &Grant<P>,
        id: &str,
    ) -> Result<api::EmailDomain, AppError> {
        let id = id.trim();
        all_domains(g)
            .await?
            .into_iter()
            .find(|d| d.id == id)
            .ok_or_else(|| AppError::NotFound(kinds::MAILDOMAIN.what.into()))
    }

    pub async fn users<P: Permission>(
        g: &Grant<P>,
        domain_id: &str,
    ) -> Result<Vec<api::EmailUser>, AppError> {
        Ok(g.also::<api::EmailUserList>(domain_target(domain_id)?)
            .await?
            .call(
                &api::EmailUserList {
                    domain_id: domain_id.to_owned(),
                },
                kinds::MAILDOMAIN.what,
            )
            .await?
            .users)
    }

    pub async fn aliases<P: Permission>(
        g: &Grant<P>,
        domain_id: &str,
    ) -> Result<Vec<api::EmailAlias>, AppError> {
        Ok(g.also::<api::EmailAliasList>(domain_target(domain_id)?)
            .await?
            .call(
                &api::EmailAliasList {
                    domain_id: domain_id.to_owned(),
                },
                kinds::MAILDOMAIN.what,
            )
            .await?
            .aliases)
    }

    pub fn domain_name(listed: &str) -> String {
        listed.trim().trim_end_matches('.').to_ascii_lowercase()
    }

    pub fn row(
        d: &api::EmailDomain,
        users: Option<usize>,
        aliases: Option<usize>,
    ) -> MailDomainRow {
        let name = domain_name(&d.name);
        MailDomainRow {
            id: d.id.clone(),
            display: check::display(&name),
            name,
            dkim_selector: d.dkim_selector.trim().to_owned(),
            users,
            aliases,
        }
    }

    pub fn user_row(u: api::EmailUser, domain: &str) -> MailUserRow {
        let username = u.username.trim().to_owned();
        MailUserRow {
            address: if u.email.trim().is_empty() {
                format!("{username}@{domain}")
            } else {
                u.email.trim().to_owned()
            },
            id: u.id,
            username,
        }
    }

    pub fn alias_row(a: api::EmailAlias, domain: &str) -> MailAliasRow {
        let name = a.name.trim().to_owned();
        MailAliasRow {
            address: format!("{name}@{domain}"),
            targets: split_targets(&a.target),
            id: a.id,
            name,
        }
    }

    /// Whether `local` is a mailbox or an alias of the domain already: its words for it.
    pub fn taken(
        local: &str,
        users: &[api::EmailUser],
        aliases: &[api::EmailAlias],
    ) -> Option<&'static str> {
        if users
            .iter()
            .any(|u| u.username.trim().eq_ignore_ascii_case(local))
        {
            Some("a mailbox")
        } else if aliases
            .iter()
            .any(|a| a.name.trim().eq_ignore_ascii_case(local))
        {
            Some("an alias")
        } else {
            None
        }
    }

    /// A password for a mailbox: 20 characters from letters and digits that cannot be
    /// mistaken for one another (about 115 bits).
    pub fn generate_password() -> String {
        const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let mut rng = rand::rngs::OsRng;
        (0..20)
            .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
            .collect()
    }

    /// The password typed (checked), or a generated one when nothing was typed: (password,
    /// whether it was generated).
    pub fn password_or_generated(typed: &str) -> Result<(String, bool), AppError> {
        if typed.is_empty() {
            return Ok((generate_password(), true));
        }
        match mailbox_password_problem(typed) {
            Some(p) => Err(field("password", p)),
            None => Ok((typed.to_owned(), false)),
        }
    }

    /// Targets as typed → checked addresses (domains in ASCII form, lower case), joined
    /// the way `email/alias-add` takes them (comma-separated, INFERRED).
    pub fn checked_targets(typed: &str, own: &str) -> Result<String, AppError> {
        let mut out: Vec<String> = Vec::new();
        let targets = split_targets(typed);
        if targets.is_empty() {
            return Err(field(
                "targets",
                "Enter where mail goes: one or more addresses, separated by commas.",
            ));
        }
        if targets.len() > MAX_ALIAS_TARGETS {
            return Err(field(
                "targets",
                format!("At most {MAX_ALIAS_TARGETS} addresses per alias."),
            ));
        }
        for t in targets {
            if let Some(p) = target_problem(&t) {
                return Err(field("targets", p));
            }
            let (local, dom) = t.rsplit_once('@').unwrap_or(("", ""));
            let dom = check::zone_name(dom)
                .map_err(|_| field("targets", format!("{t}: the domain is not a valid name.")))?
                .0;
            let address = format!("{local}@{dom}");
            if address.eq_ignore_ascii_case(own) {
                return Err(field("targets", "An alias cannot send mail to itself."));
            }
            if !out.iter().any(|o| o.eq_ignore_ascii_case(&address)) {
                out.push(address);
            }
        }
        Ok(out.join(","))
    }

    /// An upstream refusal of an add as a field error beside `field`, when it names the
    /// usual reasons.
    pub fn add_refusal(e: AppError, field_name: &str, taken: &str, invalid: &str) -> AppError {
        match &e {
            AppError::Upstream {
                problem: UpstreamProblem::Rejected,
                message,
            } => {
                let lower = message.to_ascii_lowercase();
                if lower.contains("exist") || lower.contains("already") || lower.contains("in use")
                {
                    field(field_name, taken)
                } else if lower.contains("invalid") {
                    field(field_name, invalid)
                } else {
                    e
                }
            }
            _ => e,
        }
    }

    /// The caller's dns2 zone that holds `domain`, if any (the domain's own zone or its
    /// nearest parent; a customer's own zones only).
    pub async fn zone_of<P: Permission>(
        g: &Grant<P>,
        domain: &str,
    ) -> Result<Option<(ZoneRow, String)>, AppError> {
        let zones: Vec<ZoneRow> = crate::dns::ssr::all_zones(g, Zk::Current)
            .await?
            .into_iter()
            .filter(|z| g.sees(&kinds::ZONE, &z.id))
            .collect();
        Ok(
            super::health::zone_for(domain, &zones, |z| z.name.as_str()).map(|z| {
                let rel = super::health::relative(domain, &z.name).unwrap_or_else(|| "@".into());
                (z.clone(), rel)
            }),
        )
    }

    /// Checks and adds one record to zone `zone` (a grant for that zone is decided inside).
    pub async fn publish_record<P: Permission>(
        g: &Grant<P>,
        zone: &ZoneRow,
        rtype: &str,
        name: &str,
        data: &str,
        priority: Option<u32>,
    ) -> Result<String, AppError> {
        let form = NewRecord {
            rtype: rtype.into(),
            name: name.into(),
            data: data.into(),
            ttl: crate::model::dns::DEFAULT_TTL.to_string(),
            priority: priority.map(|p| p.to_string()).unwrap_or_default(),
            route: "plain".into(),
            ..Default::default()
        };
        let checked = check::record(&form, &zone.name, false, &[], &[])
            .map_err(|e| AppError::Conflict(format!("The {rtype} record is not valid: {e}")))?;
        g.also::<api::Dns2RecordAdd>(Target::res(&kinds::ZONE, zone.id.clone()))
            .await?;
        crate::dns::ssr::add(g, Zk::Current, &zone.id, &checked).await
    }

    /// Makes a new DKIM key for `domain`, gives its private half to Luna Node under
    /// `selector` and returns the record to publish. The private key exists only in this
    /// function and is wiped before it returns; an error never carries it.
    pub async fn set_new_key<P: Permission>(
        g: &Grant<P>,
        domain: &MailDomainRow,
        selector: &str,
    ) -> Result<DkimEnabled, AppError> {
        let pair = tokio::task::spawn_blocking(|| dkim::generate(dkim::BITS))
            .await
            .map_err(|e| crate::server::context::internal(format!("DKIM key task: {e}")))?
            .map_err(crate::server::context::internal)?;
        let mut req = api::EmailDomainDkimSet {
            domain_id: domain.id.clone(),
            selector: selector.to_owned(),
            private_key: pair.private_pem.to_string(),
        };
        let result = g
            .also::<api::EmailDomainDkimSet>(domain_target(&domain.id)?)
            .await?
            .call(&req, kinds::MAILDOMAIN.what)
            .await;
        let pem_lines: Vec<String> = req
            .private_key
            .lines()
            .filter(|l| l.len() >= 16 && !l.starts_with("-----"))
            .map(str::to_owned)
            .collect();
        req.private_key.zeroize();
        result.map_err(|e| scrub(e, &pem_lines))?;
        Ok(DkimEnabled {
            selector: selector.to_owned(),
            record_name: dkim_name(selector, &domain.name),
            record_value: dkim::txt_value(&pair.public_b64),
            published: None,
        })
    }

    /// An error of the DKIM call that never repeats the key: a refusal naming the key or
    /// the selector in words of our own, and any text holding a piece of the key replaced.
    fn scrub(e: AppError, pem_lines: &[String]) -> AppError {
        let e = crate::error::refusal(
            e,
            &["key", "selector", "pem"],
            "Luna Node refused the DKIM key or its selector. Try again; if it keeps \
             happening, Luna Node may want another kind of key.",
        );
        match e {
            AppError::Upstream { problem, message }
                if message.contains("PRIVATE")
                    || pem_lines.iter().any(|l| message.contains(&l[..16])) =>
            {
                AppError::Upstream {
                    problem,
                    message: "Luna Node refused the DKIM key.".into(),
                }
            }
            AppError::Conflict(m) if pem_lines.iter().any(|l| m.contains(&l[..16])) => {
                AppError::Conflict("Luna Node refused the DKIM key.".into())
            }
            other => other,
        }
    }

    /// Publishes DKIM's TXT record into the domain's zone, in words for the page.
    pub async fn publish_dkim<P: Permission>(
        g: &Grant<P>,
        domain: &MailDomainRow,
        d: &DkimEnabled,
    ) -> String {
        match zone_of(g, &domain.name).await {
            Ok(Some((zone, rel))) => {
                let name = super::health::under(&format!("{}._domainkey", d.selector), &rel);
                match publish_record(g, &zone, "TXT", &name, &d.record_value, None).await {
                    Ok(_) => format!("Published in zone {}.", zone.name),
                    Err(e) => format!("Not published in zone {}: {e}", zone.name),
                }
            }
            Ok(None) => format!(
                "No DNS zone of yours on this account holds {}: publish the record where the \
                 domain's DNS is hosted.",
                domain.display
            ),
            Err(e) => format!("The DNS zones could not be read: {e}"),
        }
    }

    /// The domain's health against its zone.
    pub async fn health<P: Permission>(
        g: &Grant<P>,
        domain: MailDomainRow,
    ) -> Result<(MailHealth, Option<(ZoneRow, String)>), AppError> {
        let zone = match zone_of(g, &domain.name).await {
            Ok(z) => z,
            Err(e) => {
                return Ok((
                    MailHealth {
                        domain,
                        zone: None,
                        note: Some(format!("The DNS zones could not be read: {e}")),
                        checks: Vec::new(),
                    },
                    None,
                ))
            }
        };
        let Some((z, rel)) = zone else {
            return Ok((
                MailHealth {
                    note: Some(format!(
                        "No DNS zone of yours on this account holds {}: the records cannot be \
                         checked here. Add the zone on the DNS page (if its DNS is hosted \
                         here), or check the records where it is hosted.",
                        domain.display
                    )),
                    domain,
                    zone: None,
                    checks: Vec::new(),
                },
                None,
            ));
        };
        let records = crate::dns::ssr::records(g, Zk::Current, &z).await?;
        let checks = super::health::assess(&domain, &rel, &records);
        Ok((
            MailHealth {
                domain,
                zone: Some(ZoneLink {
                    id: z.id.clone(),
                    name: z.display.clone(),
                }),
                note: None,
                checks,
            },
            Some((z, rel)),
        ))
    }

    /// The usage a customer sees: counted from their domains, against their quota.
    pub fn customer_meters(domains: &[MailDomainRow], limit: Option<u32>) -> Vec<Meter> {
        let sum = |f: fn(&MailDomainRow) -> Option<usize>| {
            domains.iter().filter_map(f).sum::<usize>() as u64
        };
        vec![
            Meter {
                key: "domains".into(),
                label: "Mail domains".into(),
                used: domains.len() as u64,
                limit: limit.map(u64::from),
                bytes: false,
            },
            Meter {
                key: "users".into(),
                label: "Mailboxes".into(),
                used: sum(|d| d.users),
                limit: None,
                bytes: false,
            },
            Meter {
                key: "aliases".into(),
                label: "Aliases".into(),
                used: sum(|d| d.aliases),
                limit: None,
                bytes: false,
            },
        ]
    }

    /// The account's usage as `email/usage` gives it (what it leaves out is counted from
    /// the domains). Luna Node's e-mail plan limits are UNKNOWN (no answer of `email/usage`
    /// was ever seen): no limit is shown for the account, only what is used.
    pub fn owner_meters(u: &api::EmailUsageResponse, domains: &[MailDomainRow]) -> Vec<Meter> {
        let mut m = customer_meters(domains, None);
        if let Some(n) = u.domains {
            m[0].used = n;
        }
        if let Some(n) = u.users {
            m[1].used = n;
        }
        if let Some(n) = u.aliases {
            m[2].used = n;
        }
        if let Some(s) = u.storage {
            m.push(Meter {
                key: "storage".into(),
                label: "Mailbox storage".into(),
                used: s,
                limit: None,
                bytes: true,
            });
        }
        m
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn generated_passwords_pass_the_check_and_differ() {
            let a = generate_password();
            assert_eq!(a.len(), 20);
            assert_eq!(mailbox_password_problem(&a), None);
            assert_ne!(a, generate_password());
            assert!(matches!(password_or_generated(""), Ok((_, true))));
            assert!(password_or_generated("short").is_err());
            assert_eq!(
                password_or_generated("a long enough one").unwrap(),
                ("a long enough one".to_owned(), false)
            );
        }

        #[test]
        fn targets_are_checked_and_joined() {
            assert_eq!(
                checked_targets(
                    "A@Bücher.de, b@example.org, a@xn--bcher-kva.de",
                    "x@example.com"
                )
                .unwrap(),
                "A@xn--bcher-kva.de,b@example.org"
            );
            for bad in ["", "nobody", "a@b", "x@example.com"] {
                assert!(
                    checked_targets(bad, "x@example.com")
                        .unwrap_err()
                        .field("targets")
                        .is_some(),
                    "{bad}"
                );
            }
            let many: Vec<String> = (0..=MAX_ALIAS_TARGETS)
                .map(|i| format!("u{i}@x.org"))
                .collect();
            assert!(checked_targets(&many.join(","), "x@example.com").is_err());
        }

        #[test]
        fn errors_never_repeat_the_key() {
            let lines = vec!["MIIEvQIBADANBgkqhkiG9w0BAQEFAASC".to_owned()];
            let e = scrub(
                AppError::Upstream {
                    problem: UpstreamProblem::Unavailable,
                    message: "bad input MIIEvQIBADANBgkqhkiG9w0B…".into(),
                },
                &lines,
            );
            assert!(!e.to_string().contains("MIIE"), "{e}");
            let e = scrub(
                AppError::Upstream {
                    problem: UpstreamProblem::Rejected,
                    message: "invalid private key".into(),
                },
                &lines,
            );
            assert!(matches!(e, AppError::Conflict(_)), "{e:?}");
        }

        #[test]
        fn usage_meters() {
            let d = |users, aliases| MailDomainRow {
                id: "1".into(),
                name: "a.org".into(),
                display: "a.org".into(),
                dkim_selector: String::new(),
                users,
                aliases,
            };
            let m = customer_meters(&[d(Some(2), Some(1)), d(None, Some(3))], Some(2));
            assert_eq!(
                m.iter().map(|m| (m.used, m.limit)).collect::<Vec<_>>(),
                [(2, Some(2)), (2, None), (4, None)]
            );
            let u = api::EmailUsageResponse {
                domains: Some(5),
                users: None,
                aliases: Some(9),
                storage: Some(2048),
            };
            let m = owner_meters(&u, &[d(Some(2), Some(1))]);
            assert_eq!(
                m.iter()
                    .map(|m| (m.key.as_str(), m.used))
                    .collect::<Vec<_>>(),
                [
                    ("domains", 5),
                    ("users", 2),
                    ("aliases", 9),
                    ("storage", 2048)
                ]
            );
        }
    }
}

/// The caller's mail domains (a customer: theirs) with their counts, and the usage.
#[server(name = MailListFn, endpoint = "mail/list")]
pub async fn mail_list() -> Result<MailView, AppError> {
    use crate::kinds;
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::EmailDomainList>(Target::Account).await?;
    let listed: Vec<api::EmailDomain> = ssr::all_domains(&g)
        .await?
        .into_iter()
        .filter(|d| g.sees(&kinds::MAILDOMAIN, &d.id))
        .collect();
    let domains: Vec<MailDomainRow> = futures::future::join_all(listed.iter().map(|d| {
        let g = &g;
        async move {
            let (u, a) = futures::join!(ssr::users(g, &d.id), ssr::aliases(g, &d.id));
            ssr::row(d, u.ok().map(|u| u.len()), a.ok().map(|a| a.len()))
        }
    }))
    .await;
    let mut domains = domains;
    domains.sort_by(|a, b| a.display.cmp(&b.display));
    let (usage, quota, problem) = match g.customer() {
        Some(c) => {
            let held = c.owned(kinds::MAILDOMAIN.key).count();
            let limit = c.policy.quotas.mail_domains;
            (
                MailUsage {
                    meters: ssr::customer_meters(&domains, limit),
                    source: "Counted from your mail domains, against your plan.".into(),
                },
                Some((u32::try_from(held).unwrap_or(u32::MAX), limit)),
                None,
            )
        }
        None => {
            let read = match g.also::<api::EmailUsage>(Target::Account).await {
                Ok(u) => u.call(&api::EmailUsage {}, "The e-mail usage").await,
                Err(e) => Err(e),
            };
            match read {
                Ok(u) => (
                    MailUsage {
                        meters: ssr::owner_meters(&u, &domains),
                        source: "As Luna Node reports the account's e-mail usage. Its e-mail plan limits are not known to the panel.".into(),
                    },
                    None,
                    None,
                ),
                Err(e) => (
                    MailUsage {
                        meters: ssr::customer_meters(&domains, None),
                        source: "Counted from the domains listed below.".into(),
                    },
                    None,
                    Some(e.to_string()),
                ),
            }
        }
    };
    Ok(MailView {
        domains,
        usage,
        quota,
        problem,
    })
}

/// Adds a mail domain; returns its page. A customer's is theirs at once, within their
/// mail domain quota (decided under their quota lock before Luna Node is asked).
#[server(name = MailDomainAddFn, endpoint = "mail/domain_add")]
pub async fn mail_domain_add(name: String) -> Result<String, AppError> {
    use crate::kinds;
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::EmailDomainAdd>(Target::Account).await?;
    let (ascii, _) = crate::dns::check::zone_name(&name).map_err(|e| ssr::field("name", e))?;
    let quota = g.quota_lock().await?;
    if let (Some(c), Some(lock)) = (g.customer(), &quota) {
        lock.check_count(&kinds::MAILDOMAIN, c.policy.quotas.mail_domains)?;
    }
    let all = ssr::all_domains(&g).await?;
    if let Some(d) = all.iter().find(|d| ssr::domain_name(&d.name) == ascii) {
        let whose = if g.sees(&kinds::MAILDOMAIN, &d.id) {
            "It is one of your mail domains already."
        } else {
            "Its mail is hosted on this account already."
        };
        return Err(ssr::field("name", format!("{ascii}: {whose}")));
    }
    let added = g
        .call(
            &api::EmailDomainAdd {
                name: ascii.clone(),
            },
            "The mail domain",
        )
        .await
        .map_err(|e| {
            ssr::add_refusal(
                e,
                "name",
                "Luna Node hosts mail for that domain already (perhaps for another account).",
                "Luna Node does not take that domain name.",
            )
        })?;
    let id = match added.domain_id.filter(|i| !i.is_empty()) {
        Some(id) => Some(id),
        // The answer's shape is UNKNOWN: find the new domain by name.
        None => ssr::all_domains(&g).await.ok().and_then(|l| {
            l.into_iter()
                .find(|d| ssr::domain_name(&d.name) == ascii)
                .map(|d| d.id)
        }),
    };
    let Some(id) = id else {
        return Ok(String::new());
    };
    g.claim(&kinds::MAILDOMAIN, &id).await?;
    drop(quota);
    Ok(format!("/mail/{id}"))
}

/// A mail domain with its mailboxes and aliases.
#[server(name = MailDomainDetailFn, endpoint = "mail/domain_detail")]
pub async fn mail_domain_detail(domain_id: String) -> Result<MailDomainDetail, AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::EmailUserList>(ssr::domain_target(&domain_id)?).await?;
    let d = ssr::domain(&g, &domain_id).await?;
    let (users, aliases) = futures::join!(ssr::users(&g, &d.id), ssr::aliases(&g, &d.id));
    let (users, aliases) = (users?, aliases?);
    let row = ssr::row(&d, Some(users.len()), Some(aliases.len()));
    let mut users: Vec<MailUserRow> = users
        .into_iter()
        .map(|u| ssr::user_row(u, &row.name))
        .collect();
    users.sort_by(|a, b| a.address.cmp(&b.address));
    let mut aliases: Vec<MailAliasRow> = aliases
        .into_iter()
        .map(|a| ssr::alias_row(a, &row.name))
        .collect();
    aliases.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(MailDomainDetail {
        domain: row,
        users,
        aliases,
    })
}

/// Removes a mail domain with every mailbox and alias of it; `confirm` must be its name.
#[server(name = MailDomainRemoveFn, endpoint = "mail/domain_remove")]
pub async fn mail_domain_remove(domain_id: String, confirm: String) -> Result<(), AppError> {
    use crate::kinds;
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::EmailDomainRemove>(ssr::domain_target(&domain_id)?).await?;
    let d = ssr::row(&ssr::domain(&g, &domain_id).await?, None, None);
    let typed = confirm.trim().trim_end_matches('.').to_lowercase();
    if typed != d.name && typed != d.display.to_lowercase() {
        return Err(ssr::field(
            "confirm",
            "Type the domain's name exactly to confirm.",
        ));
    }
    g.call(
        &api::EmailDomainRemove {
            domain_id: d.id.clone(),
        },
        kinds::MAILDOMAIN.what,
    )
    .await?;
    g.release(&kinds::MAILDOMAIN, &d.id).await;
    Ok(())
}

/// Turns DKIM signing on with a new key (made here): `selector` as typed, or a new one
/// when empty. With `publish`, the TXT record goes into the domain's zone at once (when a
/// zone of the caller's holds it). Returns the record, shown once.
#[server(name = MailDkimEnableFn, endpoint = "mail/dkim_enable")]
pub async fn mail_dkim_enable(
    domain_id: String,
    selector: String,
    publish: bool,
) -> Result<DkimEnabled, AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::EmailDomainDkimSet>(ssr::domain_target(&domain_id)?).await?;
    let selector = match selector.trim().to_ascii_lowercase() {
        s if s.is_empty() => String::new(),
        s => {
            if let Some(p) = selector_problem(&s) {
                return Err(ssr::field("selector", p));
            }
            s
        }
    };
    let d = ssr::row(&ssr::domain(&g, &domain_id).await?, None, None);
    let selector = if selector.is_empty() {
        dkim::new_selector(time::OffsetDateTime::now_utc(), &d.dkim_selector)
    } else if selector == d.dkim_selector {
        // The record at that name holds the old key: the new one needs a name of its own.
        return Err(ssr::field(
            "selector",
            "That is the current key's selector: choose another, or leave it empty.",
        ));
    } else {
        selector
    };
    let mut enabled = ssr::set_new_key(&g, &d, &selector).await?;
    if publish {
        enabled.published = Some(ssr::publish_dkim(&g, &d, &enabled).await);
    }
    Ok(enabled)
}

/// Turns DKIM signing off.
#[server(name = MailDkimDisableFn, endpoint = "mail/dkim_disable")]
pub async fn mail_dkim_disable(domain_id: String) -> Result<(), AppError> {
    use crate::kinds;
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::EmailDomainDkimUnset>(ssr::domain_target(&domain_id)?).await?;
    let d = ssr::domain(&g, &domain_id).await?;
    g.call(
        &api::EmailDomainDkimUnset { domain_id: d.id },
        kinds::MAILDOMAIN.what,
    )
    .await?;
    Ok(())
}

/// Adds mailbox `username@domain`; an empty `password` has one generated, returned once.
#[server(name = MailUserAddFn, endpoint = "mail/user_add")]
pub async fn mail_user_add(
    domain_id: String,
    username: String,
    password: String,
) -> Result<NewMailbox, AppError> {
    use crate::kinds;
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::EmailUserAdd>(ssr::domain_target(&domain_id)?).await?;
    let local = normalize_local(&username);
    let mut errors = crate::error::FieldErrors::new();
    if let Some(p) = local_part_problem(&local) {
        errors.add("username", p);
    }
    let password = match ssr::password_or_generated(&password) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.add("password", e.field("password").unwrap_or_default());
            None
        }
    };
    errors.into_result()?;
    let Some((password, generated)) = password else {
        return Err(ssr::field("password", "Enter a password."));
    };
    let d = ssr::row(&ssr::domain(&g, &domain_id).await?, None, None);
    let (users, aliases) = futures::join!(ssr::users(&g, &d.id), ssr::aliases(&g, &d.id));
    let address = format!("{local}@{}", d.name);
    if let Some(what) = ssr::taken(&local, &users?, &aliases?) {
        return Err(ssr::field(
            "username",
            format!("{address} is {what} already."),
        ));
    }
    g.call(
        &api::EmailUserAdd {
            domain_id: d.id.clone(),
            username: local,
            password: password.clone(),
        },
        kinds::MAILDOMAIN.what,
    )
    .await
    .map_err(|e| {
        ssr::add_refusal(
            e,
            "username",
            "Luna Node says that address is in use already.",
            "Luna Node does not take that name or password.",
        )
    })?;
    Ok(NewMailbox {
        address,
        password: generated.then_some(password),
    })
}

/// Sets a mailbox's password (one generated when `password` is empty, returned once).
#[server(name = MailUserPasswordFn, endpoint = "mail/user_password")]
pub async fn mail_user_password(
    domain_id: String,
    user_id: String,
    password: String,
) -> Result<Option<String>, AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::EmailUserSetPassword>(ssr::domain_target(&domain_id)?).await?;
    let (password, generated) = ssr::password_or_generated(&password)?;
    let d = ssr::domain(&g, &domain_id).await?;
    let user_id = user_id.trim().to_owned();
    if !ssr::users(&g, &d.id).await?.iter().any(|u| u.id == user_id) {
        return Err(AppError::NotFound("The mailbox".into()));
    }
    g.call(
        &api::EmailUserSetPassword {
            domain_id: d.id,
            user_id,
            password: password.clone(),
        },
        "The mailbox",
    )
    .await
    .map_err(|e| {
        ssr::add_refusal(
            e,
            "password",
            "Luna Node refused the password.",
            "Luna Node refused the password.",
        )
    })?;
    Ok(generated.then_some(password))
}

/// Removes a mailbox and the mail in it; `confirm` must be its address.
#[server(name = MailUserRemoveFn, endpoint = "mail/user_remove")]
pub async fn mail_user_remove(
    domain_id: String,
    user_id: String,
    confirm: String,
) -> Result<(), AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::EmailUserRemove>(ssr::domain_target(&domain_id)?).await?;
    let d = ssr::row(&ssr::domain(&g, &domain_id).await?, None, None);
    let user_id = user_id.trim().to_owned();
    let user = ssr::users(&g, &d.id)
        .await?
        .into_iter()
        .find(|u| u.id == user_id)
        .map(|u| ssr::user_row(u, &d.name))
        .ok_or_else(|| AppError::NotFound("The mailbox".into()))?;
    if !confirm.trim().eq_ignore_ascii_case(&user.address) {
        return Err(ssr::field(
            "confirm",
            format!("Type {} exactly to confirm.", user.address),
        ));
    }
    g.call(
        &api::EmailUserRemove {
            domain_id: d.id,
            user_id,
        },
        "The mailbox",
    )
    .await?;
    Ok(())
}

/// Adds alias `name@domain` forwarding to `targets` (addresses separated by commas).
#[server(name = MailAliasAddFn, endpoint = "mail/alias_add")]
pub async fn mail_alias_add(
    domain_id: String,
    name: String,
    targets: String,
) -> Result<(), AppError> {
    use crate::kinds;
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::EmailAliasAdd>(ssr::domain_target(&domain_id)?).await?;
    let local = normalize_local(&name);
    let mut errors = crate::error::FieldErrors::new();
    if let Some(p) = local_part_problem(&local) {
        errors.add("name", p);
    }
    // The alias's own address needs the domain's name: the targets are checked against it
    // below; their shape is checked here so both errors show at once.
    if let Some(p) = split_targets(&targets)
        .iter()
        .find_map(|t| target_problem(t))
    {
        errors.add("targets", p);
    }
    errors.into_result()?;
    let d = ssr::row(&ssr::domain(&g, &domain_id).await?, None, None);
    let address = format!("{local}@{}", d.name);
    let target = ssr::checked_targets(&targets, &address)?;
    let (users, aliases) = futures::join!(ssr::users(&g, &d.id), ssr::aliases(&g, &d.id));
    if let Some(what) = ssr::taken(&local, &users?, &aliases?) {
        return Err(ssr::field("name", format!("{address} is {what} already.")));
    }
    g.call(
        &api::EmailAliasAdd {
            domain_id: d.id,
            name: local,
            target,
        },
        kinds::MAILDOMAIN.what,
    )
    .await
    .map_err(|e| {
        ssr::add_refusal(
            e,
            "name",
            "Luna Node says that address is in use already.",
            "Luna Node does not take that alias or one of its targets.",
        )
    })?;
    Ok(())
}

/// Removes an alias of the domain.
#[server(name = MailAliasRemoveFn, endpoint = "mail/alias_remove")]
pub async fn mail_alias_remove(domain_id: String, alias_id: String) -> Result<(), AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::EmailAliasRemove>(ssr::domain_target(&domain_id)?).await?;
    let d = ssr::domain(&g, &domain_id).await?;
    let alias_id = alias_id.trim().to_owned();
    if !ssr::aliases(&g, &d.id)
        .await?
        .iter()
        .any(|a| a.id == alias_id)
    {
        return Err(AppError::NotFound("The alias".into()));
    }
    g.call(
        &api::EmailAliasRemove {
            domain_id: d.id,
            alias_id,
        },
        "The alias",
    )
    .await?;
    Ok(())
}

/// The domain's MX, SPF and DKIM records checked against the caller's DNS zone holding it.
#[server(name = MailHealthFn, endpoint = "mail/health")]
pub async fn mail_health(domain_id: String) -> Result<MailHealth, AppError> {
    use crate::server::authz::authorize;
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::EmailDomainList>(ssr::domain_target(&domain_id)?).await?;
    let d = ssr::row(&ssr::domain(&g, &domain_id).await?, None, None);
    Ok(ssr::health(&g, d).await?.0)
}

/// Publishes what the health view finds missing into the domain's zone: the expected MX,
/// an SPF record (or the existing one with the expected include, replacing it), and for
/// DKIM a new key (a new selector, set at Luna Node) with its record. Each record is
/// decided for the zone (a customer: their zone, with the "dns" capability).
#[server(name = MailPublishFn, endpoint = "mail/publish")]
pub async fn mail_publish(domain_id: String) -> Result<PublishReport, AppError> {
    use crate::kinds;
    use crate::server::authz::{authorize, Target};
    use crate::server::lunanode::actions as api;
    let g = authorize::<api::EmailDomainList>(ssr::domain_target(&domain_id)?).await?;
    let d = ssr::row(&ssr::domain(&g, &domain_id).await?, None, None);
    let (h, zone) = ssr::health(&g, d.clone()).await?;
    let Some((zone, rel)) = zone else {
        return Err(AppError::Conflict(
            h.note
                .unwrap_or_else(|| "There is no DNS zone to publish into.".into()),
        ));
    };
    // Decided before anything is done: may the caller change this zone at all?
    g.also::<api::Dns2RecordAdd>(Target::res(&kinds::ZONE, zone.id.clone()))
        .await?;
    let mut report = PublishReport::default();
    let mut outcome = |what: String, r: Result<(), AppError>| match r {
        Ok(()) => report.done.push(what),
        Err(e) => report.failed.push(format!("{what}: {e}")),
    };
    for c in h.checks.iter().filter(|c| c.publishable) {
        match c.key.as_str() {
            "mx" => {
                let r = ssr::publish_record(
                    &g,
                    &zone,
                    "MX",
                    &rel,
                    EXPECTED_MX_HOST_INFERRED,
                    Some(EXPECTED_MX_PRIORITY_INFERRED),
                )
                .await
                .map(|_| ());
                outcome(
                    format!(
                        "MX {} {EXPECTED_MX_HOST_INFERRED}",
                        EXPECTED_MX_PRIORITY_INFERRED
                    ),
                    r,
                );
            }
            "spf" => {
                let old: Vec<String> =
                    crate::dns::ssr::records(&g, crate::dns::ssr::Zk::Current, &zone)
                        .await?
                        .into_iter()
                        .filter(|r| {
                            r.name == rel
                                && matches!(r.rtype.as_str(), "TXT" | "SPF")
                                && health::text(r).to_ascii_lowercase().starts_with("v=spf1")
                        })
                        .map(|r| r.id)
                        .collect();
                let data = c.expected.clone();
                let mut r = ssr::publish_record(&g, &zone, "TXT", &rel, &data, None)
                    .await
                    .map(|_| ());
                if r.is_ok() {
                    // Two SPF records make SPF fail: the one just merged goes.
                    for id in old {
                        if let Err(e) = crate::dns::ssr::remove_record(
                            &g,
                            crate::dns::ssr::Zk::Current,
                            &zone.id,
                            &id,
                        )
                        .await
                        {
                            r = Err(e);
                        }
                    }
                }
                outcome(format!("SPF “{data}”"), r);
            }
            "dkim" => {
                let selector =
                    dkim::new_selector(time::OffsetDateTime::now_utc(), &d.dkim_selector);
                let r = async {
                    let enabled = ssr::set_new_key(&g, &d, &selector).await?;
                    let name = health::under(&format!("{selector}._domainkey"), &rel);
                    ssr::publish_record(&g, &zone, "TXT", &name, &enabled.record_value, None)
                        .await
                        .map(|_| ())
                }
                .await;
                outcome(format!("DKIM: a new key under selector {selector}"), r);
            }
            _ => {}
        }
    }
    Ok(report)
}
