//! The `lunapanel` command.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use lunapanel::config;

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
    /// Folder with the built site [default: target/site]
    #[arg(long, global = true)]
    site_root: Option<String>,
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
            ("sign_up", &self.sign_up),
            ("idle_timeout_minutes", &self.idle_timeout_minutes),
            ("absolute_timeout_hours", &self.absolute_timeout_hours),
            ("invite_days", &self.invite_days),
            ("site_root", &self.site_root),
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
    match cli.command.unwrap_or(Command::Serve) {
        Command::CheckConfig => {
            println!("{config:#?}");
            ExitCode::SUCCESS
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
