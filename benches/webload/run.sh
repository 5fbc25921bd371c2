#!/bin/sh
# Loads a running `dealcast serve` with every scenario of this directory (wrk, 50 connections on loopback) and
# prints one line per scenario: p50, p95, p99 and requests per second. The second-page scenario is made first: the
# `next` cursor of page one of a few lists, asked from the JSON API (cursors depend on the data).
#   benches/webload/run.sh [BASE_URL] [DURATION]     (defaults: http://127.0.0.1:8080 20s)
set -eu
base=${1:-http://127.0.0.1:8080}
duration=${2:-20s}
here=$(dirname "$0")
page2=$(mktemp)
trap 'rm -f "$page2"' EXIT
echo "# The second page (keyset cursor) of a few lists." >"$page2"
for query in "" "shop=bench_3&min_discount=20" "category=Mode&max_price=80" "q=aspirateur" "q=chausure+noir&max_price=200"; do
    next=$(curl -fsS "$base/api/deals?$query" | jq -r '.next // empty')
    [ -n "$next" ] || { echo "no second page for ?$query" >&2; exit 1; }
    echo "/?${query:+$query&}after=$next" >>"$page2"
done
echo "load: $(uptime)"
for scenario in home shop_discount category_price search_word search_typo search_filter page2; do
    if [ "$scenario" = page2 ]; then paths=$page2; else paths=$here/$scenario.paths; fi
    # A short warm-up, so that the figures are those of a running server, not of its first requests.
    wrk -t2 -c10 -d3s -s "$here/rotate.lua" "$base" -- "$paths" >/dev/null
    line=$(wrk -t2 -c50 -d"$duration" --latency -s "$here/rotate.lua" "$base" -- "$paths" | grep '^SUMMARY')
    echo "$scenario ${line#SUMMARY }"
done
echo "load: $(uptime)"
