-- Shared by every scenario script (`dofile("bench/report.lua")`): when the run ends, one
-- line that bench/run reads. wrk counts answers of 400 and over (`errors.status`); bench/run
-- checks that count against the scenario's expected status class on every run.
--
-- With BENCH_EXPECT=STATUS (bench/run's short check run before each measured one) every
-- answer's exact status is compared too, and the first wrong one is printed with its body:
-- a `response` hook costs wrk time, so measured runs go without it.
local expect = tonumber(os.getenv("BENCH_EXPECT") or "")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

if expect then
  wrong, first_wrong = 0, ""
  function response(status, headers, body)
    if status ~= expect then
      if wrong == 0 then
        first_wrong = status .. " " .. string.sub(body or "", 1, 400)
      end
      wrong = wrong + 1
    end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d status_4xx_5xx=%d socket_errors=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
  if expect then
    local wrong_total, first = 0, ""
    for _, t in ipairs(threads) do
      local w = t:get("wrong") or 0
      if w > 0 and first == "" then first = t:get("first_wrong") end
      wrong_total = wrong_total + w
    end
    io.write(string.format("BENCH_CHECK expected=%d wrong=%d first_wrong=%s\n",
      expect, wrong_total, first))
  end
end
