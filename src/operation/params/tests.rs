//! The parameter plans: compiling, type facts, coercion, every style of every location, and
//! properties over arbitrary text.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::document::refs::Resources;
use crate::schema::violation::{Location, Violation};

fn owned(pairs: Vec<Pair<'_>>) -> Vec<(String, String)> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

const BASE: &str = "file:///api.json";

fn resources() -> Resources {
    Resources::new(
        BASE,
        json!({"components": {"schemas": {
            "Id": {"type": "integer"},
            "Color": {"type": "object", "properties": {
                "R": {"type": "integer"}, "G": {"type": "integer"}, "B": {"type": "integer"}
            }},
            "Loop": {"$ref": "#/components/schemas/Loop"},
            "Tags": {"type": "array", "items": {"type": "string"}}
        }}}),
    )
}

fn plan(param: Value) -> ParamPlan {
    ParamPlan::compile(&resources(), BASE, &param).unwrap()
}

fn types(schema: Value) -> TypeSet {
    TypeSet::of_schema(&resources(), BASE, &schema)
}

fn string_schema() -> Value {
    json!({"type": "string"})
}

fn array_schema() -> Value {
    json!({"type": "array", "items": {"type": "string"}})
}

fn object_schema() -> Value {
    json!({"$ref": "#/components/schemas/Color"})
}

fn color(location: &str, style: &str, explode: bool, schema: Value) -> ParamPlan {
    plan(
        json!({"name": "color", "in": location, "style": style, "explode": explode,
                "schema": schema}),
    )
}

fn blue() -> Value {
    json!("blue")
}

fn colors() -> Value {
    json!(["blue", "black", "brown"])
}

fn rgb() -> Value {
    json!({"R": 100, "G": 200, "B": 150})
}

fn query(plan: &ParamPlan, raw: &str) -> Result<Option<Value>, Violation> {
    plan.from_query(&parse_query(raw))
}

fn cookie(plan: &ParamPlan, raw: &str) -> Result<Option<Value>, Violation> {
    plan.from_cookie(&parse_cookies(raw))
}

// ---- compiling plans ----

#[test]
fn defaults_follow_the_location() {
    let q = plan(json!({"name": "a", "in": "query", "schema": string_schema()}));
    assert_eq!((q.style, q.explode, q.required), (Style::Form, true, false));
    let p = plan(json!({"name": "a", "in": "path", "schema": string_schema()}));
    assert_eq!(
        (p.style, p.explode, p.required),
        (Style::Simple, false, true)
    );
    let h = plan(json!({"name": "a", "in": "header", "schema": string_schema()}));
    assert_eq!((h.style, h.explode), (Style::Simple, false));
    let c = plan(json!({"name": "a", "in": "cookie", "schema": string_schema()}));
    assert_eq!((c.style, c.explode), (Style::Form, true));
    let d = plan(json!({"name": "a", "in": "query", "style": "deepObject",
                        "schema": object_schema()}));
    assert!(!d.explode, "explode defaults to true only for form");
}

#[test]
fn explicit_explode_required_and_allow_empty_value_are_read() {
    let q = plan(
        json!({"name": "a", "in": "query", "explode": false, "required": true,
                        "allowEmptyValue": true, "schema": string_schema()}),
    );
    assert!(!q.explode);
    assert!(q.required);
    assert!(q.allow_empty_value);
}

#[test]
fn styles_a_location_does_not_define_are_refused_with_the_alternatives() {
    let err = ParamPlan::compile(
        &resources(),
        BASE,
        &json!({"name": "id", "in": "path", "style": "deepObject"}),
    )
    .unwrap_err();
    assert!(err.contains("`id`"), "{err}");
    assert!(err.contains("deepObject"), "{err}");
    assert!(err.contains("matrix, label, simple"), "{err}");
    for (location, style) in [
        ("header", "form"),
        ("cookie", "simple"),
        ("query", "matrix"),
        ("query", "simple"),
    ] {
        let p = json!({"name": "x", "in": location, "style": style});
        assert!(
            ParamPlan::compile(&resources(), BASE, &p).is_err(),
            "{style} in {location}"
        );
    }
}

#[test]
fn broken_parameter_objects_are_refused() {
    for p in [
        json!({"in": "query"}),
        json!({"name": "x"}),
        json!({"name": "x", "in": "body"}),
        json!({"name": "x", "in": "query", "style": "tabDelimited"}),
        json!({"name": "x", "in": "query", "style": 3}),
        json!({"name": "x", "in": "query", "explode": "yes"}),
    ] {
        assert!(ParamPlan::compile(&resources(), BASE, &p).is_err(), "{p}");
    }
}

#[test]
fn content_parameters_are_json_only_for_json_media_types() {
    let json_param = plan(json!({"name": "f", "in": "query",
        "content": {"application/json": {"schema": {"type": "object"}}}}));
    assert_eq!(json_param.shape, Shape::Content);
    let text = plan(json!({"name": "f", "in": "query",
        "content": {"text/plain": {"schema": {"type": "integer"}}}}));
    assert_eq!(text.shape, Shape::Scalar(TypeSet::INTEGER));
    assert_eq!(query(&text, "f=7&g=1").unwrap(), Some(json!(7)));
    assert_eq!(query(&text, "f=7&f=8").unwrap_err().keyword, "duplicate");
    let none = plan(json!({"name": "f", "in": "query"}));
    assert_eq!(none.shape, Shape::Any);
}

// ---- type sets ----

#[test]
fn type_sets_follow_refs_and_type_lists() {
    assert_eq!(
        types(json!({"$ref": "#/components/schemas/Id"})),
        TypeSet::INTEGER
    );
    assert_eq!(
        types(json!({"type": ["string", "null"]})),
        TypeSet::STRING | TypeSet::NULL
    );
    assert_eq!(
        types(json!({"type": "number"})),
        TypeSet::NUMBER | TypeSet::INTEGER
    );
    assert_eq!(types(json!({})), TypeSet::ANY);
    assert_eq!(types(json!(true)), TypeSet::ANY);
    assert_eq!(types(json!(false)), TypeSet::EMPTY);
}

#[test]
fn all_of_intersects_and_any_of_and_one_of_unite() {
    assert_eq!(
        types(json!({"allOf": [{"type": "number"}, {"$ref": "#/components/schemas/Id"}]})),
        TypeSet::INTEGER
    );
    assert_eq!(
        types(json!({"anyOf": [{"type": "boolean"}, {"type": "string"}]})),
        TypeSet::BOOLEAN | TypeSet::STRING
    );
    assert_eq!(
        types(json!({"type": ["string", "integer"],
                     "oneOf": [{"type": "integer"}, {"type": "array"}]})),
        TypeSet::INTEGER
    );
}

#[test]
fn nullable_const_and_enum_narrow_the_types() {
    // OpenAPI 3.0's `nullable` reaches plans as the normaliser rewrites it: a `null` type.
    use crate::document::normalize::{Dialect, normalize};
    use crate::document::problems::Problems;
    let mut r = Resources::new(
        BASE,
        json!({"components": {"schemas": {"N": {"type": "integer", "nullable": true}}}}),
    );
    normalize(&mut r, Dialect::Oas30, &mut Problems::default());
    assert_eq!(
        TypeSet::of_schema(&r, BASE, &json!({"$ref": "#/components/schemas/N"})),
        TypeSet::INTEGER | TypeSet::NULL
    );
    assert_eq!(types(json!({"const": true})), TypeSet::BOOLEAN);
    assert_eq!(
        types(json!({"enum": ["a", 1, null]})),
        TypeSet::STRING | TypeSet::INTEGER | TypeSet::NULL
    );
    assert_eq!(
        types(json!({"type": "string", "enum": [1, 2]})),
        TypeSet::EMPTY
    );
}

#[test]
fn a_reference_cycle_does_not_hang_and_constrains_nothing() {
    assert_eq!(
        types(json!({"$ref": "#/components/schemas/Loop"})),
        TypeSet::ANY
    );
    let p = plan(json!({"name": "x", "in": "query",
                        "schema": {"$ref": "#/components/schemas/Loop"}}));
    assert_eq!(p.shape, Shape::Any);
}

#[test]
fn shapes_come_from_the_schema_including_referenced_items_and_properties() {
    let p = plan(json!({"name": "t", "in": "query",
                        "schema": {"$ref": "#/components/schemas/Tags"}}));
    assert_eq!(p.shape, Shape::Array(TypeSet::STRING));
    let p = plan(json!({"name": "c", "in": "query", "schema": object_schema()}));
    let Shape::Object(o) = &p.shape else {
        panic!("{:?}", p.shape)
    };
    assert_eq!(o.property("G").map(|p| p.types), Some(TypeSet::INTEGER));
    assert_eq!(o.additional, None);
    // No `type`, but `properties` says what is meant.
    let p = plan(json!({"name": "c", "in": "query",
                        "schema": {"properties": {"a": {"type": "boolean"}}}}));
    assert!(matches!(p.shape, Shape::Object(_)), "{:?}", p.shape);
    let p = plan(json!({"name": "c", "in": "query",
                        "schema": {"type": ["array", "object"]}}));
    assert_eq!(p.shape, Shape::Any);
}

#[test]
fn additional_properties_are_open_only_when_given_and_not_closed_elsewhere() {
    let shape = |schema: Value| match plan(json!({"name": "o", "in": "query",
                                                     "schema": schema}))
    .shape
    {
        Shape::Object(o) => o,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        shape(json!({"type": "object", "additionalProperties": {"type": "integer"}})).additional,
        Some(TypeSet::INTEGER)
    );
    assert_eq!(
        shape(json!({"type": "object", "additionalProperties": true})).additional,
        Some(TypeSet::ANY)
    );
    assert_eq!(
        shape(
            json!({"allOf": [{"type": "object", "additionalProperties": true},
                               {"additionalProperties": false}]})
        )
        .additional,
        None
    );
}

// ---- coercion ----

#[test]
fn integers_are_preferred_and_minus_zero_is_zero() {
    let int = TypeSet::INTEGER;
    assert_eq!(int.coerce("42"), json!(42));
    assert_eq!(int.coerce("-7"), json!(-7));
    assert_eq!(int.coerce("-0"), json!(0));
    assert_eq!(int.coerce("18446744073709551615"), json!(u64::MAX));
    assert_eq!(int.coerce("-9223372036854775808"), json!(i64::MIN));
    assert_eq!(int.coerce("1.5"), json!("1.5"));
    assert_eq!(int.coerce("+5"), json!("+5"));
    assert_eq!(int.coerce(" 5"), json!(" 5"));
    let number = TypeSet::from_name("number").unwrap();
    assert_eq!(number.coerce("5"), json!(5));
    assert!(
        number.coerce("5").is_i64(),
        "an integral number stays an integer"
    );
}

#[test]
fn numbers_must_be_finite_json_numbers() {
    let number = TypeSet::NUMBER | TypeSet::INTEGER;
    assert_eq!(number.coerce("1.5"), json!(1.5));
    assert_eq!(number.coerce("-2.5e3"), json!(-2500.0));
    for text in [
        "NaN", "inf", "-inf", "infinity", ".5", "5.", "1e", "0x10", "1_000", "", "1e400",
    ] {
        assert_eq!(number.coerce(text), json!(text), "{text}");
    }
}

#[test]
fn overlong_numbers_do_not_panic_and_stay_text_when_they_overflow() {
    let digits = "9".repeat(400);
    assert_eq!(TypeSet::INTEGER.coerce(&digits), json!(digits));
    let number = TypeSet::NUMBER | TypeSet::INTEGER;
    assert_eq!(number.coerce(&digits), json!(digits));
    let big = "9".repeat(300);
    assert!(number.coerce(&big).is_f64());
}

#[test]
fn booleans_and_nulls_are_read_only_when_allowed() {
    assert_eq!(TypeSet::BOOLEAN.coerce("true"), json!(true));
    assert_eq!(TypeSet::BOOLEAN.coerce("false"), json!(false));
    assert_eq!(TypeSet::BOOLEAN.coerce("True"), json!("True"));
    assert_eq!(TypeSet::BOOLEAN.coerce(""), json!(""));
    assert_eq!(TypeSet::STRING.coerce("true"), json!("true"));
    assert_eq!(TypeSet::STRING.coerce("12"), json!("12"));
    let nullable_int = TypeSet::INTEGER | TypeSet::NULL;
    assert_eq!(nullable_int.coerce(""), Value::Null);
    assert_eq!(nullable_int.coerce("null"), Value::Null);
    let nullable_string = TypeSet::STRING | TypeSet::NULL;
    assert_eq!(nullable_string.coerce(""), json!(""));
    assert_eq!(nullable_string.coerce("null"), Value::Null);
}

#[test]
fn text_that_fits_no_allowed_type_stays_a_string_for_the_validator() {
    assert_eq!(TypeSet::INTEGER.coerce("abc"), json!("abc"));
    assert_eq!(TypeSet::EMPTY.coerce("1"), json!("1"));
    assert_eq!(TypeSet::ANY.coerce("007"), json!("007"));
}

// ---- the OpenAPI style examples, path ----

#[test]
fn simple_path_style_examples() {
    for explode in [false, true] {
        let p = color("path", "simple", explode, string_schema());
        assert_eq!(p.from_path("blue").unwrap(), blue());
        let p = color("path", "simple", explode, array_schema());
        assert_eq!(p.from_path("blue,black,brown").unwrap(), colors());
    }
    let p = color("path", "simple", false, object_schema());
    assert_eq!(p.from_path("R,100,G,200,B,150").unwrap(), rgb());
    let p = color("path", "simple", true, object_schema());
    assert_eq!(p.from_path("R=100,G=200,B=150").unwrap(), rgb());
}

#[test]
fn label_path_style_examples() {
    for explode in [false, true] {
        let p = color("path", "label", explode, string_schema());
        assert_eq!(p.from_path(".blue").unwrap(), blue());
        assert_eq!(p.from_path(".").unwrap(), json!(""));
    }
    let p = color("path", "label", false, array_schema());
    assert_eq!(p.from_path(".blue,black,brown").unwrap(), colors());
    let p = color("path", "label", true, array_schema());
    assert_eq!(p.from_path(".blue.black.brown").unwrap(), colors());
    let p = color("path", "label", false, object_schema());
    assert_eq!(p.from_path(".R,100,G,200,B,150").unwrap(), rgb());
    let p = color("path", "label", true, object_schema());
    assert_eq!(p.from_path(".R=100.G=200.B=150").unwrap(), rgb());
}

#[test]
fn label_style_also_reads_the_openapi_3_0_dotted_unexploded_form() {
    let p = color("path", "label", false, array_schema());
    assert_eq!(p.from_path(".blue.black.brown").unwrap(), colors());
    let p = color("path", "label", false, object_schema());
    assert_eq!(p.from_path(".R.100.G.200.B.150").unwrap(), rgb());
    // Numbers keep their decimal point.
    let p = color(
        "path",
        "label",
        false,
        json!({"type": "array", "items": {"type": "number"}}),
    );
    assert_eq!(p.from_path(".1.5").unwrap(), json!([1.5]));
    assert_eq!(p.from_path(".1.5,2").unwrap(), json!([1.5, 2]));
}

#[test]
fn matrix_path_style_examples() {
    for explode in [false, true] {
        let p = color("path", "matrix", explode, string_schema());
        assert_eq!(p.from_path(";color=blue").unwrap(), blue());
        assert_eq!(p.from_path(";color").unwrap(), json!(""));
    }
    let p = color("path", "matrix", false, array_schema());
    assert_eq!(p.from_path(";color=blue,black,brown").unwrap(), colors());
    let p = color("path", "matrix", true, array_schema());
    assert_eq!(
        p.from_path(";color=blue;color=black;color=brown").unwrap(),
        colors()
    );
    let p = color("path", "matrix", false, object_schema());
    assert_eq!(p.from_path(";color=R,100,G,200,B,150").unwrap(), rgb());
    let p = color("path", "matrix", true, object_schema());
    assert_eq!(p.from_path(";R=100;G=200;B=150").unwrap(), rgb());
}

#[test]
fn path_arrays_and_objects_may_be_empty() {
    let p = color("path", "simple", false, array_schema());
    assert_eq!(p.from_path("").unwrap(), json!([]));
    let p = color("path", "label", true, array_schema());
    assert_eq!(p.from_path(".").unwrap(), json!([]));
    let p = color("path", "matrix", true, array_schema());
    assert_eq!(p.from_path(";color").unwrap(), json!([]));
    let p = color("path", "matrix", true, object_schema());
    assert_eq!(p.from_path(";").unwrap(), json!({}));
}

#[test]
fn a_missing_matrix_or_label_prefix_is_malformed() {
    let p = color("path", "matrix", false, string_schema());
    for raw in ["blue", ";colour=blue", ";color=blue;x=1", ""] {
        let v = p.from_path(raw).unwrap_err();
        assert_eq!(v.keyword, "malformed", "{raw}");
        assert_eq!(v.location, Location::Path("color".into(), vec![]));
        assert!(v.message.contains(";color"), "{}", v.message);
    }
    let p = color("path", "matrix", true, array_schema());
    assert_eq!(
        p.from_path(";color=a;other=b").unwrap_err().keyword,
        "malformed"
    );
    let p = color("path", "label", false, string_schema());
    let v = p.from_path("blue").unwrap_err();
    assert_eq!(v.keyword, "malformed");
    assert_eq!(v.path(), "path.color");
}

#[test]
fn path_segments_are_percent_decoded_after_splitting() {
    let p = plan(json!({"name": "id", "in": "path", "schema": string_schema()}));
    assert_eq!(p.from_path("YWJj%3D%3D").unwrap(), json!("YWJj=="));
    assert_eq!(p.from_path("a+b").unwrap(), json!("a+b"));
    assert_eq!(p.from_path("caf%C3%A9").unwrap(), json!("café"));
    let p = color("path", "simple", false, array_schema());
    assert_eq!(p.from_path("a%2Cb,c").unwrap(), json!(["a,b", "c"]));
    let p = color("path", "matrix", false, string_schema());
    assert_eq!(p.from_path(";color=a%3Bb").unwrap(), json!("a;b"));
}

#[test]
fn invalid_percent_escapes_in_a_path_are_malformed() {
    let p = plan(json!({"name": "id", "in": "path", "schema": string_schema()}));
    for raw in ["%zz", "abc%", "%4", "%FF", "%C3%28"] {
        let v = p.from_path(raw).unwrap_err();
        assert_eq!(v.keyword, "malformed", "{raw}");
        assert_eq!(v.location, Location::Path("id".into(), vec![]));
    }
    let p = color("path", "simple", false, array_schema());
    let v = p.from_path("ok,%zz").unwrap_err();
    assert_eq!(v.path(), "path.color[1]");
}

#[test]
fn path_values_are_coerced_by_their_schema() {
    let p = plan(json!({"name": "id", "in": "path",
                        "schema": {"$ref": "#/components/schemas/Id"}}));
    assert_eq!(p.from_path("42").unwrap(), json!(42));
    assert_eq!(p.from_path("abc").unwrap(), json!("abc"));
    let p = color(
        "path",
        "simple",
        false,
        json!({"type": "array", "items": {"type": "integer"}}),
    );
    assert_eq!(p.from_path("1,2,3").unwrap(), json!([1, 2, 3]));
}

#[test]
fn an_odd_number_of_object_items_is_malformed() {
    let p = color("path", "simple", false, object_schema());
    let v = p.from_path("R,100,G").unwrap_err();
    assert_eq!(v.keyword, "malformed");
    assert!(v.message.contains("3 items"), "{}", v.message);
}

#[test]
fn a_member_named_twice_in_an_object_is_a_duplicate() {
    let p = color("path", "simple", true, object_schema());
    let v = p.from_path("R=1,R=2").unwrap_err();
    assert_eq!(v.keyword, "duplicate");
    assert_eq!(v.path(), "path.color.R");
}

// ---- the OpenAPI style examples, query ----

#[test]
fn form_query_style_examples() {
    for explode in [false, true] {
        let p = color("query", "form", explode, string_schema());
        assert_eq!(query(&p, "color=blue").unwrap(), Some(blue()));
        assert_eq!(query(&p, "color=").unwrap(), Some(json!("")));
    }
    let p = color("query", "form", false, array_schema());
    assert_eq!(query(&p, "color=blue,black,brown").unwrap(), Some(colors()));
    let p = color("query", "form", true, array_schema());
    assert_eq!(
        query(&p, "color=blue&color=black&color=brown").unwrap(),
        Some(colors())
    );
    let p = color("query", "form", false, object_schema());
    assert_eq!(query(&p, "color=R,100,G,200,B,150").unwrap(), Some(rgb()));
    let p = color("query", "form", true, object_schema());
    assert_eq!(query(&p, "R=100&G=200&B=150").unwrap(), Some(rgb()));
}

#[test]
fn space_and_pipe_delimited_query_style_examples() {
    let p = color("query", "spaceDelimited", false, array_schema());
    assert_eq!(
        query(&p, "color=blue%20black%20brown").unwrap(),
        Some(colors())
    );
    assert_eq!(query(&p, "color=blue+black+brown").unwrap(), Some(colors()));
    let p = color("query", "spaceDelimited", false, object_schema());
    assert_eq!(
        query(&p, "color=R%20100%20G%20200%20B%20150").unwrap(),
        Some(rgb())
    );
    let p = color("query", "pipeDelimited", false, array_schema());
    assert_eq!(query(&p, "color=blue|black|brown").unwrap(), Some(colors()));
    assert_eq!(
        query(&p, "color=blue%7Cblack%7Cbrown").unwrap(),
        Some(colors())
    );
    let p = color("query", "pipeDelimited", false, object_schema());
    assert_eq!(query(&p, "color=R|100|G|200|B|150").unwrap(), Some(rgb()));
    // Exploded, they are repeated keys like form.
    let p = color("query", "pipeDelimited", true, array_schema());
    assert_eq!(
        query(&p, "color=blue&color=black&color=brown").unwrap(),
        Some(colors())
    );
}

#[test]
fn deep_object_query_style_example() {
    let p = color("query", "deepObject", true, object_schema());
    assert_eq!(
        query(&p, "color[R]=100&color[G]=200&color[B]=150").unwrap(),
        Some(rgb())
    );
    assert_eq!(
        query(&p, "color%5BR%5D=100&color%5BG%5D=200&color%5BB%5D=150").unwrap(),
        Some(rgb())
    );
}

#[test]
fn deep_objects_nested_past_the_limit_are_malformed_before_any_value_is_built() {
    let p = color("query", "deepObject", true, object_schema());
    let at_limit = format!("color[R]{}=1", "[a]".repeat(MAX_NESTING - 1));
    assert!(query(&p, &at_limit).is_ok());
    let past = format!("color[R]{}=1", "[a]".repeat(MAX_NESTING));
    let v = query(&p, &past).unwrap_err();
    assert_eq!(v.keyword, "malformed");
    assert!(v.message.contains("nested deeper"), "{}", v.message);
    let far_past = format!("color[R]{}=1", "[a]".repeat(100_000));
    assert_eq!(query(&p, &far_past).unwrap_err().keyword, "malformed");
}

#[test]
fn deep_objects_take_only_their_own_keys_and_undeclared_members_stay_text() {
    let p = plan(
        json!({"name": "filter", "in": "query", "style": "deepObject",
        "schema": {"type": "object", "properties": {
            "role": {"type": "string"}, "page": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "integer"}}}}}),
    );
    let got = query(
        &p,
        "filter[role]=admin&page=9&filter[page]=2&filterx[a]=1&filter[extra]=007",
    )
    .unwrap();
    assert_eq!(
        got,
        Some(json!({"role": "admin", "page": 2, "extra": "007"}))
    );
    assert_eq!(
        query(&p, "filter[tags][]=1&filter[tags][]=2").unwrap(),
        Some(json!({"tags": [1, 2]}))
    );
    assert_eq!(
        query(&p, "filter[tags]=3").unwrap(),
        Some(json!({"tags": [3]}))
    );
    assert_eq!(query(&p, "page=2&filter=x").unwrap(), None);
}

#[test]
fn deep_objects_nest_deeper_brackets_as_text_and_refuse_repeats() {
    let p = plan(json!({"name": "f", "in": "query", "style": "deepObject",
                        "schema": {"type": "object"}}));
    assert_eq!(
        query(&p, "f[a][b]=1&f[a][c]=x&f[d]=2").unwrap(),
        Some(json!({"a": {"b": "1", "c": "x"}, "d": "2"}))
    );
    let v = query(&p, "f[a][b]=1&f[a][b]=2").unwrap_err();
    assert_eq!(v.keyword, "duplicate");
    assert_eq!(v.path(), "query.f.a.b");
    let v = query(&p, "f[a]=1&f[a][b]=2").unwrap_err();
    assert_eq!(v.keyword, "malformed");
    let p = plan(json!({"name": "f", "in": "query", "style": "deepObject",
                        "schema": object_schema()}));
    let v = query(&p, "f[R]=1&f[R]=2").unwrap_err();
    assert_eq!(v.keyword, "duplicate");
    assert_eq!(v.path(), "query.f.R");
}

#[test]
fn only_exploded_form_objects_with_additional_properties_need_the_other_names() {
    // The server gathers the operation's other query names only for these plans; any
    // other plan reads the same value with or without them.
    let open = json!({"type": "object", "additionalProperties": {"type": "integer"}});
    assert!(plan(json!({"name": "meta", "in": "query", "schema": open})).needs_other_names());
    for other in [
        plan(json!({"name": "meta", "in": "query", "explode": false, "schema": open})),
        plan(json!({"name": "meta", "in": "query", "style": "deepObject", "schema": open})),
        color("query", "form", true, object_schema()),
        plan(json!({"name": "limit", "in": "query", "schema": {"type": "integer"}})),
    ] {
        assert!(!other.needs_other_names(), "{other:?}");
    }
    let pairs = parse_query("role=admin&page=2&limit=5");
    let closed = color("query", "form", true, object_schema());
    assert_eq!(
        closed.from_query(&pairs).unwrap(),
        closed
            .from_query_except(&pairs, &["limit", "page"])
            .unwrap()
    );
}

#[test]
fn exploded_form_objects_take_declared_properties_only_unless_additional_is_allowed() {
    let p = color("query", "form", true, object_schema());
    assert_eq!(
        query(&p, "R=1&limit=5&G=2").unwrap(),
        Some(json!({"R": 1, "G": 2}))
    );
    assert_eq!(query(&p, "limit=5").unwrap(), None);
    let open = plan(json!({"name": "meta", "in": "query", "schema": {
        "type": "object", "properties": {"role": {"type": "string"}},
        "additionalProperties": {"type": "integer"}}}));
    let pairs = parse_query("role=admin&page=2&limit=5");
    assert_eq!(
        open.from_query(&pairs).unwrap(),
        Some(json!({"role": "admin", "page": 2, "limit": 5}))
    );
    assert_eq!(
        open.from_query_except(&pairs, &["limit"]).unwrap(),
        Some(json!({"role": "admin", "page": 2}))
    );
}

#[test]
fn an_exploded_form_property_given_twice_is_a_duplicate_unless_it_is_an_array() {
    let p = color("query", "form", true, object_schema());
    let v = query(&p, "R=1&R=2").unwrap_err();
    assert_eq!(v.keyword, "duplicate");
    assert_eq!(v.path(), "query.color.R");
    let p = plan(
        json!({"name": "o", "in": "query", "schema": {"type": "object",
        "properties": {"ids": {"type": "array", "items": {"type": "integer"}}}}}),
    );
    assert_eq!(
        query(&p, "ids=1&ids=2").unwrap(),
        Some(json!({"ids": [1, 2]}))
    );
}

#[test]
fn a_scalar_given_twice_is_a_duplicate_with_a_sentence() {
    let p = plan(json!({"name": "limit", "in": "query", "schema": {"type": "integer"}}));
    let v = query(&p, "limit=1&limit=2").unwrap_err();
    assert_eq!(v.keyword, "duplicate");
    assert_eq!(v.location, Location::Query("limit".into(), vec![]));
    assert_eq!(
        v.to_string(),
        "query.limit: This value was given 2 times, but it takes a single value."
    );
    let p = color("query", "form", false, object_schema());
    assert_eq!(
        query(&p, "color=R,1&color=G,2").unwrap_err().keyword,
        "duplicate"
    );
    let p = plan(json!({"name": "f", "in": "query",
                        "content": {"application/json": {}}}));
    assert_eq!(query(&p, "f=1&f=2").unwrap_err().keyword, "duplicate");
}

#[test]
fn an_array_may_be_repeated_and_an_unexploded_repeat_extends_the_list() {
    let p = plan(json!({"name": "id", "in": "query",
                        "schema": {"type": "array", "items": {"type": "integer"}}}));
    assert_eq!(query(&p, "id=1&x=0&id=2").unwrap(), Some(json!([1, 2])));
    assert_eq!(query(&p, "id=1").unwrap(), Some(json!([1])));
    let p = plan(json!({"name": "id", "in": "query", "explode": false,
                        "schema": {"type": "array", "items": {"type": "integer"}}}));
    assert_eq!(query(&p, "id=1,2&id=3").unwrap(), Some(json!([1, 2, 3])));
}

#[test]
fn absent_parameters_are_none_and_empty_ones_are_empty() {
    let p = plan(json!({"name": "q", "in": "query", "schema": string_schema()}));
    assert_eq!(query(&p, "").unwrap(), None);
    assert_eq!(query(&p, "other=1").unwrap(), None);
    assert_eq!(query(&p, "Q=1").unwrap(), None, "names are case-sensitive");
    assert_eq!(query(&p, "q").unwrap(), Some(json!("")));
    let flag = plan(
        json!({"name": "flag", "in": "query", "allowEmptyValue": true,
                           "schema": {"type": "boolean"}}),
    );
    // Left as text: the validator says it is not a boolean.
    assert_eq!(query(&flag, "flag=").unwrap(), Some(json!("")));
    assert_eq!(query(&flag, "flag=true").unwrap(), Some(json!(true)));
    let ids = plan(json!({"name": "ids", "in": "query", "schema": array_schema()}));
    assert_eq!(query(&ids, "ids=").unwrap(), Some(json!([])));
}

#[test]
fn query_values_that_fit_no_type_are_left_for_the_validator() {
    let p = plan(json!({"name": "limit", "in": "query", "schema": {"type": "number"}}));
    assert_eq!(query(&p, "limit=abc").unwrap(), Some(json!("abc")));
    assert_eq!(query(&p, "limit=2.5").unwrap(), Some(json!(2.5)));
}

#[test]
fn a_parameter_without_a_schema_keeps_its_text_and_repeats_become_a_list() {
    let p = plan(json!({"name": "x", "in": "query"}));
    assert_eq!(query(&p, "x=007").unwrap(), Some(json!("007")));
    assert_eq!(query(&p, "x=1&x=b").unwrap(), Some(json!(["1", "b"])));
}

#[test]
fn json_content_parameters_are_parsed_and_bad_json_is_malformed() {
    let p = plan(json!({"name": "filter", "in": "query",
        "content": {"application/json": {"schema": {"type": "object"}}}}));
    assert_eq!(
        query(&p, "filter=%7B%22a%22%3A1%7D").unwrap(),
        Some(json!({"a": 1}))
    );
    let v = query(&p, "filter=%7Bnope").unwrap_err();
    assert_eq!(v.keyword, "malformed");
    assert_eq!(v.path(), "query.filter");
    let p = plan(json!({"name": "f", "in": "path",
                        "content": {"application/json": {}}}));
    assert_eq!(p.from_path("%5B1%2C2%5D").unwrap(), json!([1, 2]));
    let p = plan(json!({"name": "f", "in": "header",
                        "content": {"application/json": {}}}));
    assert_eq!(
        p.from_header(" {\"a\": [true]} ").unwrap(),
        json!({"a": [true]})
    );
}

// ---- query strings ----

#[test]
fn query_strings_decode_plus_as_space_and_escapes() {
    assert_eq!(
        owned(parse_query("?q=a+b&id=YWJj%3D%3D&plus=1%2B1&eq=a=b")),
        vec![
            ("q".to_owned(), "a b".to_owned()),
            ("id".to_owned(), "YWJj==".to_owned()),
            ("plus".to_owned(), "1+1".to_owned()),
            ("eq".to_owned(), "a=b".to_owned()),
        ]
    );
    assert_eq!(
        owned(parse_query("a&&b=&%20k+=v")),
        vec![
            ("a".to_owned(), String::new()),
            ("b".to_owned(), String::new()),
            (" k ".to_owned(), "v".to_owned()),
        ]
    );
}

#[test]
fn invalid_query_escapes_are_decoded_lossily_and_reported_on_request() {
    assert_eq!(
        owned(parse_query("a=%zz&b=%FF&c=100%")),
        vec![
            ("a".to_owned(), "%zz".to_owned()),
            ("b".to_owned(), "\u{FFFD}".to_owned()),
            ("c".to_owned(), "100%".to_owned()),
        ]
    );
    let found = query_encoding_violations("ok=1&a=%zz&b=%FF&c=100%&d=%E2%82%AC+x");
    let names: Vec<String> = found.iter().map(Violation::path).collect();
    assert_eq!(names, ["query.a", "query.b", "query.c"]);
    assert!(found.iter().all(|v| v.keyword == "malformed"));
    assert!(query_encoding_violations("a=%41&b=+").is_empty());
}

// ---- headers ----

#[test]
fn simple_header_style_examples_tolerate_whitespace() {
    for explode in [false, true] {
        let p = color("header", "simple", explode, string_schema());
        assert_eq!(p.from_header(" blue ").unwrap(), blue());
        let p = color("header", "simple", explode, array_schema());
        assert_eq!(p.from_header("blue, black,brown").unwrap(), colors());
    }
    let p = color("header", "simple", false, object_schema());
    assert_eq!(p.from_header("R,100, G,200, B,150").unwrap(), rgb());
    let p = color("header", "simple", true, object_schema());
    assert_eq!(p.from_header("R=100, G=200, B=150").unwrap(), rgb());
}

#[test]
fn header_values_are_not_percent_decoded() {
    let p = plan(json!({"name": "X-Token", "in": "header", "schema": string_schema()}));
    assert_eq!(p.from_header("a%3Db").unwrap(), json!("a%3Db"));
    let p = plan(json!({"name": "X-Count", "in": "header", "schema": {"type": "integer"}}));
    assert_eq!(p.from_header("12").unwrap(), json!(12));
}

// ---- cookies ----

#[test]
fn cookie_headers_split_into_trimmed_pairs() {
    assert_eq!(
        owned(parse_cookies(" a=1; b = \"two\" ;flag; =x; c=x=y;;")),
        vec![
            ("a".to_owned(), "1".to_owned()),
            ("b".to_owned(), "two".to_owned()),
            ("c".to_owned(), "x=y".to_owned()),
        ]
    );
}

#[test]
fn form_cookie_style_examples() {
    for explode in [false, true] {
        let p = color("cookie", "form", explode, string_schema());
        assert_eq!(cookie(&p, "color=blue").unwrap(), Some(blue()));
    }
    let p = color("cookie", "form", false, array_schema());
    assert_eq!(
        cookie(&p, "color=blue,black,brown").unwrap(),
        Some(colors())
    );
    let p = color("cookie", "form", true, array_schema());
    assert_eq!(
        cookie(&p, "color=blue; color=black; color=brown").unwrap(),
        Some(colors())
    );
    let p = color("cookie", "form", false, object_schema());
    assert_eq!(cookie(&p, "color=R,100,G,200,B,150").unwrap(), Some(rgb()));
    let p = color("cookie", "form", true, object_schema());
    assert_eq!(cookie(&p, "R=100; G=200; B=150").unwrap(), Some(rgb()));
}

#[test]
fn cookie_values_are_percent_decoded_after_splitting_and_plus_is_kept() {
    let p = plan(json!({"name": "sid", "in": "cookie", "schema": string_schema()}));
    assert_eq!(cookie(&p, "sid=YWJj%3D%3D").unwrap(), Some(json!("YWJj==")));
    assert_eq!(cookie(&p, "sid=a+b").unwrap(), Some(json!("a+b")));
    assert_eq!(cookie(&p, "other=1").unwrap(), None);
    let p = color("cookie", "form", false, array_schema());
    assert_eq!(
        cookie(&p, "color=a%2Cb,c").unwrap(),
        Some(json!(["a,b", "c"]))
    );
    let p = plan(json!({"name": "sid", "in": "cookie", "schema": string_schema()}));
    let v = cookie(&p, "sid=1; sid=2").unwrap_err();
    assert_eq!(v.location, Location::Cookie("sid".into(), vec![]));
}

// ---- properties ----

fn any_plan() -> impl Strategy<Value = ParamPlan> {
    let location = prop_oneof![
        Just(("path", "simple")),
        Just(("path", "label")),
        Just(("path", "matrix")),
        Just(("query", "form")),
        Just(("query", "spaceDelimited")),
        Just(("query", "pipeDelimited")),
        Just(("query", "deepObject")),
        Just(("header", "simple")),
        Just(("cookie", "form")),
    ];
    let schema = prop_oneof![
        Just(json!({"type": "integer"})),
        Just(json!({"type": ["number", "null"]})),
        Just(json!({"type": "boolean"})),
        Just(array_schema()),
        Just(json!({"type": "array", "items": {"type": "number"}})),
        Just(object_schema()),
        Just(json!({"type": "object", "additionalProperties": true})),
        Just(json!({})),
    ];
    (location, schema, any::<bool>(), any::<bool>()).prop_map(
        |((location, style), schema, explode, content)| {
            let mut p = json!({"name": "p", "in": location, "style": style,
                               "explode": explode, "schema": schema});
            if content {
                p["content"] = json!({"application/json": {}});
            }
            plan(p)
        },
    )
}

proptest! {
    #[test]
    fn parsers_never_panic_on_arbitrary_text(
        plan in any_plan(),
        s in any::<String>(),
        t in "[a-zA-Z0-9=;,.&%|\\[\\] +-]{0,30}",
    ) {
        for input in [&s, &t] {
            let pairs = parse_query(input);
            let cookies = parse_cookies(input);
            let _ = query_encoding_violations(input);
            let _ = plan.from_path(input);
            let _ = plan.from_header(input);
            let _ = plan.from_query(&pairs);
            let _ = plan.from_cookie(&cookies);
        }
    }

    #[test]
    fn percent_encoded_query_pairs_decode_to_what_was_encoded(
        key in "\\PC{1,12}",
        value in "\\PC{0,12}",
    ) {
        use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
        let raw = format!(
            "{}={}",
            utf8_percent_encode(&key, NON_ALPHANUMERIC),
            utf8_percent_encode(&value, NON_ALPHANUMERIC),
        );
        prop_assert_eq!(owned(parse_query(&raw)), vec![(key, value)]);
    }

    #[test]
    fn every_i64_is_read_back_as_itself(n in any::<i64>()) {
        prop_assert_eq!(TypeSet::INTEGER.coerce(&n.to_string()), json!(n));
        let number = TypeSet::from_name("number").unwrap_or(TypeSet::EMPTY);
        prop_assert_eq!(number.coerce(&n.to_string()), json!(n));
    }

    #[test]
    fn encoded_simple_path_arrays_split_into_exactly_their_items(
        items in proptest::collection::vec("\\PC{0,8}", 1..5),
    ) {
        use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
        prop_assume!(!(items.len() == 1 && items[0].is_empty()));
        let raw: Vec<String> = items
            .iter()
            .map(|i| utf8_percent_encode(i, NON_ALPHANUMERIC).to_string())
            .collect();
        let p = color("path", "simple", false, array_schema());
        prop_assert_eq!(p.from_path(&raw.join(",")).unwrap(), json!(items));
    }
}

#[test]
fn a_parameters_wrong_values_are_quoted_only_in_part() {
    let r = Resources::new("file:///t.yaml", json!({}));
    let long = "n".repeat(500);
    let explode = json!({"k": "v".repeat(5000)});
    let err = ParamPlan::compile(
        &r,
        "file:///t.yaml",
        &json!({"name": long, "in": "query", "explode": explode}),
    )
    .unwrap_err();
    assert!(err.contains("`explode` must be true or false"), "{err}");
    assert!(err.len() < 200, "{err}");
    let err = ParamPlan::compile(
        &r,
        "file:///t.yaml",
        &json!({"name": "q", "in": "query", "style": [long]}),
    )
    .unwrap_err();
    assert!(err.len() < 200, "{err}");
}
