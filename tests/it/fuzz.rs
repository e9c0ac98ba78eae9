//! The fuzz strategies against the validators the server uses: every valid value of every
//! schema of the bundled documents and of `tests/docs/` validates, every invalid one fails
//! with the constraint it names. Whole requests built from these values are the business of
//! `mock_props`, which sends them to the mock.
//!
//! Where the validator legitimately reports a break differently, the comparison says so:
//! the keyword and instance path must match one reported violation exactly, except that a
//! break inside an `anyOf`/`oneOf` branch at the branch's own level is named after the choice
//! (the validator reports "matches none of the forms" there), which `Broken` already does.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use proptest::test_runner::{Config, TestRunner};
use understudy::operation::api::Api;
use understudy::schema::strategy::{self as fuzz, Direction};
use understudy::schema::validators::CompiledSchema;
use understudy::schema::violation::Location;

use crate::harness::every_engine;

const CASES: u32 = 64;

/// Every validator of an API once, with the direction its values travel in.
fn validators(api: &Api) -> Vec<(Arc<CompiledSchema>, Direction)> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut add = |v: &Arc<CompiledSchema>, d: Direction| {
        if seen.insert((v.loc.clone(), d == Direction::Request)) {
            out.push((v.clone(), d));
        }
    };
    for op in &api.operations {
        for p in &op.params {
            if let Some(v) = &p.validator {
                add(v, Direction::Request);
            }
        }
        for m in op.body.iter().flat_map(|b| &b.media) {
            if let Some(v) = &m.validator {
                add(v, Direction::Request);
            }
        }
        for r in &op.responses {
            for m in &r.media {
                if let Some(v) = &m.validator {
                    add(v, Direction::Response);
                }
            }
        }
    }
    out
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    })
}

#[test]
fn every_valid_value_of_every_schema_validates_and_every_invalid_one_fails_as_named() {
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut schemas = 0;
    let mut with_invalid = 0;
    for engine in every_engine() {
        for api in engine.apis() {
            for (validator, direction) in validators(api) {
                schemas += 1;
                let at = format!(
                    "{} {}#{}",
                    api.name, validator.loc.file, validator.loc.pointer
                );
                let schema = fuzz::schema_at(&api.resources, &validator.loc)
                    .unwrap_or_else(|| panic!("{at}: no schema"));
                let compiled = match fuzz::compile(&api.resources, schema, direction) {
                    Ok(c) => c,
                    Err(e) => {
                        failures.push(format!("{at}: does not compile: {e}"));
                        continue;
                    }
                };
                let v = validator.clone();
                let result = runner().run(&compiled.valid(), |value| {
                    let errors: Vec<String> = v
                        .violations(&value, &Location::Body)
                        .iter()
                        .map(|x| format!("{} ({})", x, x.keyword))
                        .collect();
                    proptest::prop_assert!(errors.is_empty(), "{value} is not valid: {errors:?}");
                    Ok(())
                });
                if let Err(e) = result {
                    failures.push(format!("{at} ({direction:?}) valid: {e}"));
                }
                let Some(invalid) = compiled.invalid() else {
                    continue;
                };
                with_invalid += 1;
                let v = validator.clone();
                let result = runner().run(&invalid, |inv| {
                    let got = v.violations(&inv.value, &Location::Body);
                    let named = got.iter().any(|x| {
                        x.keyword == inv.broken.keyword
                            && x.location == Location::Body(inv.broken.path.clone())
                    });
                    let seen: Vec<String> = got
                        .iter()
                        .map(|x| format!("{:?} {}", x.location, x.keyword))
                        .collect();
                    proptest::prop_assert!(
                        named,
                        "{} should break {:?} at {:?}; the validator says {seen:?}",
                        inv.value,
                        inv.broken.keyword,
                        inv.broken.path
                    );
                    Ok(())
                });
                if let Err(e) = result {
                    failures.push(format!("{at} ({direction:?}) invalid: {e}"));
                }
            }
        }
    }
    eprintln!(
        "{schemas} schemas, {with_invalid} with invalid values, {:?}",
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn a_value_shrinks_to_a_minimal_failing_case() {
    let doc = serde_json::json!({"s": {"type": "object", "required": ["n"],
        "properties": {"n": {"type": "integer", "minimum": 0, "maximum": 1000},
                       "tags": {"type": "array", "items": {"type": "string"}}}}});
    let r = Arc::new(understudy::document::refs::Resources::new(
        "file:///t.yaml",
        doc,
    ));
    let schema = understudy::document::refs::Located {
        base: "file:///t.yaml",
        value: &r.root()["s"],
    };
    let s = fuzz::valid(&r, schema, Direction::Request).unwrap();
    let mut runner = runner();
    let failure = runner.run(&s, |v| {
        proptest::prop_assert!(v["n"].as_i64().unwrap_or(0) < 10);
        Ok(())
    });
    match failure {
        Err(proptest::test_runner::TestError::Fail(_, minimal)) => {
            assert_eq!(minimal, serde_json::json!({"n": 10}));
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}
