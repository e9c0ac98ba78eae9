//! Valid values of compiled schemas validate, choices and directions included.

use super::super::{Direction, compile};
use crate::document::refs::{Located, Resources};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::Value;
use serde_json::json;
use std::sync::Arc;

const URI: &str = "file:///t.yaml";

fn samples(doc: Value, name: &str, direction: Direction) -> (Vec<Value>, jsonschema::Validator) {
    let r = Arc::new(Resources::new(URI, json!({"components": {"schemas": doc}})));
    let schema = Located {
        base: URI,
        value: &r.root()["components"]["schemas"][name],
    };
    let s = compile(&r, schema, direction).unwrap().valid();
    let mut runner = TestRunner::deterministic();
    let values = (0..64)
        .map(|_| s.new_tree(&mut runner).unwrap().current())
        .collect();
    let mut whole = r.root().clone();
    whole["$ref"] = json!(format!("#/components/schemas/{name}"));
    (values, jsonschema::validator_for(&whole).unwrap())
}

#[test]
fn one_of_values_match_exactly_one_branch() {
    let (values, v) = samples(
        json!({"N": {"oneOf": [{"type": "integer", "multipleOf": 2},
                               {"type": "integer", "multipleOf": 3}]}}),
        "N",
        Direction::Request,
    );
    for x in values {
        assert!(v.is_valid(&x), "{x}");
    }
}

#[test]
fn a_discriminator_names_the_chosen_branch() {
    let (values, _) = samples(
        json!({"Pet": {"oneOf": [{"$ref": "#/components/schemas/Cat"},
                                 {"$ref": "#/components/schemas/Dog"}],
                       "discriminator": {"propertyName": "kind",
                           "mapping": {"cat": "#/components/schemas/Cat", "dog": "Dog"}}},
               "Cat": {"type": "object", "required": ["kind"],
                       "properties": {"kind": {"type": "string"}, "meows": {"type": "boolean"}}},
               "Dog": {"type": "object", "required": ["kind"],
                       "properties": {"kind": {"type": "string"}}}}),
        "Pet",
        Direction::Request,
    );
    for x in values {
        let kind = x["kind"].as_str().unwrap();
        assert!(kind == "cat" || kind == "dog", "{x}");
    }
}

#[test]
fn recursive_schemas_end() {
    let (values, v) = samples(
        json!({"Node": {"type": "object", "required": ["children"], "properties": {
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}}}),
        "Node",
        Direction::Response,
    );
    for x in values {
        assert!(v.is_valid(&x), "{x}");
    }
}

#[test]
fn requests_leave_out_read_only_properties_and_responses_write_only_ones() {
    let doc = json!({"U": {"type": "object", "properties": {
        "id": {"type": "string", "readOnly": true},
        "password": {"type": "string", "writeOnly": true},
        "name": {"type": "string"}}, "required": ["name"]}});
    let (req, _) = samples(doc.clone(), "U", Direction::Request);
    assert!(req.iter().all(|x| x.get("id").is_none()));
    assert!(req.iter().any(|x| x.get("password").is_some()));
    let (resp, _) = samples(doc, "U", Direction::Response);
    assert!(resp.iter().all(|x| x.get("password").is_none()));
}

#[test]
fn lengths_count_characters_and_unique_items_hold() {
    let (values, v) = samples(
        json!({"A": {"type": "array", "uniqueItems": true, "minItems": 2, "maxItems": 3,
            "items": {"type": "string", "minLength": 2, "maxLength": 2, "format": "uuid"}},
            "B": {"type": "array", "uniqueItems": true, "minItems": 2,
            "items": {"type": "string", "minLength": 1, "maxLength": 3}}}),
        "B",
        Direction::Request,
    );
    for x in values {
        assert!(v.is_valid(&x), "{x}");
    }
}

#[test]
fn additional_properties_false_allows_no_extras_and_a_schema_types_them() {
    let (values, v) = samples(
        json!({"M": {"type": "object", "additionalProperties": {"type": "integer"}},
               "C": {"type": "object", "additionalProperties": false,
                     "properties": {"a": {"type": "integer"}}}}),
        "M",
        Direction::Request,
    );
    assert!(values.iter().any(|x| !x.as_object().unwrap().is_empty()));
    for x in values {
        assert!(v.is_valid(&x), "{x}");
    }
}
