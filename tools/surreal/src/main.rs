//! `surreal`, as SurrealDB ships it, for tests against a real server.
fn main() -> std::process::ExitCode {
    surrealdb_server::init(surrealdb_server::core::CommunityComposer())
}
