use proptest::prelude::*;

use super::*;

fn router(routes: &[(&str, Method)]) -> (Router, Problems) {
    let mut p = Problems::default();
    let specs: Vec<RouteSpec<'_>> = routes
        .iter()
        .enumerate()
        .map(|(i, (route, method))| RouteSpec {
            op: (0, i),
            method,
            route,
            conditions: &[],
            written: route,
            file: "f",
            pointer: String::new(),
        })
        .collect();
    let r = Router::build(specs, vec![(0, "/v1".to_owned())], &mut p);
    (r, p)
}

/// A match's (name, raw value) pairs, in template order.
fn pairs<'a>(names: &'a [String], values: Vec<&'a str>) -> Vec<(&'a str, &'a str)> {
    assert_eq!(names.len(), values.len(), "{names:?} {values:?}");
    names.iter().map(String::as_str).zip(values).collect()
}

#[test]
fn a_known_path_and_method_finds_the_operation_with_raw_parameters() {
    let (r, _) = router(&[("/v1/spaces/{spaceId}/users", Method::GET)]);
    match r.find(&Method::GET, "/v1/spaces/U3BhY2U6MQ%3D%3D/users") {
        RouteMatch::Found { op, names, values } => {
            assert_eq!(op, (0, 0));
            assert_eq!(pairs(names, values), [("spaceId", "U3BhY2U6MQ%3D%3D")]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_known_path_with_another_method_lists_what_is_allowed() {
    let (r, _) = router(&[("/v1/x/{id}", Method::GET), ("/v1/x/{id}", Method::DELETE)]);
    match r.find(&Method::POST, "/v1/x/1") {
        RouteMatch::MethodNotAllowed { allowed, .. } => {
            assert_eq!(
                allowed,
                vec![Method::GET, Method::DELETE, Method::HEAD, Method::OPTIONS]
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        r.find(&Method::HEAD, "/v1/x/1"),
        RouteMatch::Found { .. }
    ));
}

#[test]
fn unknown_paths_are_attributed_to_the_api_whose_home_they_are_under() {
    let (r, _) = router(&[("/v1/x", Method::GET)]);
    assert_eq!(
        r.find(&Method::GET, "/v1/nope"),
        RouteMatch::NotFound { api: Some(0) }
    );
    assert_eq!(
        r.find(&Method::GET, "/v10/nope"),
        RouteMatch::NotFound { api: None }
    );
}

#[test]
fn static_segments_win_over_parameters() {
    let (r, p) = router(&[("/v1/a/{id}", Method::GET), ("/v1/a/me", Method::GET)]);
    assert!(!p.has_errors());
    assert!(matches!(
        r.find(&Method::GET, "/v1/a/me"),
        RouteMatch::Found { op: (0, 1), .. }
    ));
    assert!(matches!(
        r.find(&Method::GET, "/v1/a/7"),
        RouteMatch::Found { op: (0, 0), .. }
    ));
}

#[test]
fn a_segment_with_several_parameters_is_split_on_its_literals() {
    let (r, p) = router(&[
        ("/v1/compare/{base}...{head}", Method::GET),
        ("/v1/files/{name}.{ext}", Method::GET),
    ]);
    assert!(!p.has_errors(), "{p:?}");
    match r.find(&Method::GET, "/v1/compare/main...feature.x") {
        RouteMatch::Found { op, names, values } => {
            assert_eq!(op, (0, 0));
            assert_eq!(
                pairs(names, values),
                [("base", "main"), ("head", "feature.x")]
            );
        }
        other => panic!("{other:?}"),
    }
    match r.find(&Method::GET, "/v1/files/a.tar.gz") {
        RouteMatch::Found { names, values, .. } => {
            // Each parameter from the left takes as much as it can.
            assert_eq!(pairs(names, values), [("name", "a.tar"), ("ext", "gz")]);
        }
        other => panic!("{other:?}"),
    }
    for missing in ["/v1/compare/main", "/v1/compare/...x", "/v1/compare/x..."] {
        assert_eq!(
            r.find(&Method::GET, missing),
            RouteMatch::NotFound { api: Some(0) },
            "{missing}"
        );
    }
}

#[test]
fn a_path_with_literals_between_parameters_wins_over_one_parameter_in_their_place() {
    let (r, p) = router(&[
        ("/v1/compare/{basehead}", Method::GET),
        ("/v1/compare/{base}...{head}", Method::GET),
    ]);
    assert!(!p.has_errors(), "{p:?}");
    assert!(matches!(
        r.find(&Method::GET, "/v1/compare/a...b"),
        RouteMatch::Found { op: (0, 1), .. }
    ));
    assert!(matches!(
        r.find(&Method::GET, "/v1/compare/a..b"),
        RouteMatch::Found { op: (0, 0), .. }
    ));
    assert_eq!(
        r.methods_of("/v1/compare/a").map(|m| m.1),
        Some(vec![Method::GET])
    );
}

#[test]
fn the_same_path_with_other_parameter_names_is_one_path() {
    let (_, p) = router(&[("/v1/a/{id}", Method::GET), ("/v1/a/{name}", Method::GET)]);
    assert!(p.has_errors());
    // Other methods: one path, each operation's values under its own names.
    let (r, p) = router(&[("/v1/a/{id}", Method::GET), ("/v1/a/{name}", Method::POST)]);
    assert!(!p.has_errors(), "{p:?}");
    for (method, name) in [(Method::GET, "id"), (Method::POST, "name")] {
        match r.find(&method, "/v1/a/7") {
            RouteMatch::Found { names, values, .. } => {
                assert_eq!(pairs(names, values), [(name, "7")]);
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn common_prefixes_stop_at_parameters() {
    assert_eq!(
        common_prefix(["/v2/spaces/{id}/users", "/v2/spaces/{id}/users/{u}"]),
        "/v2/spaces"
    );
    assert_eq!(common_prefix(["/v1/a", "/v1/b"]), "/v1");
    assert_eq!(common_prefix(["/a", "/b"]), "/");
}

/// The route `/a/{p1}/.../{pN}` and a path for it, `/a/v1/.../vN`.
fn many_parameters(n: usize) -> (String, String) {
    let route: String = (1..=n).map(|i| format!("/{{p{i}}}")).collect();
    let path: String = (1..=n).map(|i| format!("/v{i}")).collect();
    (format!("/v1/a{route}"), format!("/v1/a{path}"))
}

#[test]
fn paths_with_26_100_and_300_parameters_build_and_route_every_value_in_order() {
    for n in [26, 100, 300] {
        let (route, path) = many_parameters(n);
        let (r, p) = router(&[(&route, Method::GET)]);
        assert!(!p.has_errors(), "{n}: {p:?}");
        match r.find(&Method::GET, &path) {
            RouteMatch::Found { op, names, values } => {
                assert_eq!(op, (0, 0));
                let want: Vec<(String, String)> = (1..=n)
                    .map(|i| (format!("p{i}"), format!("v{i}")))
                    .collect();
                let got: Vec<(String, String)> = pairs(names, values)
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect();
                assert_eq!(got, want, "{n}");
            }
            other => panic!("{n}: {other:?}"),
        }
        // One segment short or long is another path.
        let short = &path[..path.rfind('/').unwrap_or(0)];
        assert!(matches!(
            r.find(&Method::GET, short),
            RouteMatch::NotFound { .. }
        ));
        assert!(matches!(
            r.find(&Method::GET, &format!("{path}/x")),
            RouteMatch::NotFound { .. }
        ));
    }
}

#[test]
fn a_concrete_path_beside_a_templated_one_of_the_same_shape_wins_and_both_route() {
    let (r, p) = router(&[
        ("/v1/lists/{date}/{list}.json", Method::GET),
        ("/v1/lists/best-sellers/history.json", Method::GET),
    ]);
    assert!(!p.has_errors(), "{p:?}");
    assert!(matches!(
        r.find(&Method::GET, "/v1/lists/best-sellers/history.json"),
        RouteMatch::Found { op: (0, 1), .. }
    ));
    match r.find(&Method::GET, "/v1/lists/current/hardcover-fiction.json") {
        RouteMatch::Found { op, names, values } => {
            assert_eq!(op, (0, 0));
            assert_eq!(
                pairs(names, values),
                [("date", "current"), ("list", "hardcover-fiction")]
            );
        }
        other => panic!("{other:?}"),
    }
    // The literal branch takes `best-sellers`, then fails on `x.json`: the templated
    // route answers.
    match r.find(&Method::GET, "/v1/lists/best-sellers/x.json") {
        RouteMatch::Found { op, names, values } => {
            assert_eq!(op, (0, 0));
            assert_eq!(
                pairs(names, values),
                [("date", "best-sellers"), ("list", "x")]
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_literal_branch_that_dead_ends_deeper_backs_up_to_the_parameter() {
    let (r, p) = router(&[
        ("/v1/a/{x}/c/d", Method::GET),
        ("/v1/a/b/{y}/e", Method::GET),
        ("/v1/a/b/c/f", Method::GET),
        ("/v1/a/{x}.{z}/c/{w}", Method::GET),
    ]);
    assert!(!p.has_errors(), "{p:?}");
    let op = |path: &str| match r.find(&Method::GET, path) {
        RouteMatch::Found { op, .. } => Some(op.1),
        _ => None,
    };
    // The most literal route at the first segment where they part wins.
    assert_eq!(op("/v1/a/b/c/f"), Some(2));
    assert_eq!(op("/v1/a/b/c/e"), Some(1));
    assert_eq!(op("/v1/a/b/z/e"), Some(1));
    // `b` then `c` are literal branches that lead nowhere for `d`: two levels back up.
    assert_eq!(op("/v1/a/b/c/d"), Some(0));
    assert_eq!(op("/v1/a/q/c/d"), Some(0));
    // A compound is tried before the whole-segment parameter, and backed out of too.
    assert_eq!(op("/v1/a/q.r/c/s"), Some(3));
    assert_eq!(op("/v1/a/q.r/c/d"), Some(3));
    assert_eq!(op("/v1/a/b/c/g"), None);
    match r.find(&Method::GET, "/v1/a/b/c/d") {
        RouteMatch::Found { names, values, .. } => {
            assert_eq!(pairs(names, values), [("x", "b")]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        r.methods_of("/v1/a/b/c/d").map(|m| m.1),
        Some(vec![Method::GET])
    );
}

#[test]
fn compounds_with_more_literal_text_are_tried_first_and_backed_out_of() {
    let (r, p) = router(&[
        ("/v1/f/{name}.{ext}/x", Method::GET),
        ("/v1/f/{name}.json/x", Method::GET),
        ("/v1/f/{name}.{ext}/y", Method::GET),
        ("/v1/f/{name}/z", Method::GET),
    ]);
    assert!(!p.has_errors(), "{p:?}");
    let found = |path: &'static str| match r.find(&Method::GET, path) {
        RouteMatch::Found { op, names, values } => Some((op.1, pairs(names, values))),
        _ => None,
    };
    assert_eq!(found("/v1/f/a.json/x"), Some((1, vec![("name", "a")])));
    // `{name}.json` takes `a.json`, then fails on `y`: the next compound answers.
    assert_eq!(
        found("/v1/f/a.json/y"),
        Some((2, vec![("name", "a"), ("ext", "json")]))
    );
    assert_eq!(
        found("/v1/f/a.xml/x"),
        Some((0, vec![("name", "a"), ("ext", "xml")]))
    );
    // Both compounds fail deeper: the whole-segment parameter answers.
    assert_eq!(found("/v1/f/a.json/z"), Some((3, vec![("name", "a.json")])));
}

#[test]
fn literals_and_parameters_mix_within_segments_several_per_route() {
    let (r, p) = router(&[
        (
            "/v1/repos/v{major}.{minor}/{base}...{head}/prefix{id}",
            Method::GET,
        ),
        ("/v1/dates/{a}-{b}-{c}/{name}.json", Method::GET),
        ("/v1/dates/{a}-{b}-{c}/{name}", Method::GET),
    ]);
    assert!(!p.has_errors(), "{p:?}");
    let found = |path: &'static str| match r.find(&Method::GET, path) {
        RouteMatch::Found { op, names, values } => Some((op.1, pairs(names, values))),
        _ => None,
    };
    assert_eq!(
        found("/v1/repos/v2.10/main...topic/prefix42"),
        Some((
            0,
            vec![
                ("major", "2"),
                ("minor", "10"),
                ("base", "main"),
                ("head", "topic"),
                ("id", "42")
            ]
        ))
    );
    assert_eq!(
        found("/v1/dates/2024-01-31/report.json"),
        Some((
            1,
            vec![("a", "2024"), ("b", "01"), ("c", "31"), ("name", "report")]
        ))
    );
    // Each parameter from the left takes as much as it can, as `(.+)-(.+)-(.+)` would.
    assert_eq!(
        found("/v1/dates/2024-01-31-x/report.csv"),
        Some((
            2,
            vec![
                ("a", "2024-01"),
                ("b", "31"),
                ("c", "x"),
                ("name", "report.csv")
            ]
        ))
    );
    for missing in [
        "/v1/repos/2.10/main...topic/prefix42",
        "/v1/repos/v2./main...topic/prefix42",
        "/v1/repos/v2.10/main...topic/prefix",
        "/v1/repos/v2.10/main...topic/42",
        "/v1/dates/2024-01/report.json",
        "/v1/dates/-01-31/report.json",
    ] {
        assert_eq!(found(missing), None, "{missing}");
    }
}

#[test]
fn parameters_take_at_least_one_character() {
    let (r, _) = router(&[("/v1/a/{id}", Method::GET), ("/v1/b/x{id}", Method::GET)]);
    for path in ["/v1/a/", "/v1/b/x", "/v1/a//"] {
        assert!(
            matches!(r.find(&Method::GET, path), RouteMatch::NotFound { .. }),
            "{path}"
        );
    }
}

#[test]
fn a_node_with_many_literal_children_finds_each_of_them() {
    let routes: Vec<String> = (0..40).map(|i| format!("/v1/r{i}")).collect();
    let mut specs: Vec<(&str, Method)> = routes.iter().map(|r| (r.as_str(), Method::GET)).collect();
    specs.push(("/v1/{other}", Method::GET));
    let (r, p) = router(&specs);
    assert!(!p.has_errors(), "{p:?}");
    for (i, route) in routes.iter().enumerate() {
        assert!(
            matches!(r.find(&Method::GET, route), RouteMatch::Found { op: (0, o), .. } if o == i),
            "{route}"
        );
    }
    assert!(matches!(
        r.find(&Method::GET, "/v1/r40"),
        RouteMatch::Found { op: (0, 40), .. }
    ));
}

#[test]
fn malformed_templates_are_problems_naming_the_route() {
    for (route, reason) in [
        ("/v1/a/{id", "never closed"),
        ("/v1/a/{id/b}", "never closed"),
        ("/v1/a/id}", "closes no"),
        ("/v1/a/{id}}", "closes no"),
        ("/v1/a/{}", "no name"),
        ("/v1/a/{a{b}}", "holds a `{`"),
        ("/v1/a/{a}{b}", "nothing between them"),
        ("/v1/a/x{a}{b}.json", "nothing between them"),
    ] {
        let (r, p) = router(&[(route, Method::GET), ("/v1/fine/{id}", Method::GET)]);
        let messages: Vec<&str> = p.errors().map(|e| e.message.as_str()).collect();
        assert!(
            messages.len() == 1
                && messages[0].contains(&format!("`{route}`"))
                && messages[0].contains(reason),
            "{route}: {messages:?}"
        );
        // The rest of the document still routes.
        assert!(matches!(
            r.find(&Method::GET, "/v1/fine/1"),
            RouteMatch::Found { op: (0, 1), .. }
        ));
    }
}

/// A template's segments filled with `values` in turn: the path it stands for.
fn fill(segments: &[Segment], values: &[&str]) -> String {
    let mut values = values.iter();
    let mut next = || values.next().copied().unwrap_or("?");
    let filled: Vec<String> = segments
        .iter()
        .map(|segment| match segment {
            Segment::Literal(text) => text.to_string(),
            Segment::Param => next().to_owned(),
            Segment::Compound(c) => {
                let mut out = String::new();
                for (i, literal) in c.literals.iter().enumerate() {
                    if i > 0 {
                        out.push_str(next());
                    }
                    out.push_str(literal);
                }
                out
            }
        })
        .collect();
    filled.join("/")
}

/// How specific a segment is: literal, then compounds by literal text, then parameter.
fn rank(segment: &Segment) -> (u8, usize) {
    match segment {
        Segment::Literal(_) => (2, 0),
        Segment::Compound(c) => (1, c.literal_len()),
        Segment::Param => (0, 0),
    }
}

/// A template from a small alphabet: often malformed, sometimes with empty segments.
fn any_template() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "a", "b", "{", "}", ".", "-", "/", "/", "{x}", "{y}", "{id}", "{a.b}",
    ]);
    prop::collection::vec(token, 0..12).prop_map(|t| format!("/{}", t.concat()))
}

/// Templates made of a few shared segments, so that they meet and part in the trie, and
/// a few free ones.
fn any_templates() -> impl Strategy<Value = Vec<String>> {
    let token = prop::sample::select(vec![
        "a", "b", "{", "}", ".", "-", "{x}", "{y}", "{id}", "{x}", "{y}",
    ]);
    let segment = prop::collection::vec(token, 0..4).prop_map(|t| t.concat());
    let shape = prop::collection::vec(0..5usize, 1..5);
    (
        prop::collection::vec(segment, 1..5),
        prop::collection::vec(shape, 1..8),
        prop::collection::vec(any_template(), 0..3),
    )
        .prop_map(|(pool, shapes, free)| {
            let shared = shapes.into_iter().map(|shape| {
                let segments: Vec<&str> = shape
                    .iter()
                    .map(|i| pool[i % pool.len()].as_str())
                    .collect();
                format!("/{}", segments.join("/"))
            });
            shared.chain(free).collect()
        })
}

proptest! {
    // Cases are cheap (a few microseconds), and the ones where branches meet are rare.
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn any_templates_build_and_route_without_panicking_and_each_reaches_itself_or_a_more_literal_route(
        templates in any_templates(),
        // Some with no `a`, `b`, `.` or `-`, so they never hold a separator nor equal a
        // literal segment; others that may or do, so that literal branches are taken and
        // backed out of.
        values in prop::collection::vec(
            prop_oneof![
                "[xyz0-9%]{1,3}",
                "[xyz0-9%ab.-]{1,3}",
                prop::sample::select(vec!["a", "b", "-", ".", "ab", "a-"]).prop_map(str::to_owned),
            ],
            12,
        ),
        requests in prop::collection::vec("/[ab{}./x%é-]{0,16}", 4),
        text in any::<String>(),
    ) {
        let specs: Vec<(&str, Method)> =
            templates.iter().map(|t| (t.as_str(), Method::GET)).collect();
        let (r, p) = router(&specs);
        for path in requests.iter().chain([&text]) {
            let _ = r.find(&Method::GET, path);
            let _ = r.find(&Method::DELETE, path);
            let _ = r.methods_of(path);
        }
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        for template in &templates {
            let Ok((own, _)) = parse_template(template) else {
                continue;
            };
            prop_assert!(
                !p.errors().any(|e| e.message.contains(&format!("`{template}` cannot"))),
                "{template}: {p:?}"
            );
            let path = fill(&own, &values);
            let RouteMatch::Found { op, names, values: got } = r.find(&Method::GET, &path)
            else {
                return Err(TestCaseError::fail(format!("{template}: {path} not found")));
            };
            prop_assert_eq!(names.len(), got.len());
            let found_template = &templates[op.1];
            let (found, _) = parse_template(found_template)
                .map_err(|e| TestCaseError::fail(format!("{found_template}: {e}")))?;
            // The values it gave put back in its template make the path again.
            prop_assert_eq!(fill(&found, &got), path.clone(), "{}", found_template);
            match own.iter().zip(&found).position(|(a, b)| a != b) {
                // The same path: the same values, unless one holds a separator.
                None if got.len() <= values.len()
                    && values[..got.len()].iter().all(|v| !v.contains(['a', 'b', '.', '-'])) =>
                {
                    prop_assert_eq!(&got[..], &values[..got.len()], "{}", path)
                }
                None => {}
                Some(at) => prop_assert!(
                    rank(&found[at]) >= rank(&own[at]),
                    "{path}: {template} reached the less literal {found_template}"
                ),
            }
        }
    }
}

/// A router over keys as a document writes them, discriminators and all, for operations that
/// declare the header `X-Target` and the path parameter `b2`.
fn router_of_keys(keys: &[(&str, Method)]) -> (Router, Problems) {
    use crate::operation::api::key::routing;
    use crate::operation::params::ParamIn;
    let routings: Vec<_> = keys
        .iter()
        .map(|(key, _)| {
            routing(
                "",
                key,
                &[("X-Target", ParamIn::Header), ("b2", ParamIn::Path)],
            )
            .0
        })
        .collect();
    let mut p = Problems::default();
    let specs: Vec<RouteSpec<'_>> = keys
        .iter()
        .zip(&routings)
        .enumerate()
        .map(|(i, ((key, method), r))| RouteSpec {
            op: (0, i),
            method,
            route: &key[..r.path_len],
            conditions: &r.conditions,
            written: key,
            file: "f",
            pointer: String::new(),
        })
        .collect();
    let r = Router::build(specs, vec![(0, "/".to_owned())], &mut p);
    (r, p)
}

#[test]
fn discriminators_pick_among_the_operations_of_a_path_and_method() {
    let (r, p) = router_of_keys(&[
        ("/#X-Target=A", Method::POST),
        ("/#X-Target=B", Method::POST),
        ("/?Action=List&Version=1", Method::GET),
        ("/{b}", Method::GET),
        ("/{b}?acl", Method::GET),
        ("/{b}?acl&versionId", Method::GET),
        ("/{b}?lat={b2}", Method::PUT),
    ]);
    assert!(!p.has_errors(), "{p:?}");
    let mut headers = HeaderMap::new();
    headers.insert("x-target", "B".parse().unwrap());
    let op = |m: RouteMatch<'_, '_>| match m {
        RouteMatch::Found { op, .. } => Some(op.1),
        _ => None,
    };
    assert_eq!(
        op(r.find_request(&Method::POST, "/", None, &headers)),
        Some(1)
    );
    assert_eq!(op(r.find(&Method::POST, "/")), None);
    assert_eq!(
        op(r.find_request(&Method::GET, "/", Some("Version=1&Action=List"), &headers)),
        Some(2)
    );
    assert_eq!(
        op(r.find_request(&Method::GET, "/", Some("Action=L%69st&Version=1"), &headers)),
        Some(2)
    );
    assert_eq!(
        r.find_request(&Method::GET, "/", Some("Action=Other&Version=1"), &headers),
        RouteMatch::NotFound { api: Some(0) }
    );
    assert!(matches!(
        r.find_request(&Method::DELETE, "/", None, &headers),
        RouteMatch::MethodNotAllowed { .. }
    ));
    let get = |query| op(r.find_request(&Method::GET, "/x", query, &headers));
    assert_eq!(get(None), Some(3));
    assert_eq!(get(Some("acl")), Some(4));
    // The most conditions met wins.
    assert_eq!(get(Some("versionId=2&acl")), Some(5));
    assert_eq!(get(Some("versionId=2")), Some(3));
    match r.find_request(&Method::PUT, "/x", Some("lat=5%2E1"), &headers) {
        RouteMatch::Found { op, names, values } => {
            assert_eq!(op.1, 6);
            assert_eq!(pairs(names, values), [("b", "x"), ("b2", "5%2E1")]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_same_discriminator_twice_is_served_twice() {
    let (_, p) = router_of_keys(&[
        ("/#Action=A", Method::GET),
        ("/?Action=A", Method::GET),
        ("/?Action=B", Method::GET),
    ]);
    let errors: Vec<_> = p.errors().map(|e| e.message.clone()).collect();
    assert_eq!(errors, ["GET /?Action=A is served twice"]);
}
