//! The `lunapanel` command.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use lunapanel::config;

/// See `mimalloc` in Cargo.toml: memory freed after a sign-in's password hash goes back to the
/// system instead of staying in the process (issue 14's RSS goals).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// lunapanel: a self-hosted control panel for the Luna Node cloud.
///
/// Every setting can also come from a TOML file (--config) or a LUNAPANEL_<SETTING>
/// environment variable; flags win over the environment, which wins over the file.
#[derive(Debug, Parser)]
#[command(name = "lunapanel", version)]
struct Cli {
    /// TOML file with settings (also LUNAPANEL_CONFIG).
    #[arg(long, env = "LUNAPANEL_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the panel (the default).
    Serve,
    /// Validate the configuration and print it (secrets redacted).
    CheckConfig,
    /// Run the Luna Node API emulator on its own (for development and tests).
    Emulator(EmulatorArgs),
    /// Re-encrypt every stored API key under a new master key (safe while panels run).
    ///
    /// With a key file: adds a new key version to the file, re-encrypts every row with it,
    /// then removes the old versions once no row uses them. With LUNAPANEL_MASTER_KEY: add
    /// the new version to the variable (and restart the panels) first; this re-encrypts to
    /// the highest version and says when the old ones may be removed.
    RotateMasterKey,
    /// Turn off two-step sign-in for the account with this e-mail address (for someone who
    /// lost their authenticator app and their recovery codes and has no administrator to
    /// ask — the administrator themselves). Their sessions end; audited.
    ResetSecondFactor {
        /// The account's e-mail address.
        email: String,
    },
}

#[derive(Debug, clap::Args)]
struct EmulatorArgs {
    /// Address to serve the emulated API on (`http://ADDR/api/...`)
    #[arg(long = "emulator-listen", default_value = "127.0.0.1:4000")]
    emulator_listen: String,
    /// An account as API_ID:API_KEY[:CREDIT] (16 and 128 letters/digits); repeatable.
    /// Without one, a random account is made and printed.
    #[arg(long = "account")]
    accounts: Vec<String>,
    /// Multiplies lifecycle durations (0 = instant, 1 = realistic)
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Accept nonces lower than the last accepted one (the service, and so the emulator
    /// by default, refuses them)
    #[arg(long)]
    lenient_nonces: bool,
    /// Keep the emulated accounts in this JSON file, so a restart resumes them (created
    /// readable by its owner only: it holds the API keys). Without --account, the accounts
    /// already in the file are used.
    #[arg(long)]
    state_file: Option<PathBuf>,
}

fn random_alnum(n: usize) -> String {
    // Two UUIDs give 64 hex digits of OS randomness per round.
    let mut out = String::new();
    while out.len() < n {
        out.push_str(&uuid_hex());
    }
    out.truncate(n);
    out
}

fn uuid_hex() -> String {
    lunapanel::emulator::random_hex()
}

fn parse_account(spec: &str) -> Result<lunapanel::emulator::AccountSpec, String> {
    let mut parts = spec.split(':');
    let (Some(id), Some(key)) = (parts.next(), parts.next()) else {
        return Err(format!(
            "--account {spec:?}: expected API_ID:API_KEY[:CREDIT]"
        ));
    };
    let credit = match parts.next() {
        Some(c) => c
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .ok_or_else(|| format!("--account: credit {c:?} is not a number"))?,
        None => 100.0,
    };
    let alnum = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric());
    if id.len() != 16 || key.len() != 128 || !alnum(id) || !alnum(key) {
        return Err("--account: the API ID must be 16 and the key 128 letters or digits".into());
    }
    Ok(lunapanel::emulator::AccountSpec {
        api_id: id.into(),
        api_key: key.into(),
        credit,
    })
}

/// Warnings (such as a state file that cannot be written) to stderr.
fn init_emulator_logging(level: Option<&str>) {
    let filter = tracing_subscriber::EnvFilter::try_new(level.unwrap_or("info"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn run_emulator(args: EmulatorArgs, log_level: Option<&str>) -> ExitCode {
    init_emulator_logging(log_level);
    let mut accounts = Vec::new();
    for spec in &args.accounts {
        match parse_account(spec) {
            Ok(a) => accounts.push(a),
            Err(e) => {
                eprintln!("lunapanel emulator: {e}");
                return ExitCode::from(2);
            }
        }
    }
    // Without --account, a state file's accounts are resumed rather than joined by another.
    let resuming = accounts.is_empty() && args.state_file.as_deref().is_some_and(Path::exists);
    let generated = (accounts.is_empty() && !resuming).then(|| lunapanel::emulator::AccountSpec {
        api_id: random_alnum(16),
        api_key: random_alnum(128),
        credit: 100.0,
    });
    accounts.extend(generated.clone());
    let config = lunapanel::emulator::EmulatorConfig {
        accounts,
        time_scale: args.time_scale.max(0.0),
        strict_nonces: !args.lenient_nonces,
        state_file: args.state_file.clone(),
        ..Default::default()
    };
    let emulator = match lunapanel::emulator::Emulator::open(config) {
        Ok(emulator) => emulator,
        Err(e) => {
            eprintln!("lunapanel emulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(account) = &generated {
        println!("Emulated account (use it as the panel's Luna Node API credential):");
        println!("  API ID:  {}", account.api_id);
        println!("  API key: {}", account.api_key);
    }
    if let (true, Some(path)) = (resuming, &args.state_file) {
        let ids = emulator.api_ids();
        if ids.is_empty() {
            eprintln!(
                "lunapanel emulator: {} holds no accounts; add one with --account",
                path.display()
            );
            return ExitCode::FAILURE;
        }
        println!(
            "Emulated accounts from {} (API keys in the file): {}",
            path.display(),
            ids.join(", ")
        );
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lunapanel emulator: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(&args.emulator_listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!(
                    "lunapanel emulator: cannot listen on {}: {e}",
                    args.emulator_listen
                );
                return ExitCode::FAILURE;
            }
        };
        match emulator.spawn(listener) {
            Ok(base) => println!("Luna Node API emulator at {base}"),
            Err(e) => {
                eprintln!("lunapanel emulator: {e}");
                return ExitCode::FAILURE;
            }
        }
        lunapanel::telemetry::shutdown_signal().await;
        ExitCode::SUCCESS
    })
}

/// One flag per setting; see `config::SETTINGS`.
#[derive(Debug, clap::Args)]
struct Settings {
    /// Address to listen on [default: 127.0.0.1:3000]
    #[arg(long, global = true)]
    listen: Option<String>,
    /// URL users reach the panel at; https enables Secure __Host- cookies
    #[arg(long, global = true)]
    public_url: Option<String>,
    /// sqlite:PATH or postgres://… [default: sqlite://data/lunapanel.db]
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Luna Node API base URL [default: https://dynamic.lunanode.com/api]
    #[arg(long, global = true)]
    upstream_url: Option<String>,
    /// Demo mode: built-in emulator and a demo account (true/false) [default: true]
    #[arg(long, global = true)]
    demo: Option<String>,
    /// Master key file [default: data/master.key]
    #[arg(long, global = true)]
    master_key_file: Option<String>,
    /// Master keys as VERSION:BASE64[,…] (prefer LUNAPANEL_MASTER_KEY: flags show in ps)
    #[arg(long, global = true)]
    master_key: Option<String>,
    /// Demo mode: emulated lifecycle speed, 1 = realistic [default: 0.2]
    #[arg(long, global = true)]
    demo_time_scale: Option<String>,
    /// open or invite-only [default: invite-only]
    #[arg(long, global = true)]
    sign_up: Option<String>,
    /// Minutes without a request before a session ends [default: 30]
    #[arg(long, global = true)]
    idle_timeout_minutes: Option<String>,
    /// Hours after sign-in before a session ends [default: 12]
    #[arg(long, global = true)]
    absolute_timeout_hours: Option<String>,
    /// Days an invite link stays valid [default: 7]
    #[arg(long, global = true)]
    invite_days: Option<String>,
    /// Luna Node calls per second an account's users may make, 0 = no limit [default: 20]
    #[arg(long, global = true)]
    upstream_account_rate: Option<String>,
    /// Calls an account's users may make at once [default: 100]
    #[arg(long, global = true)]
    upstream_account_burst: Option<String>,
    /// Luna Node calls per second one customer may make, 0 = no limit [default: 5]
    #[arg(long, global = true)]
    upstream_customer_rate: Option<String>,
    /// Calls one customer may make at once [default: 30]
    #[arg(long, global = true)]
    upstream_customer_burst: Option<String>,
    /// Folder with the built site [default: target/site]
    #[arg(long, global = true)]
    site_root: Option<String>,
    /// Serve /metrics on the panel's address to `Authorization: Bearer TOKEN` (prefer
    /// LUNAPANEL_METRICS_TOKEN: flags show in ps) [default: off]
    #[arg(long, global = true)]
    metrics_token: Option<String>,
    /// A second address serving only /metrics, without a token [default: off]
    #[arg(long, global = true)]
    metrics_listen: Option<String>,
    /// text or json [default: text]
    #[arg(long, global = true)]
    log_format: Option<String>,
    /// Tracing filter [default: info]
    #[arg(long, global = true)]
    log_level: Option<String>,
}

impl Settings {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let all = [
            ("listen", &self.listen),
            ("public_url", &self.public_url),
            ("database_url", &self.database_url),
            ("upstream_url", &self.upstream_url),
            ("demo", &self.demo),
            ("master_key_file", &self.master_key_file),
            ("master_key", &self.master_key),
            ("demo_time_scale", &self.demo_time_scale),
            ("sign_up", &self.sign_up),
            ("idle_timeout_minutes", &self.idle_timeout_minutes),
            ("absolute_timeout_hours", &self.absolute_timeout_hours),
            ("invite_days", &self.invite_days),
            ("upstream_account_rate", &self.upstream_account_rate),
            ("upstream_account_burst", &self.upstream_account_burst),
            ("upstream_customer_rate", &self.upstream_customer_rate),
            ("upstream_customer_burst", &self.upstream_customer_burst),
            ("site_root", &self.site_root),
            ("metrics_token", &self.metrics_token),
            ("metrics_listen", &self.metrics_listen),
            ("log_format", &self.log_format),
            ("log_level", &self.log_level),
        ];
        all.into_iter()
            .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
            .collect()
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = match cli.command {
        // The emulator stands alone: it needs none of the panel's settings.
        Some(Command::Emulator(args)) => {
            return run_emulator(args, cli.settings.log_level.as_deref())
        }
        other => other.unwrap_or(Command::Serve),
    };
    let config = match config::load(
        cli.config.as_deref(),
        std::env::vars(),
        &cli.settings.pairs(),
    ) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lunapanel: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Emulator(args) => run_emulator(args, Some(config.log_level.as_str())),
        Command::CheckConfig => {
            println!("{config:#?}");
            ExitCode::SUCCESS
        }
        Command::RotateMasterKey => {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("lunapanel: cannot start the async runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match runtime.block_on(lunapanel::rotate_master_key(&config)) {
                Ok(report) => {
                    println!(
                        "Re-encrypted {} stored secret(s) (API keys and second-factor seeds) \
                         with master key version {}.",
                        report.resealed, report.active
                    );
                    if !report.retired.is_empty() {
                        println!("Retired master key version(s): {:?}.", report.retired);
                    } else if report.remaining == 0 {
                        println!(
                            "No stored key uses an older version; older versions may be removed."
                        );
                    } else {
                        println!(
                            "{} key(s) still use an older version; run the command again.",
                            report.remaining
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("lunapanel: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::ResetSecondFactor { email } => {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("lunapanel: cannot start the async runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match runtime.block_on(lunapanel::reset_second_factor(&config, &email)) {
                Ok(true) => {
                    println!(
                        "Two-step sign-in is off for {email}; their sessions ended. They sign \
                         in with their password and can set it up again."
                    );
                    ExitCode::SUCCESS
                }
                Ok(false) => {
                    println!("{email} has no second factor; nothing was changed.");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("lunapanel: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Serve => {
            lunapanel::telemetry::init(&config);
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("lunapanel: cannot start the async runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match runtime.block_on(lunapanel::serve(config)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("lunapanel: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
