use std::process::ExitCode;

use clap::Parser;
use quiver_server::config::{Cli, Command, LogFormat};

#[tokio::main]
async fn main() -> ExitCode {
    // With no arguments at all (as `cargo leptos watch` starts it) Quiver serves with defaults.
    let args: Vec<String> = std::env::args().collect();
    let cli = if args.len() == 1 { Cli::parse_from(["quiver", "serve"]) } else { Cli::parse() };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,surrealdb=warn,surrealdb_core=warn,surrealkv=warn".into())
        // The sanitizer's HTML parser reports every malformed tag people paste.
        .add_directive("html5ever=error".parse().expect("a valid directive"));
    match cli.log_format {
        LogFormat::Text => tracing_subscriber::fmt().with_env_filter(filter).init(),
        LogFormat::Json => tracing_subscriber::fmt().json().with_current_span(true).with_env_filter(filter).init(),
    }
    let outcome = match cli.command {
        Command::Serve(args) => quiver_server::http::serve(args).await,
        Command::User(cmd) => quiver_server::cli::user(cmd).await,
        Command::Verify(args) => quiver_server::cli::verify(args).await,
        Command::Export(args) => quiver_server::cli::export(args).await,
        Command::Import(args) => quiver_server::cli::import(args).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
