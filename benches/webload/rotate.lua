-- wrk script: every request takes the next path of a scenario file (one path a line, `#` comments), so that a
-- scenario is several realistic URLs and no single cached answer flatters the figures. Each wrk thread starts at a
-- different line. At the end it prints one summary line:
--   wrk -t2 -c50 -d20s --latency -s benches/webload/rotate.lua http://127.0.0.1:8080 -- benches/webload/search_word.paths
local paths = {}
local next_index = 1
local thread_count = 0
local threads = {}

function setup(thread)
    thread_count = thread_count + 1
    thread:set("thread_number", thread_count)
    table.insert(threads, thread)
end

function init(args)
    local file = assert(io.open(args[1], "r"), "cannot read the scenario file " .. tostring(args[1]))
    for line in file:lines() do
        if line ~= "" and line:sub(1, 1) ~= "#" then
            table.insert(paths, line)
        end
    end
    file:close()
    assert(#paths > 0, "the scenario file has no path")
    next_index = ((thread_number or 1) - 1) % #paths + 1
    non_200 = 0
end

function request()
    local path = paths[next_index]
    next_index = next_index % #paths + 1
    return wrk.format("GET", path)
end

function response(status, headers, body)
    if status ~= 200 then
        non_200 = non_200 + 1
    end
end

function done(summary, latency, requests)
    local bad = 0
    for _, thread in ipairs(threads) do
        bad = bad + (thread:get("non_200") or 0)
    end
    local seconds = summary.duration / 1e6
    io.write(string.format(
        "SUMMARY requests=%d non_200=%d errors=%d p50_ms=%.1f p95_ms=%.1f p99_ms=%.1f max_ms=%.1f req_per_s=%.1f\n",
        summary.requests, bad,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout,
        latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
        latency.max / 1000, summary.requests / seconds))
end
