//! `quiver user …`: account management straight against the store, no server needed.

use std::io::{BufRead, IsTerminal, Write};

use quiver::services::governance::Source;
use quiver::services::system_actor;
use quiver::{Quiver, ServiceConfig};

use crate::config::{StoreArgs, UserCommand};

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

pub async fn open(store: &StoreArgs) -> Result<Quiver, String> {
    Quiver::open(&store.to_config(), ServiceConfig::default()).await.map_err(|e| {
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
