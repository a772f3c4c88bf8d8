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
