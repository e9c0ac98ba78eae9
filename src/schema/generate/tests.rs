//! The generator's table of schemas, each sampled for many seeds and validated.

use super::*;
use crate::schema::error::RECURSION_SLACK;
use serde_json::{Map, json};
use std::sync::Arc;

const URI: &str = "https://example.test/openapi.json";

/// One document holding every schema the table tests, so `$ref`s work as in a real spec.
fn doc() -> Value {
    let parts = [
        json!({
        "Pet": {"type": "object", "required": ["id", "name"], "properties": {
            "id": {"type": "integer", "format": "int64"},
            "name": {"type": "string"},
            "tag": {"type": "string"}}},
        "Pets": {"type": "array", "maxItems": 100, "items": {"$ref": "#/components/schemas/Pet"}},
        "Error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "integer", "format": "int32"},
            "message": {"type": "string"}}},
        "Cat": {"type": "object", "required": ["petType", "meows"], "properties": {
            "petType": {"type": "string"}, "meows": {"type": "boolean"}}},
        "Dog": {"type": "object", "required": ["petType", "barks"], "properties": {
            "petType": {"type": "string"}, "barks": {"type": "integer", "minimum": 0, "maximum": 10}}},
        }),
        json!({
        "CatOrDog": {"oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
            "discriminator": {"propertyName": "petType", "mapping": {
                "kitty": "#/components/schemas/Cat", "doggo": "#/components/schemas/Dog"}}},
        "CatOrDogUnmapped": {"oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
            "discriminator": {"propertyName": "petType"}},
        "Tree": {"type": "object", "required": ["value"], "properties": {
            "value": {"type": "integer"},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}}}},
        "LinkedList": {"type": "object", "required": ["v"], "properties": {
            "v": {"type": "integer"}, "next": {"$ref": "#/components/schemas/LinkedList"}}},
        "Expr": {"oneOf": [{"type": "integer"}, {"type": "object", "required": ["op", "args"],
            "additionalProperties": false, "properties": {
                "op": {"enum": ["add", "mul"]},
                "args": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"$ref": "#/components/schemas/Expr"}}}}]},
        }),
        json!({
        "Roles": {"type": "array", "items": {"type": "string", "anyOf": [
            {"const": "ROLE_USER"}, {"const": "ROLE_EDITOR"}, {"const": "ROLE_ADMINISTRATOR"}]},
            "minItems": 1, "uniqueItems": true},
        "Slug": {"type": "string", "pattern": "^[a-z0-9-]+$", "maxLength": 255},
        "Code": {"type": "string", "pattern": "^\\d{3}-[A-Z]{2,4}$"},
        "LongSlug": {"type": "string", "pattern": "^[a-z]+(-[a-z]+)*$", "minLength": 40, "maxLength": 45},
        "Unanchored": {"type": "string", "pattern": "ab+c", "minLength": 10},
        "Half": {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.5},
        "Cents": {"type": "number", "minimum": 1, "maximum": 2, "multipleOf": 0.01},
        "Narrow": {"type": "number", "minimum": 0.1, "maximum": 0.2},
        "NullableEnum": {"type": ["string", "null"], "enum": ["a", "b", null]},
        "Merged": {"allOf": [
            {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
            {"type": "object", "properties": {"b": {"type": "integer"}}, "required": ["b"]}]},
        "Account": {"type": "object", "required": ["name"], "properties": {
            "id": {"type": "string", "readOnly": true},
            "name": {"type": "string"},
            "password": {"type": "string", "writeOnly": true}}},
        }),
        json!({
        "Formats": {"type": "object", "required": ["email", "uuid", "dateTime", "date", "time",
            "duration", "uri", "uriRef", "iri", "url", "hostname", "ipv4", "ipv6", "byte", "int32",
            "int64", "float", "double", "password", "binary", "pointer", "regex"],
            "properties": {
            "email": {"type": "string", "format": "email"},
            "uuid": {"type": "string", "format": "uuid"},
            "dateTime": {"type": "string", "format": "date-time"},
            "date": {"type": "string", "format": "date"},
            "time": {"type": "string", "format": "time"},
            "duration": {"type": "string", "format": "duration"},
            "uri": {"type": "string", "format": "uri"},
            "uriRef": {"type": "string", "format": "uri-reference"},
            "iri": {"type": "string", "format": "iri"},
            "url": {"type": "string", "format": "url"},
            "hostname": {"type": "string", "format": "hostname"},
            "ipv4": {"type": "string", "format": "ipv4"},
            "ipv6": {"type": "string", "format": "ipv6"},
            "byte": {"type": "string", "format": "byte", "pattern": "^[A-Za-z0-9+/]*={0,2}$"},
            "int32": {"type": "integer", "format": "int32"},
            "int64": {"type": "integer", "format": "int64"},
            "float": {"type": "number", "format": "float"},
            "double": {"type": "number", "format": "double"},
            "password": {"type": "string", "format": "password", "minLength": 12},
            "binary": {"type": "string", "format": "binary"},
            "pointer": {"type": "string", "format": "json-pointer"},
            "regex": {"type": "string", "format": "regex"}}},
        }),
        json!({
        "Int32Edge": {"type": "integer", "format": "int32", "minimum": 2147483600},
        "IntRange": {"type": "integer", "exclusiveMinimum": 5, "exclusiveMaximum": 8, "multipleOf": 2},
        "Lengths": {"type": "string", "minLength": 30, "maxLength": 32},
        }),
        json!({
        "Closed": {"type": "object", "properties": {"a": {"type": "string"}},
            "additionalProperties": false, "minProperties": 1},
        "Map": {"type": "object", "additionalProperties": {"type": "integer"},
            "minProperties": 2, "maxProperties": 3},
        "Patterned": {"type": "object", "patternProperties": {"^x-[a-z]+$": {"type": "string"}},
            "additionalProperties": false, "minProperties": 1},
        "Names": {"type": "object", "propertyNames": {"pattern": "^[A-Z]{3}$"}, "minProperties": 2},
        "Deps": {"type": "object", "properties": {"card": {"type": "string"}, "billing": {"type": "string"}},
            "dependentRequired": {"card": ["billing"]}},
        "Tuple": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}],
            "items": false, "minItems": 2},
        "Contains": {"type": "array", "items": {"type": "integer"},
            "contains": {"minimum": 100}, "minContains": 2, "maxItems": 4},
        "UniqueInts": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 3},
            "uniqueItems": true, "minItems": 4},
        }),
        json!({
        "Untyped": {"properties": {"a": {"minLength": 2}, "n": {"minimum": 3}}, "required": ["a", "n"]},
        "Anything": true,
        "Const": {"const": {"x": 1}},
        "StringOrBigInt": {"anyOf": [{"type": "string", "minLength": 3}, {"type": "integer", "minimum": 10}]},
        "EvenOrTriple": {"oneOf": [{"type": "integer", "multipleOf": 2}, {"type": "integer", "multipleOf": 3}]},
        "RefWithSiblings": {"$ref": "#/components/schemas/Pet", "required": ["tag"]},
        }),
        json!({
        "NotString": {"type": ["integer", "string"], "not": {"type": "string"}},
        "NotSmall": {"type": "integer", "minimum": 1, "maximum": 5, "not": {"enum": [1, 2, 3]}},
        "NullablePet": {"anyOf": [{"$ref": "#/components/schemas/Pet"}, {"type": "null"}]},
        "IfThen": {"type": "object", "required": ["kind"], "properties": {"kind": {"enum": ["a", "b"]}},
            "if": {"properties": {"kind": {"const": "a"}}},
            "then": {"required": ["extra"], "properties": {"extra": {"type": "string"}}}},
        "Mixed": {"type": ["integer", "string", "boolean"], "minimum": -3, "maximum": 3, "maxLength": 4},
        }),
        json!({
            "Orders": {"type": "array", "minItems": 1, "items": {"type": "object",
                "required": ["id", "placedAt", "lines"], "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "placedAt": {"type": "string", "format": "date-time"},
                    "lines": {"type": "array", "minItems": 1, "items": {"type": "object",
                        "required": ["sku", "qty"], "properties": {
                            "sku": {"$ref": "#/components/schemas/Code"},
                            "qty": {"type": "integer", "minimum": 1, "maximum": 99}}}}}}},
            "Nested": {"allOf": [{"$ref": "#/components/schemas/Merged"},
                {"properties": {"c": {"type": "array", "items": {"$ref": "#/components/schemas/Half"}}},
                 "required": ["c"]}]},
            "Unicode": {"type": "string", "pattern": "^[α-ω]{3,5}$"}
        }),
        json!({
            "NullableObject": {"type": ["object", "null"], "required": ["a"], "properties": {"a": {"type": "boolean"}}},
            "UntypedItems": {"items": {"type": "integer"}, "minItems": 1},
            "ObjectEnum": {"enum": [{"k": 1}, {"k": 2}, [1, 2], "s"]},
            "UniqueObjects": {"type": "array", "minItems": 5, "uniqueItems": true,
                "items": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer", "minimum": 0, "maximum": 9}}}},
            "Zero": {"type": "integer", "minimum": 0, "maximum": 0},
            "TinyNegative": {"type": "number", "maximum": -0.000001},
            "IntTenths": {"type": "integer", "multipleOf": 0.3},
            "EmailPattern": {"type": "string", "pattern": "^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$"},
            "NamesFromEnum": {"type": "object", "propertyNames": {"enum": ["a", "b", "c"]}, "minProperties": 2},
            "NotNull": {"not": {"type": "null"}},
            "ContainsFive": {"type": "array", "items": {"type": "integer"}, "contains": {"const": 5}},
            "OpenInterval": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.1},
            "PetInEnvelope": {"allOf": [{"$ref": "#/components/schemas/CatOrDog"},
                {"properties": {"name": {"type": "string", "maxLength": 3}}, "required": ["name"]}]},
            "ManyItems": {"type": "array", "minItems": 50, "items": {"$ref": "#/components/schemas/Pet"}},
            "Alternation": {"type": "string", "pattern": "^(GET|POST|PUT|DELETE) /[a-z]{1,8}(/[0-9]{1,3})?$"},
            "Required100": {"type": "string", "minLength": 100, "pattern": "^[A-Z][a-z]*$"}
        }),
        // Filters only a validator can judge (`contains`, `uniqueItems`, a `oneOf` whose
        // branches overlap): the generator asks the document's matcher.
        json!({
            "NotContainingOne": {"type": "array", "items": {"enum": [1, 2]}, "minItems": 1,
                "maxItems": 3, "not": {"contains": {"const": 1}}},
            "OverlappingArrays": {"oneOf": [
                {"type": "array", "items": {"enum": [1, 2]}, "minItems": 1, "maxItems": 2},
                {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 3},
                 "minItems": 1, "maxItems": 2, "contains": {"const": 2}}]},
            "EnumFittingNot": {"allOf": [{"enum": [[1, 1], [1, 2], [2, 2]]},
                {"not": {"uniqueItems": true}}]}
        }),
    ];
    let mut schemas = Map::new();
    for part in parts {
        if let Value::Object(m) = part {
            schemas.extend(m);
        }
    }
    json!({"openapi": "3.1.0", "components": {"schemas": schemas}})
}

fn schema_names(d: &Value) -> Vec<String> {
    d["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

fn validator(registry: &jsonschema::Registry<'_>, name: &str) -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .with_registry(registry)
        .build(&json!({"$ref": format!("{URI}#/components/schemas/{name}")}))
        .unwrap()
}

fn registry(d: &Value) -> jsonschema::Registry<'_> {
    jsonschema::Registry::new()
        .draft(jsonschema::Draft::Draft202012)
        .add(URI, d)
        .unwrap()
        .prepare()
        .unwrap()
}

fn gen_named(r: &Resources, name: &str, opts: &GenOptions) -> Result<Value, SchemaError> {
    let matchers = Matchers::standalone(Arc::new(r.clone()));
    let value = &matchers.resources().root()["components"]["schemas"][name];
    generate(&matchers, Located { base: URI, value }, opts)
}

fn opts(seed: u64) -> GenOptions {
    GenOptions {
        seed,
        use_examples: false,
        ..GenOptions::default()
    }
}

#[test]
fn every_table_schema_yields_valid_values_for_two_hundred_seeds() {
    let d = doc();
    let reg = registry(&d);
    let r = Resources::new(URI, d.clone());
    let mut failures = Vec::new();
    for name in schema_names(&d) {
        let v = validator(&reg, &name);
        for seed in 0..200 {
            for direction in [Direction::Response, Direction::Request] {
                let o = GenOptions {
                    direction,
                    ..opts(seed)
                };
                match gen_named(&r, &name, &o) {
                    Ok(value) if v.is_valid(&value) => {}
                    Ok(value) => failures.push(format!("{name} seed {seed}: invalid {value}")),
                    Err(e) => failures.push(format!("{name} seed {seed}: error {e}")),
                }
            }
        }
    }
    let mut firsts: Vec<&String> = Vec::new();
    for f in &failures {
        let name = f.split(' ').next();
        if !firsts.iter().any(|g| g.split(' ').next() == name) {
            firsts.push(f);
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures, first per schema: {firsts:#?}",
        failures.len()
    );
}

#[test]
fn the_discriminator_names_the_chosen_branch_by_its_mapping_key() {
    let r = Resources::new(URI, doc());
    let mut seen = (false, false);
    for seed in 0..100 {
        let mapped = gen_named(&r, "CatOrDog", &opts(seed)).unwrap();
        let unmapped = gen_named(&r, "CatOrDogUnmapped", &opts(seed)).unwrap();
        if mapped.get("meows").is_some() {
            assert_eq!(mapped["petType"], "kitty", "{mapped}");
            seen.0 = true;
        } else {
            assert_eq!(mapped["petType"], "doggo", "{mapped}");
            seen.1 = true;
        }
        let expected = if unmapped.get("meows").is_some() {
            "Cat"
        } else {
            "Dog"
        };
        assert_eq!(unmapped["petType"], expected, "{unmapped}");
    }
    assert_eq!(
        seen,
        (true, true),
        "both branches should be chosen across seeds"
    );
}

#[test]
fn a_branch_fixing_the_discriminator_keeps_its_own_value() {
    let d = json!({"components": {"schemas": {
        "A": {"type": "object", "required": ["kind"], "properties": {"kind": {"const": "alpha"}}},
        "U": {"oneOf": [{"$ref": "#/components/schemas/A"}], "discriminator": {"propertyName": "kind"}}}}});
    let r = Resources::new(URI, d);
    let v = gen_named(&r, "U", &opts(3)).unwrap();
    assert_eq!(v["kind"], "alpha");
}

#[test]
fn read_only_properties_stay_out_of_requests_and_write_only_out_of_responses() {
    let r = Resources::new(URI, doc());
    let (mut saw_id, mut saw_password) = (false, false);
    for seed in 0..200 {
        let req = gen_named(
            &r,
            "Account",
            &GenOptions {
                direction: Direction::Request,
                ..opts(seed)
            },
        )
        .unwrap();
        assert!(req.get("id").is_none(), "{req}");
        saw_password |= req.get("password").is_some();
        let resp = gen_named(&r, "Account", &opts(seed)).unwrap();
        assert!(resp.get("password").is_none(), "{resp}");
        saw_id |= resp.get("id").is_some();
    }
    assert!(
        saw_id && saw_password,
        "the other direction should include them sometimes"
    );
}

#[test]
fn a_required_read_only_property_is_still_present_in_a_request() {
    let d = json!({"components": {"schemas": {"X": {"type": "object", "required": ["id"],
        "properties": {"id": {"type": "integer", "readOnly": true}}}}}});
    let r = Resources::new(URI, d);
    for seed in 0..20 {
        let v = gen_named(
            &r,
            "X",
            &GenOptions {
                direction: Direction::Request,
                ..opts(seed)
            },
        )
        .unwrap();
        assert!(v["id"].is_i64(), "{v}");
    }
}

#[test]
fn recursion_bottoms_out_within_the_depth_limit() {
    fn depth(v: &Value) -> usize {
        match v {
            Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
            Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
            _ => 0,
        }
    }
    let r = Resources::new(URI, doc());
    let mut deepest = 0;
    for seed in 0..200 {
        for name in ["Tree", "LinkedList", "Expr"] {
            let v = gen_named(&r, name, &opts(seed)).unwrap();
            // Each level of the schema is at most two levels of JSON (object, then array).
            assert!(depth(&v) <= 2 * 6 + 2, "{name}: {v}");
            deepest = deepest.max(depth(&v));
        }
    }
    assert!(deepest >= 3, "recursive schemas should nest sometimes");
}

#[test]
fn a_huge_max_depth_is_capped_so_endless_recursion_cannot_overflow_the_stack() {
    let d = json!({"components": {"schemas": {
        "Forever": {"type": "object", "required": ["me"], "properties": {"me": {"$ref": "#/components/schemas/Forever"}}}}}});
    let r = Resources::new(URI, d);
    let o = GenOptions {
        max_depth: 100_000,
        ..opts(1)
    };
    let err = gen_named(&r, "Forever", &o).unwrap_err();
    assert!(
        matches!(err, SchemaError::Recursion { limit, .. } if limit == MAX_SOFT_DEPTH + RECURSION_SLACK),
        "{err:?}"
    );
}

#[test]
fn the_same_seed_gives_the_same_value_and_different_seeds_differ() {
    let r = Resources::new(URI, doc());
    for name in ["Pet", "Orders", "Formats", "Tree", "CatOrDog"] {
        let a = gen_named(&r, name, &opts(42)).unwrap();
        let b = gen_named(&r, name, &opts(42)).unwrap();
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        let distinct: std::collections::BTreeSet<String> = (0..10)
            .map(|s| gen_named(&r, name, &opts(s)).unwrap().to_string())
            .collect();
        assert!(
            distinct.len() >= 5,
            "{name}: only {} distinct values",
            distinct.len()
        );
    }
}

#[test]
fn object_keys_follow_the_declared_property_order() {
    let r = Resources::new(URI, doc());
    for seed in 0..50 {
        let v = gen_named(&r, "Formats", &opts(seed)).unwrap();
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        let declared: Vec<&String> = r.root()["components"]["schemas"]["Formats"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(keys, declared);
    }
}

#[test]
fn examples_are_used_only_when_asked_and_const_beats_them() {
    let d = json!({"components": {"schemas": {
        "S": {"type": "string", "examples": ["hello there"]},
        "D": {"type": "integer", "default": 7},
        "C": {"const": 3, "examples": [4]}}}});
    let r = Resources::new(URI, d);
    let with = GenOptions {
        use_examples: true,
        ..opts(1)
    };
    assert_eq!(gen_named(&r, "S", &with).unwrap(), json!("hello there"));
    assert_eq!(gen_named(&r, "D", &with).unwrap(), json!(7));
    assert_eq!(gen_named(&r, "C", &with).unwrap(), json!(3));
    assert_ne!(gen_named(&r, "S", &opts(1)).unwrap(), json!("hello there"));
}

#[test]
fn property_names_shape_plain_strings() {
    let d = json!({"components": {"schemas": {"U": {"type": "object",
        "required": ["email", "name"], "properties": {"email": {"type": "string"}, "name": {"type": "string"}}}}}});
    let r = Resources::new(URI, d);
    let v = gen_named(&r, "U", &opts(5)).unwrap();
    assert!(v["email"].as_str().unwrap().contains('@'), "{v}");
    assert!(v["name"].as_str().unwrap().contains(' '), "{v}");
}

#[test]
fn references_into_other_files_resolve_against_their_own_file() {
    let mut r = Resources::new(
        "file:///api/root.json",
        json!({"S": {"$ref": "models/pet.json#/Pet"}}),
    );
    r.insert(
        "file:///api/models/pet.json",
        json!({"Pet": {"type": "object", "required": ["tag"], "properties": {"tag": {"$ref": "#/Tag"}}},
               "Tag": {"type": "string", "pattern": "^t-[0-9]{2}$"}}),
    );
    let matchers = Matchers::standalone(Arc::new(r));
    let v = generate(
        &matchers,
        Located {
            base: "file:///api/root.json",
            value: &matchers.resources().root()["S"],
        },
        &opts(9),
    )
    .unwrap();
    let tag = v["tag"].as_str().unwrap();
    assert!(tag.len() == 4 && tag.starts_with("t-"), "{v}");
}

#[test]
fn unsatisfiable_schemas_are_errors_not_panics() {
    let d = json!({"components": {"schemas": {
        "False": false,
        "Bounds": {"type": "integer", "minimum": 5, "maximum": 4},
        "NotAnything": {"not": {}},
        "TooFewValues": {"type": "array", "items": {"enum": ["a", "b"]}, "uniqueItems": true, "minItems": 3},
        "Forever": {"type": "object", "required": ["me"], "properties": {"me": {"$ref": "#/components/schemas/Forever"}}},
        "SelfRef": {"$ref": "#/components/schemas/SelfRef"},
        "Dangling": {"$ref": "#/components/schemas/Nope"},
        "Stretch": {"type": "string", "pattern": "^abc$", "minLength": 5},
        "Types": {"allOf": [{"type": "string"}, {"type": "integer"}]},
        "Lengths": {"type": "string", "minLength": 3, "maxLength": 2},
        "RequiredButFalse": {"type": "object", "required": ["a"], "properties": {"a": false}},
        "LookAround": {"type": "string", "pattern": "(?=a)b"},
        "NotEcma": {"type": "string", "pattern": "a**"}}}});
    let r = Resources::new(URI, d);
    let cases = [
        ("False", "Unsatisfiable"),
        ("Bounds", "Unsatisfiable"),
        ("NotAnything", "Unsatisfiable"),
        ("TooFewValues", "Unsatisfiable"),
        ("Forever", "Recursion"),
        ("SelfRef", "Recursion"),
        ("Dangling", "Ref"),
        ("Stretch", "Unsatisfiable"),
        ("Types", "Unsatisfiable"),
        ("Lengths", "Unsatisfiable"),
        ("RequiredButFalse", "Unsatisfiable"),
        ("LookAround", "Unsatisfiable"),
        ("NotEcma", "Pattern"),
    ];
    for (name, kind) in cases {
        let err = gen_named(&r, name, &opts(1)).expect_err(name);
        assert!(format!("{err:?}").starts_with(kind), "{name}: {err:?}");
    }
}

#[test]
fn a_schema_asking_for_a_huge_value_is_an_error_not_a_hang() {
    // Found by the loader fuzz (making the static answers of a loaded document): a
    // `minLength` of 2^53+1 padded a string character by character without end, and
    // `minItems` or `minProperties` of u64::MAX overflowed the count of tries.
    let d = json!({"components": {"schemas": {
        "LongString": {"type": "string", "minLength": 9_007_199_254_740_993_u64},
        "ManyItems": {"type": "array", "minItems": u64::MAX},
        "ManyContained": {"type": "array", "contains": {"type": "integer"},
                          "minContains": 1_000_000},
        "ManyProperties": {"type": "object", "minProperties": u64::MAX},
        "Nested": {"type": "object", "required": ["a"], "properties": {
            "a": {"$ref": "#/components/schemas/LongString"}}}}}});
    let r = Resources::new(URI, d);
    for name in [
        "LongString",
        "ManyItems",
        "ManyContained",
        "ManyProperties",
        "Nested",
    ] {
        let err = gen_named(&r, name, &opts(1)).expect_err(name);
        assert!(
            err.to_string().contains("more than understudy generates"),
            "{name}: {err}"
        );
    }
}

#[test]
fn a_value_of_the_largest_generated_size_is_made() {
    let d = json!({"components": {"schemas": {
        "S": {"type": "string", "minLength": MAX_SIZE},
        "A": {"type": "array", "minItems": 500, "items": {"type": "integer"}}}}});
    let r = Resources::new(URI, d);
    let s = gen_named(&r, "S", &opts(1)).expect("a long string");
    assert_eq!(s.as_str().map(|s| s.chars().count()), Some(MAX_SIZE));
    let a = gen_named(&r, "A", &opts(1)).expect("many items");
    assert!(
        a.as_array().is_some_and(|a| (500..=502).contains(&a.len())),
        "{a}"
    );
}

#[test]
fn errors_say_where_in_the_instance_they_arose() {
    let d = json!({"components": {"schemas": {"O": {"type": "object", "required": ["inner"],
        "properties": {"inner": {"type": "object", "required": ["n"],
            "properties": {"n": {"type": "integer", "minimum": 3, "maximum": 1}}}}}}}});
    let r = Resources::new(URI, d);
    let err = gen_named(&r, "O", &opts(1)).unwrap_err().to_string();
    assert!(err.contains("/inner/n"), "{err}");
}

#[test]
fn pattern_strings_are_public_and_deterministic() {
    let a = generate_string_for_pattern(r"^[A-F0-9]{8}$", 7, 0, None).unwrap();
    assert_eq!(
        Some(a.clone()),
        generate_string_for_pattern(r"^[A-F0-9]{8}$", 7, 0, None)
    );
    assert!(
        a.len() == 8
            && a.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
    );
    assert_eq!(generate_string_for_pattern("(?<=x)y", 7, 0, None), None);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn generation_never_panics_and_validates(seed in any::<u64>(), depth in 0usize..8) {
            let d = doc();
            let reg = registry(&d);
            let r = Resources::new(URI, d.clone());
            for name in ["Pet", "CatOrDog", "Tree", "Expr", "Roles", "Slug", "Code", "Half", "Formats", "Orders", "Nested"] {
                let o = GenOptions { seed, max_depth: depth, ..GenOptions::default() };
                let value = gen_named(&r, name, &o).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert!(validator(&reg, name).is_valid(&value), "{} seed {}: {}", name, seed, value);
            }
        }
    }
}

#[test]
fn an_optional_member_no_value_fits_is_left_out_and_only_a_required_one_fails_the_value() {
    // Vimeo's `content_filter` (an array whose `enum` holds only strings) and Azure's `eTag`
    // (a string the `additionalProperties` of the object beside it wants as an object).
    let d = json!({"components": {"schemas": {
        "User": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"},
            "content_filter": {"type": "array", "enum": ["drugs", "safe"], "items": {"type": "string"}}}},
        "Factory": {"type": "object", "additionalProperties": {"type": "object"},
            "allOf": [{"$ref": "#/components/schemas/Resource"}],
            "properties": {"identity": {"type": "object"}}},
        "Resource": {"type": "object", "properties": {
            "eTag": {"type": "string", "readOnly": true}, "location": {"type": "string"}}},
        "Listed": {"type": "object", "required": ["value"], "properties": {
            "value": {"type": "array", "items": {"$ref": "#/components/schemas/User"}},
            "odd": {"type": "array", "items": {"type": "integer", "minimum": 2, "maximum": 1}}}},
        "Required": {"type": "object", "required": ["content_filter"], "properties": {
            "content_filter": {"type": "array", "enum": ["drugs"], "items": {"type": "string"}}}}}}});
    let reg = registry(&d);
    let r = Resources::new(URI, d.clone());
    for name in ["User", "Factory", "Listed"] {
        let v = validator(&reg, name);
        for seed in 0..50 {
            let value = gen_named(&r, name, &opts(seed))
                .unwrap_or_else(|e| panic!("{name} seed {seed}: {e}"));
            assert!(v.is_valid(&value), "{name} seed {seed}: {value}");
            for never in ["content_filter", "eTag", "location"] {
                assert!(value.get(never).is_none(), "{name}: {value}");
            }
            if let Some(odd) = value.get("odd") {
                assert_eq!(odd, &json!([]), "{name}: {value}");
            }
        }
    }
    let err = gen_named(&r, "Required", &opts(1)).expect_err("a required member without value");
    assert!(err.to_string().contains("/content_filter"), "{err}");
}
