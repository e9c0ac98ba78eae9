-- POST Arize's add user as the space admin Ada: the role's discriminator picks the
-- predefined variant; the membership is an upsert (200 every time).
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer arize-key"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"user_id": "VXNlcjoxMjM0NQ==", "role": {"type": "predefined", "name": "member"}}'
dofile("bench/report.lua")
