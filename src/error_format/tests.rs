//! The error formats of real APIs (Alumio, GitBook, Arize, FastAPI, google.rpc, JSON:API,
//! Spring, OAuth) compiled and rendered, each body validated against its schema.

use serde_json::{Value, json};

use crate::document::refs::Resources;
use crate::schema::violation::{ErrorFacts, Location, Segment, Violation, segments_from_pointer};

use super::compile::MAX_FILL;
use super::plan::{pointer, uri_reference};
use super::scalar::{Kind, Scalar};
use super::shape::{ErrorShape, problem_json};
use super::status::{status_candidates, status_candidates_lazily};

const URI: &str = "https://understudy.test/openapi.json";

fn doc(schemas: Value) -> Value {
    json!({"openapi": "3.1.0", "components": {"schemas": schemas}})
}

fn compile(doc: &Value, pointer: &str, example: Option<&Value>) -> Result<ErrorShape, String> {
    let resources = Resources::new(URI, doc.clone());
    let schema = resources.resolve(URI, &format!("#{pointer}")).unwrap();
    ErrorShape::compile(&resources, schema, example)
}

/// Fails the test unless `body` validates against the schema at `pointer` in `doc`.
fn assert_fits(doc: &Value, pointer: &str, body: &Value) {
    let draft = jsonschema::Draft::Draft202012;
    let registry = jsonschema::Registry::new()
        .draft(draft)
        .add(URI, doc)
        .unwrap()
        .prepare()
        .unwrap();
    let validator = jsonschema::options()
        .with_draft(draft)
        .with_registry(&registry)
        .build(&json!({"$ref": format!("{URI}#{pointer}")}))
        .unwrap();
    let errors: Vec<String> = validator.iter_errors(body).map(|e| e.to_string()).collect();
    assert!(
        errors.is_empty(),
        "{body:#}\ndoes not fit {pointer}: {errors:#?}"
    );
}

/// Compiles, renders and validates; returns the body.
fn render(doc: &Value, pointer: &str, example: Option<&Value>, facts: &ErrorFacts) -> Value {
    let shape = compile(doc, pointer, example).unwrap();
    let body = shape.render(facts);
    assert_fits(doc, pointer, &body);
    // What goes on the wire is that body exactly: well-formed, each member once, in the
    // plan's order, written as serde_json writes it.
    let written = String::from_utf8(shape.write(facts)).unwrap();
    assert_eq!(written, serde_json::to_string(&body).unwrap());
    body
}

fn email_violation() -> Violation {
    Violation::new(
        Location::Body(segments_from_pointer("/users/0/email")),
        "format",
        "This value is not a valid email address.",
    )
}

fn limit_violation() -> Violation {
    Violation::new(
        Location::Query("limit".into(), vec![]),
        "maximum",
        "must be at most 100",
    )
}

fn invalid_body() -> ErrorFacts {
    ErrorFacts::new(400, "Validation failed", "The request body is invalid.")
        .with_violations(vec![email_violation()])
}

fn not_found() -> ErrorFacts {
    ErrorFacts::new(404, "Not Found", "No user found with the given ID")
        .with_instance("/v2/spaces/U3BhY2U6MTIzNDU%3D/users")
}

fn alumio() -> Value {
    doc(json!({"Error": {
        "type": "object",
        "properties": {
            "status": {"type": "string"},
            "context": {"type": "object"},
            "type": {"type": "string"},
            "title": {"type": "string"},
            "detail": {"type": "string"},
            "violations": {"type": "array", "items": {
                "type": "object",
                "properties": {
                    "title": {"type": "string"},
                    "propertyPath": {"type": "string"},
                    "type": {"type": "string"}
                }
            }}
        }
    }}))
}

fn gitbook() -> Value {
    json!({
        "openapi": "3.0.3",
        "components": {
            "schemas": {"Error": {
                "type": "object",
                "required": ["error"],
                "properties": {"error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "integer", "format": "int32"},
                        "message": {"type": "string"}
                    }
                }}
            }},
            "responses": {"NotFoundError": {
                "description": "Not Found",
                "content": {"application/json": {"schema": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {
                        "type": "object",
                        "properties": {
                            "code": {"type": "integer", "format": "int32", "enum": [404]},
                            "message": {"type": "string"}
                        },
                        "required": ["code", "message"]
                    }}
                }}}
            }}
        }
    })
}

const GITBOOK_NOT_FOUND: &str =
    "/components/responses/NotFoundError/content/application~1json/schema";

fn arize() -> Value {
    doc(json!({"Problem": {
        "type": "object",
        "required": ["title", "status"],
        "properties": {
            "type": {"type": "string", "format": "uri-reference"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "instance": {"type": "string", "format": "uri-reference"}
        }
    }}))
}

#[test]
fn alumio_errors_carry_a_string_status_and_one_violation_per_property_path() {
    let doc = alumio();
    let facts = invalid_body();
    let body = render(&doc, "/components/schemas/Error", None, &facts);
    assert_eq!(body["status"], json!("400"));
    assert_eq!(body["title"], json!(facts.title));
    assert_eq!(body["detail"], json!(facts.detail));
    assert_eq!(body["type"], json!("about:blank"));
    assert_eq!(body["context"], json!({}));
    assert_eq!(
        body["violations"],
        json!([{
            "title": "This value is not a valid email address.",
            "propertyPath": "users[0].email",
            "type": "urn:understudy:violation:format"
        }])
    );
}

#[test]
fn alumio_errors_without_violations_leave_the_list_out() {
    let doc = alumio();
    let facts = ErrorFacts::new(404, "Not Found", "No space `nope`.");
    let body = render(&doc, "/components/schemas/Error", None, &facts);
    assert_eq!(body["status"], json!("404"));
    assert_eq!(body["detail"], json!("No space `nope`."));
    assert!(body.get("violations").is_none(), "{body}");
}

#[test]
fn gitbook_errors_nest_an_integer_code_and_a_message_with_the_violations_folded_in() {
    let doc = gitbook();
    let facts = invalid_body();
    let body = render(&doc, "/components/schemas/Error", None, &facts);
    assert_eq!(
        body,
        json!({"error": {
            "code": 400,
            "message": "The request body is invalid. \
                (users[0].email: This value is not a valid email address.)"
        }})
    );
}

#[test]
fn gitbook_not_found_errors_hold_only_their_pinned_code() {
    let doc = gitbook();
    let facts = not_found();
    let shape = compile(&doc, GITBOOK_NOT_FOUND, None).unwrap();
    assert!(shape.holds_status(404));
    assert!(!shape.holds_status(400));
    let body = render(&doc, GITBOOK_NOT_FOUND, None, &facts);
    assert_eq!(
        body,
        json!({"error": {"code": 404, "message": "No user found with the given ID"}})
    );
    // A status the schema cannot say still renders a valid body, with the pinned code.
    let body = render(&doc, GITBOOK_NOT_FOUND, None, &invalid_body());
    assert_eq!(body["error"]["code"], json!(404));
}

#[test]
fn an_instance_is_a_uri_reference_even_when_the_path_sent_is_not_one() {
    // Found by tests/it/raw_fuzz.rs: `/v2/spac%es/...` made Arize's 404 break its schema.
    assert_eq!(uri_reference("/v2/spac%es/a%3D"), "/v2/spac%25es/a%3D");
    assert_eq!(uri_reference("/a\"{|}^`%"), "/a%22%7B%7C%7D%5E%60%25");
    assert_eq!(
        uri_reference("/v1/x?limit=1&a=b:c@d"),
        "/v1/x?limit=1&a=b:c@d"
    );
    let mut facts = not_found();
    facts.instance = Some("/v2/spac%es/aa/users".into());
    let body = render(&arize(), "/components/schemas/Problem", None, &facts);
    assert_eq!(body["instance"], json!("/v2/spac%25es/aa/users"));
}

#[test]
fn arize_problems_take_their_type_from_the_example_and_their_instance_from_the_request() {
    let doc = arize();
    let example = json!({
        "type": "https://arize.com/docs/api#resource-not-found",
        "title": "Not Found",
        "status": 404,
        "detail": "Space not found",
        "instance": "/v2/spaces/abc/users"
    });
    let facts = not_found();
    let body = render(&doc, "/components/schemas/Problem", Some(&example), &facts);
    assert_eq!(
        body,
        json!({
            "type": "https://arize.com/docs/api#resource-not-found",
            "title": "Not Found",
            "status": 404,
            "detail": "No user found with the given ID",
            "instance": "/v2/spaces/U3BhY2U6MTIzNDU%3D/users"
        })
    );
}

#[test]
fn arize_problems_without_an_example_are_about_blank_and_omit_an_unknown_instance() {
    let doc = arize();
    let example = json!({"type": "https://arize.com/docs/api#invalid-request"});
    let facts = invalid_body();
    let body = render(&doc, "/components/schemas/Problem", Some(&example), &facts);
    assert_eq!(
        body["type"],
        json!("https://arize.com/docs/api#invalid-request")
    );
    assert_eq!(body["status"], json!(400));
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("users[0].email: This value is not a valid email address.")
    );
    let body = render(&doc, "/components/schemas/Problem", None, &facts);
    assert_eq!(body["type"], json!("about:blank"));
    assert!(body.get("instance").is_none(), "{body}");
}

fn fastapi() -> Value {
    doc(json!({
        "HTTPValidationError": {
            "title": "HTTPValidationError",
            "type": "object",
            "properties": {"detail": {
                "title": "Detail",
                "type": "array",
                "items": {"$ref": "#/components/schemas/ValidationError"}
            }}
        },
        "ValidationError": {
            "title": "ValidationError",
            "type": "object",
            "required": ["loc", "msg", "type"],
            "properties": {
                "loc": {"title": "Location", "type": "array",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                "msg": {"title": "Message", "type": "string"},
                "type": {"title": "Error Type", "type": "string"}
            }
        }
    }))
}

#[test]
fn fastapi_validation_errors_split_the_location_into_segments() {
    let doc = fastapi();
    let facts = ErrorFacts::new(422, "Unprocessable Content", "The request is invalid.")
        .with_violations(vec![email_violation(), limit_violation()]);
    let body = render(
        &doc,
        "/components/schemas/HTTPValidationError",
        None,
        &facts,
    );
    assert_eq!(
        body,
        json!({"detail": [
            {"loc": ["body", "users", 0, "email"],
             "msg": "This value is not a valid email address.",
             "type": "urn:understudy:violation:format"},
            {"loc": ["query", "limit"],
             "msg": "must be at most 100",
             "type": "urn:understudy:violation:maximum"}
        ]})
    );
}

#[test]
fn a_list_that_is_the_only_place_for_the_facts_carries_them_when_nothing_was_violated() {
    let doc = fastapi();
    let facts = not_found();
    let body = render(
        &doc,
        "/components/schemas/HTTPValidationError",
        None,
        &facts,
    );
    assert_eq!(
        body,
        json!({"detail": [{
            "loc": [],
            "msg": "No user found with the given ID",
            "type": "urn:understudy:violation:not_found"
        }]})
    );
}

#[test]
fn google_style_errors_name_the_status_by_its_canonical_code() {
    let doc = doc(json!({"Status": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object",
            "required": ["code", "message", "status"],
            "properties": {
                "code": {"type": "integer", "format": "int32"},
                "message": {"type": "string"},
                "details": {"type": "array", "items": {
                    "type": "object",
                    "required": ["@type"],
                    "properties": {"@type": {"type": "string"}}
                }},
                "status": {"type": "string", "enum": [
                    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
                    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "UNAUTHENTICATED",
                    "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
                    "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS"
                ]}
            }
        }}
    }}));
    let pointer = "/components/schemas/Status";
    let facts = not_found();
    let body = render(&doc, pointer, None, &facts);
    assert_eq!(
        body,
        json!({"error": {
            "code": 404,
            "message": "No user found with the given ID",
            "status": "NOT_FOUND"
        }})
    );
    // `details` items have no place for a violation: the message carries them.
    let body = render(&doc, pointer, None, &invalid_body());
    assert_eq!(body["error"]["code"], json!(400));
    assert_eq!(body["error"]["status"], json!("INVALID_ARGUMENT"));
    assert!(body["error"].get("details").is_none(), "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .ends_with("(users[0].email: This value is not a valid email address.)")
    );
    let shape = compile(&doc, pointer, None).unwrap();
    assert!(shape.holds_status(429));
    assert!(!shape.holds_status(418));
}

fn json_api() -> Value {
    doc(json!({"Errors": {
        "type": "object",
        "required": ["errors"],
        "properties": {"errors": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "status": {"type": "string"},
                    "title": {"type": "string"},
                    "detail": {"type": "string"},
                    "source": {
                        "type": "object",
                        "properties": {
                            "pointer": {"type": "string"},
                            "parameter": {"type": "string"}
                        }
                    }
                }
            }
        }}
    }}))
}

#[test]
fn json_api_errors_point_at_the_body_and_name_the_parameter() {
    let doc = json_api();
    let facts = ErrorFacts::new(422, "Invalid Attribute", "The request is invalid.")
        .with_violations(vec![email_violation(), limit_violation()]);
    let body = render(&doc, "/components/schemas/Errors", None, &facts);
    assert_eq!(
        body,
        json!({"errors": [
            {"status": "422", "title": "Invalid Attribute",
             "detail": "This value is not a valid email address.",
             "source": {"pointer": "/users/0/email"}},
            {"status": "422", "title": "Invalid Attribute",
             "detail": "must be at most 100",
             "source": {"parameter": "limit"}}
        ]})
    );
}

#[test]
fn json_api_errors_without_violations_hold_one_error_with_the_facts() {
    let doc = json_api();
    let facts = not_found();
    let body = render(&doc, "/components/schemas/Errors", None, &facts);
    assert_eq!(
        body,
        json!({"errors": [{
            "status": "404",
            "title": "Not Found",
            "detail": "No user found with the given ID",
            "source": {}
        }]})
    );
}

#[test]
fn unusual_required_members_get_the_example_or_a_minimal_valid_value() {
    let doc = doc(json!({"Error": {
        "type": "object",
        "required": ["statusCode", "message", "tenant", "retryable", "attempts", "tags",
                     "timestamp", "requestId", "docs"],
        "properties": {
            "statusCode": {"type": "string", "pattern": "^[0-9]{3}$"},
            "message": {"type": "string", "maxLength": 20},
            "tenant": {"type": "string", "minLength": 3},
            "retryable": {"type": "boolean"},
            "attempts": {"type": "integer", "minimum": 1, "maximum": 5},
            "tags": {"type": "array", "minItems": 2,
                     "items": {"type": "string", "enum": ["a", "b"]}},
            "timestamp": {"type": "string", "format": "date-time"},
            "requestId": {"type": "string", "format": "uuid"},
            "docs": {"type": "object", "required": ["url"],
                     "properties": {"url": {"type": "string", "format": "uri"}}},
            "hint": {"type": "string"}
        }
    }}));
    let example = json!({"tenant": "acme", "hint": "left out: optional and unknown"});
    let facts = not_found();
    let body = render(&doc, "/components/schemas/Error", Some(&example), &facts);
    assert_eq!(
        body,
        json!({
            "statusCode": "404",
            "message": "No user found with t",
            "tenant": "acme",
            "retryable": false,
            "attempts": 1,
            "tags": ["a", "a"],
            "timestamp": "1970-01-01T00:00:00Z",
            "requestId": "00000000-0000-0000-0000-000000000000",
            "docs": {"url": "about:blank"}
        })
    );
    // Without the example, the tenant is padded to its minimum length.
    let body = render(&doc, "/components/schemas/Error", None, &facts);
    assert_eq!(body["tenant"], json!("xxx"));
}

#[test]
fn all_of_branches_and_ref_siblings_are_merged_and_the_first_fillable_one_of_is_chosen() {
    let mut resources = Resources::new(
        URI,
        doc(json!({
            "Base": {"type": "object", "required": ["status"],
                     "properties": {"status": {"type": ["integer", "null"]}}},
            "Error": {
                "description": "a $ref with siblings",
                "$ref": "#/components/schemas/Base",
                "allOf": [{"$ref": "common.json#/Message"}],
                "oneOf": [
                    {"type": "object", "required": ["id"],
                     "properties": {"id": {"type": "string"}}},
                    {"type": "object", "properties": {"fieldErrors": {
                        "type": "array",
                        "items": {"type": "object", "properties": {
                            "field": {"type": "string"},
                            "location": {"type": "string"},
                            "code": {"type": "string"},
                            "message": {"type": "string"}
                        }}
                    }}}
                ]
            }
        })),
    );
    let common = "https://understudy.test/common.json";
    resources.insert(
        common,
        json!({"Message": {"properties": {"message": {"type": "string"}},
                           "required": ["message"]}}),
    );
    let schema = resources
        .resolve(URI, "#/components/schemas/Error")
        .unwrap();
    let shape = ErrorShape::compile(&resources, schema, None).unwrap();
    let facts = ErrorFacts::new(400, "Bad Request", "Invalid query.")
        .with_violations(vec![limit_violation()]);
    let body = shape.render(&facts);
    assert_eq!(
        body,
        json!({
            "status": 400,
            "message": "Invalid query.",
            "fieldErrors": [{
                "field": "query.limit",
                "location": "query",
                "code": "maximum",
                "message": "must be at most 100"
            }]
        })
    );
    // Validated against the two files as a registry would hold them.
    let draft = jsonschema::Draft::Draft202012;
    let root = resources.root().clone();
    let registry = jsonschema::Registry::new()
        .draft(draft)
        .add(URI, &root)
        .unwrap()
        .add(common, resources.file(common).unwrap())
        .unwrap()
        .prepare()
        .unwrap();
    let validator = jsonschema::options()
        .with_draft(draft)
        .with_registry(&registry)
        .build(&json!({"$ref": format!("{URI}#/components/schemas/Error")}))
        .unwrap();
    assert!(validator.is_valid(&body), "{body}");
}

#[test]
fn spring_style_errors_get_the_request_path_and_a_constant_timestamp() {
    let doc = doc(json!({"Error": {
        "type": "object",
        "required": ["timestamp", "status", "error", "message", "path"],
        "properties": {
            "timestamp": {"type": "string", "format": "date-time"},
            "status": {"type": "integer", "format": "int32"},
            "error": {"type": "string"},
            "message": {"type": "string"},
            "path": {"type": "string"}
        }
    }}));
    let facts = not_found();
    let body = render(&doc, "/components/schemas/Error", None, &facts);
    assert_eq!(
        body,
        json!({
            "timestamp": "1970-01-01T00:00:00Z",
            "status": 404,
            "error": "Not Found",
            "message": "No user found with the given ID",
            "path": "/v2/spaces/U3BhY2U6MTIzNDU%3D/users"
        })
    );
    // Without a request path, the required member still validates.
    let facts = ErrorFacts::new(500, "Internal Server Error", "boom");
    let body = render(&doc, "/components/schemas/Error", None, &facts);
    assert_eq!(body["path"], json!(""));
}

#[test]
fn string_items_and_enum_titles_take_the_facts_in_the_schema_s_spelling() {
    let doc = doc(json!({"OAuthError": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string", "enum": ["invalid_request", "not_found"]},
            "error_description": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "string"}}
        }
    }}));
    let facts = ErrorFacts::new(400, "Invalid Request", "Bad query.")
        .with_violations(vec![limit_violation()]);
    let body = render(&doc, "/components/schemas/OAuthError", None, &facts);
    assert_eq!(
        body,
        json!({
            "error": "invalid_request",
            "error_description": "Bad query.",
            "errors": ["query.limit: must be at most 100"]
        })
    );
}

#[test]
fn schemas_that_cannot_hold_an_error_do_not_compile() {
    let doc = doc(json!({
        "Text": {"type": "string"},
        "List": {"type": "array", "items": {"type": "string"}},
        "Opaque": {"type": "object", "properties": {"id": {"type": "string"}}},
        "Nothing": false,
        "Loop": {"$ref": "#/components/schemas/Loop"}
    }));
    for name in ["Text", "List", "Opaque", "Nothing", "Loop"] {
        let pointer = format!("/components/schemas/{name}");
        let err = compile(&doc, &pointer, None).unwrap_err();
        assert!(!err.is_empty(), "{name}");
    }
    let err = compile(&doc, "/components/schemas/Text", None).unwrap_err();
    assert!(err.contains("string"), "{err}");
}

#[test]
fn problem_json_follows_rfc_9457_with_violations_as_an_extension() {
    let facts = invalid_body().with_instance("/api/v1/spaces/x/assign_users");
    assert_eq!(
        problem_json(&facts),
        json!({
            "type": "about:blank",
            "title": "Validation failed",
            "status": 400,
            "detail": "The request body is invalid. (users[0].email: This value is not a valid email address.)",
            "instance": "/api/v1/spaces/x/assign_users",
            "violations": [{
                "path": "users[0].email",
                "message": "This value is not a valid email address.",
                "type": "urn:understudy:violation:format"
            }]
        })
    );
    let plain = problem_json(&ErrorFacts::new(405, "Method Not Allowed", "Use GET."));
    assert_eq!(
        plain,
        json!({"type": "about:blank", "title": "Method Not Allowed", "status": 405,
               "detail": "Use GET."})
    );
}

#[test]
fn problem_json_fits_the_arize_problem_schema() {
    let doc = arize();
    assert_fits(
        &doc,
        "/components/schemas/Problem",
        &problem_json(&not_found()),
    );
}

#[test]
fn direct_writes_match_fitting_a_value() {
    let string = |f: fn(&mut Scalar)| {
        let mut s = Scalar {
            kinds: vec![Kind::String],
            fallback: json!("x"),
            ..Scalar::default()
        };
        f(&mut s);
        s
    };
    let scalars = [
        Scalar::default(),
        string(|_| {}),
        string(|s| s.max_length = Some(3)),
        string(|s| s.min_length = Some(20)),
        string(|s| s.allowed = Some(vec![json!("400"), json!("urn:understudy:violation:format")])),
        string(|s| s.kinds.push(Kind::Integer)),
        Scalar {
            kinds: vec![Kind::Integer],
            fallback: json!(0),
            ..Scalar::default()
        },
        Scalar {
            alternatives: vec![string(|s| s.max_length = Some(4)), Scalar::default()],
            fallback: json!("y"),
            ..Scalar::default()
        },
    ];
    for (i, s) in scalars.iter().enumerate() {
        for text in [
            "users[0].email",
            "urn:understudy:violation:format",
            "400",
            "",
            "é\"\n",
        ] {
            let mut direct = Vec::new();
            s.write_fit_text(text, &mut direct);
            let fitted = serde_json::to_vec(&s.fit(&[json!(text)])).unwrap();
            assert_eq!(direct, fitted, "scalar {i}, {text:?}");
        }
        for status in [0, 7, 99, 200, 400, 404, 422, 500, 65535] {
            let mut direct = Vec::new();
            if !s.write_status_digits(status, &mut direct) {
                continue;
            }
            let fitted = status_candidates_lazily(status)
                .find_map(|c| s.fits_one(&c))
                .unwrap_or_else(|| s.fit(&status_candidates(status)));
            assert_eq!(
                direct,
                serde_json::to_vec(&fitted).unwrap(),
                "scalar {i}, {status}"
            );
        }
    }
    // The digits are written for a string member that takes them.
    let mut out = Vec::new();
    assert!(scalars[1].write_status_digits(404, &mut out));
    assert_eq!(out, b"\"404\"");
    assert!(!scalars[6].write_status_digits(404, &mut Vec::new()));
}

#[test]
fn body_pointers_escape_their_keys() {
    let steps = [
        Segment::Key("a/b".into()),
        Segment::Index(3),
        Segment::Key("c~d".into()),
    ];
    assert_eq!(pointer(&steps), "/a~1b/3/c~0d");
    assert_eq!(pointer(&[]), "");
}

#[test]
fn an_error_schema_asking_for_a_huge_member_is_refused_not_filled() {
    // Found by the loader fuzz: `minLength: 2^53+1` on a required member padded a string
    // one character at a time (counting it again each time) and never ended; `minItems`
    // of `u64::MAX` would have asked for that many items.
    for member in [
        json!({"type": "string", "minLength": 9_007_199_254_740_993_u64}),
        json!({"type": "array", "minItems": u64::MAX, "items": {"type": "integer"}}),
        json!({"type": "array", "minItems": MAX_FILL + 1,
               "items": {"type": "object", "properties": {"message": {"type": "string"}}}}),
    ] {
        let doc = json!({"E": {"type": "object", "required": ["title", "extra"],
            "properties": {"title": {"type": "string"}, "extra": member}}});
        let err = compile(&doc, "/E", None).expect_err("too big to fill");
        assert!(err.contains("asks for more than"), "{err}");
    }
}

#[test]
fn a_member_padded_to_its_bound_is_as_long_as_the_bound() {
    let doc = json!({"E": {"type": "object", "required": ["title", "code"], "properties": {
        "title": {"type": "string", "minLength": 300},
        "code": {"type": "string", "minLength": MAX_FILL}}}});
    let facts = ErrorFacts::new(404, "Not Found", "Nothing here.");
    let body = render(&doc, "/E", None, &facts);
    assert_eq!(body["title"].as_str().map(|t| t.chars().count()), Some(300));
    assert!(
        body["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("Not Found."))
    );
    assert_eq!(
        body["code"].as_str().map(|t| t.chars().count() as u64),
        Some(MAX_FILL)
    );
}

#[test]
fn members_merged_from_all_of_and_refs_take_the_tightest_bounds() {
    let doc = doc(json!({
        "Bounded": {"minimum": 1, "maximum": 9},
        "Error": {
            "type": "object",
            "required": ["title", "attempts", "tenant", "tag"],
            "properties": {
                "title": {"type": "string"},
                "attempts": {"allOf": [{"$ref": "#/components/schemas/Bounded"},
                                        {"type": "integer", "exclusiveMinimum": 3}]},
                "tenant": {"type": "string",
                           "allOf": [{"minLength": 2}, {"minLength": 4, "maxLength": 6}]},
                "tag": {"enum": ["a", "b", "c"], "allOf": [{"enum": ["c", "b"]}]}
            }
        }
    }));
    let body = render(&doc, "/components/schemas/Error", None, &not_found());
    assert_eq!(
        body,
        json!({"title": "Not Found", "attempts": 4, "tenant": "xxxx", "tag": "b"})
    );
}

#[test]
fn schemas_that_reject_everything_or_choose_themselves_endlessly_do_not_compile() {
    let title = json!({"type": "object", "properties": {"title": {"type": "string"}}});
    let doc = doc(json!({
        "NotAnything": {"type": "object", "properties": {"title": {"type": "string"}},
                        "not": {}},
        "Choosing": {"anyOf": [{"$ref": "#/components/schemas/Choosing"}, title]}
    }));
    let err = compile(&doc, "/components/schemas/NotAnything", None).unwrap_err();
    assert!(err.contains("rejects everything"), "{err}");
    let err = compile(&doc, "/components/schemas/Choosing", None).unwrap_err();
    assert!(err.contains("nests too deeply"), "{err}");
}

#[test]
fn a_member_s_deprecated_example_keyword_still_stands_in_for_an_unknown_instance() {
    // OpenAPI 3.1 documents keep `example` as it is (train-travel's problem schema does).
    let doc = doc(json!({"Problem": {
        "type": "object",
        "required": ["title", "instance"],
        "properties": {
            "title": {"type": "string"},
            "instance": {"type": "string", "example": "/account/12345/msgs/abc"}
        }
    }}));
    let facts = ErrorFacts::new(500, "Internal Server Error", "boom");
    let body = render(&doc, "/components/schemas/Problem", None, &facts);
    assert_eq!(body["instance"], json!("/account/12345/msgs/abc"));
}

#[test]
fn a_schema_that_takes_any_member_gets_the_error_member_its_example_shows() {
    // Slack: `ok: false` is all the schema declares; the example shows `error`.
    let d = doc(json!({"Error": {
        "type": "object",
        "additionalProperties": true,
        "required": ["ok"],
        "properties": {"ok": {"type": "boolean", "enum": [false]}}
    }}));
    let example = json!({"ok": false, "error": "invalid_auth", "warning": ["x"]});
    let body = render(
        &d,
        "/components/schemas/Error",
        Some(&example),
        &invalid_body(),
    );
    assert_eq!(body["ok"], json!(false));
    // With nowhere else for it, the member says what went wrong, violations and all.
    let error = body["error"].as_str().unwrap();
    assert!(error.starts_with("The request body is invalid."), "{body}");
    assert!(error.contains("users[0].email"), "{body}");
    // Only members named like part of an error are taken, and only as strings or integers.
    assert_eq!(keys(&body), ["ok", "error"]);
    // Without the example, there is nowhere for the facts.
    assert!(compile(&d, "/components/schemas/Error", None).is_err());
}

#[test]
fn a_schema_that_takes_no_other_member_does_not_get_the_example_s() {
    for closed in [
        json!({"additionalProperties": false}),
        json!({"additionalProperties": {"type": "boolean"}}),
        json!({"patternProperties": {"^x-": {}}}),
    ] {
        let mut schema = json!({
            "type": "object",
            "required": ["ok"],
            "properties": {"ok": {"type": "boolean"}}
        });
        for (k, v) in closed.as_object().unwrap() {
            schema[k] = v.clone();
        }
        let d = doc(json!({ "Error": schema }));
        let example = json!({"ok": false, "error": "invalid_auth"});
        let compiled = compile(&d, "/components/schemas/Error", Some(&example));
        assert!(compiled.is_err(), "{closed}");
    }
}

#[test]
fn django_rest_framework_s_errors_of_no_field_list_the_violations() {
    let d = doc(json!({"CollaboratorError": {
        "type": "object",
        "required": ["member", "permissions"],
        "properties": {
            "member": {"type": "array", "items": {"type": "string"}},
            "non_field_errors": {"type": "array", "items": {"type": "string"}},
            "permissions": {"type": "array", "items": {"type": "string"}}
        }
    }}));
    let pointer = "/components/schemas/CollaboratorError";
    let body = render(&d, pointer, None, &invalid_body());
    assert_eq!(
        body,
        json!({
            "member": [],
            "non_field_errors": ["users[0].email: This value is not a valid email address."],
            "permissions": []
        })
    );
}

#[test]
fn members_given_values_are_written_as_those_values_whatever_the_facts() {
    let d = doc(json!({"Error": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": {"type": "string", "pattern": "^[A-Z_]+$"},
            "message": {"type": "string"}
        }
    }}));
    let shape = compile(&d, "/components/schemas/Error", None).unwrap();
    assert_eq!(shape.render(&invalid_body())["code"], json!("400"));
    let mut values = serde_json::Map::new();
    values.insert("code".into(), json!("INVALID_ARGUMENT"));
    values.insert("absent".into(), json!(1));
    let mended = shape.with_members(&values);
    let body = mended.render(&invalid_body());
    assert_fits(&d, "/components/schemas/Error", &body);
    assert_eq!(body["code"], json!("INVALID_ARGUMENT"));
    assert!(body["message"].as_str().unwrap().contains("users[0].email"));
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn an_item_with_no_member_for_the_place_says_it_in_its_message() {
    // Azure's container registry: `errors: [{code, message, detail}]`.
    let d = doc(json!({"AcrErrors": {
        "type": "object",
        "properties": {"errors": {"type": "array", "items": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "detail": {"type": "object"}
            }
        }}}
    }}));
    let body = render(&d, "/components/schemas/AcrErrors", None, &invalid_body());
    assert_eq!(
        body["errors"][0]["message"],
        json!("users[0].email: This value is not a valid email address.")
    );
    assert_eq!(body["errors"][0]["code"], json!("format"));
}
