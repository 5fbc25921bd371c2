#!/bin/sh
# Loads a running `dealcast serve` with every scenario of this directory (wrk, 50 connections on loopback) and
# prints one line per scenario: p50, p95, p99 and requests per second. The second-page scenario is made first: the
# `next` cursor of page one of a few lists, asked from the JSON API (cursors depend on the data); the long tail is
# 20,000 distinct searches with filters (long_tail.awk), so that almost no request repeats an earlier one.
#   benches/webload/run.sh [BASE_URL] [DURATION]     (defaults: http://127.0.0.1:8080 20s)
set -eu
base=${1:-http://127.0.0.1:8080}
duration=${2:-20s}
here=$(dirname "$0")
page2=$(mktemp)
long_tail=$(mktemp)
trap 'rm -f "$page2" "$long_tail"' EXIT
awk -f "$here/long_tail.awk" >"$long_tail"
echo "# The second page (keyset cursor) of a few lists." >"$page2"
for query in "" "shop=bench_3&min_discount=20" "category=Mode&max_price=80" "q=aspirateur" "q=chausure+noir&max_price=200"; do
    next=$(curl -fsS "$base/api/deals?$query" | jq -r '.next // empty')
    [ -n "$next" ] || { echo "no second page for ?$query" >&2; exit 1; }
    echo "/?${query:+$query&}after=$next" >>"$page2"
done
echo "load: $(uptime)"
for scenario in home shop_discount category_price search_word search_typo search_filter page2 search_long_tail; do
    case $scenario in
        page2) paths=$page2 ;;
        search_long_tail) paths=$long_tail ;;
        *) paths=$here/$scenario.paths ;;
    esac
    # A short warm-up, so that the figures are those of a running server, not of its first requests (not for the
    # long tail: it would ask its first searches before they are measured).
    if [ "$scenario" != search_long_tail ]; then
        wrk -t2 -c10 -d3s -s "$here/rotate.lua" "$base" -- "$paths" >/dev/null
    fi
    line=$(wrk -t2 -c50 -d"$duration" --latency -s "$here/rotate.lua" "$base" -- "$paths" | grep '^SUMMARY')
    echo "$scenario ${line#SUMMARY }"
done
echo "load: $(uptime)"
