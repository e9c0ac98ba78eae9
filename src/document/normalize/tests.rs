use std::sync::Arc;

use serde_json::{Value, json};

use super::*;
use crate::document::problems::Problems;
use crate::document::refs::Resources;

fn doc(value: Value) -> Resources {
    Resources::new("file:///t.yaml", value)
}

#[test]
fn oas30_nullable_becomes_a_null_type_and_enum_member() {
    let mut r = doc(json!({"components": {"schemas": {
        "A": {"type": "string", "nullable": true, "enum": ["a", null]},
        "B": {"type": "integer", "nullable": true},
        "C": {"$ref": "#/components/schemas/B", "nullable": true}
    }}}));
    let mut p = Problems::default();
    normalize(&mut r, Dialect::Oas30, &mut p);
    let s = &r.root()["components"]["schemas"];
    assert_eq!(
        s["A"],
        json!({"type": ["string", "null"], "enum": ["a", null]})
    );
    assert_eq!(s["B"], json!({"type": ["integer", "null"]}));
    assert_eq!(
        s["C"],
        json!({"anyOf": [{"$ref": "#/components/schemas/B"}, {"type": "null"}]})
    );
}

#[test]
fn oas30_boolean_exclusive_bounds_and_example_are_rewritten() {
    let mut r = doc(
        json!({"paths": {"/x": {"get": {"parameters": [{"name": "n", "in": "query",
        "schema": {"type": "number", "minimum": 0, "exclusiveMinimum": true,
                   "maximum": 9, "exclusiveMaximum": false, "example": 3}}]}}}}),
    );
    normalize(&mut r, Dialect::Oas30, &mut Problems::default());
    let s = &r.root()["paths"]["/x"]["get"]["parameters"][0]["schema"];
    assert_eq!(
        s,
        &json!({"type": "number", "maximum": 9, "exclusiveMinimum": 0, "examples": [3]})
    );
}

#[test]
fn unknown_keywords_are_warned_about_with_their_location() {
    let mut r = doc(json!({"components": {"schemas": {"W": {"type": "object",
        "properties": {"workers": {"type": "integer", "min": 0}}}}}}));
    let mut p = Problems::default();
    normalize(&mut r, Dialect::Oas31, &mut p);
    let w: Vec<_> = p.warnings().collect();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].pointer, "/components/schemas/W/properties/workers/min");
    assert!(w[0].message.contains("`min`"));
    assert!(!p.has_errors());
}

#[test]
fn the_31_dialect_is_left_as_written() {
    let original = json!({"components": {"schemas": {"A": {"type": "integer",
        "exclusiveMinimum": 0, "examples": [1]}}}});
    let mut r = doc(original.clone());
    normalize(&mut r, Dialect::Oas31, &mut Problems::default());
    assert_eq!(r.root(), &original);
}

#[test]
fn braces_that_are_not_quantifiers_are_escaped_as_ecma_reads_them() {
    let translate = |p: &str| ecma::translate(p).unwrap();
    assert_eq!(
        translate("^(?:{[0-9a-f]{4}}|x)$").as_deref(),
        Some("^(?:\\{[0-9a-f]{4}\\}|x)$")
    );
    assert_eq!(translate("^a{2,}b{1,3}[{}]\\{$"), None);
    assert_eq!(translate("{x}").as_deref(), Some("\\{x\\}"));
}

#[test]
fn request_views_do_not_require_read_only_properties() {
    let r = doc(json!({"components": {"schemas": {"P": {"type": "object",
        "required": ["id", "name"],
        "properties": {"id": {"type": "integer", "readOnly": true}, "name": {"type": "string"}}}}}}));
    let req = validation_view(&r, View::Request);
    assert_eq!(
        req.resources.root()["components"]["schemas"]["P"]["required"],
        json!(["name"])
    );
    let resp = validation_view(&r, View::Response);
    assert_eq!(
        resp.resources.root()["components"]["schemas"]["P"]["required"],
        json!(["id", "name"])
    );
}

#[test]
fn discriminators_gain_an_explicit_selection() {
    let r = doc(json!({"components": {"schemas": {
        "R": {"oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}],
              "discriminator": {"propertyName": "type"}},
        "A": {"type": "object", "properties": {"type": {"const": "a"}}},
        "B": {"type": "object", "properties": {"type": {"const": "b"}}}
    }}}));
    let v = validation_view(&r, View::Request);
    let all = &v.resources.root()["components"]["schemas"]["R"]["allOf"];
    assert_eq!(all[0]["properties"]["type"]["enum"], json!(["a", "b"]));
    assert_eq!(all[1]["if"]["properties"]["type"]["const"], json!("a"));
    // The branch is B, referenced as every schema is in a view: by its shared number.
    let then = &all[2]["then"];
    let target = then[SHARED_REF]
        .as_u64()
        .and_then(|n| v.shared.uri(u32::try_from(n).ok()?));
    assert_eq!(
        target,
        Some("file:///t.yaml#/components/schemas/B"),
        "{then}"
    );
}

#[test]
fn references_are_shared_unless_a_keyword_depends_on_the_way_in() {
    let schemas = json!({
        "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"},
            "again": {"$ref": "#/components/schemas/B"}, "gone": {"$ref": "#/nowhere"}}},
        "B": {"type": "string"}
    });
    let v = validation_view(
        &doc(json!({"components": {"schemas": schemas}})),
        View::Request,
    );
    let a = &v.resources.root()["components"]["schemas"]["A"]["properties"];
    assert_eq!(
        a["b"][SHARED_REF], a["again"][SHARED_REF],
        "one target, one number"
    );
    assert_eq!(v.shared.len(), 1);
    assert_eq!(
        a["gone"]["$ref"],
        json!("#/nowhere"),
        "a dangling $ref stays as written"
    );

    let mut dynamic = schemas.clone();
    dynamic["B"]["$id"] = json!("https://example.com/b");
    let v = validation_view(
        &doc(json!({"components": {"schemas": dynamic}})),
        View::Request,
    );
    let a = &v.resources.root()["components"]["schemas"]["A"]["properties"];
    assert_eq!(a["b"]["$ref"], json!("#/components/schemas/B"));
    assert!(v.shared.is_empty());
}

#[test]
fn choices_among_constants_become_an_enum_in_their_place() {
    let r = doc(json!({"components": {"schemas": {
        "Role": {"type": "string", "anyOf": [
            {"const": "A", "title": "Viewer", "description": "reads", "x-order": 1},
            {"const": "B"}, {"const": "A"}], "minLength": 1},
        "One": {"oneOf": [{"const": "a"}, {"const": true}, {"const": null}]},
        "En/um": {"enum": ["A", "B", "C"], "anyOf": [{"const": "A"}, {"const": "B"}]},
        "Both": {"anyOf": [{"const": "A"}, {"const": "B"}], "oneOf": [{"const": "B"}, {"const": "C"}]},
        "Typed": {"anyOf": [{"const": "A", "type": "string"}, {"const": "B"}]},
        "Numbers": {"oneOf": [{"const": 1}, {"const": 2}]},
        "Twice": {"oneOf": [{"const": "a"}, {"const": "a"}]},
        "Alone": {"anyOf": [{"const": "a"}]},
        "Sl/a~sh": {"items": [{"oneOf": [{"const": "a"}, {"const": "b"}]}]}
    }}}));
    let v = validation_view(&r, View::Request);
    let s = &v.resources.root()["components"]["schemas"];
    // Each value once.
    assert_eq!(
        s["Role"],
        json!({"type": "string", "enum": ["A", "B"], "minLength": 1})
    );
    assert_eq!(s["One"], json!({"enum": ["a", true, null]}));
    // Beside an `enum` already there, or a second folded choice, the choice keeps its
    // keyword with one `enum` branch.
    assert_eq!(s["En/um"]["anyOf"], json!([{"enum": ["A", "B"]}]));
    assert_eq!(s["En/um"]["enum"], json!(["A", "B", "C"]));
    assert_eq!(
        s["Both"],
        json!({"enum": ["A", "B"], "oneOf": [{"enum": ["B", "C"]}]})
    );
    // A branch that constrains more than its value, numbers under `oneOf` (1 and 1.0 are
    // one value), a repeated value under `oneOf` and a single branch are left as written.
    for kept in ["Typed", "Numbers", "Twice", "Alone"] {
        assert_eq!(s[kept], r.root()["components"]["schemas"][kept], "{kept}");
    }
    // The view remembers which `enum`s were choices, by file and keyword pointer.
    let file = Some("file:///t.yaml");
    let at = |name: &str| format!("/components/schemas/{name}/enum");
    assert_eq!(v.folds.choice(file, &at("Role")), Some(Choice::AnyOf));
    assert_eq!(v.folds.choice(file, &at("One")), Some(Choice::OneOf));
    assert_eq!(v.folds.choice(file, &at("Both")), Some(Choice::AnyOf));
    assert_eq!(v.folds.choice(None, &at("Role")), Some(Choice::AnyOf));
    assert_eq!(v.folds.choice(file, &at("En~1um")), None);
    // Pointers are escaped and step into arrays as validators report them.
    assert_eq!(
        v.folds
            .choice(file, "/components/schemas/Sl~1a~0sh/items/0/enum"),
        Some(Choice::OneOf)
    );
    assert_eq!(v.folds.choice(Some("file:///u.yaml"), &at("Role")), None);
}

#[test]
fn folded_choices_report_the_same_violations() {
    use crate::schema::validators::{SchemaCompiler, SchemaLoc};
    use crate::schema::violation::{Location, Violation};
    let mut r = doc(json!({"components": {"schemas": {
        "Roles": {"type": "array", "items": {"type": "string", "minLength": 2,
            "anyOf": [{"const": "ROLE_USER", "title": "Viewer"}, {"const": "ROLE_EDITOR"},
                      {"const": "ROLE_ADMINISTRATOR"}]}},
        "Kind": {"oneOf": [{"const": "a"}, {"const": "b"}, {"const": null}]},
        "Outer": {"anyOf": [
            {"type": "object", "required": ["r"], "properties": {"r": {"anyOf": [{"const": "x"}, {"const": "y"}]}}},
            {"type": "string", "format": "email"}]},
        // A folded choice inside a choice whose other branch is a value.
        "Nested": {"anyOf": [{"anyOf": [{"const": "a"}, {"const": "b"}]}, {"const": "c"}]},
        "Both": {"type": ["string", "integer"], "anyOf": [{"const": "A"}, {"const": "B"}],
            "oneOf": [{"const": "B"}, {"const": "C"}], "minLength": 1},
        // The same pointer in another file holds an `enum` as written.
        "Role": {"anyOf": [{"const": "A"}, {"const": "B"}]},
        "Pair": {"type": "object", "properties": {
            "here": {"$ref": "#/components/schemas/Role"},
            "there": {"$ref": "other.yaml#/components/schemas/Role"}}}
    }}}));
    r.insert(
        "file:///other.yaml",
        json!({"components": {"schemas": {"Role": {"enum": ["C", "D"]}}}}),
    );
    let view = validation_view(&r, View::Request);
    assert_ne!(
        view.resources.root(),
        r.root(),
        "the schemas above are meant to be folded"
    );
    // The request registry holds the document as written, the response one the view.
    let written = ValidationView {
        resources: r.clone(),
        folds: Arc::default(),
        shared: Arc::default(),
    };
    let mut compiler = SchemaCompiler::for_views(&written, &view).unwrap();
    let body = |steps| Location::Body(steps);
    let cases = [
        (
            "Roles",
            vec![
                json!(["ROLE_USER"]),
                json!(["ROLE_X", "R", 5, null, "ROLE_EDITOR"]),
                json!([{}]),
            ],
        ),
        (
            "Kind",
            vec![json!("a"), json!(null), json!("c"), json!(1), json!(["a"])],
        ),
        (
            "Outer",
            vec![
                json!({"r": "x"}),
                json!({"r": "z"}),
                json!({"r": 1}),
                json!({}),
                json!("nope"),
                json!(3),
            ],
        ),
        ("Nested", vec![json!("a"), json!("c"), json!("d"), json!(1)]),
        (
            "Both",
            vec![
                json!("B"),
                json!("A"),
                json!("C"),
                json!(""),
                json!(7),
                json!(null),
            ],
        ),
        (
            "Pair",
            vec![
                json!({"here": "A", "there": "C"}),
                json!({"here": "C", "there": "A"}),
                json!({"here": "X", "there": "X"}),
            ],
        ),
    ];
    let mut failing = 0;
    for (name, instances) in cases {
        let loc = SchemaLoc::new("file:///t.yaml", format!("/components/schemas/{name}"));
        let written = compiler.compile(&loc, View::Request).unwrap();
        let folded = compiler.compile(&loc, View::Response).unwrap();
        for instance in instances {
            // The same violations; a folded choice is checked with the cheap keywords, so
            // it may be listed before a `minLength` it came after as written.
            let sorted = |mut v: Vec<Violation>| {
                v.sort_by_key(|v| format!("{v:?}"));
                v
            };
            let expected = sorted(written.violations(&instance, &body));
            failing += usize::from(!expected.is_empty());
            assert_eq!(
                sorted(folded.violations(&instance, &body)),
                expected,
                "{name}: {instance}"
            );
        }
    }
    assert!(
        failing >= 14,
        "most cases should be invalid, {failing} were"
    );
}

#[test]
fn a_target_is_the_same_in_both_views_unless_it_or_what_it_reaches_differs() {
    let r = doc(json!({"components": {"schemas": {
        "Made": {"type": "object", "required": ["id"],
                 "properties": {"id": {"type": "integer", "readOnly": true}}},
        "Holds": {"type": "object", "properties": {"made": {"$ref": "#/components/schemas/Made"}}},
        "Plain": {"type": "string"},
        "Uses": {"type": "array", "items": {"$ref": "#/components/schemas/Plain"}},
        "Loop": {"type": "array", "items": {"$ref": "#/components/schemas/Loop"}},
        "Top": {"anyOf": [{"$ref": "#/components/schemas/Holds"}, {"$ref": "#/components/schemas/Uses"},
                          {"$ref": "#/components/schemas/Loop"}]}
    }}}));
    let (req, resp) = (
        validation_view(&r, View::Request),
        validation_view(&r, View::Response),
    );
    let same = same_in_both(&req, &resp);
    let by_name: std::collections::HashMap<&str, bool> = (0..req.shared.len())
        .map(|n| {
            let uri = req.shared.uri(n as u32).unwrap();
            (uri.rsplit('/').next().unwrap(), same[n])
        })
        .collect();
    assert!(!by_name["Made"], "its required list differs");
    assert!(!by_name["Holds"], "it reaches Made");
    assert!(by_name["Plain"]);
    assert!(by_name["Uses"]);
    assert!(by_name["Loop"], "a cycle of its own is the same");
}

#[test]
fn oas30_ref_siblings_are_dropped_and_warned_about_where_they_constrain() {
    let mut r = doc(json!({
        "paths": {"/x": {"$ref": "#/components/pathItems/X", "parameters": []}},
        "components": {
            "schemas": {
                "Name": {"type": "string"},
                "Form": {"$ref": "#/components/schemas/Name", "type": "application/json",
                         "allOf": {"3": {}}, "description": "prose", "x-note": 1},
                "Maybe": {"$ref": "#/components/schemas/Name", "nullable": true,
                          "description": "prose only"}
            },
            "parameters": {"P": {"name": "p", "in": "query", "schema": {"type": "string"}}},
            "requestBodies": {"B": {"$ref": "#/components/requestBodies/C", "required": true}},
            "responses": {"R": {"$ref": "#/components/responses/S", "description": "d"}}
        }
    }));
    let mut p = Problems::default();
    normalize(&mut r, Dialect::Oas30, &mut p);
    let c = &r.root()["components"];
    // Moved aside, where no reader applies them.
    assert_eq!(
        c["schemas"]["Form"],
        json!({"$ref": "#/components/schemas/Name", "x-note": 1, "x-understudy-ignored": {
            "type": "application/json", "allOf": {"3": {}}, "description": "prose"}})
    );
    assert_eq!(
        c["schemas"]["Maybe"],
        json!({"anyOf": [{"$ref": "#/components/schemas/Name",
            "x-understudy-ignored": {"description": "prose only"}}, {"type": "null"}]})
    );
    assert_eq!(
        c["requestBodies"]["B"],
        json!({"$ref": "#/components/requestBodies/C", "x-understudy-ignored": {"required": true}})
    );
    assert_eq!(
        c["responses"]["R"],
        json!({"$ref": "#/components/responses/S", "x-understudy-ignored": {"description": "d"}})
    );
    // A Path Item's `$ref` is no Reference Object: its siblings are the path's own.
    assert_eq!(r.root()["paths"]["/x"]["parameters"], json!([]));
    let warned: Vec<(&str, &str)> = p
        .warnings()
        .map(|w| (w.pointer.as_str(), w.message.as_str()))
        .collect();
    assert_eq!(warned.len(), 2, "{warned:?}");
    assert!(warned.contains(&(
        "/components/schemas/Form",
        "OpenAPI 3.0 ignores the keys beside a `$ref`: `type`, `allOf` are neither checked nor enforced"
    )));
    assert!(
        warned
            .iter()
            .any(|(at, m)| *at == "/components/requestBodies/B"
                && m.contains("`required` is neither"))
    );
    assert!(!p.has_errors());
}

#[test]
fn many_ignored_ref_siblings_are_one_warning_with_their_count() {
    let schemas: serde_json::Map<String, Value> = (0..40)
        .map(|i| {
            (
                format!("S{i}"),
                json!({"$ref": "#/components/schemas/T", "minLength": 1}),
            )
        })
        .chain([("T".to_owned(), json!({"type": "string"}))])
        .collect();
    let mut r = doc(json!({"components": {"schemas": schemas}}));
    let mut p = Problems::default();
    normalize(&mut r, Dialect::Oas30, &mut p);
    let warned: Vec<_> = p.warnings().collect();
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(warned[0].message.contains("40 `$ref`s"), "{}", warned[0]);
    assert!(warned[0].message.contains("`minLength`"), "{}", warned[0]);
}

#[test]
fn the_31_dialect_keeps_ref_siblings_which_apply_there() {
    let original = json!({"components": {"schemas": {
        "T": {"type": "string"},
        "S": {"$ref": "#/components/schemas/T", "maxLength": 3}}}});
    let mut r = doc(original.clone());
    let mut p = Problems::default();
    normalize(&mut r, Dialect::Oas31, &mut p);
    assert_eq!(r.root(), &original);
    assert!(p.all().is_empty(), "{p:?}");
}

#[test]
fn patterns_are_written_for_the_engine_and_invalid_ones_refused_at_their_pointer() {
    let mut r = doc(json!({"components": {"schemas": {
        "Aws": {"type": "string", "pattern": "^\\p\\{Print\\}+$"},
        "Keys": {"type": "object", "patternProperties": {"^\\A[a-z]+$": {"type": "string"}}},
        "Bad": {"type": "string", "pattern": "a**"},
        "NotText": {"type": "string", "pattern": 0}}}}));
    let mut p = Problems::default();
    normalize(&mut r, Dialect::Oas30, &mut p);
    let s = &r.root()["components"]["schemas"];
    assert_eq!(s["Aws"]["pattern"], json!("^p\\{Print\\}+$"));
    assert_eq!(
        s["Keys"]["patternProperties"],
        json!({"^A[a-z]+$": {"type": "string"}})
    );
    let errors: Vec<_> = p.errors().collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].pointer, "/components/schemas/Bad/pattern");
    assert_eq!(
        errors[0].message,
        "`a**` is not a valid ECMA-262 regular expression: a quantifier follows nothing it \
         can repeat (at character 3)"
    );
    assert_eq!(errors[1].pointer, "/components/schemas/NotText/pattern");
    assert!(
        errors[1].message.contains("must be a string"),
        "{}",
        errors[1]
    );
}

#[test]
fn a_ref_into_ignored_siblings_follows_them_and_what_it_reaches_is_normalised() {
    // dnd5eapi: a schema elsewhere reaches into the `allOf` beside a `$ref`.
    let mut r = doc(json!({
        "paths": {"/m/{i}": {"get": {"responses": {"200": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Monster",
                       "allOf": {"3": {"properties": {"damage": {"items": {
                           "type": "integer", "nullable": true}}}}}}}}}}}}},
        "components": {"schemas": {
            "Monster": {"type": "object", "properties": {"damage": {"type": "array", "items": {
                "$ref": "#/paths/~1m~1%7Bi%7D/get/responses/200/content/application~1json/schema/allOf/3/properties/damage/items"}}}}}}
    }));
    let mut p = Problems::default();
    normalize(&mut r, Dialect::Oas30, &mut p);
    let items = &r.root()["components"]["schemas"]["Monster"]["properties"]["damage"]["items"];
    let reference = items["$ref"].as_str().unwrap();
    assert_eq!(
        reference,
        "#/paths/~1m~1%7Bi%7D/get/responses/200/content/application~1json/schema/x-understudy-ignored/allOf/3/properties/damage/items"
    );
    let target = r.resolve("file:///t.yaml", reference).unwrap().value;
    assert_eq!(target, &json!({"type": ["integer", "null"]}));
    assert!(!p.has_errors(), "{p:?}");
}

#[test]
fn a_document_without_operations_is_said_to_serve_nothing_and_one_with_some_is_not() {
    let warnings = |root: Value| {
        let mut r = doc(root);
        r.insert(
            "file:///item.yaml",
            json!({"get": {"responses": {"200": {"description": "ok"}}}}),
        );
        let mut p = Problems::default();
        normalize(&mut r, Dialect::Oas31, &mut p);
        p.warnings()
            .map(|w| format!("{}: {}", w.pointer, w.message))
            .collect::<Vec<_>>()
    };
    let only_parameters = warnings(json!({"openapi": "3.1.0",
        "paths": {"/a": {"parameters": []}, "x-note": {"get": {}}}}));
    assert_eq!(
        only_parameters,
        ["/paths: the document declares no operations (its `paths` hold none): nothing is served"]
    );
    let webhooks = warnings(json!({"openapi": "3.1.0", "webhooks": {"a": {}, "b": {}}}));
    assert_eq!(
        webhooks,
        [
            ": the document declares no operations (it has no `paths`): nothing is served; its 2 \
          webhooks describe requests the API sends, which understudy does not serve"
        ]
    );
    let referenced = warnings(json!({"openapi": "3.1.0",
        "paths": {"/a": {"$ref": "item.yaml"}}}));
    assert!(referenced.is_empty(), "{referenced:?}");
}
