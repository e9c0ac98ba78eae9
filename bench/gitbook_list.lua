-- GET a GitBook space's users (a page of 20), with the bench fixtures' token.
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer gb_bench_token"
dofile("bench/report.lua")
