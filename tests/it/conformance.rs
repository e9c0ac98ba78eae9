//! Every example and every generated answer of the bundled documents validates against its
//! schema, and the bundled documents load without a single warning.

use understudy::schema::violation::Location;
use understudy::{Engine, EngineConfig};

fn bundled() -> Engine {
    Engine::load(
        &understudy::document::load::bundled(),
        EngineConfig::default(),
    )
    .unwrap_or_else(|e| panic!("bundled documents fail to load: {e:?}"))
}

#[test]
fn the_bundled_documents_load_without_warnings() {
    let engine = bundled();
    let names: Vec<&str> = engine.apis().iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["alumio", "gitbook", "arize"]);
    for api in engine.apis() {
        assert!(api.warnings.is_empty(), "{}: {:#?}", api.name, api.warnings);
    }
}

#[test]
fn every_response_example_of_the_bundled_documents_validates() {
    let engine = bundled();
    let mut checked = 0;
    for api in engine.apis() {
        for op in &api.operations {
            for response in &op.responses {
                for media in &response.media {
                    let Some(validator) = &media.validator else {
                        continue;
                    };
                    let examples = media.examples.iter().map(|(n, v)| (n.as_str(), v));
                    for (name, example) in
                        examples.chain(media.example.iter().map(|v| ("example", v)))
                    {
                        let violations = validator.violations(example, &Location::Body);
                        assert!(
                            violations.is_empty(),
                            "{} {} {:?} {name}: {violations:?}",
                            api.name,
                            op.id,
                            response.status
                        );
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked >= 10, "only {checked} examples found");
}

#[test]
fn every_generated_response_of_the_bundled_documents_validates() {
    let engine = bundled();
    let mut checked = 0;
    for api in engine.apis() {
        for op in &api.operations {
            for response in &op.responses {
                for media in &response.media {
                    let Some(validator) = &media.validator else {
                        continue;
                    };
                    for seed in 0..25u64 {
                        for use_examples in [false, true] {
                            let value = media
                                .generate(&api.matchers, seed, use_examples)
                                .unwrap_or_else(|e| panic!("{} {}: {e}", api.name, op.id));
                            let violations = validator.violations(&value, &Location::Body);
                            assert!(
                                violations.is_empty(),
                                "{} {} {:?} seed {seed}: {value} breaks {violations:?}",
                                api.name,
                                op.id,
                                response.status
                            );
                            checked += 1;
                        }
                    }
                    let fixed = media
                        .static_answer(&api.matchers, 7)
                        .expect("a static body");
                    let value = &fixed.value;
                    assert!(validator.is_valid(value), "{} {}: {value}", api.name, op.id);
                }
            }
        }
    }
    assert!(checked >= 200, "only {checked} generated bodies checked");
}
