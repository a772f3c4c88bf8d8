//! `surreal`, as SurrealDB ships it, for tests against a real server.
// The release build computes the layout of SurrealDB's deepest futures here.
#![recursion_limit = "256"]
fn main() -> std::process::ExitCode {
    surrealdb_server::init(surrealdb_server::core::CommunityComposer())
}
