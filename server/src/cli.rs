//! `quiver user …`: account management straight against the store, no server needed.

use std::io::{BufRead, IsTerminal, Write};

use quiver::services::governance::Source;
use quiver::services::system_actor;
use quiver::{Quiver, ServiceConfig};

use quiver::names::ModelPath;

use crate::config::{StoreArgs, UserCommand, VerifyArgs};

pub async fn user(cmd: UserCommand) -> Result<(), String> {
    match cmd {
        UserCommand::Create { store, username, admin } => {
            let quiver = open(&store).await?;
            let password = new_password()?;
            let user = quiver
                .create_user(&system_actor(Source::Cli), &username, &password, admin)
                .await
                .map_err(|e| e.message)?;
            println!("Created user '{}'{}.", user.username, if user.admin { " (administrator)" } else { "" });
            Ok(())
        }
        UserCommand::ResetPassword { store, username } => {
            let quiver = open(&store).await?;
            let password = new_password()?;
            quiver.reset_password(&system_actor(Source::Cli), &username, &password).await.map_err(|e| e.message)?;
            println!("Password of '{username}' reset; their sessions were ended.");
            Ok(())
        }
    }
}

/// `quiver verify`: re-checks stored files and prints what no longer matches.
pub async fn verify(args: VerifyArgs) -> Result<(), String> {
    let config = ServiceConfig { artifact_root: args.data_dir.join("artifacts"), ..ServiceConfig::default() };
    let quiver = open_with(&args.store, config).await?;
    let model = args.model.as_deref().map(ModelPath::parse_full).transpose().map_err(|e| e.message)?;
    let report = quiver.verify_versions(&system_actor(Source::Cli), model.as_ref()).await.map_err(|e| e.message)?;
    println!("Checked {} files ({} bytes) of {} versions.", report.files, report.bytes, report.versions);
    for f in &report.failures {
        println!(
            "  {} v{}: {} is {} (registered sha256 {}{})",
            f.model,
            f.version,
            f.path,
            f.problem,
            f.expected_sha256,
            f.found_sha256.as_deref().map(|s| format!(", found {s}")).unwrap_or_default()
        );
    }
    if report.failures.is_empty() {
        println!("Every file matches.");
        Ok(())
    } else {
        Err(format!("{} files no longer match what their versions registered", report.failures.len()))
    }
}

pub async fn open(store: &StoreArgs) -> Result<Quiver, String> {
    open_with(store, ServiceConfig::default()).await
}

async fn open_with(store: &StoreArgs, config: ServiceConfig) -> Result<Quiver, String> {
    Quiver::open(&store.to_config(), config).await.map_err(|e| {
        format!(
            "{} (is a Quiver server running on {}? An embedded store is opened by one process at a time.)",
            e.message, store.db
        )
    })
}

/// The new password: QUIVER_NEW_PASSWORD, else one line of standard input.
fn new_password() -> Result<String, String> {
    if let Ok(p) = std::env::var("QUIVER_NEW_PASSWORD") {
        return Ok(p);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("New password: ");
        std::io::stderr().flush().ok();
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).map_err(|e| format!("cannot read the password: {e}"))?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        return Err("no password given: set QUIVER_NEW_PASSWORD or pipe it on standard input".into());
    }
    Ok(password)
}

/// `quiver export`: the whole embedded store as a SurrealQL file.
pub async fn export(args: crate::config::ExportArgs) -> Result<(), String> {
    quiver::store::export(&args.store.to_config(), &args.file)
        .await
        .map_err(|e| format!("{} (is a Quiver server running on {}? Stop it first.)", e.message, args.store.db))?;
    println!("Exported {} to {}.", args.store.db, args.file.display());
    Ok(())
}

/// `quiver import`: a file from `quiver export` into an empty store.
pub async fn import(args: crate::config::ExportArgs) -> Result<(), String> {
    quiver::store::import(&args.store.to_config(), &args.file).await.map_err(|e| e.message)?;
    println!("Imported {} into {}.", args.file.display(), args.store.db);
    Ok(())
}
