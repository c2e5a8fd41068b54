//! Throw-away databases for tests: a SQLite file in a temp folder, or a fresh PostgreSQL
//! database (created on the server named by `LUNAPANEL_TEST_PG`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`, dropped again when the guard drops).
//!
//! PostgreSQL tests fail, rather than skip, when the server cannot be reached: the test
//! command promises both databases. `LUNAPANEL_SKIP_PG=1` skips them explicitly.

use std::path::PathBuf;

use sqlx::postgres::PgConnection;
use sqlx::Connection;

/// The admin URL used to create and drop test databases.
pub fn pg_admin_url() -> String {
    std::env::var("LUNAPANEL_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// True when PostgreSQL tests were explicitly switched off.
pub fn pg_skipped() -> bool {
    std::env::var("LUNAPANEL_SKIP_PG").is_ok_and(|v| v == "1")
}

/// A database that exists for as long as this value does.
pub struct TestDb {
    /// A URL `store::connect` accepts.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(PathBuf),
    Pg {
        admin_url: String,
        name: String,
    },
    /// Another guard owns the database (a second panel instance on it).
    Nothing,
}

fn unique_suffix() -> String {
    use rand::Rng;
    format!(
        "{}_{:08x}",
        std::process::id(),
        rand::thread_rng().gen::<u32>()
    )
}

impl TestDb {
    /// The database at `url`, owned (and dropped) by another guard.
    pub fn borrowed(url: &str) -> TestDb {
        TestDb {
            url: url.to_owned(),
            cleanup: Cleanup::Nothing,
        }
    }

    /// A new SQLite database file in a fresh temporary folder.
    pub fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(format!("lunapanel_test_{}", unique_suffix()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TestDb {
            url: format!("sqlite://{}/panel.db", dir.display()),
            cleanup: Cleanup::Dir(dir),
        }
    }

    /// A new, empty PostgreSQL database.
    pub async fn postgres() -> TestDb {
        let admin_url = pg_admin_url();
        let name = format!("lunapanel_test_{}", unique_suffix());
        let mut conn = PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL tests need a server at {admin_url} ({e}); \
                 set LUNAPANEL_TEST_PG, or LUNAPANEL_SKIP_PG=1 to skip them"
            )
        });
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        conn.close().await.ok();
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(base, _)| base);
        TestDb {
            url: format!("{base}/{name}"),
            cleanup: Cleanup::Pg { admin_url, name },
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Nothing => {}
            Cleanup::Pg { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop may run inside a runtime: use a thread with its own.
                let dropped = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    rt.block_on(async move {
                        let mut conn = PgConnection::connect(&admin_url).await?;
                        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut conn)
                            .await?;
                        Ok::<_, sqlx::Error>(())
                    })
                })
                .join();
                if !matches!(dropped, Ok(Ok(()))) {
                    eprintln!("warning: could not drop test database");
                }
            }
        }
    }
}
