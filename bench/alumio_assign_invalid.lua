-- POST Alumio's assign_users with a body that breaks the schema twice (an email that is not
-- one, a role outside the enum): 400 with both violations rendered in Alumio's format.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"users": [{"email": "nope", "roles": ["ROLE_X"]}]}'
dofile("bench/report.lua")
