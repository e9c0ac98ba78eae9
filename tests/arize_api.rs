#[path = "it/harness.rs"]
mod harness;
use harness::*;
use serde_json::json;

fn show(label: &str, r: Reply) {
    println!("== {label}: {} {:?}\n{}\n", r.status, r.headers, r.text());
}

#[test]
fn explore() {
    let s = Server::bundled();
    let p = "/v2/spaces/U3BhY2U6MTIzNDU=/users";
    let u = "VXNlcjoxMjM0NQ==";
    show("name 5", s.post(p).bearer("k").json(json!({"user_id":u,"role":{"type":"predefined","name":5}})).send_unchecked());
    show("id 5", s.post(p).bearer("k").json(json!({"user_id":u,"role":{"type":"custom","id":5}})).send_unchecked());
    show("upper", s.post(p).bearer("k").json(json!({"user_id":u,"role":{"type":"PREDEFINED","name":"READ_ONLY"}})).send_unchecked());
    show("several", s.post(p).bearer("k").json(json!({"user_id":5,"role":{"type":"predefined","name":"owner"}})).send_unchecked());
    show("401 first", s.post(p).raw_body("text/plain", b"x").send_unchecked());
    show("401 first malformed", s.post(p).raw_body("application/json", b"{").send_unchecked());
    show("problem accept only", s.post(p).bearer("k").header("Accept","application/problem+json").json(json!({"user_id":u,"role":{"type":"predefined","name":"member"}})).send_unchecked());
    show("charset", s.post(p).bearer("k").raw_body("application/json; charset=utf-8", br#"{"user_id":"VXNlcjoxMjM0NQ==","role":{"type":"predefined","name":"admin"}}"#).send_unchecked());
    show("no ct", s.post(p).bearer("k").header("X","y").raw_body("", b"{}").send_unchecked());
    show("empty bearer", s.post(p).header("Authorization","Bearer ").json(json!({})).send_unchecked());
    show("malformed multi", s.post(p).bearer("k").raw_body("application/json", b"{\n  \"user_id\": \"a\",\n  \"role\": }").send_unchecked());
    show("trailing", s.post(p).bearer("k").raw_body("application/json", b"{} x").send_unchecked());
    show("annot", s.post(p).bearer("k").json(json!({"user_id":u,"role":{"type":"predefined","name":"read-only"}})).send_unchecked());
    show("del no user", s.delete("/v2/spaces/U3BhY2U6MTIzNDU%3D/users/").bearer("k").send_unchecked());
    show("del body", s.delete("/v2/spaces/a/users/b").bearer("k").json(json!({"x":1})).send_unchecked());
    show("del encoded slash", s.delete("/v2/spaces/a%2Fb/users/b").bearer("k").send_unchecked());
    show("post query", s.post("/v2/spaces/a/users?foo=1").bearer("k").json(json!({"user_id":u,"role":{"type":"predefined","name":"member"}})).send_unchecked());
    show("prefer 422", s.post(p).bearer("k").header("Prefer","code=422").json(json!({"user_id":u,"role":{"type":"predefined","name":"member"}})).send_unchecked());
    show("head", s.request("HEAD", "/v2/nothing").send_unchecked());
    show("root v2", s.get("/v2").send_unchecked());
    show("options", s.request("OPTIONS", p).header("Origin","http://x").header("Access-Control-Request-Method","POST").send_unchecked());
}
