//! `image/*` against the emulator: lifecycles on the emulated clock, the details a page
//! shows, refusals, and `image/retrieve` streamed.

use std::time::Duration;

use app::server::lunanode::actions::*;
use app::server::lunanode::{ClientOptions, Credential, LunaNode, UpstreamError};
use futures::StreamExt;
use md5::{Digest, Md5};

use super::{cred, upstream, upstream_with, watch, Upstream, ID_A};

#[tokio::test]
async fn public_images_by_region() {
    let u = upstream().await;
    let all = u
        .client
        .image_list(&u.a, &ImageList::default())
        .await
        .unwrap()
        .images;
    let regions: std::collections::BTreeSet<&str> = all.iter().map(|i| i.region.as_str()).collect();
    assert_eq!(regions.len(), 3);
    assert!(all.iter().all(|i| i.is_public() && i.status == "active"));
    let montreal = u
        .client
        .image_list(
            &u.a,
            &ImageList {
                region: Some("montreal".into()),
            },
        )
        .await
        .unwrap()
        .images;
    assert!(!montreal.is_empty() && montreal.iter().all(|i| i.region == "montreal"));
    let ubuntu = &montreal[0];
    let details = u
        .client
        .image_details(
            &u.a,
            &ImageDetails {
                image_id: ubuntu.image_id.clone(),
            },
        )
        .await
        .unwrap()
        .details;
    assert_eq!(details.name, ubuntu.name);
    assert_eq!(
        (details.status.as_str(), details.disk_format.as_str()),
        ("active", "qcow2")
    );
    assert!(details.size.unwrap() > 0 && details.metadata.is_empty());
    let err = u
        .client
        .image_list(
            &u.a,
            &ImageList {
                region: Some("mars".into()),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::Rejected("invalid region".into()));
    // Public images cannot be deleted, renamed or downloaded by an account.
    let id = ubuntu.image_id.clone();
    let err = u
        .client
        .image_delete(
            &u.a,
            &ImageDelete {
                image_id: id.clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid image".into()));
    let err = u
        .client
        .image_details(
            &u.a,
            &ImageDetails {
                image_id: "99999999".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid image".into()));
}

async fn details(u: &Upstream, id: &str) -> ImageInfo {
    u.client
        .image_details(
            &u.a,
            &ImageDetails {
                image_id: id.to_owned(),
            },
        )
        .await
        .unwrap()
        .details
}

/// The statuses image `id` goes through until it is final.
async fn steps(u: &Upstream, id: &str) -> Vec<String> {
    watch(
        || async move { details(u, id).await.status },
        |s| image_state(s) != ImageState::Pending,
    )
    .await
}

fn fetch(name: &str, location: &str, format: ImageFormat, virtio: bool) -> ImageFetch {
    ImageFetch {
        region: "toronto".into(),
        name: name.into(),
        location: location.into(),
        format,
        virtio,
    }
}

/// An own image, made active (time scale 0).
async fn active_image(u: &Upstream) -> String {
    let id = u
        .client
        .image_fetch(
            &u.a,
            &fetch(
                "disk",
                "https://example.com/disk.qcow2",
                ImageFormat::Qcow2,
                true,
            ),
        )
        .await
        .unwrap()
        .image_id;
    assert_eq!(details(u, &id).await.status, "active");
    id
}

/// Reads a whole download, returning (chunks, bytes, MD5 hex); panics on an `Err` item.
async fn drain(mut body: app::server::lunanode::ImageBytes) -> (usize, usize, String) {
    let (mut chunks, mut len, mut md5) = (0, 0, Md5::new());
    while let Some(chunk) = body.next().await {
        let chunk = chunk.expect("the download completes");
        chunks += 1;
        len += chunk.len();
        md5.update(&chunk);
    }
    let hex = md5.finalize().iter().map(|b| format!("{b:02x}")).collect();
    (chunks, len, hex)
}

#[tokio::test]
async fn fetch_goes_queued_saving_active_with_the_details_a_page_shows() {
    // Image steps of 1.05 s.
    let u = upstream_with(|c| c.time_scale = 0.07).await;
    let id = u
        .client
        .image_fetch(
            &u.a,
            &fetch(
                "appliance",
                "https://example.com/appliance.qcow2",
                ImageFormat::Qcow2,
                true,
            ),
        )
        .await
        .unwrap()
        .image_id;
    assert_eq!(steps(&u, &id).await, ["queued", "saving", "active"]);
    let d = details(&u, &id).await;
    assert_eq!(
        (d.name.as_str(), d.region.as_str()),
        ("appliance", "toronto")
    );
    assert_eq!(d.state(), ImageState::Active);
    assert_eq!(d.disk_format, "qcow2");
    assert_eq!(
        (d.hw_disk_bus.as_str(), d.hw_vif_model.as_str()),
        ("virtio", "virtio"),
        "virtio=yes"
    );
    assert!(d.is_virtio() && !d.hw_video_model.is_empty());
    let size = d.size.expect("a size");
    assert!((1_000_000..8_000_000).contains(&size), "a few MB: {size}");
    assert!(
        d.checksum.len() == 32 && d.checksum.bytes().all(|b| b.is_ascii_hexdigit()),
        "an MD5: {}",
        d.checksum
    );
    assert!(d.time_created.starts_with("20"), "{}", d.time_created);
    let listed = u
        .client
        .image_list(
            &u.a,
            &ImageList {
                region: Some("toronto".into()),
            },
        )
        .await
        .unwrap()
        .images;
    let mine: Vec<&ImageSummary> = listed.iter().filter(|i| !i.is_public()).collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(
        (mine[0].image_id.as_str(), mine[0].status.as_str()),
        (id.as_str(), "active")
    );

    // Without virtio: ide and e1000; an ISO says so.
    let iso = u
        .client
        .image_fetch(
            &u.a,
            &fetch(
                "installer",
                "ftp://ftp.example.org/pub/x.iso",
                ImageFormat::Iso,
                false,
            ),
        )
        .await
        .unwrap()
        .image_id;
    let d = details(&u, &iso).await;
    assert_eq!(d.status, "queued");
    assert_eq!(
        (
            d.disk_format.as_str(),
            d.hw_disk_bus.as_str(),
            d.hw_vif_model.as_str()
        ),
        ("iso", "ide", "e1000")
    );
}

#[tokio::test]
async fn a_download_from_a_host_that_cannot_exist_ends_killed() {
    // Image steps of 1.05 s.
    let u = upstream_with(|c| c.time_scale = 0.07).await;
    let id = u
        .client
        .image_fetch(
            &u.a,
            &fetch(
                "broken",
                "https://mirror.example.invalid/x.iso",
                ImageFormat::Iso,
                false,
            ),
        )
        .await
        .expect("the service cannot know before trying");
    let id = id.image_id;
    assert_eq!(steps(&u, &id).await, ["queued", "saving", "killed"]);
    assert_eq!(details(&u, &id).await.state(), ImageState::Failed);
    // Stays killed; not usable for anything; can be deleted.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(details(&u, &id).await.status, "killed");
    let refused =
        |e: UpstreamError| matches!(e, UpstreamError::Rejected(ref m) if m.contains("killed"));
    let err = u
        .client
        .image_replicate(
            &u.a,
            &ImageReplicate {
                image_id: id.clone(),
                region: "montreal".into(),
            },
        )
        .await
        .unwrap_err();
    assert!(refused(err.clone()), "{err:?}");
    let err = u
        .client
        .image_retrieve(
            &u.a,
            &ImageRetrieve {
                image_id: id.clone(),
            },
        )
        .await
        .unwrap_err();
    assert!(refused(err.clone()), "{err:?}");
    let err = u
        .client
        .volume_create(
            &u.a,
            &VolumeCreate {
                region: "toronto".into(),
                label: "v".into(),
                size: 10,
                image: Some(id.clone()),
                snapshot_id: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid image".into()));
    u.client
        .image_delete(
            &u.a,
            &ImageDelete {
                image_id: id.clone(),
            },
        )
        .await
        .unwrap();
    let err = u
        .client
        .image_details(&u.a, &ImageDetails { image_id: id })
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::NotFound("invalid image".into()));
}

#[tokio::test]
async fn rename_replicate_and_delete() {
    // Image steps of 1.05 s.
    let u = upstream_with(|c| c.time_scale = 0.07).await;
    let id = u
        .client
        .image_fetch(
            &u.a,
            &fetch(
                "my appliance",
                "https://example.com/a.qcow2",
                ImageFormat::Qcow2,
                true,
            ),
        )
        .await
        .unwrap()
        .image_id;
    // Not ready yet: no copies.
    let err = u
        .client
        .image_replicate(
            &u.a,
            &ImageReplicate {
                image_id: id.clone(),
                region: "roubaix".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        UpstreamError::Rejected("the image is not active yet".into())
    );
    assert_eq!(steps(&u, &id).await.last().unwrap(), "active");

    u.client
        .image_rename(
            &u.a,
            &ImageRename {
                image_id: id.clone(),
                name: "appliance v2".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(details(&u, &id).await.name, "appliance v2");
    let err = u
        .client
        .image_rename(
            &u.a,
            &ImageRename {
                image_id: id.clone(),
                name: String::new(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::Rejected("name not set".into()));

    let err = u
        .client
        .image_replicate(
            &u.a,
            &ImageReplicate {
                image_id: id.clone(),
                region: "mars".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err, UpstreamError::Rejected("invalid region".into()));
    let copy = u
        .client
        .image_replicate(
            &u.a,
            &ImageReplicate {
                image_id: id.clone(),
                region: "roubaix".into(),
            },
        )
        .await
        .unwrap()
        .image_id;
    assert_ne!(copy, id);
    let d = details(&u, &copy).await;
    assert_eq!(
        (d.region.as_str(), d.name.as_str(), d.status.as_str()),
        ("roubaix", "appliance v2", "queued")
    );
    assert_eq!(steps(&u, &copy).await, ["queued", "saving", "active"]);
    let original = details(&u, &id).await;
    let d = details(&u, &copy).await;
    assert_eq!(
        (d.size, d.checksum.len()),
        (original.size, 32),
        "a copy of the same size"
    );
    // Public templates are not the account's to copy, rename or delete.
    for err in [
        u.client
            .image_replicate(
                &u.a,
                &ImageReplicate {
                    image_id: "1000".into(),
                    region: "roubaix".into(),
                },
            )
            .await
            .unwrap_err(),
        u.client
            .image_rename(
                &u.a,
                &ImageRename {
                    image_id: "1000".into(),
                    name: "mine".into(),
                },
            )
            .await
            .unwrap_err(),
    ] {
        assert_eq!(err, UpstreamError::NotFound("invalid image".into()));
    }

    // Another account sees none of it.
    assert!(u
        .client
        .image_list(&u.b, &ImageList::default())
        .await
        .unwrap()
        .images
        .iter()
        .all(|i| i.is_public()));
    let err = u
        .client
        .image_delete(
            &u.b,
            &ImageDelete {
                image_id: id.clone(),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::NotFound(_)));

    // An image in use can be deleted (the service lets you); the copy stays.
    let vm = u
        .client
        .vm_create(
            &u.a,
            &VmCreate {
                hostname: "from-image".into(),
                plan_id: "m.2".into(),
                image_id: Some(id.clone()),
                region: Some("toronto".into()),
                ..Default::default()
            },
        )
        .await;
    assert!(vm.is_ok(), "{vm:?}");
    u.client
        .image_delete(
            &u.a,
            &ImageDelete {
                image_id: id.clone(),
            },
        )
        .await
        .unwrap();
    let err = u
        .client
        .image_details(&u.a, &ImageDetails { image_id: id })
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::NotFound(_)));
    assert_eq!(details(&u, &copy).await.status, "active");
}

#[tokio::test]
async fn vm_snapshots_are_saved_before_they_are_active() {
    // Build 2.7 s, image steps 0.9 s.
    let u = &upstream_with(|c| c.time_scale = 0.06).await;
    let vm_id = &u
        .client
        .vm_create(
            &u.a,
            &VmCreate {
                hostname: "web".into(),
                plan_id: "m.2".into(),
                image_id: Some("1000".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .vm_id;
    let snap = VmSnapshot {
        vm_id: vm_id.clone(),
        name: "before upgrade".into(),
    };
    let err = u.client.vm_snapshot(&u.a, &snap).await.unwrap_err();
    assert!(
        matches!(err, UpstreamError::Rejected(ref m) if m.contains("built")),
        "{err:?}"
    );
    let online = watch(
        || async move {
            u.client
                .vm_info(
                    &u.a,
                    &VmInfo {
                        vm_id: vm_id.clone(),
                    },
                )
                .await
                .unwrap()
                .info
                .status_nohtml
        },
        |s| s == "Online",
    )
    .await;
    assert_eq!(online.last().unwrap(), "Online");
    let image = u.client.vm_snapshot(&u.a, &snap).await.unwrap().image_id;
    assert_eq!(steps(u, &image).await, ["queued", "saving", "active"]);
    let d = details(u, &image).await;
    assert_eq!(
        (d.name.as_str(), d.region.as_str()),
        ("before upgrade", "toronto")
    );
    assert!(d.size.unwrap() > 0);
}

#[tokio::test]
async fn retrieve_streams_the_image_bytes() {
    let u = upstream().await;
    let id = active_image(&u).await;
    let d = details(&u, &id).await;
    let size = d.size.unwrap();
    assert!(size > 1_000_000, "a few MB: {size}");
    let body = u
        .client
        .image_retrieve(
            &u.a,
            &ImageRetrieve {
                image_id: id.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(body.content_type, "application/octet-stream");
    assert_eq!(body.content_length, Some(size));
    let (chunks, len, md5) = drain(body).await;
    assert_eq!(len as u64, size, "every byte");
    assert_eq!(
        md5, d.checksum,
        "the bytes image/details' checksum describes"
    );
    assert!(chunks > 1, "streamed in pieces, not one buffer: {chunks}");
    // The same bytes again (deterministic), and another image's differ.
    let again = u
        .client
        .image_retrieve(&u.a, &ImageRetrieve { image_id: id })
        .await
        .unwrap();
    assert_eq!(drain(again).await.2, md5);
    let other = active_image(&u).await;
    assert_ne!(details(&u, &other).await.checksum, md5);
}

#[tokio::test]
async fn retrieve_errors_are_the_usual_errors() {
    let u = upstream_with(|c| c.time_scale = 0.05).await;
    for id in ["999999", "1000", "", "x"] {
        let err = retrieve_err(&u, &u.a, id).await;
        let expected = if id.is_empty() {
            UpstreamError::Rejected("image_id not set".into())
        } else {
            UpstreamError::NotFound("invalid image".into())
        };
        assert_eq!(err, expected, "{id:?}");
    }
    let id = u
        .client
        .image_fetch(
            &u.a,
            &fetch(
                "slow",
                "https://example.com/slow.iso",
                ImageFormat::Iso,
                false,
            ),
        )
        .await
        .unwrap()
        .image_id;
    assert_eq!(
        retrieve_err(&u, &u.a, &id).await,
        UpstreamError::Rejected("the image is not active yet".into())
    );
    assert_eq!(
        retrieve_err(&u, &u.b, &id).await,
        UpstreamError::NotFound("invalid image".into()),
        "another account's image"
    );
    let wrong_key = LunaNode::new(&u.base, ClientOptions::default())
        .unwrap()
        .image_retrieve(
            &cred(ID_A, 'Z'),
            &ImageRetrieve {
                image_id: id.clone(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(wrong_key, UpstreamError::Auth);
}

async fn retrieve_err(u: &Upstream, who: &Credential, id: &str) -> UpstreamError {
    let req = ImageRetrieve {
        image_id: id.to_owned(),
    };
    u.client.image_retrieve(who, &req).await.unwrap_err()
}

/// A fake service answering `image/retrieve` with `body` (status 200, `text/html` as PHP
/// labels it), to see how the client reads answers the emulator does not give.
async fn answering(body: &'static [u8]) -> LunaNode {
    let app = axum::Router::new()
        .fallback(move || async move { ([("content-type", "text/html; charset=UTF-8")], body) });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    LunaNode::new(&format!("http://{addr}/api"), ClientOptions::default()).unwrap()
}

#[tokio::test]
async fn retrieve_tells_a_json_error_body_from_image_bytes() {
    let a = cred(ID_A, 'A');
    let req = ImageRetrieve {
        image_id: "5".into(),
    };
    let client = answering(br#"{"success":"no","error":"invalid image"}"#).await;
    assert_eq!(
        client.image_retrieve(&a, &req).await.unwrap_err(),
        UpstreamError::NotFound("invalid image".into())
    );
    let client = answering(br#"{"success":"no","error":"image is being saved"}"#).await;
    assert_eq!(
        client.image_retrieve(&a, &req).await.unwrap_err(),
        UpstreamError::Rejected("image is being saved".into())
    );
    let client = answering(br#"{"success":"yes"}"#).await;
    assert!(matches!(
        client.image_retrieve(&a, &req).await.unwrap_err(),
        UpstreamError::Malformed(_)
    ));
    // A tiny image that is not JSON is an image (whatever its label), and so is a large
    // body that happens to start like JSON.
    let client = answering(b"QFI\xfb tiny").await;
    let (_, len, _) = drain(client.image_retrieve(&a, &req).await.unwrap()).await;
    assert_eq!(len, 9);
    static BIG: [u8; 4096] = {
        let mut b = [b' '; 4096];
        b[0] = b'{';
        b
    };
    let client = answering(&BIG).await;
    let (_, len, _) = drain(client.image_retrieve(&a, &req).await.unwrap()).await;
    assert_eq!(len, 4096);
}

#[tokio::test]
async fn a_download_that_breaks_off_ends_with_an_error() {
    // 256 KiB announced, 128 KiB sent, a pause (so they are on their way), then the
    // connection is cut.
    let app = axum::Router::new().fallback(|| async {
        let chunks = futures::stream::iter(0..3).then(|i| async move {
            if i < 2 {
                Ok(axum::body::Bytes::from(vec![7u8; 65_536]))
            } else {
                tokio::time::sleep(Duration::from_millis(300)).await;
                Err(std::io::Error::other("cut"))
            }
        });
        (
            [("content-length", "262144")],
            axum::body::Body::from_stream(chunks),
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = LunaNode::new(&format!("http://{addr}/api"), ClientOptions::default()).unwrap();
    let mut body = client
        .image_retrieve(
            &cred(ID_A, 'A'),
            &ImageRetrieve {
                image_id: "5".into(),
            },
        )
        .await
        .expect("the download starts");
    let mut got = 0;
    let mut failed = None;
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(c) => got += c.len(),
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    assert!(got <= 131_072, "{got}");
    let err = failed.expect("the stream says it broke off, not just ends");
    assert!(err.is_transient(), "{err:?}");
}

/// The panel's own entry point: the stored credential opened for the call, errors as the
/// panel's, the bytes streamed.
#[tokio::test]
async fn the_panel_streams_an_accounts_image() {
    use crate::harness::{Db, Panel};
    let (panel, _emulator) = Panel::with_emulator(Db::Sqlite, |_| {}).await;
    let owner = panel.owner("owner@example.com").await;
    panel
        .save_key(&owner, ID_A, &super::key('A'), None)
        .await
        .unwrap();
    let account = panel.user("owner@example.com").await.id;
    let upstream = &panel.state.upstream;
    let client = &upstream.client;
    let a = cred(ID_A, 'A');
    let id = client
        .image_fetch(
            &a,
            &fetch(
                "dl",
                "https://example.com/dl.qcow2",
                ImageFormat::Qcow2,
                false,
            ),
        )
        .await
        .unwrap()
        .image_id;
    let checksum = client
        .image_details(
            &a,
            &ImageDetails {
                image_id: id.clone(),
            },
        )
        .await
        .unwrap()
        .details
        .checksum;
    let body = upstream.retrieve_image(account, &id).await.unwrap();
    assert_eq!(drain(body).await.2, checksum);
    let err = upstream
        .retrieve_image(account, "424242")
        .await
        .unwrap_err();
    assert_eq!(err, app::error::AppError::NotFound("The image".into()));
    panel.stop().await;
}

#[tokio::test]
async fn fetch_validation() {
    let u = upstream().await;
    let base = fetch("x", "https://example.com/x.iso", ImageFormat::Iso, false);
    for (req, text) in [
        (
            ImageFetch {
                location: "file:///etc/passwd".into(),
                ..base.clone()
            },
            "invalid location (an HTTP, HTTPS or FTP URL)",
        ),
        (
            ImageFetch {
                location: "gopher://example.com/x.iso".into(),
                ..base.clone()
            },
            "invalid location (an HTTP, HTTPS or FTP URL)",
        ),
        (
            ImageFetch {
                location: "example.com/x.iso".into(),
                ..base.clone()
            },
            "invalid location (an HTTP, HTTPS or FTP URL)",
        ),
        (
            ImageFetch {
                location: "https://".into(),
                ..base.clone()
            },
            "invalid location (an HTTP, HTTPS or FTP URL)",
        ),
        (
            ImageFetch {
                region: "mars".into(),
                ..base.clone()
            },
            "invalid region",
        ),
        (
            ImageFetch {
                name: String::new(),
                ..base.clone()
            },
            "name not set",
        ),
        (
            ImageFetch {
                location: String::new(),
                ..base.clone()
            },
            "location not set",
        ),
    ] {
        assert_eq!(
            u.client.image_fetch(&u.a, &req).await.unwrap_err(),
            UpstreamError::Rejected(text.into()),
            "{}",
            req.location
        );
    }
    // Formats other than iso and qcow2 (the typed client cannot send them).
    for format in ["vmdk", "raw", "ISO", ""] {
        let mut p: std::collections::BTreeMap<String, String> =
            app::server::lunanode::params(&base).unwrap();
        p.insert("format".into(), format.into());
        let err = u
            .client
            .call_value(&u.a, "image/fetch", &p, false)
            .await
            .unwrap_err();
        let text = if format.is_empty() {
            "format not set"
        } else {
            "invalid format (use iso or qcow2)"
        };
        assert_eq!(err, UpstreamError::Rejected(text.into()), "{format:?}");
    }
}
