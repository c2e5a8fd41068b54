//! `script/*` against the emulator.

use app::server::lunanode::actions::*;
use app::server::lunanode::UpstreamError;

use super::{upstream, Upstream};

async fn list(u: &Upstream, cred: &app::server::lunanode::Credential) -> Vec<Script> {
    u.client
        .script_list(cred, &ScriptList {})
        .await
        .unwrap()
        .scripts
}

#[tokio::test]
async fn script_lifecycle_with_crlf_and_non_ascii() {
    let u = upstream().await;
    assert!(list(&u, &u.a).await.is_empty());

    // LF line endings and multi-byte characters (the em-dash that broke a real client).
    let content = "#!/bin/bash\necho \"déploiement — ok 🚀\"\napt-get update\n";
    let created = u
        .client
        .script_create(
            &u.a,
            &ScriptCreate {
                name: "déploiement".into(),
                content: content.into(),
            },
        )
        .await
        .unwrap();
    assert!(created.script_id.parse::<u64>().is_ok(), "numeric id");

    let scripts = list(&u, &u.a).await;
    assert_eq!(scripts.len(), 1);
    assert_eq!(scripts[0].id, created.script_id);
    assert_eq!(scripts[0].name, "déploiement");
    assert_eq!(
        scripts[0].content, "#!/bin/bash\r\necho \"déploiement — ok 🚀\"\r\napt-get update\r\n",
        "stored with CRLF line endings"
    );
    assert_eq!(scripts[0].content_lf(), content);

    let got = u
        .client
        .script_get(
            &u.a,
            &ScriptGet {
                script_id: created.script_id.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(got, scripts[0], "get answers the listed fields, unwrapped");

    u.client
        .script_update(
            &u.a,
            &ScriptUpdate {
                script_id: created.script_id.clone(),
                name: "upgrade".into(),
                content: "#!/bin/sh\r\napt-get upgrade -y\rreboot".into(),
            },
        )
        .await
        .unwrap();
    let got = u
        .client
        .script_get(
            &u.a,
            &ScriptGet {
                script_id: created.script_id.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(got.name, "upgrade");
    assert_eq!(got.content, "#!/bin/sh\r\napt-get upgrade -y\r\nreboot");

    let second = u
        .client
        .script_create(
            &u.a,
            &ScriptCreate {
                name: "second".into(),
                content: "echo 2".into(),
            },
        )
        .await
        .unwrap();
    assert_ne!(second.script_id, created.script_id);
    assert_eq!(list(&u, &u.a).await.len(), 2);

    u.client
        .script_delete(
            &u.a,
            &ScriptDelete {
                script_id: created.script_id.clone(),
            },
        )
        .await
        .unwrap();
    let left = list(&u, &u.a).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, second.script_id);
    let err = u
        .client
        .script_get(
            &u.a,
            &ScriptGet {
                script_id: created.script_id,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid script".into()));
}

#[tokio::test]
async fn script_errors() {
    let u = upstream().await;
    for (req, text) in [
        (
            ScriptCreate {
                name: String::new(),
                content: "echo".into(),
            },
            "name not set",
        ),
        (
            ScriptCreate {
                name: "x".into(),
                content: String::new(),
            },
            "content not set",
        ),
        (
            ScriptCreate {
                name: "huge".into(),
                content: "#".repeat(70_000),
            },
            "script content is too long (at most 65535 bytes)",
        ),
    ] {
        let err = u.client.script_create(&u.a, &req).await.unwrap_err();
        assert_eq!(err, UpstreamError::Rejected(text.into()));
    }
    assert!(list(&u, &u.a).await.is_empty(), "nothing was created");

    let err = u
        .client
        .script_get(
            &u.a,
            &ScriptGet {
                script_id: String::new(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::Rejected("script_id not set".into()));
    for id in ["999999", "not-a-number"] {
        let err = u
            .client
            .script_update(
                &u.a,
                &ScriptUpdate {
                    script_id: id.into(),
                    name: "x".into(),
                    content: "y".into(),
                },
            )
            .await
            .unwrap_err();
        assert_eq!(err, UpstreamError::NotFound("invalid script".into()));
    }
    let err = u
        .client
        .script_delete(
            &u.a,
            &ScriptDelete {
                script_id: "999999".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid script".into()));

    // An update with a bad value changes nothing.
    let id = u
        .client
        .script_create(
            &u.a,
            &ScriptCreate {
                name: "keep".into(),
                content: "echo keep".into(),
            },
        )
        .await
        .unwrap()
        .script_id;
    let err = u
        .client
        .script_update(
            &u.a,
            &ScriptUpdate {
                script_id: id.clone(),
                name: "changed".into(),
                content: String::new(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::Rejected("content not set".into()));
    let got = u
        .client
        .script_get(&u.a, &ScriptGet { script_id: id })
        .await
        .unwrap();
    assert_eq!(
        (got.name.as_str(), got.content.as_str()),
        ("keep", "echo keep")
    );
}

#[tokio::test]
async fn script_accounts_are_isolated() {
    let u = upstream().await;
    let id = u
        .client
        .script_create(
            &u.a,
            &ScriptCreate {
                name: "mine".into(),
                content: "echo a".into(),
            },
        )
        .await
        .unwrap()
        .script_id;
    assert!(list(&u, &u.b).await.is_empty());
    let not_found = UpstreamError::NotFound("invalid script".into());
    assert_eq!(
        u.client
            .script_get(
                &u.b,
                &ScriptGet {
                    script_id: id.clone()
                }
            )
            .await
            .unwrap_err(),
        not_found
    );
    assert_eq!(
        u.client
            .script_update(
                &u.b,
                &ScriptUpdate {
                    script_id: id.clone(),
                    name: "theirs".into(),
                    content: "echo b".into(),
                },
            )
            .await
            .unwrap_err(),
        not_found
    );
    assert_eq!(
        u.client
            .script_delete(
                &u.b,
                &ScriptDelete {
                    script_id: id.clone()
                }
            )
            .await
            .unwrap_err(),
        not_found
    );
    let mine = list(&u, &u.a).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(
        (mine[0].id.as_str(), mine[0].name.as_str()),
        (id.as_str(), "mine")
    );
}
