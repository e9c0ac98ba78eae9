-- The soak's load: every request of a mix in turn (BENCH_MIX names it: `bundled` or `github`),
-- each thread cycling through them. Only the mixes' invalid requests answer 4xx.
local mixes = {
  bundled = {
    {"GET", "/v1/spaces/sPaCe4Docs01/permissions/users",
     {Authorization = "Bearer gb_api_jAnEdOe0aDm1nAcMe0t0kEn"}},
    {"POST", "/v1/spaces/sPaCeNotes03/permissions",
     {Authorization = "Bearer gb_api_jAnEdOe0aDm1nAcMe0t0kEn", ["Content-Type"] = "application/json"},
     '{"role": "edit", "users": ["Q2Fyb2xMZWU"]}'},
    {"POST", "/api/v1/spaces/default/assign_users", {["Content-Type"] = "application/json"},
     '{"users": [{"email": "nope", "roles": ["ROLE_X"]}]}', invalid = true},
    {"POST", "/v2/spaces/U3BhY2U6MTIzNDU%3D/users",
     {Authorization = "Bearer arize-key", ["Content-Type"] = "application/json"},
     '{"user_id": "VXNlcjoxMjM0NQ==", "role": {"type": "predefined", "name": "member"}}'},
  },
  github = {
    {"GET", "/users/octocat", {}},
    {"GET", "/repos/octocat/hello-world/pulls?state=open&per_page=50", {}},
    {"GET", "/repos/octocat/hello-world/compare/main...feature", {}},
    -- A create would be kept (a created issue holds about 20 kB): the soak looks for leaks,
    -- so its write is a body the schema rejects (no title), through validation and GitHub's
    -- error format.
    {"POST", "/repos/octocat/hello-world/issues", {["Content-Type"] = "application/json"},
     '{"body": "It breaks.", "labels": ["bug"]}', invalid = true},
    {"GET", "/repos/octocat/hello-world/issues?per_page=lots", {}, invalid = true},
  },
}

local mix = mixes[os.getenv("BENCH_MIX") or "bundled"]
local requests = {}
-- Built in `init`, when wrk has set the `Host` header from the URL: a request made from a
-- headers table of its own carries no other, and HTTP/1.1 without `Host` is a 400.
function init(args)
  for i, r in ipairs(mix) do
    local headers = {Host = wrk.headers["Host"]}
    for name, value in pairs(r[3]) do headers[name] = value end
    requests[i] = wrk.format(r[1], r[2], headers, r[4])
  end
end
local invalid = 0
for _, r in ipairs(mix) do
  if r.invalid then invalid = invalid + 1 end
end
local next_one = 0

function request()
  next_one = next_one % #requests + 1
  return requests[next_one]
end

dofile("bench/report.lua")
-- The share of answers expected to be 4xx, for bench/run's check.
local report = done
function done(summary, latency, requests)
  io.write(string.format("BENCH_MIX invalid_share=%.4f\n", invalid / #mix))
  report(summary, latency, requests)
end
