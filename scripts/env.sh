# Sourced by the scripts: one build directory outside the checkout, so clones share their builds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/quiver/target}"
export PATH="$HOME/.cargo/bin:$PATH"
