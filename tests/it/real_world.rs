//! What real documents declare, served as they declare it: error answers in the media type
//! and schema the operation declares for their status, every answer judged by
//! `--check-responses` (errors included), and no header copied from an example that HTTP
//! writes itself. Each `tests/docs/serving-*.yaml` is the smallest document that does what
//! one real document does (Slack, fungenerators' trivia, GitHub); the documents whose answers
//! cannot keep what the property tests ask of every document of `tests/docs/` (an error that
//! names what was wrong, an answer that keeps the document) are written here instead.

use serde_json::{Value, json};
use understudy::{EngineConfig, Source};

use crate::harness::{Reply, Server};

/// A server for a document given as text, answers checked.
fn serve_text(text: &str) -> Server {
    Server::start(
        vec![Source::Text {
            name: "inline.yaml".to_owned(),
            text: text.to_owned(),
        }],
        EngineConfig {
            seed: 0,
            check_responses: true,
            ..Default::default()
        },
    )
}

/// What the server says the answer breaks (`X-Understudy-Response-Violations`), if anything.
fn flagged(reply: &Reply) -> &str {
    reply
        .header("x-understudy-response-violations")
        .unwrap_or_default()
}

#[test]
fn an_error_answer_comes_in_the_default_response_an_operation_declares() {
    let server = Server::docs(&["serving-slack.yaml"]);
    // No `token`: refused, in Slack's own `{ok: false, error}`, not in problem details.
    let reply = server.post("/api/chat.postMessage").send();
    reply.expect(400);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let body = reply.json();
    assert_eq!(body["ok"], json!(false), "{body}");
    // The member only the example shows says what went wrong.
    let error = body["error"].as_str().unwrap_or_default();
    assert!(error.contains("header.token"), "{body}");
}

#[test]
fn a_declared_error_without_a_schema_is_answered_in_its_media_type() {
    let server = Server::docs(&["serving-trivia.yaml"]);
    let reply = server.get("/trivia/random").send();
    reply.expect(401);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let body = reply.json();
    assert_eq!(body["status"], json!(401), "{body}");
    assert!(reply.header("www-authenticate").is_some());
}

/// illumidesk: one 400 requires members no error inference knows (Django REST framework's
/// errors, one list per field), another 400 is the data schema itself. Every refusal fits,
/// but neither can name what was wrong everywhere (a refusal of a missing body leaves
/// nothing to list), so the property tests, which require that of every document of
/// `tests/docs/`, do not serve it.
const ILLUMIDESK: &str = r##"
openapi: 3.0.3
info: {title: Error schemas that are not error formats, version: "1"}
servers: [{url: /v1}]
components:
  schemas:
    CollaboratorError:
      type: object
      required: [member, permissions]
      properties:
        email: {type: array, items: {type: string}}
        member: {type: array, items: {type: string}}
        non_field_errors: {type: array, items: {type: string}}
        permissions: {type: array, items: {type: string}}
    ServerData:
      type: object
      required: [name, size]
      properties:
        name: {type: string, pattern: "^[a-z][a-z0-9-]{2,15}$"}
        size: {type: string, enum: [small, large]}
        host: {type: string}
paths:
  /projects/{project}/collaborators/invite:
    post:
      operationId: projects_collaborators_invite
      parameters:
        - {name: project, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [email]
              properties:
                email: {type: string, format: email}
      responses:
        "204": {description: Collaborator invited.}
        "400":
          description: Invalid data supplied.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/CollaboratorError"}
            text/html:
              schema: {$ref: "#/components/schemas/CollaboratorError"}
  /projects/{project}/server/settings:
    put:
      operationId: projects_server_settings_update
      parameters:
        - {name: project, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/ServerData"}
      responses:
        "200":
          description: Server updated.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ServerData"}
        "400":
          description: Invalid data supplied.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/ServerData"}
"##;

#[test]
fn an_error_body_has_every_member_its_schema_requires() {
    let server = serve_text(ILLUMIDESK);
    let reply = server
        .post("/v1/projects/p1/collaborators/invite")
        .json(json!({"email": "not an address"}))
        .send();
    reply.expect(400);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let body = reply.json();
    for required in ["member", "permissions"] {
        assert!(body[required].is_array(), "{required}: {body}");
    }
    // Django REST framework's list for errors of no one field says what went wrong.
    let said = body["non_field_errors"].to_string();
    assert!(said.contains("email"), "{body}");
}

#[test]
fn an_error_response_whose_schema_is_the_data_gets_a_body_valid_against_it() {
    let server = serve_text(ILLUMIDESK);
    // The server checks the answer against `ServerData` (`send` fails on a violation).
    let reply = server
        .request("PUT", "/v1/projects/p1/server/settings")
        .json(json!({"name": "Not A Name", "size": "small"}))
        .send();
    reply.expect(400);
    let body = reply.json();
    let name = body["name"].as_str().unwrap_or_default();
    assert!(!name.is_empty(), "{body}");
    assert!(["small", "large"].contains(&body["size"].as_str().unwrap_or_default()));
}

#[test]
fn a_status_member_with_a_pattern_takes_a_value_that_matches_it() {
    let server = Server::docs(&["serving-errors.yaml"]);
    let reply = server.get("/errors/codes?limit=99").send();
    reply.expect(400);
    let body = reply.json();
    let code = body["code"].as_str().unwrap_or_default();
    assert!(
        code.len() > 1 && code.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
        "{body}"
    );
    // The facts still go where the inference puts them.
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("query.limit"), "{body}");
}

#[test]
fn an_error_answer_carries_the_headers_its_response_declares() {
    let server = Server::docs(&["serving-errors.yaml"]);
    let reply = server.get("/errors/codes?limit=99").send();
    reply.expect(400);
    let id = reply.header("x-request-id").unwrap_or_default();
    assert_eq!(id.len(), 36, "a uuid: {id:?}");
}

#[test]
fn an_error_comes_in_the_media_type_accept_prefers_among_those_declared() {
    let server = Server::docs(&["serving-errors.yaml"]);
    let json = server.get("/errors/notes?limit=99").send();
    json.expect(400);
    assert_eq!(json.header("content-type"), Some("application/json"));
    assert!(json.json().is_object());

    let text = server
        .get("/errors/notes?limit=99")
        .header("Accept", "text/plain")
        .send();
    text.expect(400);
    assert_eq!(text.header("content-type"), Some("text/plain"));
    assert!(text.text().contains("query.limit"), "{}", text.text());
    // Nothing acceptable: an error is still an error, in the first declared media type.
    let other = server
        .get("/errors/notes?limit=99")
        .header("Accept", "image/png")
        .send();
    other.expect(400);
    assert_eq!(other.header("content-type"), Some("application/json"));
}

#[test]
fn an_error_declared_as_an_octet_stream_is_its_schema_s_json_in_that_media_type() {
    let server = Server::docs(&["serving-errors.yaml"]);
    let reply = server.get("/errors/blobs/sha256:00?limit=99").send();
    reply.expect(400);
    assert_eq!(
        reply.header("content-type"),
        Some("application/octet-stream")
    );
    let body = reply.json();
    let first = &body["errors"][0];
    assert!(first["message"].is_string(), "{body}");
    assert_eq!(first["target"], json!("query.limit"), "{body}");
}

/// A 400 whose schema no body fits: each `oneOf` branch matches any object.
const NO_ERROR_FITS: &str = r##"
openapi: 3.0.3
info: {title: An error nothing fits, version: "1"}
components:
  schemas:
    InvalidName:
      type: object
      properties:
        error: {type: string}
        error_description: {type: string}
    InvalidMobile:
      type: object
      properties:
        error: {type: string}
        error_description: {type: string}
paths:
  /code:
    post:
      operationId: getCode
      parameters:
        - {name: limit, in: query, schema: {type: integer, maximum: 10}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object}
        "400":
          description: Bad Request
          content:
            application/json:
              schema:
                oneOf:
                  - $ref: "#/components/schemas/InvalidName"
                  - $ref: "#/components/schemas/InvalidMobile"
"##;

#[test]
fn an_error_no_body_can_fit_still_comes_in_the_declared_media_type_and_shape() {
    let server = serve_text(NO_ERROR_FITS);
    let reply = server.post("/code?limit=99").send_unchecked();
    reply.expect(400);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let body = reply.json();
    let said = body["error_description"].as_str().unwrap_or_default();
    assert!(said.contains("query.limit"), "{body}");
    // The document allows no body here, and the server says so.
    let flagged = flagged(&reply);
    assert!(flagged.contains("more than one"), "{flagged:?}");
}

/// A 400 declared only in a media type the mock cannot write.
const XML_ERRORS: &str = r#"
openapi: 3.0.3
info: {title: An error only in XML, version: "1"}
paths:
  /feed:
    get:
      operationId: getFeed
      parameters:
        - {name: limit, in: query, schema: {type: integer, maximum: 10}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: array}
        "400":
          description: A refusal, in XML.
          content:
            application/xml:
              schema:
                type: object
                properties:
                  message: {type: string}
"#;

#[test]
fn an_error_answer_that_breaks_its_declaration_is_flagged_by_check_responses() {
    let server = serve_text(XML_ERRORS);
    let reply = server.get("/feed?limit=99").send_unchecked();
    reply.expect(400);
    let flagged = flagged(&reply);
    assert!(flagged.contains("application/xml"), "{flagged:?}");
    // An answer that keeps its declaration is not flagged (`send` fails on the header).
    server.get("/feed?limit=2").send().expect(200);
}

/// A success nobody can make: its schema admits no value at all.
const NO_ANSWER: &str = r#"
openapi: 3.1.0
info: {title: An answer nothing fits, version: "1"}
paths:
  /nothing:
    get:
      operationId: getNothing
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [a]
                properties:
                  a: {type: string, minLength: 3, maxLength: 2}
"#;

#[test]
fn an_answer_with_a_status_the_operation_does_not_declare_is_flagged() {
    let server = serve_text(NO_ANSWER);
    let reply = server.get("/nothing").send_unchecked();
    reply.expect(500);
    let flagged = flagged(&reply);
    assert!(
        flagged.contains("getNothing declares no response with status 500"),
        "{flagged:?}"
    );
}

#[test]
fn framing_headers_from_the_document_are_never_sent() {
    let server = Server::docs(&["serving-github.yaml"]);
    let reply = server
        .post("/gh/markdown")
        .json(json!({"text": "Hello **world**"}))
        .send();
    reply.expect(200);
    assert_eq!(reply.text(), "<p>Hello <strong>world</strong></p>");
    let length = reply.header("content-length").unwrap_or_default();
    assert_eq!(length, reply.body.len().to_string());
    for never in ["transfer-encoding", "content-encoding"] {
        assert_eq!(reply.header(never), None, "{never}");
    }
    assert_eq!(reply.headers_named("connection"), vec!["close"]);
    // Headers that are the API's own are still sent.
    assert_eq!(reply.header("x-commonmarker-version"), Some("0.17.4"));
}

#[test]
fn a_location_copied_from_an_example_is_a_uri_reference() {
    let server = Server::docs(&["serving-github.yaml"]);
    let reply = server.get("/gh/legacy/tarball").send();
    reply.expect(302);
    assert_eq!(
        reply.header("location"),
        Some("/gh/legacy/a%20tarball.tar.gz")
    );
}

#[test]
fn a_create_is_answered_with_the_location_of_what_it_made() {
    let server = Server::docs(&["serving-github.yaml"]);
    let reply = server
        .post("/gh/gists")
        .json(json!({"description": "a gist"}))
        .send();
    reply.expect(201);
    let created: Value = reply.json();
    let id = created["id"].as_str().unwrap_or_default();
    let location = reply.header("location").unwrap_or_default();
    // Not the example's `https://api.github.com/gists/aa5a315d61ae9438b18d`.
    assert_eq!(location, format!("/gh/gists/{id}"), "{created}");
    let read = server.get(location).send();
    read.expect(200);
    assert_eq!(read.json(), created);
}

#[test]
fn a_text_body_whose_schema_is_no_string_is_read_as_the_value_it_spells() {
    let server = Server::docs(&["serving-text.yaml"]);
    let reply = server.get("/text/users/$count").send();
    reply.expect(200);
    assert!(
        reply
            .header("content-type")
            .unwrap_or_default()
            .starts_with("text/plain"),
        "{:?}",
        reply.header("content-type")
    );
    let count: u32 = reply.text().trim().parse().expect("the count is a number");
    assert!(i32::try_from(count).is_ok());
    assert_eq!(flagged(&reply), "", "the answer fits its own declaration");
    for (text, status) in [("42", 204), ("12.5", 204), ("101", 400), ("many", 400)] {
        server
            .request("PUT", "/text/limits/a")
            .raw_body("text/plain", text.as_bytes())
            .send()
            .expect(status);
    }
}
