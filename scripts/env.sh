# Sourced by the scripts: one build directory outside the checkout, so clones share their builds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/quiver/target}"
export PATH="$HOME/.cargo/bin:$PATH"

# The build directory is shared by every checkout on the machine, but the binaries and the WASM
# that cargo places at fixed paths in it belong to whichever checkout built them last. When this
# checkout was not the last to build, touch its crates so they are rebuilt and those files are
# this checkout's again (otherwise the server and the browser code could come from two checkouts).
claim_target_dir() {
  local mark="$CARGO_TARGET_DIR/.quiver-checkout" here
  here=$(pwd -P)
  mkdir -p "$CARGO_TARGET_DIR"
  if [[ "$(cat "$mark" 2>/dev/null)" != "$here" ]]; then
    touch src/lib.rs app/src/lib.rs server/src/lib.rs server/src/main.rs
    echo "$here" > "$mark"
  fi
}

# Cargo never deletes old build outputs. Quiver's own crates are large in debug builds (leptos
# view types), and every change leaves another copy plus incremental state behind, so the
# shared build directory grows by gigabytes a day. Drop the incremental state when it passes
# 8 GB, and copies of Quiver's crates not touched for two days (dependencies are kept).
prune_target_dir() {
  local debug="$CARGO_TARGET_DIR/debug"
  [[ -d "$debug" ]] || return 0
  if [[ -d "$debug/incremental" ]] && (( $(du -sm "$debug/incremental" | cut -f1) > 8192 )); then
    echo "pruning $debug/incremental"
    rm -rf "$debug/incremental"
  fi
  find "$debug/deps" -maxdepth 1 -mtime +2 \( -name 'libquiver*' -o -name 'quiver*' -o -name 'libapp-*' -o -name 'app-*' \
    -o -name 'http-*' -o -name 'registry-*' -o -name 'lifecycle-*' -o -name 'mlflow_api-*' -o -name 'common-*' \) \
    -exec rm -rf {} + 2>/dev/null || true
}
