//! The panel's configuration: one typed [`Config`], layered
//! defaults → optional TOML file → `LUNAPANEL_*` environment → command-line flags,
//! and validated once at start-up with a message that names the bad setting and where it
//! came from. Secrets (the database password) are redacted in `Debug`.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use app::server::budget::{BudgetLimits, Rate};
use app::types::SignUpPolicy;
use url::Url;

/// The real Luna Node API (CONFIRMED in the reference: `https://dynamic.lunanode.com/api/{category}/{action}/`).
pub const DEFAULT_UPSTREAM_URL: &str = "https://dynamic.lunanode.com/api";

/// Every setting: its key (TOML key, `LUNAPANEL_<KEY>` env var, `--<key>` flag) and its doc.
pub const SETTINGS: &[(&str, &str)] = &[
    ("listen", "address the panel listens on"),
    (
        "public_url",
        "URL users reach the panel at; https enables Secure __Host- cookies",
    ),
    (
        "database_url",
        "sqlite:PATH or postgres://… (sessions live here too)",
    ),
    ("upstream_url", "Luna Node API base URL"),
    (
        "demo",
        "run with the built-in Luna Node emulator and a demo account",
    ),
    (
        "master_key_file",
        "file holding the master key that encrypts stored API keys",
    ),
    (
        "master_key",
        "the master keys themselves (VERSION:BASE64, comma-separated), instead of the file",
    ),
    (
        "demo_time_scale",
        "demo mode: how fast emulated VMs build and change state (1 = realistic, 0 = instant)",
    ),
    ("sign_up", "who may create accounts: open or invite-only"),
    (
        "idle_timeout_minutes",
        "a session ends after this long without a request",
    ),
    (
        "absolute_timeout_hours",
        "a session ends this long after sign-in, whatever happens",
    ),
    ("invite_days", "how long an invite link stays valid"),
    (
        "throttle_cap_seconds",
        "the longest a throttled sign-in, code or sign-up must wait (blocks double up to it)",
    ),
    (
        "sign_ups_per_hour",
        "sign-up attempts allowed from one address per hour",
    ),
    (
        "trusted_proxies",
        "comma-separated addresses of reverse proxies whose X-Forwarded-For names the client",
    ),
    (
        "upstream_account_rate",
        "Luna Node calls per second one account's users may make, pollers aside (0: no limit)",
    ),
    (
        "upstream_account_burst",
        "calls an account's users may make at once before its rate applies",
    ),
    (
        "upstream_customer_rate",
        "Luna Node calls per second one customer may make, within their reseller's (0: no limit)",
    ),
    (
        "upstream_customer_burst",
        "calls one customer may make at once before their rate applies",
    ),
    (
        "reference_ttl_seconds",
        "how long plans, regions, images, networks, groups, scripts and keys are kept per account (0: never)",
    ),
    (
        "site_root",
        "folder with the built site (pkg/ and public files)",
    ),
    (
        "metrics_token",
        "serves /metrics on the panel's address to requests bearing this token (16+ characters)",
    ),
    (
        "metrics_listen",
        "a second address serving only /metrics, without a token (keep it private)",
    ),
    ("log_format", "text or json"),
    (
        "log_level",
        "tracing filter, e.g. info or lunapanel=debug,info",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// A database URL whose password never reaches a log or an error message.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_postgres(&self) -> bool {
        self.0.starts_with("postgres://") || self.0.starts_with("postgresql://")
    }

    /// The URL with any password replaced by `REDACTED`.
    pub fn redacted(&self) -> String {
        match Url::parse(&self.0) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("REDACTED"));
                url.to_string()
            }
            _ => self.0.clone(),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// Origin only (scheme://host[:port]), no trailing slash.
    pub public_url: Url,
    pub database_url: DatabaseUrl,
    pub upstream_url: Url,
    pub demo: bool,
    /// `demo` was asked for (file, environment or flag) rather than on by default. Only an
    /// explicit demo may listen beyond loopback: the demo account's password is published.
    pub demo_explicit: bool,
    pub master_key_file: PathBuf,
    /// Master keys given directly (`LUNAPANEL_MASTER_KEY`); wins over the file.
    pub master_key: Option<MasterKeyText>,
    pub demo_time_scale: f64,
    pub sign_up: SignUpPolicy,
    pub idle_timeout: Duration,
    pub absolute_timeout: Duration,
    pub invite_lifetime: Duration,
    pub throttle: app::server::throttle::ThrottleSettings,
    /// Peers whose `X-Forwarded-For` is believed (the client address for throttling and
    /// the audit log); nobody's by default.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// What users may spend on Luna Node calls (see `app::server::budget`).
    pub budget: BudgetLimits,
    /// How long reference lists are kept per account (`app::server::refcache`).
    pub reference_ttl: Duration,
    pub site_root: PathBuf,
    /// `/metrics` on the main listener for `Authorization: Bearer <token>`; off when `None`.
    pub metrics_token: Option<MetricsToken>,
    /// A listener serving only `/metrics`, no token; off when `None`.
    pub metrics_listen: Option<SocketAddr>,
    pub log_format: LogFormat,
    pub log_level: String,
}

impl Config {
    /// Whether `/metrics` is served anywhere (and so metrics are recorded at all).
    pub fn metrics_enabled(&self) -> bool {
        self.metrics_token.is_some() || self.metrics_listen.is_some()
    }

    /// Whether users reach the panel over https (its public URL's scheme).
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// Whether cookies must be Secure (and `__Host-` prefixed).
    pub fn secure_cookies(&self) -> bool {
        self.is_https()
    }

    /// `scheme://host[:port]` of the public URL, as browsers send it in `Origin`.
    pub fn public_origin(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }
}

/// Master keys given as text; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKeyText(String);

impl MasterKeyText {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for MasterKeyText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKeyText([REDACTED])")
    }
}

/// The token a scraper presents for `/metrics` on the main listener; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct MetricsToken(String);

impl MetricsToken {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MetricsToken([REDACTED])")
    }
}

/// Where a value came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    File(PathBuf),
    Env(String),
    Flag,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File(p) => write!(f, "file {}", p.display()),
            Source::Env(name) => write!(f, "environment variable {name}"),
            Source::Flag => f.write_str("command-line flag"),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("setting `{key}` (from {origin}): {problem}")]
    Invalid {
        key: String,
        origin: Source,
        problem: String,
    },
    #[error("unknown setting `{key}` in {origin}; known settings: {known}")]
    Unknown {
        key: String,
        origin: Source,
        known: String,
    },
    #[error("cannot read config file {path}: {problem}")]
    File { path: PathBuf, problem: String },
}

/// Raw values by key, each remembering its source; later layers replace earlier ones.
#[derive(Debug, Default, Clone)]
pub struct Layers {
    values: BTreeMap<String, (String, Source)>,
}

fn known_keys() -> String {
    SETTINGS
        .iter()
        .map(|(k, _)| *k)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Layers {
    pub fn set(
        &mut self,
        key: &str,
        value: impl Into<String>,
        source: Source,
    ) -> Result<(), ConfigError> {
        if !SETTINGS.iter().any(|(k, _)| *k == key) {
            return Err(ConfigError::Unknown {
                key: key.to_owned(),
                origin: source,
                known: known_keys(),
            });
        }
        self.values.insert(key.to_owned(), (value.into(), source));
        Ok(())
    }

    /// Adds every key of a TOML document (flat: `key = value`).
    pub fn add_toml(&mut self, text: &str, path: &Path) -> Result<(), ConfigError> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| ConfigError::File {
                path: path.to_owned(),
                problem: e.message().to_owned(),
            })?;
        for (key, value) in table {
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => {
                    return Err(ConfigError::Invalid {
                        key,
                        origin: Source::File(path.to_owned()),
                        problem: format!(
                            "expected a string, number or boolean, got {}",
                            other.type_str()
                        ),
                    })
                }
            };
            self.set(&key, text, Source::File(path.to_owned()))?;
        }
        Ok(())
    }

    /// Adds `LUNAPANEL_<KEY>` variables. `LUNAPANEL_CONFIG` (the file) is not a setting.
    pub fn add_env(
        &mut self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), ConfigError> {
        for (name, value) in vars {
            let Some(key) = name.strip_prefix("LUNAPANEL_") else {
                continue;
            };
            let key = key.to_ascii_lowercase();
            // Not settings: the config file's path and the test-only variables.
            if matches!(key.as_str(), "config" | "test_pg" | "skip_pg") {
                continue;
            }
            self.set(&key, value, Source::Env(name))?;
        }
        Ok(())
    }

    fn get(&self, key: &str) -> Option<&(String, Source)> {
        self.values.get(key)
    }

    /// Parses and validates every setting.
    pub fn build(&self) -> Result<Config, ConfigError> {
        let listen: SocketAddr = self.parse("listen", "127.0.0.1:3000", |v| {
            v.parse()
                .map_err(|_| "expected an address like 127.0.0.1:3000".to_owned())
        })?;
        let demo = self.parse("demo", "true", parse_bool)?;
        let demo_explicit = self.get("demo").is_some();
        if demo && !demo_explicit && !listen.ip().is_loopback() {
            let origin = self
                .get("listen")
                .map_or(Source::Default, |(_, source)| source.clone());
            return Err(ConfigError::Invalid {
                key: "listen".into(),
                origin,
                problem: format!(
                    "{listen} is not a loopback address, and demo mode is on (by default), \
                     whose demo account has a published password. For a real panel set \
                     demo = false (LUNAPANEL_DEMO=false or --demo false); to show the demo \
                     on the network, ask for it explicitly (LUNAPANEL_DEMO=true or --demo true)"
                ),
            });
        }
        let default_public = format!("http://{listen}");
        let public_url = self.parse("public_url", &default_public, |v| {
            let url = Url::parse(v).map_err(|e| format!("not a URL ({e})"))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err("must start with http:// or https://".into());
            }
            if url.host().is_none() {
                return Err("must name a host".into());
            }
            if url.path() != "/" || url.query().is_some() {
                return Err("must be the panel's origin only, without a path (serving under a path is not supported)".into());
            }
            if url.host_str().is_some_and(|h| h == "0.0.0.0" || h == "[::]") {
                return Err("is an unspecified address; set public_url to the address users type".into());
            }
            Ok(url)
        })?;
        let database_url = self.parse("database_url", "sqlite://data/lunapanel.db", |v| {
            let db = DatabaseUrl(v.to_owned());
            if v.starts_with("sqlite:") || db.is_postgres() {
                Ok(db)
            } else {
                Err("must start with sqlite: or postgres://".into())
            }
        })?;
        let upstream_url = self.parse("upstream_url", DEFAULT_UPSTREAM_URL, |v| {
            let url = Url::parse(v).map_err(|e| format!("not a URL ({e})"))?;
            let loopback = url
                .host_str()
                .is_some_and(|h| h == "localhost" || h == "127.0.0.1" || h == "[::1]");
            match url.scheme() {
                "https" => Ok(url),
                "http" if loopback => Ok(url),
                _ => Err("must be https:// (plain http only to a loopback emulator)".into()),
            }
        })?;
        let master_key_file = self.parse("master_key_file", "data/master.key", |v| {
            if v.trim().is_empty() {
                Err("must be a file path".into())
            } else {
                Ok(PathBuf::from(v))
            }
        })?;
        let master_key = match self.get("master_key") {
            None => None,
            Some(_) => Some(self.parse("master_key", "", |v| {
                app::server::vault::Keyring::from_text(v)
                    .map(|_| MasterKeyText(v.to_owned()))
                    .map_err(|e| e.to_string())
            })?),
        };
        let demo_time_scale = self.parse("demo_time_scale", "0.2", |v| {
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && (0.0..=10.0).contains(x))
                .ok_or_else(|| "must be a number from 0 to 10".to_owned())
        })?;
        let sign_up = self.parse("sign_up", "invite-only", |v| match v {
            "open" => Ok(SignUpPolicy::Open),
            "invite-only" => Ok(SignUpPolicy::InviteOnly),
            _ => Err("must be open or invite-only".into()),
        })?;
        let idle = self.parse("idle_timeout_minutes", "30", |v| bounded(v, 1, 24 * 60))?;
        let absolute = self.parse("absolute_timeout_hours", "12", |v| bounded(v, 1, 24 * 30))?;
        if absolute * 60 < idle {
            let (_, source) = self
                .get("absolute_timeout_hours")
                .cloned()
                .unwrap_or((String::new(), Source::Default));
            return Err(ConfigError::Invalid {
                key: "absolute_timeout_hours".into(),
                origin: source,
                problem: "must not be shorter than idle_timeout_minutes".into(),
            });
        }
        let invite_days = self.parse("invite_days", "7", |v| bounded(v, 1, 90))?;
        let reference_ttl =
            Duration::from_secs(
                self.parse("reference_ttl_seconds", "60", |v| bounded(v, 0, 3600))?,
            );
        let throttle = app::server::throttle::ThrottleSettings {
            cap_secs: self.parse("throttle_cap_seconds", "900", |v| bounded(v, 1, 86_400))? as i64,
            sign_ups_per_hour: self.parse("sign_ups_per_hour", "20", |v| bounded(v, 1, 100_000))?
                as i64,
        };
        let trusted_proxies = self.parse("trusted_proxies", "", |v| {
            v.split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(|a| {
                    a.parse::<std::net::IpAddr>()
                        .map_err(|_| format!("{a:?} is not an IP address"))
                })
                .collect::<Result<Vec<_>, _>>()
        })?;
        let defaults = BudgetLimits::default();
        let rate = |key: &str, default: Rate| -> Result<Rate, ConfigError> {
            let per_second = self.parse(
                &format!("{key}_rate"),
                &default.per_second.to_string(),
                calls_per_second,
            )?;
            let burst = self.parse(&format!("{key}_burst"), &default.burst.to_string(), |v| {
                bounded(v, 1, 100_000)
            })?;
            Ok(Rate {
                per_second,
                burst: u32::try_from(burst).unwrap_or(u32::MAX),
            })
        };
        let budget = BudgetLimits {
            account: rate("upstream_account", defaults.account)?,
            customer: rate("upstream_customer", defaults.customer)?,
        };
        let site_root = self.parse("site_root", "target/site", |v| Ok(PathBuf::from(v)))?;
        let metrics_token = match self.get("metrics_token") {
            None => None,
            Some(_) => Some(self.parse("metrics_token", "", |v| {
                // The value is never echoed: it is a secret.
                if !(16..=256).contains(&v.len()) {
                    return Err("must be 16 to 256 characters long".into());
                }
                if !v.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(
                        "must be printable ASCII without spaces (it travels in an HTTP header)"
                            .into(),
                    );
                }
                Ok(MetricsToken(v.to_owned()))
            })?),
        };
        let metrics_listen = match self.get("metrics_listen") {
            None => None,
            Some(_) => Some(self.parse("metrics_listen", "", |v| {
                let addr: SocketAddr = v
                    .parse()
                    .map_err(|_| "expected an address like 127.0.0.1:9090".to_owned())?;
                if addr.port() != 0
                    && addr.port() == listen.port()
                    && (addr.ip() == listen.ip()
                        || addr.ip().is_unspecified()
                        || listen.ip().is_unspecified())
                {
                    return Err(format!("must differ from listen ({listen})"));
                }
                Ok(addr)
            })?),
        };
        let log_format = self.parse("log_format", "text", |v| match v {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err("must be text or json".into()),
        })?;
        let log_level = self.parse("log_level", "info", |v| {
            tracing_subscriber::EnvFilter::try_new(v)
                .map(|_| v.to_owned())
                .map_err(|e| format!("not a tracing filter ({e})"))
        })?;
        Ok(Config {
            listen,
            public_url,
            database_url,
            upstream_url,
            demo,
            demo_explicit,
            master_key_file,
            master_key,
            demo_time_scale,
            sign_up,
            idle_timeout: Duration::from_secs(idle * 60),
            absolute_timeout: Duration::from_secs(absolute * 3600),
            invite_lifetime: Duration::from_secs(invite_days * 86_400),
            throttle,
            trusted_proxies,
            budget,
            reference_ttl,
            site_root,
            metrics_token,
            metrics_listen,
            log_format,
            log_level,
        })
    }

    fn parse<T>(
        &self,
        key: &str,
        default: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        let (value, source) = self
            .get(key)
            .cloned()
            .unwrap_or_else(|| (default.to_owned(), Source::Default));
        parse(value.trim()).map_err(|problem| ConfigError::Invalid {
            key: key.to_owned(),
            origin: source,
            problem,
        })
    }
}

fn parse_bool(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err("must be true or false".into()),
    }
}

fn calls_per_second(v: &str) -> Result<f64, String> {
    v.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && (0.0..=10_000.0).contains(x))
        .ok_or_else(|| "must be a number of calls per second from 0 (no limit) to 10000".into())
}

fn bounded(v: &str, min: u64, max: u64) -> Result<u64, String> {
    match v.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("must be a whole number from {min} to {max}")),
    }
}

/// Loads the configuration: defaults, then `file` (if given), then the environment, then
/// `flags` (already `(key, value)` pairs).
pub fn load(
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
    flags: &[(&str, String)],
) -> Result<Config, ConfigError> {
    let mut layers = Layers::default();
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
            path: path.to_owned(),
            problem: e.to_string(),
        })?;
        layers.add_toml(&text, path)?;
    }
    layers.add_env(env)?;
    for (key, value) in flags {
        layers.set(key, value.clone(), Source::Flag)?;
    }
    layers.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_are_a_local_demo() {
        let c = load(None, env(&[]), &[]).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(c.public_origin(), "http://127.0.0.1:3000");
        assert!(c.demo);
        assert!(!c.secure_cookies());
        assert_eq!(c.database_url.expose(), "sqlite://data/lunapanel.db");
        assert_eq!(c.upstream_url.as_str(), "https://dynamic.lunanode.com/api");
        assert_eq!(c.sign_up, SignUpPolicy::InviteOnly);
        assert_eq!(c.idle_timeout, Duration::from_secs(1800));
        assert_eq!(c.absolute_timeout, Duration::from_secs(12 * 3600));
    }

    #[test]
    fn a_default_demo_listens_on_loopback_only() {
        // Issue 8: demo on by default + a network address → refused, naming both settings.
        for listen in ["0.0.0.0:3000", "192.0.2.10:3000", "[::]:3000"] {
            let err = load(None, env(&[("LUNAPANEL_LISTEN", listen)]), &[]).unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains("`listen` (from environment variable LUNAPANEL_LISTEN)")
                    && text.contains("demo = false")
                    && text.contains("LUNAPANEL_DEMO=true"),
                "{listen}: {text}"
            );
        }
        let c = load(None, env(&[]), &[("listen", "[::1]:3000".into())]).unwrap();
        assert!(c.demo && !c.demo_explicit);
        // Asked for explicitly (flag, environment or file): allowed anywhere.
        let public = ("public_url", "http://panel.example.com:3000".to_owned());
        let c = load(
            None,
            env(&[("LUNAPANEL_DEMO", "true")]),
            &[("listen", "0.0.0.0:3000".into()), public.clone()],
        )
        .unwrap();
        assert!(c.demo && c.demo_explicit);
        let c = load(
            None,
            env(&[]),
            &[
                ("listen", "0.0.0.0:3000".into()),
                ("demo", "false".into()),
                public,
            ],
        )
        .unwrap();
        assert!(!c.demo);
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = std::env::temp_dir().join(format!("lp_cfg_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("panel.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:4000\"\nsign_up = \"open\"\nidle_timeout_minutes = 10\ndemo = false\n",
        )
        .unwrap();
        let c = load(
            Some(&file),
            env(&[
                ("LUNAPANEL_SIGN_UP", "invite-only"),
                ("LUNAPANEL_IDLE_TIMEOUT_MINUTES", "20"),
                ("HOME", "/root"),
            ]),
            &[("idle_timeout_minutes", "25".into())],
        )
        .unwrap();
        assert_eq!(c.listen.port(), 4000, "file beats default");
        assert!(!c.demo, "file boolean");
        assert_eq!(c.sign_up, SignUpPolicy::InviteOnly, "env beats file");
        assert_eq!(
            c.idle_timeout,
            Duration::from_secs(25 * 60),
            "flag beats env"
        );
        assert_eq!(
            c.public_origin(),
            "http://127.0.0.1:4000",
            "public URL follows listen"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn errors_name_the_setting_and_its_source() {
        let err = load(None, env(&[("LUNAPANEL_PUBLIC_URL", "ftp://x")]), &[]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("`public_url`"), "{text}");
        assert!(text.contains("LUNAPANEL_PUBLIC_URL"), "{text}");

        let err = load(None, env(&[]), &[("sign_up", "maybe".into())]).unwrap_err();
        assert!(err
            .to_string()
            .contains("`sign_up` (from command-line flag): must be open or invite-only"));

        let err = load(None, env(&[("LUNAPANEL_LISTN", "x")]), &[]).unwrap_err();
        assert!(
            matches!(err, ConfigError::Unknown { ref key, .. } if key == "listn"),
            "{err}"
        );

        for (key, value) in [
            ("listen", "nope"),
            ("database_url", "mysql://x"),
            ("upstream_url", "http://example.com/api"),
            ("demo", "perhaps"),
            ("idle_timeout_minutes", "0"),
            ("absolute_timeout_hours", "100000"),
            ("public_url", "https://panel.example.com/sub/path"),
            ("log_format", "xml"),
            ("log_level", "lunapanel=notalevel"),
        ] {
            let err = load(None, env(&[]), &[(key, value.into())]).unwrap_err();
            assert!(
                err.to_string().contains(&format!("`{key}`")),
                "{key}: {err}"
            );
        }
        let err = load(
            None,
            env(&[]),
            &[
                ("absolute_timeout_hours", "1".into()),
                ("idle_timeout_minutes", "90".into()),
            ],
        )
        .unwrap_err();
        assert!(err.to_string().contains("absolute_timeout_hours"), "{err}");
    }

    #[test]
    fn upstream_budgets_have_defaults_and_bounds() {
        let c = load(None, env(&[]), &[]).unwrap();
        assert_eq!(c.budget, BudgetLimits::default());
        let c = load(
            None,
            env(&[("LUNAPANEL_UPSTREAM_CUSTOMER_RATE", "0.5")]),
            &[
                ("upstream_customer_burst", "3".into()),
                ("upstream_account_rate", "0".into()),
            ],
        )
        .unwrap();
        assert_eq!(
            c.budget.customer,
            Rate {
                per_second: 0.5,
                burst: 3
            }
        );
        assert!(!c.budget.account.is_limited(), "0 is no limit");
        for (key, value) in [
            ("upstream_account_rate", "-1"),
            ("upstream_customer_rate", "fast"),
            ("upstream_customer_rate", "NaN"),
            ("upstream_account_burst", "0"),
            ("upstream_customer_burst", "1.5"),
        ] {
            let err = load(None, env(&[]), &[(key, value.into())]).unwrap_err();
            assert!(
                err.to_string().contains(&format!("`{key}`")),
                "{key}: {err}"
            );
        }
    }

    #[test]
    fn bad_files_are_reported() {
        let missing = load(
            Some(Path::new("/nonexistent/lunapanel.toml")),
            env(&[]),
            &[],
        )
        .unwrap_err();
        assert!(matches!(missing, ConfigError::File { .. }));
        let mut layers = Layers::default();
        let err = layers
            .add_toml("bogus_key = 1", Path::new("x.toml"))
            .unwrap_err();
        assert!(matches!(err, ConfigError::Unknown { .. }));
        let err = layers
            .add_toml("listen = [1]", Path::new("x.toml"))
            .unwrap_err();
        assert!(err.to_string().contains("`listen`"));
    }

    #[test]
    fn https_means_secure_cookies_and_loopback_upstream_may_be_http() {
        let c = load(
            None,
            env(&[
                ("LUNAPANEL_PUBLIC_URL", "https://panel.example.com"),
                ("LUNAPANEL_UPSTREAM_URL", "http://127.0.0.1:9000/api"),
            ]),
            &[],
        )
        .unwrap();
        assert!(c.secure_cookies());
        assert_eq!(c.public_origin(), "https://panel.example.com");
    }

    #[test]
    fn master_keys_from_the_environment_are_checked_and_never_printed() {
        let key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
        let c = load(
            None,
            env(&[("LUNAPANEL_MASTER_KEY", &format!("1:{key}, 2:{key}"))]),
            &[],
        )
        .unwrap();
        assert!(c.master_key.is_some());
        let debug = format!("{c:?}");
        assert!(!debug.contains(key), "{debug}");
        assert!(debug.contains("REDACTED"), "{debug}");
        for bad in ["1:short", "0:{key}", "nonsense"] {
            let err = load(None, env(&[("LUNAPANEL_MASTER_KEY", bad)]), &[]).unwrap_err();
            let text = err.to_string();
            assert!(text.contains("master_key"), "{text}");
            assert!(!text.contains("short"), "the value is not echoed: {text}");
        }
        let err = load(None, env(&[("LUNAPANEL_DEMO_TIME_SCALE", "fast")]), &[]).unwrap_err();
        assert!(err.to_string().contains("demo_time_scale"));
    }

    #[test]
    fn metrics_are_off_unless_configured_and_the_token_is_never_printed() {
        let c = load(None, env(&[]), &[]).unwrap();
        assert!(!c.metrics_enabled());
        assert!(c.metrics_token.is_none() && c.metrics_listen.is_none());
        let token = "scrape-Token-0123456789";
        let c = load(None, env(&[("LUNAPANEL_METRICS_TOKEN", token)]), &[]).unwrap();
        assert!(c.metrics_enabled());
        assert_eq!(c.metrics_token.as_ref().unwrap().expose(), token);
        let debug = format!("{c:?}");
        assert!(!debug.contains(token), "{debug}");
        assert!(debug.contains("REDACTED"), "{debug}");
        let c = load(
            None,
            env(&[]),
            &[("metrics_listen", "127.0.0.1:9464".into())],
        )
        .unwrap();
        assert!(c.metrics_enabled());
        assert_eq!(c.metrics_listen.unwrap().to_string(), "127.0.0.1:9464");
        for (key, value) in [
            ("metrics_token", "short"),
            ("metrics_token", "has a space in it, sixteen+"),
            ("metrics_listen", "nowhere"),
            ("metrics_listen", "127.0.0.1:3000"),
        ] {
            let err = load(None, env(&[]), &[(key, value.into())]).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(&format!("`{key}`")), "{key}: {text}");
            if key == "metrics_token" {
                assert!(!text.contains(value), "the token is not echoed: {text}");
            }
        }
    }

    #[test]
    fn debug_redacts_the_database_password() {
        let c = load(
            None,
            env(&[(
                "LUNAPANEL_DATABASE_URL",
                "postgres://panel:hunter2-secret@db.example.com/panel",
            )]),
            &[],
        )
        .unwrap();
        let debug = format!("{c:?}");
        assert!(!debug.contains("hunter2-secret"), "{debug}");
        assert!(debug.contains("panel:REDACTED@"), "{debug}");
        assert!(debug.contains("db.example.com"), "{debug}");
        // A bad value's error never echoes the URL either.
        let err = load(
            None,
            env(&[("LUNAPANEL_DATABASE_URL", "mysql://u:hunter2-secret@h/d")]),
            &[],
        )
        .unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
    }
}
