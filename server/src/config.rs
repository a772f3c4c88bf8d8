//! Command line and environment. Every flag has a matching `QUIVER_*` variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "quiver",
    version,
    about = "Quiver: a self-hosted model catalog (Unity Catalog / MLflow registry compatible).",
    long_about = "Quiver: a self-hosted model catalog.\n\n\
Run `quiver serve` to start the web app and APIs. The first start on an empty store creates an \
admin account `admin` (password from QUIVER_ADMIN_PASSWORD, or a generated one printed once).\n\n\
The server looks for its web assets (WASM, JS, CSS) in --site-root, by default ./target/site as \
built by `cargo leptos build`; run it from the repository root or point --site-root elsewhere."
)]
pub struct Cli {
    /// Log format: text, or json (one object per line, with the request id of each request).
    #[arg(long, global = true, env = "QUIVER_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line (for log collectors).
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app and the APIs.
    Serve(ServeArgs),
    /// Manage user accounts directly in the store (works offline; stop the server first when
    /// the store is an embedded SurrealKV directory, which one process opens at a time).
    #[command(subcommand)]
    User(UserCommand),
    /// Re-check the stored files of registered versions against what they registered (exits 1
    /// when one no longer matches; stop the server first when the store is embedded).
    Verify(VerifyArgs),
    /// Write the whole store (schema and records) to a SurrealQL file, to move an embedded store
    /// to a SurrealDB server with `quiver import` (stop the server first).
    Export(ExportArgs),
    /// Load a file written by `quiver export` into an empty store (e.g. on a SurrealDB server).
    Import(ExportArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The SurrealQL file to write or read.
    #[arg(long)]
    pub file: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Directory for files Quiver keeps outside the database (artifacts).
    #[arg(long, env = "QUIVER_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Only this model (catalog.schema.model).
    #[arg(long, conflicts_with = "all")]
    pub model: Option<String>,
    /// Every registered version (what happens without --model).
    #[arg(long, value_parser = BoolishValueParser::new())]
    pub all: bool,
}

#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Database: surrealkv://PATH (embedded, on disk), mem:// (embedded, in memory, lost on exit)
    /// or ws://HOST:PORT (a remote SurrealDB server).
    #[arg(long, env = "QUIVER_DB", default_value = "surrealkv://./data/quiver.db")]
    pub db: String,
    /// User for a remote SurrealDB server (a database user by default, see --db-auth-level).
    #[arg(long, env = "QUIVER_DB_USER")]
    pub db_user: Option<String>,
    /// What kind of user --db-user is: `database` (least privilege: Quiver's database only),
    /// `namespace` or `root`.
    #[arg(long, env = "QUIVER_DB_AUTH_LEVEL", default_value = "database", value_parser = ["database", "namespace", "root"])]
    pub db_auth_level: String,
    /// Password of --db-user.
    #[arg(long, env = "QUIVER_DB_PASS", hide_env_values = true)]
    pub db_pass: Option<String>,
    /// SurrealDB namespace.
    #[arg(long, env = "QUIVER_DB_NS", default_value = "quiver")]
    pub db_ns: String,
    /// SurrealDB database.
    #[arg(long, env = "QUIVER_DB_NAME", default_value = "quiver")]
    pub db_name: String,
    /// For wss://: a PEM file of CA certificates to trust besides the public ones (a company CA,
    /// or the server's own self-signed certificate).
    #[arg(long, env = "QUIVER_DB_CA_FILE")]
    pub db_ca_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "QUIVER_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Directory for files Quiver keeps outside the database (artifacts).
    #[arg(long, env = "QUIVER_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Directory holding the built web assets (pkg/quiver.js, pkg/quiver_bg.wasm, pkg/quiver.css).
    #[arg(long, env = "QUIVER_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,
    /// Password for the `admin` account created on first start (otherwise one is generated and printed once).
    #[arg(long, env = "QUIVER_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// How long a browser session lasts without activity, in seconds.
    #[arg(long, env = "QUIVER_SESSION_TTL", default_value_t = 12 * 3600)]
    pub session_ttl_secs: u64,
    /// Failed sign-ins (per username and per client address) before sign-in is paused.
    #[arg(long, env = "QUIVER_LOGIN_MAX_FAILURES", default_value_t = 5)]
    pub login_max_failures: u32,
    /// How long sign-in stays paused after too many failures, in seconds.
    #[arg(long, env = "QUIVER_LOGIN_LOCKOUT", default_value_t = 300)]
    pub login_lockout_secs: u64,
    /// Mark cookies Secure even when no proxy says the request came over https.
    #[arg(long, env = "QUIVER_SECURE_COOKIES", default_value_t = false, value_parser = BoolishValueParser::new())]
    pub secure_cookies: bool,
    /// Behind exactly one reverse proxy: take the client address (sign-in throttling, audit)
    /// from the X-Forwarded-For entry that proxy added (the rightmost). Only behind a proxy
    /// that appends it, and with Quiver reachable through that proxy only.
    #[arg(long, env = "QUIVER_TRUST_FORWARDED_FOR", default_value_t = false, value_parser = BoolishValueParser::new())]
    pub trust_forwarded_for: bool,
    /// Behind proxies with these addresses (comma-separated addresses or CIDR blocks): when the
    /// connection comes from one of them, the client is the rightmost X-Forwarded-For entry that
    /// is not one of them. Connections from elsewhere are taken at their own address.
    #[arg(long, env = "QUIVER_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<String>,
    /// Where MLflow clients' one-part model names live (`iris` is `main.default.iris`); created on start.
    #[arg(long, env = "QUIVER_MLFLOW_DEFAULT_SCHEMA", default_value = "main.default")]
    pub mlflow_default_schema: String,
    /// Create a missing catalog and schema when an administrator registers a three-part name
    /// through the MLflow API (`false` to require them to exist).
    #[arg(long, env = "QUIVER_MLFLOW_CREATE_NAMESPACES", default_value_t = true, action = clap::ArgAction::Set, value_parser = BoolishValueParser::new())]
    pub mlflow_create_namespaces: bool,
    /// Largest artifact file accepted through the MLflow artifact API, in bytes.
    #[arg(long, env = "QUIVER_MAX_ARTIFACT_BYTES", default_value_t = 5 * 1024 * 1024 * 1024)]
    pub max_artifact_bytes: u64,
    /// Artifact storage one experiment may use (`500GiB`, `20G`, bytes; 0: no quota).
    #[arg(long, env = "QUIVER_EXPERIMENT_ARTIFACT_QUOTA", default_value = "0", value_parser = parse_bytes)]
    pub experiment_artifact_quota: u64,
    /// Artifact storage one user may use across experiments (`100GiB`, bytes; 0: no quota).
    #[arg(long, env = "QUIVER_USER_ARTIFACT_QUOTA", default_value = "0", value_parser = parse_bytes)]
    pub user_artifact_quota: u64,
    /// The key that encrypts webhook secrets in the store (64 hex digits; created when missing,
    /// default <data-dir>/secret.key). Every Quiver on one remote store needs the same file.
    #[arg(long, env = "QUIVER_SECRET_KEY_FILE")]
    pub secret_key_file: Option<PathBuf>,
    /// Let webhooks reach private and loopback addresses (link-local and cloud metadata
    /// addresses stay refused).
    #[arg(long, env = "QUIVER_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, value_parser = BoolishValueParser::new())]
    pub webhook_allow_private: bool,
    /// Do not deliver webhooks from this process (another Quiver on the same store does).
    #[arg(long, env = "QUIVER_NO_DISPATCHER", default_value_t = false, value_parser = BoolishValueParser::new())]
    pub no_dispatcher: bool,
    /// Memory the read cache may hold: its entries weighed (`256MiB`, bytes;
    /// 0 turns it off).
    #[arg(long, env = "QUIVER_READ_CACHE_SIZE", default_value = "256MiB", value_parser = parse_bytes)]
    pub read_cache_size: u64,
    /// Re-check every registered version's stored files this often, in seconds (0: never).
    #[arg(long, env = "QUIVER_SCRUB_INTERVAL_SECS", default_value_t = 24 * 3600)]
    pub scrub_interval_secs: u64,
    /// The bearer token Prometheus presents at /metrics (administrators' access tokens also
    /// work). Without it only administrators can read metrics.
    #[arg(long, env = "QUIVER_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// How long a request waits for the database before it fails with 503 (a SurrealDB
    /// server that is away), in seconds.
    #[arg(long, env = "QUIVER_DB_TIMEOUT_SECS", default_value_t = 30)]
    pub db_timeout_secs: u64,
    /// On SIGTERM, answer /readyz with 503 for this many seconds before closing the listener,
    /// so a load balancer stops sending requests first; requests in flight then finish.
    #[arg(long, env = "QUIVER_SHUTDOWN_DELAY_SECS", default_value_t = 0)]
    pub shutdown_delay_secs: u64,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. The password is read from QUIVER_NEW_PASSWORD or standard input.
    Create {
        #[command(flatten)]
        store: StoreArgs,
        /// The new user's name.
        #[arg(long)]
        username: String,
        /// Make the user an administrator.
        #[arg(long, default_value_t = false, value_parser = BoolishValueParser::new())]
        admin: bool,
    },
    /// Set a new password for a user (read from QUIVER_NEW_PASSWORD or standard input) and end
    /// their sessions.
    ResetPassword {
        #[command(flatten)]
        store: StoreArgs,
        /// Whose password to reset.
        #[arg(long)]
        username: String,
    },
}

/// A size: bytes, or a number with K, M, G or T (powers of 1024; `GiB`, `GB` and `G` alike).
fn parse_bytes(raw: &str) -> Result<u64, String> {
    let s = raw.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let number: f64 = number.parse().map_err(|_| format!("'{raw}' is not a size (e.g. 500GiB)"))?;
    let shift = match unit.trim().to_ascii_lowercase().trim_end_matches("ib").trim_end_matches('b') {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        _ => return Err(format!("'{raw}': the unit is one of K, M, G, T (powers of 1024)")),
    };
    Ok((number * (1u64 << shift) as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn sizes_read_with_units() {
        assert_eq!(parse_bytes("0"), Ok(0));
        assert_eq!(parse_bytes("1048576"), Ok(1 << 20));
        assert_eq!(parse_bytes("500GiB"), Ok(500 << 30));
        assert_eq!(parse_bytes("1.5G"), Ok(3 << 29));
        assert_eq!(parse_bytes("20 MB"), Ok(20 << 20));
        assert!(parse_bytes("lots").is_err() && parse_bytes("5 parsecs").is_err());
    }

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Every boolean setting takes 1/0, true/false, yes/no and on/off, from the command line and
    /// from its environment variable (the README's `QUIVER_WEBHOOK_ALLOW_PRIVATE=1`).
    #[test]
    fn boolean_settings_accept_the_usual_spellings() {
        let serve = |args: &[&str]| -> ServeArgs {
            match Cli::try_parse_from([&["quiver", "serve"], args].concat()).expect("parses").command {
                Command::Serve(a) => a,
                _ => unreachable!(),
            }
        };
        for (value, expected) in
            [("1", true), ("yes", true), ("true", true), ("on", true), ("0", false), ("no", false), ("false", false)]
        {
            let a = serve(&[&format!("--mlflow-create-namespaces={value}")]);
            assert_eq!(a.mlflow_create_namespaces, expected, "{value}");
        }
        assert!(serve(&["--webhook-allow-private", "--no-dispatcher"]).webhook_allow_private);
        // The environment: a variable no other test reads, set only here.
        let vars = [
            ("QUIVER_WEBHOOK_ALLOW_PRIVATE", "1"),
            ("QUIVER_SECURE_COOKIES", "yes"),
            ("QUIVER_NO_DISPATCHER", "0"),
            ("QUIVER_TRUST_FORWARDED_FOR", "true"),
            ("QUIVER_MLFLOW_CREATE_NAMESPACES", "no"),
        ];
        // SAFETY: no other test of this binary reads these variables or the environment.
        unsafe {
            for (k, v) in vars {
                std::env::set_var(k, v);
            }
        }
        let a = serve(&[]);
        unsafe {
            for (k, _) in vars {
                std::env::remove_var(k);
            }
        }
        assert!(a.webhook_allow_private && a.secure_cookies && !a.no_dispatcher && a.trust_forwarded_for);
        assert!(!a.mlflow_create_namespaces);
        assert_eq!(a.proxy_trust().unwrap(), quiver::auth::ProxyTrust::OneHop);
        let behind = serve(&["--trusted-proxies", "10.0.0.0/8, 127.0.0.1"]);
        assert!(matches!(behind.proxy_trust().unwrap(), quiver::auth::ProxyTrust::Networks(n) if n.len() == 2));
        assert!(serve(&["--trusted-proxies", "nope"]).proxy_trust().is_err());
    }
}

impl StoreArgs {
    pub fn to_config(&self) -> quiver::store::StoreConfig {
        quiver::store::StoreConfig {
            url: self.db.clone(),
            user: self.db_user.clone(),
            pass: self.db_pass.clone(),
            auth_level: quiver::store::AuthLevel::parse(&self.db_auth_level).unwrap_or_default(),
            namespace: self.db_ns.clone(),
            database: self.db_name.clone(),
            ca_file: self.db_ca_file.clone(),
        }
    }
}

impl ServeArgs {
    /// Which proxies may say who the client is.
    pub fn proxy_trust(&self) -> Result<quiver::auth::ProxyTrust, String> {
        match self.trusted_proxies.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(list) => Ok(quiver::auth::ProxyTrust::Networks(
                quiver::auth::ProxyTrust::parse_networks(list).map_err(|e| format!("--trusted-proxies: {e}"))?,
            )),
            None if self.trust_forwarded_for => Ok(quiver::auth::ProxyTrust::OneHop),
            None => Ok(quiver::auth::ProxyTrust::None),
        }
    }

    pub fn service_config(&self) -> Result<quiver::ServiceConfig, String> {
        let defaults = quiver::ServiceConfig::default();
        let key_file = self.secret_key_file.clone().unwrap_or_else(|| self.data_dir.join("secret.key"));
        let key = quiver::sealer::load_or_create_key(&key_file)
            .map_err(|_| format!("cannot read or create the secret key file {}", key_file.display()))?;
        Ok(quiver::ServiceConfig {
            session_idle: std::time::Duration::from_secs(self.session_ttl_secs.max(1)),
            session_max: defaults.session_max.max(std::time::Duration::from_secs(self.session_ttl_secs)),
            login_max_failures: self.login_max_failures.max(1),
            login_lockout: std::time::Duration::from_secs(self.login_lockout_secs),
            artifact_root: self.data_dir.join("artifacts"),
            max_artifact_bytes: self.max_artifact_bytes,
            experiment_quota_bytes: self.experiment_artifact_quota,
            read_cache: self.read_cache_size > 0,
            read_cache_bytes: self.read_cache_size as usize,
            user_quota_bytes: self.user_artifact_quota,
            mlflow_names: quiver::names::MlflowNames::parse_default(&self.mlflow_default_schema)
                .map_err(|e| format!("--mlflow-default-schema: {}", e.message))?,
            sealer: quiver::sealer::Sealer::new(key),
            webhook_allow_private: self.webhook_allow_private,
            query_timeout: std::time::Duration::from_secs(self.db_timeout_secs.max(1)),
            ..defaults
        })
    }
}
