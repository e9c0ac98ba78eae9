//! How requests are routed, over HTTP: the `tests/docs/routing-*.yaml` documents, each with
//! the real-world shape it stands for. Which operation answered is read back from the
//! session's journal (`/__admin/requests`).
//!
//! - concrete paths before templated ones, backing out of a literal branch that dead-ends;
//! - literal text and parameters mixed within a segment, split as documented;
//! - paths differing only in parameter names: served with a warning, first declared answers;
//! - `x-` extension keys in `paths`;
//! - keys with a discriminator (`/#X-Amz-Target=…`, `/#Action=…`, `/{Bucket}?acl`), and
//!   `understudy check` reaching every one of those operations.

use std::collections::BTreeSet;
use std::time::Duration;

use understudy::contract::{self, CheckConfig};
use understudy::{Engine, EngineConfig, Source};

use crate::harness::*;

/// The status of an answer to `req`, and the operation the journal says answered it.
fn answered(server: &Server, req: Req<'_>) -> (u16, Option<String>) {
    let reply = req.send();
    let journal = server.get("/__admin/requests").send();
    journal.expect(200);
    let last = journal.json()["requests"]
        .as_array()
        .and_then(|r| r.last().cloned())
        .unwrap_or_default();
    let op = last["operationId"].as_str().map(str::to_owned);
    (reply.status, op)
}

fn found(op: &str) -> (u16, Option<String>) {
    (200, Some(op.to_owned()))
}

fn engine(doc: &str) -> Engine {
    Engine::load(&[Source::File(doc_path(doc))], EngineConfig::default())
        .unwrap_or_else(|e| panic!("{doc} loads: {e:?}"))
}

#[test]
fn concrete_paths_win_over_templated_ones_and_a_dead_end_backs_up_to_the_template() {
    let server = Server::docs(&["routing-concrete.yaml"]);
    let cases = [
        ("/books/lists/best-sellers/history.json", "history"),
        // `best-sellers` is a literal, but `x.json` is no child of it: back to `{date}`.
        ("/books/lists/best-sellers/x.json", "listByDate"),
        (
            "/books/lists/2024-01-31/hardcover-fiction.json",
            "listByDate",
        ),
        ("/books/lists/overview.json", "overview"),
        ("/books/lists/hardcover-fiction", "listCurrent"),
    ];
    for (path, op) in cases {
        assert_eq!(answered(&server, server.get(path)), found(op), "{path}");
    }
    server.get("/books/lists/a/b/c").send().expect(404);
}

#[test]
fn literal_text_and_parameters_mix_within_a_segment() {
    let server = Server::docs(&["routing-compound.yaml"]);
    let cases = [
        ("GET", "/mix/lists/hardcover-fiction.json", 200, "listJson"),
        ("GET", "/mix/api/v2/status", 200, "versioned"),
        // `v` then the integer: `vx` is a string, refused by the parameter's schema.
        ("GET", "/mix/api/vx/status", 400, "versioned"),
        // Each parameter from the left takes as much as it can: `2024-01-31` and `abc`.
        ("GET", "/mix/range/2024-01-31-abc", 200, "range"),
        ("GET", "/mix/v1/operations/op1", 200, "getOperation"),
        (
            "POST",
            "/mix/v1/operations/op1:cancel",
            200,
            "cancelOperation",
        ),
        (
            "POST",
            "/mix/v1/operations/op1:undelete",
            200,
            "undeleteOperation",
        ),
        // `cancel`'s name must be alphanumeric: the value is `op-1`, not `op-1:cancel`.
        (
            "POST",
            "/mix/v1/operations/op-1:cancel",
            400,
            "cancelOperation",
        ),
        // `report.v2` and `json`: the format is the text after the last dot.
        ("GET", "/mix/files/report.v2.json", 200, "fileAs"),
        ("GET", "/mix/files/report.v2.csv", 400, "fileAs"),
    ];
    for (method, path, status, op) in cases {
        assert_eq!(
            answered(&server, server.request(method, path)),
            (status, Some(op.to_owned())),
            "{method} {path}"
        );
    }
    // Every parameter takes at least a character.
    for path in ["/mix/range/-abc", "/mix/files/.json", "/mix/api/v/status"] {
        server.get(path).send().expect(404);
    }
}

#[test]
fn paths_differing_only_in_parameter_names_load_with_a_warning_and_the_first_answers() {
    let e = engine("routing-same-shape.yaml");
    let warnings = &e.apis()[0].warnings;
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("`/v2/{name}`") && w.contains("`/v2/{parent}`")),
        "{warnings:#?}"
    );
    let ids: Vec<&str> = e.apis()[0].operations.iter().map(|o| &*o.id).collect();
    assert_eq!(ids, ["getByName", "replaceByName", "createUnderParent"]);

    let server = Server::docs(&["routing-same-shape.yaml"]);
    // GET is declared by both: `/v2/{name}` comes first, and its `name` must start with `n`.
    assert_eq!(
        answered(&server, server.get("/iam/v2/n1")),
        found("getByName")
    );
    assert_eq!(
        answered(&server, server.get("/iam/v2/p1")),
        (400, Some("getByName".to_owned()))
    );
    // POST only by `/v2/{parent}`: its own operation, its own parameter name and schema.
    assert_eq!(
        answered(&server, server.post("/iam/v2/p1")),
        (201, Some("createUnderParent".to_owned()))
    );
    assert_eq!(
        answered(&server, server.post("/iam/v2/n1")),
        (400, Some("createUnderParent".to_owned()))
    );
    assert_eq!(
        answered(&server, server.request("PUT", "/iam/v2/n1")),
        (200, Some("replaceByName".to_owned()))
    );
    let reply = server.patch("/iam/v2/n1").send();
    reply.expect(405);
    assert_eq!(reply.header("allow"), Some("GET, PUT, POST, HEAD, OPTIONS"));
}

#[test]
fn extension_keys_in_paths_are_no_paths() {
    let e = engine("routing-extensions.yaml");
    assert_eq!(e.apis()[0].operations.len(), 1);
    // Apicurio's own: a string.
    let text = std::fs::read_to_string(doc_path("routing-extensions.yaml"))
        .expect("the document reads")
        .replace("{root: /apis/registry/v2}", "/apis/registry/v2");
    let source = Source::Text {
        name: "apicurio".to_owned(),
        text,
    };
    let e = Engine::load(&[source], EngineConfig::default()).expect("a string extension loads");
    assert_eq!(e.apis()[0].operations.len(), 1);
    let server = Server::docs(&["routing-extensions.yaml"]);
    assert_eq!(
        answered(&server, server.get("/registry/groups")),
        found("listGroups")
    );
}

#[test]
fn a_header_discriminator_picks_the_operation_among_those_on_one_path() {
    let server = Server::docs(&["routing-discriminators.yaml"]);
    let target = |value: &str| {
        server
            .post("/aws/")
            .header("X-Amz-Target", value)
            .json(serde_json::json!({"Key": "k", "Item": {}}))
    };
    assert_eq!(
        answered(&server, target("Store_2012.GetItem")),
        found("GetItem")
    );
    assert_eq!(
        answered(&server, target("Store_2012.PutItem")),
        found("PutItem")
    );
    // The operation's own body schema applies once it is picked.
    let bad = server
        .post("/aws/")
        .header("X-Amz-Target", "Store_2012.PutItem")
        .json(serde_json::json!({"Key": "k"}));
    assert_eq!(answered(&server, bad), (400, Some("PutItem".to_owned())));
    // A path and method that exist, but no operation the header names: 404, in the API's
    // error format.
    for reply in [
        target("Store_2012.DeleteItem").send(),
        server.post("/aws/").json(serde_json::json!({})).send(),
    ] {
        reply.expect(404);
        assert!(
            reply
                .header("content-type")
                .is_some_and(|c| c.contains("json"))
        );
    }
    // A method no operation of the path has: 405, with what is allowed.
    let reply = server.request("PUT", "/aws/").send();
    reply.expect(405);
    assert_eq!(reply.header("allow"), Some("POST, GET, HEAD, OPTIONS"));
}

#[test]
fn query_discriminators_pick_the_operation_by_values_or_names_present() {
    let server = Server::docs(&["routing-discriminators.yaml"]);
    let cases = [
        (
            "GET",
            "/aws/?Action=DescribeThings&Version=2016-11-15",
            200,
            "DescribeThings",
        ),
        (
            "GET",
            "/aws/?Version=2016-11-15&Action=DescribeThings&MaxResults=5",
            200,
            "DescribeThings",
        ),
        // Picked, then validated: `MaxResults` is at most 100.
        (
            "GET",
            "/aws/?Action=DescribeThings&Version=2016-11-15&MaxResults=500",
            400,
            "DescribeThings",
        ),
        (
            "GET",
            "/aws/?Action=RunThings&Version=2016-11-15",
            200,
            "RunThings",
        ),
        // S3: a name present, with or without a value; the key without is the fallback.
        ("GET", "/aws/bucket?acl", 200, "GetBucketAcl"),
        ("GET", "/aws/bucket?acl=&x=1", 200, "GetBucketAcl"),
        ("GET", "/aws/bucket", 200, "ListObjects"),
        ("GET", "/aws/bucket?prefix=a", 200, "ListObjects"),
        (
            "POST",
            "/aws/bucket/key?uploads",
            200,
            "CreateMultipartUpload",
        ),
        (
            "DELETE",
            "/aws/bucket/key?uploadId=abc",
            204,
            "AbortMultipartUpload",
        ),
        // `uploadId` is a query parameter of its own: validated as such.
        (
            "DELETE",
            "/aws/bucket/key?uploadId=a",
            400,
            "AbortMultipartUpload",
        ),
        // `?lat={lat}&lon={lon}` with both declared as path parameters: read from the query.
        ("GET", "/aws/alerts?lat=51.5&lon=-0.1", 200, "alerts"),
        ("GET", "/aws/alerts?lat=north&lon=-0.1", 400, "alerts"),
    ];
    for (method, path, status, op) in cases {
        assert_eq!(
            answered(&server, server.request(method, path)),
            (status, Some(op.to_owned())),
            "{method} {path}"
        );
    }
    for (method, path, status) in [
        ("GET", "/aws/?Action=Nothing&Version=2016-11-15", 404),
        ("GET", "/aws/?Action=RunThings&Version=2020-01-01", 404),
        ("GET", "/aws/", 404),
        ("POST", "/aws/bucket/key", 404),
        ("DELETE", "/aws/bucket/key", 404),
        ("GET", "/aws/alerts?lat=1", 404),
        ("PATCH", "/aws/bucket/key?uploads", 405),
    ] {
        server.request(method, path).send().expect(status);
    }
}

#[test]
fn routes_lists_keys_with_discriminators_as_written() {
    let e = engine("routing-discriminators.yaml");
    let routes: Vec<&str> = e.apis()[0]
        .operations
        .iter()
        .map(|o| o.route.as_str())
        .collect();
    for key in [
        "/aws/#X-Amz-Target=Store_2012.GetItem",
        "/aws/?Action=RunThings&Version=2016-11-15",
        "/aws/{Bucket}?acl",
        "/aws/alerts?lat={lat}&lon={lon}",
    ] {
        assert!(routes.contains(&key), "{key} in {routes:?}");
    }
}

#[test]
fn check_reaches_every_operation_behind_a_discriminator_and_passes() {
    let server = Server::docs(&["routing-discriminators.yaml"]);
    let e = engine("routing-discriminators.yaml");
    let config = CheckConfig {
        base_url: format!("http://{}", server.addr),
        cases: 3,
        seed: 7,
        max_time: Some(Duration::from_secs(60)),
        max_shrink: 40,
        ..CheckConfig::default()
    };
    let outcome = contract::run(&e, &config).expect("the server is reachable");
    assert!(outcome.report.passed(), "{}", outcome.report.text());
    let reached: BTreeSet<&str> = outcome
        .report
        .exchanges
        .iter()
        .filter_map(|x| x.operation.as_deref())
        .collect();
    let all: BTreeSet<&str> = e.apis()[0].operations.iter().map(|o| &*o.id).collect();
    assert_eq!(reached, all);
}
