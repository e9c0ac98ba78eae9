-- POST GitBook's invite with a valid body: an upsert of a member into sPaCeBench03 (204).
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer gb_bench_token"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"role": "edit", "users": ["uBench1"]}'
dofile("bench/report.lua")
