//! Hosted e-mail through the panel's server functions against the emulator: mail domains
//! added (checked beside the field) and removed with their name typed; mailboxes with a
//! generated password shown once, a new password, removal with the address typed; aliases
//! with checked targets; DKIM keys made by the panel (the key Luna Node holds matches the
//! record shown); the health view against the domain's zone turning good after "publish";
//! customers confined to their domains (and their mailboxes and aliases), within their quota.

use app::error::AppError;
use app::mail::{
    DkimEnabled, Health, MailDomainDetail, MailHealth, MailView, NewMailbox, PublishReport,
};
use reqwest::Client;

use crate::both;
use crate::harness::{error_beside as field, not_found, Db, Panel};
use crate::tenancy::{customer, policy, reseller};
use crate::upstream::{key, ID_A};

async fn list(panel: &Panel, c: &Client) -> MailView {
    panel.call(c, "mail/list", &[]).await.expect("mail/list")
}

async fn add_domain(panel: &Panel, c: &Client, name: &str) -> Result<String, AppError> {
    panel
        .call::<String>(c, "mail/domain_add", &[("name", name)])
        .await
        .map(|path| path.trim_start_matches("/mail/").to_owned())
}

async fn detail(panel: &Panel, c: &Client, id: &str) -> Result<MailDomainDetail, AppError> {
    panel
        .call(c, "mail/domain_detail", &[("domain_id", id)])
        .await
}

async fn health(panel: &Panel, c: &Client, id: &str) -> Result<MailHealth, AppError> {
    panel.call(c, "mail/health", &[("domain_id", id)]).await
}

fn status(h: &MailHealth, key: &str) -> Health {
    h.checks
        .iter()
        .find(|c| c.key == key)
        .unwrap_or_else(|| panic!("no {key} check: {h:?}"))
        .status
}

async fn add_user(
    panel: &Panel,
    c: &Client,
    domain: &str,
    username: &str,
    password: &str,
) -> Result<NewMailbox, AppError> {
    panel
        .call(
            c,
            "mail/user_add",
            &[
                ("domain_id", domain),
                ("username", username),
                ("password", password),
            ],
        )
        .await
}

async fn add_alias(
    panel: &Panel,
    c: &Client,
    domain: &str,
    name: &str,
    targets: &str,
) -> Result<(), AppError> {
    panel
        .call(
            c,
            "mail/alias_add",
            &[("domain_id", domain), ("name", name), ("targets", targets)],
        )
        .await
}

async fn dkim_enable(
    panel: &Panel,
    c: &Client,
    domain: &str,
    selector: &str,
    publish: bool,
) -> Result<DkimEnabled, AppError> {
    let publish = publish.to_string();
    panel
        .call(
            c,
            "mail/dkim_enable",
            &[
                ("domain_id", domain),
                ("selector", selector),
                ("publish", publish.as_str()),
            ],
        )
        .await
}

async fn zone(panel: &Panel, c: &Client, name: &str) -> String {
    let path: String = panel
        .call(
            c,
            "zones/create",
            &[("zone[name]", name), ("zone[ttl]", "")],
        )
        .await
        .expect("zones/create");
    path.rsplit('/').next().unwrap().to_owned()
}

async fn owner(panel: &Panel) -> Client {
    let c = panel.owner("a@example.com").await;
    panel.save_key(&c, ID_A, &key('A'), None).await.unwrap();
    c
}

async fn domains_mailboxes_and_aliases(db: Db) {
    let (panel, emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let c = owner(&panel).await;

    let v = list(&panel, &c).await;
    assert!(v.domains.is_empty() && v.quota.is_none() && v.problem.is_none());
    assert!(
        v.usage.meters.iter().any(|m| m.key == "storage" && m.bytes),
        "the account's own usage: {v:?}"
    );

    // Domains: checked beside the field, a second time refused.
    for bad in ["", "not a domain", "localhost", "https://example.com/"] {
        field(add_domain(&panel, &c, bad).await, "name");
    }
    let before = emu.calls("email/domain-add");
    let id = add_domain(&panel, &c, "Example.COM.").await.unwrap();
    assert_eq!(emu.calls("email/domain-add"), before + 1);
    assert!(field(add_domain(&panel, &c, "example.com").await, "name").contains("already"));
    let idn = add_domain(&panel, &c, "bücher.example").await.unwrap();
    let d = detail(&panel, &c, &idn).await.unwrap();
    assert_eq!(
        (d.domain.name.as_str(), d.domain.display.as_str()),
        ("xn--bcher-kva.example", "bücher.example")
    );

    let d = detail(&panel, &c, &id).await.unwrap();
    assert_eq!(d.domain.name, "example.com");
    assert!(!d.domain.dkim_on() && d.users.is_empty() && d.aliases.is_empty());

    // Mailboxes: a generated password is returned once and passes the panel's rules.
    field(add_user(&panel, &c, &id, "a b", "").await, "username");
    field(
        add_user(&panel, &c, &id, "bob@example.com", "").await,
        "username",
    );
    field(add_user(&panel, &c, &id, "bob", "short").await, "password");
    let made = add_user(&panel, &c, &id, "Alice", "").await.unwrap();
    assert_eq!(made.address, "alice@example.com");
    let generated = made.password.expect("a generated password");
    assert_eq!(generated.len(), 20);
    let typed = add_user(&panel, &c, &id, "bob", "a long password")
        .await
        .unwrap();
    assert_eq!(
        (typed.address.as_str(), typed.password),
        ("bob@example.com", None)
    );
    assert!(field(add_user(&panel, &c, &id, "ALICE", "").await, "username").contains("already"));
    let d = detail(&panel, &c, &id).await.unwrap();
    let addresses: Vec<&str> = d.users.iter().map(|u| u.address.as_str()).collect();
    assert_eq!(addresses, ["alice@example.com", "bob@example.com"]);
    let alice = d.users[0].id.clone();

    // New passwords: typed (checked) or generated; someone else's id is not found.
    let set = |user: &str, password: &str| {
        let (user, password) = (user.to_owned(), password.to_owned());
        let (panel, c, id) = (&panel, &c, id.clone());
        async move {
            panel
                .call::<Option<String>>(
                    c,
                    "mail/user_password",
                    &[
                        ("domain_id", &id),
                        ("user_id", &user),
                        ("password", &password),
                    ],
                )
                .await
        }
    };
    field(set(&alice, "tiny").await, "password");
    assert_eq!(set(&alice, "another long one").await.unwrap(), None);
    let again = set(&alice, "").await.unwrap().expect("generated");
    assert_ne!(again, generated);
    not_found(set("999999", "another long one").await);
    // A mailbox of another domain is not this domain's.
    let other = add_domain(&panel, &c, "other.example.net").await.unwrap();
    not_found(
        panel
            .call::<Option<String>>(
                &c,
                "mail/user_password",
                &[("domain_id", &other), ("user_id", &alice), ("password", "")],
            )
            .await,
    );

    // Aliases: name and targets checked; the address of a mailbox is taken.
    field(add_alias(&panel, &c, &id, "info", "").await, "targets");
    field(
        add_alias(&panel, &c, &id, "info", "nobody").await,
        "targets",
    );
    field(add_alias(&panel, &c, &id, "info", "a@b").await, "targets");
    field(
        add_alias(&panel, &c, &id, "info", "info@example.com").await,
        "targets",
    );
    field(
        add_alias(&panel, &c, &id, "bob", "x@example.org").await,
        "name",
    );
    field(
        add_alias(&panel, &c, &id, "in fo", "x@example.org").await,
        "name",
    );
    add_alias(
        &panel,
        &c,
        &id,
        "Info",
        "alice@example.com, Someone@Bücher.example; alice@example.com",
    )
    .await
    .unwrap();
    let d = detail(&panel, &c, &id).await.unwrap();
    assert_eq!(d.aliases.len(), 1);
    let info = &d.aliases[0];
    assert_eq!(info.address, "info@example.com");
    assert_eq!(
        info.targets,
        ["alice@example.com", "Someone@xn--bcher-kva.example"],
        "checked, in ASCII form, once each"
    );
    not_found(
        panel
            .call::<()>(
                &c,
                "mail/alias_remove",
                &[("domain_id", &other), ("alias_id", &info.id)],
            )
            .await,
    );

    // The list counts them; the account's usage follows.
    let v = list(&panel, &c).await;
    let row = v.domains.iter().find(|r| r.id == id).unwrap();
    assert_eq!((row.users, row.aliases), (Some(2), Some(1)));
    let used = |key: &str| v.usage.meters.iter().find(|m| m.key == key).unwrap().used;
    assert_eq!((used("domains"), used("users"), used("aliases")), (3, 2, 1));

    // Removal: typed confirmations, checked on the server.
    let _: () = panel
        .call(
            &c,
            "mail/alias_remove",
            &[("domain_id", &id), ("alias_id", &info.id)],
        )
        .await
        .unwrap();
    let remove_user = |confirm: &str| {
        let confirm = confirm.to_owned();
        let (panel, c, id, alice) = (&panel, &c, id.clone(), alice.clone());
        async move {
            panel
                .call::<()>(
                    c,
                    "mail/user_remove",
                    &[
                        ("domain_id", &id),
                        ("user_id", &alice),
                        ("confirm", &confirm),
                    ],
                )
                .await
        }
    };
    field(remove_user("alice").await, "confirm");
    remove_user("Alice@Example.com").await.unwrap();
    let d = detail(&panel, &c, &id).await.unwrap();
    assert_eq!((d.users.len(), d.aliases.len()), (1, 0));
    assert_eq!(d.domain.contents(), "1 mailbox and 0 aliases");
    field(
        panel
            .call::<()>(
                &c,
                "mail/domain_remove",
                &[("domain_id", &id), ("confirm", "example")],
            )
            .await,
        "confirm",
    );
    let _: () = panel
        .call(
            &c,
            "mail/domain_remove",
            &[("domain_id", &id), ("confirm", "example.com")],
        )
        .await
        .unwrap();
    not_found(detail(&panel, &c, &id).await);
    let _: () = panel
        .call(
            &c,
            "mail/domain_remove",
            &[("domain_id", &idn), ("confirm", "bücher.example")],
        )
        .await
        .unwrap();
    assert_eq!(list(&panel, &c).await.domains.len(), 1);
    panel.stop().await;
}

async fn dkim_and_health_turn_green_after_publish(db: Db) {
    let (panel, emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let c = owner(&panel).await;
    let zone_id = zone(&panel, &c, "example.org").await;
    let id = add_domain(&panel, &c, "example.org").await.unwrap();

    let h = health(&panel, &c, &id).await.unwrap();
    assert_eq!(
        h.zone.as_ref().map(|z| z.id.as_str()),
        Some(zone_id.as_str())
    );
    assert_eq!(
        (status(&h, "mx"), status(&h, "spf"), status(&h, "dkim")),
        (Health::Missing, Health::Missing, Health::Off)
    );
    assert!(!h.healthy() && h.publishable());

    // DKIM: a bad selector is refused beside it; a key is made and the record shown once.
    field(
        dkim_enable(&panel, &c, &id, "bad selector", false).await,
        "selector",
    );
    let on = dkim_enable(&panel, &c, &id, "", false).await.unwrap();
    assert!(on.selector.starts_with("lp"), "{on:?}");
    assert_eq!(
        on.record_name,
        format!("{}._domainkey.example.org", on.selector)
    );
    assert!(on.record_value.starts_with("v=DKIM1; k=rsa; p=MII"));
    assert_eq!(on.published, None);
    // The key Luna Node holds is the private half of the record shown, 2048 bits.
    let (selector, pem) = emu.mail_dkim(ID_A, "example.org").expect("DKIM set");
    assert_eq!(selector, on.selector);
    {
        use base64::Engine;
        use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
        use rsa::traits::PublicKeyParts;
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(&pem).expect("PKCS#8 PEM");
        assert_eq!(key.size() * 8, 2048);
        let public = rsa::RsaPublicKey::from(&key).to_public_key_der().unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(public.as_bytes());
        assert_eq!(on.record_value, format!("v=DKIM1; k=rsa; p={b64}"));
        // The change is audited (once), and nothing of the key is in the audit.
        let rows = panel
            .state
            .store
            .search_audit(
                &app::server::store::AuditFilter {
                    action: Some("email/domain-dkim-set".into()),
                    ..Default::default()
                },
                10,
            )
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        let body = pem.lines().nth(3).unwrap();
        assert!(!format!("{rows:?}").contains(body));
    }
    let d = detail(&panel, &c, &id).await.unwrap();
    assert_eq!(d.domain.dkim_selector, on.selector);

    // Not published: DKIM is missing too; publishing makes a new key and publishes all.
    let h = health(&panel, &c, &id).await.unwrap();
    assert_eq!(status(&h, "dkim"), Health::Missing);
    let report: PublishReport = panel
        .call(&c, "mail/publish", &[("domain_id", &id)])
        .await
        .unwrap();
    assert_eq!(report.done.len(), 3, "{report:?}");
    assert!(report.failed.is_empty(), "{report:?}");
    let h = health(&panel, &c, &id).await.unwrap();
    assert!(h.healthy(), "{h:?}");
    assert!(!h.publishable());
    let rekeyed = detail(&panel, &c, &id).await.unwrap().domain.dkim_selector;
    assert_ne!(rekeyed, on.selector, "a new key under a new selector");
    let (_, pem2) = emu.mail_dkim(ID_A, "example.org").unwrap();
    assert_ne!(pem2, pem);

    // Enabled again with publish: the record goes into the zone at once.
    let again = dkim_enable(&panel, &c, &id, "Second", true).await.unwrap();
    assert_eq!(again.selector, "second");
    assert_eq!(
        again.published.as_deref(),
        Some("Published in zone example.org.")
    );
    assert!(health(&panel, &c, &id).await.unwrap().healthy());

    // Off: nothing to check for DKIM, still healthy.
    let _: () = panel
        .call(&c, "mail/dkim_disable", &[("domain_id", &id)])
        .await
        .unwrap();
    let h = health(&panel, &c, &id).await.unwrap();
    assert_eq!(status(&h, "dkim"), Health::Off);
    assert!(h.healthy());

    // A subdomain in the parent's zone: its own names; an SPF record of its own is merged.
    let sub = add_domain(&panel, &c, "news.example.org").await.unwrap();
    let _: String = panel
        .call(
            &c,
            "zones/record_add",
            &[
                ("zone_id", zone_id.as_str()),
                ("record[rtype]", "TXT"),
                ("record[name]", "news"),
                ("record[data]", "v=spf1 mx -all"),
            ],
        )
        .await
        .unwrap();
    let h = health(&panel, &c, &sub).await.unwrap();
    assert_eq!(h.checks[0].name, "news");
    assert_eq!(status(&h, "spf"), Health::Warn);
    let report: PublishReport = panel
        .call(&c, "mail/publish", &[("domain_id", &sub)])
        .await
        .unwrap();
    assert_eq!(report.done.len(), 2, "MX and SPF: {report:?}");
    let h = health(&panel, &c, &sub).await.unwrap();
    assert!(h.healthy(), "{h:?}");
    let spf = h.checks.iter().find(|c| c.key == "spf").unwrap();
    assert_eq!(
        spf.found,
        ["v=spf1 include:_spf.lunanode.com mx -all"],
        "one SPF record"
    );

    // No zone on the account: nothing checked, nothing to publish into.
    let lone = add_domain(&panel, &c, "elsewhere.example").await.unwrap();
    let h = health(&panel, &c, &lone).await.unwrap();
    assert!(h.zone.is_none() && h.checks.is_empty() && h.note.is_some());
    assert!(matches!(
        panel
            .call::<PublishReport>(&c, "mail/publish", &[("domain_id", &lone)])
            .await,
        Err(AppError::Conflict(_))
    ));
    panel.stop().await;
}

async fn customers_only_within_their_domains_and_quota(db: Db) {
    let (panel, emu) = Panel::with_emulator(db, |c| c.time_scale = 0.0).await;
    let (_admin, reseller, _) = reseller(&panel).await;
    let (ca, a) = customer(&panel, &reseller, "a@customer.example").await;
    let (cb, b) = customer(&panel, &reseller, "b@customer.example").await;
    policy(&panel, &reseller, a, &[("mail_domains", "1")]).await;
    policy(&panel, &reseller, b, &[]).await;

    let theirs = add_domain(&panel, &ca, "shop.example.net").await.unwrap();
    let before = emu.calls("email/domain-add");
    match add_domain(&panel, &ca, "second.example.net").await {
        Err(AppError::Quota(m)) => assert!(m.contains("1 mail domains"), "{m}"),
        other => panic!("expected the quota, got {other:?}"),
    }
    assert_eq!(
        emu.calls("email/domain-add"),
        before,
        "refused before Luna Node"
    );
    let resellers = add_domain(&panel, &reseller, "reseller.example.net")
        .await
        .unwrap();
    let made = add_user(&panel, &reseller, &resellers, "boss", "")
        .await
        .unwrap();
    assert!(made.password.is_some());

    // Each sees their own; the customer's usage is theirs, against their plan.
    let v = list(&panel, &ca).await;
    assert_eq!(
        v.domains.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        [theirs.as_str()]
    );
    assert_eq!(v.quota, Some((1, Some(1))));
    let domains = v.usage.meters.iter().find(|m| m.key == "domains").unwrap();
    assert_eq!((domains.used, domains.limit), (1, Some(1)));
    assert!(
        !v.usage.meters.iter().any(|m| m.key == "storage"),
        "no account-wide figure for a customer"
    );
    assert_eq!(list(&panel, &reseller).await.domains.len(), 2);
    assert!(list(&panel, &cb).await.domains.is_empty());

    // Someone else's domain is not found, with no call to Luna Node.
    for (c, id) in [(&cb, &theirs), (&ca, &resellers)] {
        let calls = emu.total_calls();
        not_found(detail(&panel, c, id).await);
        not_found(health(&panel, c, id).await);
        not_found(add_user(&panel, c, id, "x", "").await);
        not_found(add_alias(&panel, c, id, "x", "a@example.org").await);
        not_found(
            panel
                .call::<PublishReport>(c, "mail/publish", &[("domain_id", id)])
                .await,
        );
        not_found(dkim_enable(&panel, c, id, "", false).await);
        assert_eq!(emu.total_calls(), calls, "nothing reached Luna Node");
    }
    // Nor is a mailbox of someone else's domain named under one's own.
    let boss = detail(&panel, &reseller, &resellers).await.unwrap().users[0]
        .id
        .clone();
    not_found(
        panel
            .call::<()>(
                &ca,
                "mail/user_remove",
                &[
                    ("domain_id", &theirs),
                    ("user_id", &boss),
                    ("confirm", "boss@reseller.example.net"),
                ],
            )
            .await,
    );
    assert_eq!(
        detail(&panel, &reseller, &resellers)
            .await
            .unwrap()
            .users
            .len(),
        1
    );

    // A domain hosted on the account already is said so, not named as someone's.
    let r = panel
        .call::<String>(&cb, "mail/domain_add", &[("name", "shop.example.net")])
        .await;
    assert!(field(r, "name").contains("hosted on this account"));

    // The customer works within their domain.
    let m = add_user(&panel, &ca, &theirs, "sales", "").await.unwrap();
    assert_eq!(m.address, "sales@shop.example.net");
    add_alias(&panel, &ca, &theirs, "info", "sales@shop.example.net")
        .await
        .unwrap();

    // Health: the reseller's zone holding the domain is not the customer's to use.
    let _ = zone(&panel, &reseller, "example.net").await;
    let h = health(&panel, &ca, &theirs).await.unwrap();
    assert!(h.zone.is_none(), "{h:?}");
    let h = health(&panel, &reseller, &theirs).await.unwrap();
    assert_eq!(h.zone.map(|z| z.name), Some("example.net".to_owned()));
    // Their own zone is used, and publishing into it is theirs.
    let _ = zone(&panel, &ca, "shop.example.net").await;
    let h = health(&panel, &ca, &theirs).await.unwrap();
    assert_eq!(h.zone.map(|z| z.name), Some("shop.example.net".to_owned()));
    let report: PublishReport = panel
        .call(&ca, "mail/publish", &[("domain_id", &theirs)])
        .await
        .unwrap();
    assert!(report.failed.is_empty(), "{report:?}");
    assert!(health(&panel, &ca, &theirs).await.unwrap().healthy());

    // Removing their domain frees the quota.
    let _: () = panel
        .call(
            &ca,
            "mail/domain_remove",
            &[("domain_id", &theirs), ("confirm", "shop.example.net")],
        )
        .await
        .unwrap();
    add_domain(&panel, &ca, "second.example.net").await.unwrap();
    panel.stop().await;
}

both!(
    domains_mailboxes_and_aliases,
    dkim_and_health_turn_green_after_publish,
    customers_only_within_their_domains_and_quota,
);
