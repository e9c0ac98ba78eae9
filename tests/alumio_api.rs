#[path = "it/harness.rs"]
mod harness;
use harness::*;
use serde_json::json;

#[test]
fn probe() {
    let s = Server::bundled();
    let show = |name: &str, r: Reply| {
        println!("== {name}: {} {:?}\n{}\n", r.status, r.headers, r.text());
    };
    show("unknown space", s.post("/api/v1/spaces/unknown-space/assign_users").json(json!({"users":[{"email":"jane.doe@example.com","roles":["ROLE_USER"]}]})).send_unchecked());
    show("too many", s.post("/api/v1/space_workers/allocation").json(json!({"spaceWorkers":[{"spaceIdentifier":"default","workers":500}]})).send_unchecked());
    show("ct charset", s.post("/api/v1/space_workers/allocation").raw_body("application/json; charset=utf-8", b"{}").send_unchecked());
    show("no ct", s.post("/api/v1/space_workers/allocation").raw_body("", b"{}").send_unchecked());
    show("multiline", s.post("/api/v1/spaces/default/assign_users").raw_body("application/json", b"{\n  \"users\": [\n    {\"email\": }\n]}").send_unchecked());
    show("accept arize", s.post("/api/v1/space_workers/allocation").header("Accept","application/json, application/problem+json").json(json!({})).send_unchecked());
    show("Basic", s.post("/api/v1/space_workers/allocation").header("Authorization","Basic Zm9vOmJhcg==").json(json!({})).send_unchecked());
    show("dynamic", s.post("/api/v1/spaces/default/assign_users").header("Prefer","dynamic=true").json(json!({"users":[]})).send_unchecked());
    show("users empty", s.post("/api/v1/spaces/default/assign_users").json(json!({"users":[]})).send_unchecked());
    show("prefer 404 example", s.post("/api/v1/spaces/default/assign_users").header("Prefer","example=unknownSpace").json(json!({"users":[]})).send_unchecked());
    show("options", s.request("OPTIONS","/api/v1/spaces/default/assign_users").send_unchecked());
    show("404 outside", s.get("/nowhere").send_unchecked());
    show("null email", s.post("/api/v1/spaces/default/assign_users").json(json!({"users":[{"email":null,"roles":null}]})).send_unchecked());
    show("role int", s.post("/api/v1/spaces/default/assign_users").json(json!({"users":[{"email":"a@b.co","roles":[1]}]})).send_unchecked());
}
