//! `email/*` against the emulator (every shape here is the emulator's INFERRED choice; the
//! real ones are UNKNOWN, reference §17).

use app::server::lunanode::actions::*;
use app::server::lunanode::{Credential, UpstreamError};

use super::{upstream, Upstream};

/// A throwaway RSA key in PKCS#8 PEM, made for these tests (1024 bits: the least a DKIM
/// key may have, and quick to make).
static DKIM_KEY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).unwrap();
    key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string()
});

async fn domains(u: &Upstream, cred: &Credential) -> Vec<EmailDomain> {
    u.client
        .email_domain_list(cred, &EmailDomainList {})
        .await
        .unwrap()
        .domains
}

async fn users(u: &Upstream, cred: &Credential, domain_id: &str) -> Vec<EmailUser> {
    u.client
        .email_user_list(
            cred,
            &EmailUserList {
                domain_id: domain_id.into(),
            },
        )
        .await
        .unwrap()
        .users
}

async fn aliases(u: &Upstream, cred: &Credential, domain_id: &str) -> Vec<EmailAlias> {
    u.client
        .email_alias_list(
            cred,
            &EmailAliasList {
                domain_id: domain_id.into(),
            },
        )
        .await
        .unwrap()
        .aliases
}

async fn add_domain(u: &Upstream, cred: &Credential, name: &str) -> String {
    u.client
        .email_domain_add(cred, &EmailDomainAdd { name: name.into() })
        .await
        .unwrap()
        .domain_id
        .expect("the emulator answers the new id")
}

async fn add_user(u: &Upstream, cred: &Credential, domain_id: &str, username: &str) -> String {
    u.client
        .email_user_add(
            cred,
            &EmailUserAdd {
                domain_id: domain_id.into(),
                username: username.into(),
                password: "correct horse battery".into(),
            },
        )
        .await
        .unwrap()
        .user_id
        .expect("the emulator answers the new id")
}

#[tokio::test]
async fn email_domains_and_dkim() {
    let u = upstream().await;
    assert!(domains(&u, &u.a).await.is_empty());
    let usage = u.client.email_usage(&u.a, &EmailUsage {}).await.unwrap();
    assert_eq!(
        (usage.domains, usage.users, usage.aliases, usage.storage),
        (Some(0), Some(0), Some(0), Some(0))
    );

    let id = add_domain(&u, &u.a, "Example.COM.").await;
    let listed = domains(&u, &u.a).await;
    assert_eq!(
        listed,
        [EmailDomain {
            id: id.clone(),
            name: "example.com".into(),
            dkim_selector: String::new(),
        }],
        "stored lower case, without the trailing dot"
    );

    u.client
        .email_domain_dkim_set(
            &u.a,
            &EmailDomainDkimSet {
                domain_id: id.clone(),
                selector: "mail2024".into(),
                private_key: DKIM_KEY.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(domains(&u, &u.a).await[0].dkim_selector, "mail2024");
    u.client
        .email_domain_dkim_unset(
            &u.a,
            &EmailDomainDkimUnset {
                domain_id: id.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(domains(&u, &u.a).await[0].dkim_selector, "");

    let other = add_domain(&u, &u.a, "example.org").await;
    assert_eq!(domains(&u, &u.a).await.len(), 2);
    assert_eq!(
        u.client
            .email_usage(&u.a, &EmailUsage {})
            .await
            .unwrap()
            .domains,
        Some(2)
    );
    u.client
        .email_domain_remove(
            &u.a,
            &EmailDomainRemove {
                domain_id: id.clone(),
            },
        )
        .await
        .unwrap();
    let left = domains(&u, &u.a).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, other);
    let err = u
        .client
        .email_domain_remove(&u.a, &EmailDomainRemove { domain_id: id })
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid domain".into()));
}

#[tokio::test]
async fn email_users_and_aliases() {
    let u = upstream().await;
    let domain = add_domain(&u, &u.a, "example.com").await;
    assert!(users(&u, &u.a, &domain).await.is_empty());
    assert!(aliases(&u, &u.a, &domain).await.is_empty());

    let alice = add_user(&u, &u.a, &domain, "alice.smith").await;
    let bob = add_user(&u, &u.a, &domain, "bob").await;
    let listed = users(&u, &u.a, &domain).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].id, alice);
    assert_eq!(listed[0].username, "alice.smith");
    assert_eq!(listed[0].email, "alice.smith@example.com");

    u.client
        .email_user_set_password(
            &u.a,
            &EmailUserSetPassword {
                domain_id: domain.clone(),
                user_id: alice.clone(),
                password: "an even better passphrase".into(),
            },
        )
        .await
        .unwrap();

    let alias = u
        .client
        .email_alias_add(
            &u.a,
            &EmailAliasAdd {
                domain_id: domain.clone(),
                name: "info".into(),
                target: "alice.smith@example.com, someone@elsewhere.org".into(),
            },
        )
        .await
        .unwrap()
        .alias_id
        .expect("the emulator answers the new id");
    assert_eq!(
        aliases(&u, &u.a, &domain).await,
        [EmailAlias {
            id: alias.clone(),
            name: "info".into(),
            target: "alice.smith@example.com,someone@elsewhere.org".into(),
        }]
    );
    let usage = u.client.email_usage(&u.a, &EmailUsage {}).await.unwrap();
    assert_eq!((usage.users, usage.aliases), (Some(2), Some(1)));

    u.client
        .email_alias_remove(
            &u.a,
            &EmailAliasRemove {
                domain_id: domain.clone(),
                alias_id: alias.clone(),
            },
        )
        .await
        .unwrap();
    assert!(aliases(&u, &u.a, &domain).await.is_empty());
    u.client
        .email_user_remove(
            &u.a,
            &EmailUserRemove {
                domain_id: domain.clone(),
                user_id: bob.clone(),
            },
        )
        .await
        .unwrap();
    let listed = users(&u, &u.a, &domain).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, alice);
    let err = u
        .client
        .email_user_remove(
            &u.a,
            &EmailUserRemove {
                domain_id: domain.clone(),
                user_id: bob,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid user".into()));
    let err = u
        .client
        .email_alias_remove(
            &u.a,
            &EmailAliasRemove {
                domain_id: domain.clone(),
                alias_id: alias,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid alias".into()));

    // Removing the domain takes its mailboxes along.
    u.client
        .email_domain_remove(
            &u.a,
            &EmailDomainRemove {
                domain_id: domain.clone(),
            },
        )
        .await
        .unwrap();
    let usage = u.client.email_usage(&u.a, &EmailUsage {}).await.unwrap();
    assert_eq!((usage.domains, usage.users), (Some(0), Some(0)));
    let err = u
        .client
        .email_user_list(&u.a, &EmailUserList { domain_id: domain })
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid domain".into()));
}

#[tokio::test]
async fn email_validation() {
    let u = upstream().await;
    let rejected = |text: &str| UpstreamError::Rejected(text.into());

    // Missing parameters.
    let err = u
        .client
        .email_domain_add(&u.a, &EmailDomainAdd { name: " ".into() })
        .await
        .unwrap_err();
    assert_eq!(err, rejected("name not set"));
    let domain = add_domain(&u, &u.a, "example.com").await;
    let err = u
        .client
        .email_user_add(
            &u.a,
            &EmailUserAdd {
                domain_id: domain.clone(),
                username: "carol".into(),
                password: String::new(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, rejected("password not set"));

    // Bad domain names and duplicates.
    for name in ["localhost", "exa mple.com", "-bad.com", "1.2.3.4"] {
        let err = u
            .client
            .email_domain_add(&u.a, &EmailDomainAdd { name: name.into() })
            .await
            .unwrap_err();
        assert_eq!(err, rejected("invalid domain name"), "{name}");
    }
    let err = u
        .client
        .email_domain_add(
            &u.a,
            &EmailDomainAdd {
                name: "EXAMPLE.com".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, rejected("domain already exists"));

    // DKIM: selector and key checks; nothing is set on failure.
    let dkim = |selector: &str, key: &str| EmailDomainDkimSet {
        domain_id: domain.clone(),
        selector: selector.into(),
        private_key: key.into(),
    };
    for (req, text) in [
        (dkim("mail", "not a key"), "invalid private key"),
        (
            dkim(
                "mail",
                "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----",
            ),
            "invalid private key",
        ),
        (dkim("bad selector", &DKIM_KEY), "invalid selector"),
        (dkim("", &DKIM_KEY), "selector not set"),
    ] {
        let err = u
            .client
            .email_domain_dkim_set(&u.a, &req)
            .await
            .unwrap_err();
        assert_eq!(err, rejected(text));
    }
    assert_eq!(domains(&u, &u.a).await[0].dkim_selector, "");

    // Mailboxes: local part and password length.
    let user = |username: &str, password: &str| EmailUserAdd {
        domain_id: domain.clone(),
        username: username.into(),
        password: password.into(),
    };
    for (req, text) in [
        (
            user("carol@example.com", "long enough pw"),
            "invalid username",
        ),
        (user(".carol", "long enough pw"), "invalid username"),
        (user("ca rol", "long enough pw"), "invalid username"),
        (
            user("carol", "short"),
            "password must be at least 8 characters",
        ),
        (
            user("carol", &"x".repeat(300)),
            "password must be at most 256 characters",
        ),
    ] {
        let err = u.client.email_user_add(&u.a, &req).await.unwrap_err();
        assert_eq!(err, rejected(text), "{req:?}");
    }
    assert!(users(&u, &u.a, &domain).await.is_empty());
    let carol = add_user(&u, &u.a, &domain, "carol").await;
    let err = u
        .client
        .email_user_add(&u.a, &user("CAROL", "long enough pw"))
        .await
        .unwrap_err();
    assert_eq!(err, rejected("address already in use"));
    let err = u
        .client
        .email_user_set_password(
            &u.a,
            &EmailUserSetPassword {
                domain_id: domain.clone(),
                user_id: carol.clone(),
                password: "1234".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, rejected("password must be at least 8 characters"));
    let err = u
        .client
        .email_user_set_password(
            &u.a,
            &EmailUserSetPassword {
                domain_id: domain.clone(),
                user_id: "999999".into(),
                password: "long enough pw".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid user".into()));

    // Aliases: name, targets, clashes with mailboxes.
    let alias = |name: &str, target: &str| EmailAliasAdd {
        domain_id: domain.clone(),
        name: name.into(),
        target: target.into(),
    };
    for (req, text) in [
        (alias("in fo", "carol@example.com"), "invalid alias name"),
        (alias("info", "carol"), "invalid target"),
        (alias("info", "carol@example.com,"), "invalid target"),
        (
            alias("Carol", "someone@elsewhere.org"),
            "address already in use",
        ),
    ] {
        let err = u.client.email_alias_add(&u.a, &req).await.unwrap_err();
        assert_eq!(err, rejected(text), "{req:?}");
    }
    assert!(aliases(&u, &u.a, &domain).await.is_empty());

    // Unknown ids.
    let err = u
        .client
        .email_alias_list(
            &u.a,
            &EmailAliasList {
                domain_id: "999999".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid domain".into()));
    let err = u
        .client
        .email_domain_dkim_unset(
            &u.a,
            &EmailDomainDkimUnset {
                domain_id: "nope".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid domain".into()));
}

#[tokio::test]
async fn email_accounts_are_isolated() {
    let u = upstream().await;
    let domain = add_domain(&u, &u.a, "example.com").await;
    let user = add_user(&u, &u.a, &domain, "alice").await;
    assert!(domains(&u, &u.b).await.is_empty());
    // A domain's mail is hosted by one account only (INFERRED).
    assert_eq!(
        u.client
            .email_domain_add(
                &u.b,
                &EmailDomainAdd {
                    name: "Example.COM".into(),
                },
            )
            .await
            .unwrap_err(),
        UpstreamError::Rejected("domain already exists".into())
    );
    assert_eq!(
        u.client
            .email_usage(&u.b, &EmailUsage {})
            .await
            .unwrap()
            .domains,
        Some(0)
    );
    let not_found = UpstreamError::NotFound("invalid domain".into());
    assert_eq!(
        u.client
            .email_user_list(
                &u.b,
                &EmailUserList {
                    domain_id: domain.clone()
                }
            )
            .await
            .unwrap_err(),
        not_found
    );
    assert_eq!(
        u.client
            .email_user_set_password(
                &u.b,
                &EmailUserSetPassword {
                    domain_id: domain.clone(),
                    user_id: user.clone(),
                    password: "taken over!".into(),
                },
            )
            .await
            .unwrap_err(),
        not_found
    );
    assert_eq!(
        u.client
            .email_domain_dkim_set(
                &u.b,
                &EmailDomainDkimSet {
                    domain_id: domain.clone(),
                    selector: "evil".into(),
                    private_key: DKIM_KEY.clone(),
                },
            )
            .await
            .unwrap_err(),
        not_found
    );
    assert_eq!(
        u.client
            .email_domain_remove(
                &u.b,
                &EmailDomainRemove {
                    domain_id: domain.clone()
                }
            )
            .await
            .unwrap_err(),
        not_found
    );
    // Account a is untouched.
    let mine = domains(&u, &u.a).await;
    assert_eq!((mine.len(), mine[0].dkim_selector.as_str()), (1, ""));
    assert_eq!(users(&u, &u.a, &domain).await[0].id, user);
}
