#!/usr/bin/env bash
# Run every fuzz target briefly: fuzz/run-brief.sh SECONDS (default 60).
#
# Only a stable toolchain exists here: cargo-fuzz needs nightly flags
# (-Zsanitizer), which RUSTC_BOOTSTRAP=1 unlocks on stable. Seeds come from
# fuzz/seeds (text files, and hex dumps of the binary inputs).
set -euo pipefail

seconds="${1:-60}"
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

# Seed corpora: copy text seeds, decode hex seeds.
for dir in seeds/*/; do
    target="$(basename "$dir")"
    mkdir -p "corpus/$target"
    for f in "$dir"*; do
        [ -f "$f" ] || continue
        name="$(basename "$f")"
        case "$name" in
            *.hex)
                hex="$(tr -d ' \n\r' < "$f")"
                out="corpus/$target/seed-${name%.hex}"
                : > "$out"
                while [ -n "$hex" ]; do
                    chunk="${hex:0:2048}"
                    hex="${hex:2048}"
                    # shellcheck disable=SC2059
                    printf "$(printf '%s' "$chunk" | sed 's/../\\x&/g')" >> "$out"
                done
                ;;
            *) cp "$f" "corpus/$target/seed-$name" ;;
        esac
    done
done

status=0
for target in shp geojson txt zip; do
    echo "== fuzz target $target for ${seconds}s"
    if ! cargo fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1; then
        echo "!! target $target failed; reproducer in fuzz/artifacts/$target/"
        status=1
    fi
done
exit "$status"
