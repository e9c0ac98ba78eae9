//! The whole loader under mutated documents: the bundled documents and `tests/docs/*.yaml`,
//! read as JSON values, changed by a few random mutations, written back as text and given to
//! [`Engine::load`] (reading, `$ref`s, normalising, compiling, routing, then installing the
//! behaviour: a document named like a bundled API gets that API's behaviour and fixtures,
//! sometimes mutated fixtures from a folder). What must hold of every input:
//!
//! - **No panic.** `Engine::load` returns `Ok` or `Err`; a panic fails the case with its
//!   message, and proptest prints the case (document and mutations) and saves its seed.
//! - **Bounded.** Each case loads within [`CASE_BOUND`]; the slowest case is reported.
//!
//! A document that loads then has the static answer of every response made (its example,
//! else generated data) and its headers: what the first requests would make and keep, so
//! that the fuzz reaches `generate` with the same schemas.
//!
//! The mutations: keys deleted; values replaced with values of the wrong type (null,
//! booleans, numbers, strings, arrays, objects), huge numbers (±1e308, `u64::MAX`, 2^53+1,
//! fractions where integers belong) and very long strings; `$ref`s to themselves, to their
//! parent, in pairs that cycle, to missing and odd pointers (`#/`, `#//`, `#/~2`,
//! percent-escapes) and to any other node of the document; odd path keys (`//`, `/{`, `/}`,
//! `/{}`, `/{a}{b}`, unicode, `x-` keys, no leading `/`, long ones, many parameters); nested
//! schemas (written out up to a few hundred levels, which the parsers refuse past their
//! recursion limit of 128, and chains of a few hundred components, which they do not);
//! odd `servers` URLs and variables, odd media types, odd parameter fields and styles.
//!
//! Each case loads on its own thread with the stack of a main thread (8 MiB, where the
//! command line loads documents), so a hang is noticed; a stack overflow aborts the whole
//! binary, and `UNDERSTUDY_FUZZ_TRACE=1` prints every case before it runs to find it.
//! `UNDERSTUDY_FUZZ_PROBLEMS=1` prints the first problem of every refused document, to see
//! which stage the mutations reach.
//!
//! `cargo test` runs [`CASES`] cases; `UNDERSTUDY_FUZZ_SECONDS=N` runs batches of [`BATCH`]
//! with fresh seeds for N seconds. Failing cases are saved to
//! `tests/regressions/loader_fuzz.txt` and replayed first; each panic or hang found became a
//! named test in the module it was fixed in.

use std::fmt;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};
use serde_json::{Value, json};
use understudy::world::fixtures::FixtureSource;
use understudy::{Engine, EngineConfig, Source};

const REGRESSIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/regressions/loader_fuzz.txt"
);

/// Cases in `cargo test`: about 10 s of one core in a debug build.
const CASES: u32 = 500;
/// Cases per batch of a timed run (`UNDERSTUDY_FUZZ_SECONDS`).
const BATCH: u32 = 500;
/// How long one document may take to load (a debug build; release is several times faster).
const CASE_BOUND: Duration = Duration::from_secs(10);
/// The stack each case loads on: a main thread's.
const STACK: usize = 8 * 1024 * 1024;
/// The stack the first answers are made on: a tokio worker thread's.
const WORKER_STACK: usize = 2 * 1024 * 1024;

/// The most `{parameters}` a generated path gets: past the 25 the old router (matchit)
/// panicked on.
const MAX_PATH_PARAMS: usize = 40;

/// The bundled APIs' names: a document loaded under one gets that API's behaviour.
const BUNDLED_NAMES: [&str; 3] = ["alumio", "gitbook", "arize"];

// --- the corpus -----------------------------------------------------------------------------

/// A document to start from: its name and its value.
struct Seed {
    name: String,
    value: Value,
}

/// The bundled documents, then `tests/docs/*.yaml` in name order; read once.
fn corpus() -> &'static [Seed] {
    static CORPUS: OnceLock<Vec<Seed>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut seeds: Vec<Seed> = understudy::document::load::BUNDLED
            .iter()
            .map(|(name, text)| Seed {
                name: (*name).to_owned(),
                value: understudy::document::load::parse_text(text)
                    .expect("a bundled document parses"),
            })
            .collect();
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/docs");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("tests/docs")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path).expect("a test document");
            seeds.push(Seed {
                name: path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                value: understudy::document::load::parse_text(&text)
                    .expect("a test document parses"),
            });
        }
        seeds
    })
}

/// The bundled fixture file of a bundled API, as a value.
fn bundled_fixture(name: &str) -> Option<Value> {
    understudy::world::fixtures::BUNDLED
        .iter()
        .find(|(n, _)| *n == name)
        .and_then(|(_, text)| understudy::document::load::parse_text(text).ok())
}

// --- mutations ------------------------------------------------------------------------------

/// Which of a list of nodes a mutation picks: any number, taken modulo the list's length, so
/// that it shrinks towards the first.
#[derive(Debug, Clone, Copy)]
struct Pick(u64);

impl Pick {
    fn index(&self, len: usize) -> usize {
        (self.0 % len as u64) as usize
    }
}

/// A value of the wrong type, or of the right type at an extreme.
#[derive(Clone)]
enum Junk {
    Null,
    Bool(bool),
    Int(i64),
    /// 1e308, -1e308, `u64::MAX`, 2^53+1, fractions, tiny numbers.
    Extreme(usize),
    Text(&'static str),
    /// A string of this many characters.
    Long(usize),
    Array(Vec<i64>),
    /// An object of keyword to value, as a schema or any other object of the document.
    Object(Vec<(&'static str, Junk)>),
}

const EXTREMES: [f64; 9] = [
    1e308,
    -1e308,
    18_446_744_073_709_551_615.0,
    0.5,
    -1.5,
    1e-308,
    -0.0,
    2.000_000_1,
    9_007_199_254_740_993.0,
];

/// Strings that mean something somewhere in a document.
const TEXTS: &[&str] = &[
    "",
    " ",
    "string",
    "integer",
    "number",
    "object",
    "array",
    "boolean",
    "null",
    "form",
    "simple",
    "label",
    "matrix",
    "spaceDelimited",
    "pipeDelimited",
    "deepObject",
    "query",
    "path",
    "header",
    "cookie",
    "body",
    "uuid",
    "date-time",
    "email",
    "binary",
    "byte",
    "int64",
    "^[a-z]+$",
    "(",
    "[",
    "\\",
    "(?<=a)b",
    "\\p{Nope}",
    "a{99999}",
    "{",
    "}",
    "{x}",
    "#",
    "#/",
    "#//",
    "$ref",
    "\u{0}",
    "\u{feff}",
    "ü🦀",
    "\r\n",
    "application/json",
    "*/*",
    "3.1.0",
    "3.0.0",
    "2XX",
    "default",
    "999",
    "-1",
    "x-",
    "/",
];

/// Keys a mutation may set on any object: the fields of schemas, parameters, media types,
/// operations and responses.
const KEYS: &[&str] = &[
    "type",
    "format",
    "pattern",
    "enum",
    "const",
    "default",
    "example",
    "examples",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "uniqueItems",
    "required",
    "properties",
    "additionalProperties",
    "patternProperties",
    "propertyNames",
    "items",
    "prefixItems",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "discriminator",
    "nullable",
    "readOnly",
    "writeOnly",
    "$ref",
    "$id",
    "$anchor",
    "$defs",
    "$schema",
    "name",
    "in",
    "style",
    "explode",
    "allowReserved",
    "allowEmptyValue",
    "schema",
    "content",
    "requestBody",
    "responses",
    "parameters",
    "security",
    "securitySchemes",
    "headers",
    "links",
    "operationId",
    "servers",
    "paths",
    "components",
    "openapi",
    "info",
    "value",
    "externalValue",
    "x-extension",
];

impl Junk {
    fn value(&self) -> Value {
        match self {
            Junk::Null => Value::Null,
            Junk::Bool(b) => json!(b),
            Junk::Int(i) => json!(i),
            Junk::Extreme(i) => match i % (EXTREMES.len() + 2) {
                n if n < EXTREMES.len() => json!(EXTREMES[n]),
                n if n == EXTREMES.len() => json!(u64::MAX),
                _ => json!(9_007_199_254_740_993_u64),
            },
            Junk::Text(s) => json!(s),
            Junk::Long(n) => json!("a".repeat(*n)),
            Junk::Array(items) => json!(items),
            Junk::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), v.value()))
                    .collect(),
            ),
        }
    }
}

/// Short: a long string by its length, everything else as the JSON it becomes.
impl fmt::Debug for Junk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Junk::Long(n) => write!(f, "Long({n})"),
            Junk::Object(fields) => f
                .debug_map()
                .entries(fields.iter().map(|(k, v)| (k, v)))
                .finish(),
            other => write!(f, "{}", other.value()),
        }
    }
}

fn junk() -> impl Strategy<Value = Junk> {
    let leaf = prop_oneof![
        Just(Junk::Null),
        any::<bool>().prop_map(Junk::Bool),
        prop_oneof![any::<i64>(), -3i64..300].prop_map(Junk::Int),
        (0..EXTREMES.len() + 2).prop_map(Junk::Extreme),
        prop::sample::select(TEXTS).prop_map(Junk::Text),
        prop_oneof![4 => 1usize..5_000, 1 => 5_000usize..100_000].prop_map(Junk::Long),
        prop::collection::vec(-2i64..5, 0..4).prop_map(Junk::Array),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop::collection::vec((prop::sample::select(KEYS), inner), 0..4).prop_map(Junk::Object)
    })
}

/// Where a `$ref` leads.
#[derive(Debug, Clone)]
enum RefTo {
    /// The node the `$ref` replaces.
    Itself,
    Parent,
    /// Another node, which in turn refers back.
    Cycle(Pick),
    /// Any other node of the document, of whatever kind.
    Node(Pick),
    Missing,
    Odd(&'static str),
}

const ODD_REFS: &[&str] = &[
    "#",
    "",
    "#/",
    "#//",
    "#/~2",
    "#/~",
    "#/%",
    "#/%zz",
    "#/%ff%fe",
    "#/paths/%7B",
    "#/components/schemas/%25",
    "#~1",
    "#a",
    "#/components/schemas/",
    "other.yaml",
    "other.yaml#/x",
    "../../../../etc/passwd",
    "/etc/passwd",
    "file:///etc/passwd",
    "http://example.com/x.yaml",
    "urn:x",
    ":",
    "//host/x",
    "#/0",
    "#/paths/~1/get",
    "#/servers/0/url",
    "#\u{0}",
];

/// A key for `paths`.
#[derive(Debug, Clone)]
enum PathKey {
    Odd(&'static str),
    /// `/` and this many characters.
    Long(usize),
    /// `/{p0}/{p1}...`: `declared` says whether the operation declares them.
    Params {
        count: usize,
        declared: bool,
    },
}

const ODD_PATHS: &[&str] = &[
    "//",
    "/{",
    "/}",
    "/{}",
    "/{a}{b}",
    "/{a}/{a}",
    "/{a",
    "/a}",
    "/{{a}}",
    "/ü/{ñ}",
    "/🦀/{🦀}",
    "x-ext",
    "x-",
    "no-slash",
    "",
    "/",
    "/a/",
    "/a//b",
    "/*",
    "/:a",
    "/{a}.{b}",
    "/a?b=c",
    "/a#b",
    "/%7Ba%7D",
    "/__admin",
    "/a b",
];

const ODD_SERVERS: &[&str] = &[
    "",
    "/",
    "//",
    "{x}",
    "{x}/v1",
    "http://",
    "https://[::1",
    "://",
    "?q",
    "#frag",
    "http://h:99999/x",
    "/ü/v1",
    "v1",
    "//double//slashes/",
    "/a/{v}/b",
    "/{v}{w}",
    "http://h/a%20b/",
    "/__admin",
];

const ODD_MEDIA: &[&str] = &[
    "",
    "*/*",
    "*",
    "application/",
    "/json",
    "application/json; charset=",
    "application/json;;",
    "text/*;q=x",
    "a/b/c",
    "application/json\u{0}",
    "appli cation/json",
    "ü/ñ",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "application/problem+json",
    "text/plain",
    "application/*",
    "APPLICATION/JSON",
];

/// How each schema of a chain holds the next.
#[derive(Debug, Clone, Copy)]
enum Link {
    /// A bare `$ref`: a chain of references, followed hop by hop.
    Ref,
    /// A required property: a value as deep as the chain.
    Property,
    /// `allOf: [$ref]`: one schema merged from the whole chain.
    AllOf,
    /// `anyOf: [$ref, null]`: a choice at every level.
    AnyOf,
    /// `items`: arrays in arrays.
    Items,
}

impl Link {
    fn wrap(self, next: Value) -> Value {
        match self {
            Link::Ref => next,
            Link::Property => {
                json!({"type": "object", "required": ["next"], "properties": {"next": next}})
            }
            Link::AllOf => json!({"allOf": [next], "description": "link"}),
            Link::AnyOf => json!({"anyOf": [next, {"type": "null"}]}),
            Link::Items => json!({"type": "array", "minItems": 1, "items": next}),
        }
    }
}

/// How a deep schema nests.
#[derive(Debug, Clone, Copy)]
enum Nest {
    Properties,
    Items,
    AllOf,
    AnyOf,
    Not,
    AdditionalProperties,
}

impl Nest {
    fn wrap(self, inner: Value, level: usize) -> Value {
        match self {
            Nest::Properties => {
                json!({"type": "object", "required": ["a"], "properties": {"a": inner}})
            }
            Nest::Items => json!({"type": "array", "minItems": 1, "items": inner}),
            Nest::AllOf => json!({"allOf": [inner, {"description": level}]}),
            Nest::AnyOf => json!({"anyOf": [inner, {"type": "null"}]}),
            Nest::Not => json!({"not": inner}),
            Nest::AdditionalProperties => {
                json!({"type": "object", "additionalProperties": inner, "minProperties": 1})
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Removes a node from its object or array.
    Delete(Pick),
    Replace(Pick, Junk),
    /// Sets a key of an object node.
    Set(Pick, &'static str, Junk),
    Ref(Pick, RefTo, bool),
    Path(PathKey, Option<Pick>),
    /// A schema nested this deep put in a schema's place.
    Deep(Pick, Nest, usize),
    /// `components/schemas/chain0..len`, each holding the next, referenced from a schema's
    /// place.
    Chain(Pick, usize, Link),
    Server(&'static str, Option<(Junk, bool)>),
    Media(Pick, &'static str),
    /// A parameter's field.
    Param(Pick, &'static str, Junk),
    /// A schema's keyword, set to a value of the right type at an extreme, or an odd one.
    Keyword(Pick, Keyword),
    /// A copy of one node put in another's place: pieces of the document where others belong.
    Copy(Pick, Pick),
    /// The `openapi` version: a 3.1 document read as 3.0 and the other way round.
    Version(&'static str),
    /// One element of an array appended again: the same id twice, the same parameter twice.
    Duplicate(Pick, Pick),
    /// One string set to another string of the file: a reference to the wrong thing.
    Retext(Pick, Pick),
}

/// A schema keyword and a value for it.
#[derive(Debug, Clone)]
enum Keyword {
    /// `minLength`, `maxItems`... to a count (see [`count_value`]).
    Count(&'static str, Count),
    /// `minimum`, `multipleOf`... to one of [`EXTREMES`] or a plain number.
    Bound(&'static str, Junk),
    Pattern(&'static str),
    Format(&'static str),
    Type(usize),
    Enum(usize),
    Required(usize),
    Flag(&'static str),
}

const COUNT_KEYS: &[&str] = &[
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "minContains",
    "maxContains",
];

const BOUND_KEYS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];

/// Which of the counts of [`count_value`]; shown as the count.
#[derive(Clone, Copy)]
struct Count(usize);

impl fmt::Debug for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", count_value(self.0))
    }
}

/// Counts: none, one, a lot, more than a double holds exactly, the most a `u64` holds.
fn count_value(i: usize) -> Value {
    match i % 8 {
        0 => json!(0),
        1 => json!(1),
        2 => json!(2),
        3 => json!(1000),
        4 => json!(1_000_000),
        5 => json!(9_007_199_254_740_993_u64),
        6 => json!(u64::MAX),
        _ => json!(1e308),
    }
}

const PATTERNS: &[&str] = &[
    "^$",
    "(a|b)*",
    "\\d{1000}",
    "[^\\s\\S]",
    "(?i)x",
    "^\\p{L}+$",
    ".{5,}",
    "a{2,1}",
    "\\u0041",
    "^(?!x).*$",
    "(a)\\1",
    "\\bword\\b",
    "^[A-Z]{3}$",
    "^[a-z]{1,3}(-[a-z]{1,3}){0,1000}$",
    "((((((((((a))))))))))*",
    "[\\u{10FFFF}]",
    "^🦀+$",
    "x{0}",
    "^(?:a+)+$",
    "\\",
];

const FORMATS: &[&str] = &[
    "date",
    "date-time",
    "time",
    "duration",
    "uuid",
    "email",
    "uri",
    "uri-reference",
    "ipv4",
    "ipv6",
    "hostname",
    "regex",
    "binary",
    "byte",
    "int32",
    "int64",
    "float",
    "double",
    "password",
    "unknown-format",
    "",
];

fn type_value(i: usize) -> Value {
    match i % 9 {
        0 => json!(["string", "null"]),
        1 => json!("null"),
        2 => json!([]),
        3 => json!([
            "integer", "string", "object", "array", "boolean", "number", "null"
        ]),
        4 => json!("any"),
        5 => json!(["integer", "integer"]),
        6 => json!("integer"),
        7 => json!("array"),
        _ => json!("object"),
    }
}

fn enum_value(i: usize) -> Value {
    match i % 7 {
        0 => json!([]),
        1 => json!([null]),
        2 => json!([1, "1", 1.5, true, null, [], {}]),
        3 => Value::Array((0..1000).map(|n| json!(n)).collect()),
        4 => json!([{"a": 1}, [1, 2]]),
        5 => json!(["only"]),
        _ => json!([1e308, -1e308, u64::MAX]),
    }
}

fn required_value(i: usize) -> Value {
    match i % 5 {
        0 => json!([]),
        1 => json!(["missing"]),
        2 => json!(["a", "a"]),
        3 => json!(["id", "name", "email", "role", "type"]),
        _ => json!([""]),
    }
}

/// Keywords set to `true` (and others that change a schema's meaning wholesale).
const FLAGS: &[&str] = &[
    "nullable",
    "readOnly",
    "writeOnly",
    "uniqueItems",
    "deprecated",
    "additionalProperties=false",
    "items=false",
    "not={}",
    "unevaluatedProperties=false",
    "discriminator",
    "allOf=[]",
    "anyOf=[]",
    "oneOf=[{},{}]",
    "if/then",
    "$defs",
];

impl Keyword {
    /// The (key, value) pairs to set.
    fn fields(&self) -> Vec<(&'static str, Value)> {
        match self {
            Keyword::Count(k, i) => vec![(k, count_value(i.0))],
            Keyword::Bound(k, j) => vec![(k, j.value())],
            Keyword::Pattern(p) => vec![("type", json!("string")), ("pattern", json!(p))],
            Keyword::Format(f) => vec![("format", json!(f))],
            Keyword::Type(i) => vec![("type", type_value(*i))],
            Keyword::Enum(i) => vec![("enum", enum_value(*i))],
            Keyword::Required(i) => vec![("required", required_value(*i))],
            Keyword::Flag(f) => match *f {
                "additionalProperties=false" => vec![("additionalProperties", json!(false))],
                "items=false" => vec![("items", json!(false))],
                "not={}" => vec![("not", json!({}))],
                "unevaluatedProperties=false" => vec![("unevaluatedProperties", json!(false))],
                "discriminator" => vec![(
                    "discriminator",
                    json!({"propertyName": "type", "mapping": {"a": "#/nope", "b": "B"}}),
                )],
                "allOf=[]" => vec![("allOf", json!([]))],
                "anyOf=[]" => vec![("anyOf", json!([]))],
                "oneOf=[{},{}]" => vec![("oneOf", json!([{}, {}]))],
                "if/then" => vec![
                    ("if", json!({"required": ["a"]})),
                    ("then", json!({"required": ["b"]})),
                ],
                "$defs" => vec![("$defs", json!({"x": {"$ref": "#"}}))],
                other => vec![(other, json!(true))],
            },
        }
    }
}

fn keyword() -> impl Strategy<Value = Keyword> {
    let bound = prop_oneof![
        2 => (0..EXTREMES.len() + 2).prop_map(Junk::Extreme),
        1 => (-5i64..5).prop_map(Junk::Int),
        1 => any::<bool>().prop_map(Junk::Bool),
    ];
    prop_oneof![
        3 => (prop::sample::select(COUNT_KEYS), 0usize..8)
            .prop_map(|(k, i)| Keyword::Count(k, Count(i))),
        2 => (prop::sample::select(BOUND_KEYS), bound).prop_map(|(k, j)| Keyword::Bound(k, j)),
        2 => prop::sample::select(PATTERNS).prop_map(Keyword::Pattern),
        1 => prop::sample::select(FORMATS).prop_map(Keyword::Format),
        1 => (0usize..9).prop_map(Keyword::Type),
        1 => (0usize..7).prop_map(Keyword::Enum),
        1 => (0usize..5).prop_map(Keyword::Required),
        2 => prop::sample::select(FLAGS).prop_map(Keyword::Flag),
    ]
}

const VERSIONS: &[&str] = &["3.0.0", "3.0.3", "3.1.0", "3.1.1", "3.0", "3.1", "3.2.0"];

fn mutation() -> impl Strategy<Value = Mutation> {
    let index = || any::<u64>().prop_map(Pick);
    let ref_to = prop_oneof![
        1 => Just(RefTo::Itself),
        1 => Just(RefTo::Parent),
        1 => index().prop_map(RefTo::Cycle),
        3 => index().prop_map(RefTo::Node),
        1 => Just(RefTo::Missing),
        1 => prop::sample::select(ODD_REFS).prop_map(RefTo::Odd),
    ];
    let path_key = prop_oneof![
        3 => prop::sample::select(ODD_PATHS).prop_map(PathKey::Odd),
        1 => (1usize..20_000).prop_map(PathKey::Long),
        2 => (1usize..=MAX_PATH_PARAMS, any::<bool>())
            .prop_map(|(count, declared)| PathKey::Params { count, declared }),
    ];
    let nest = prop::sample::select(vec![
        Nest::Properties,
        Nest::Items,
        Nest::AllOf,
        Nest::AnyOf,
        Nest::Not,
        Nest::AdditionalProperties,
    ]);
    let param_keys = prop::sample::select(vec![
        "style",
        "explode",
        "in",
        "name",
        "schema",
        "content",
        "required",
        "allowReserved",
        "allowEmptyValue",
        "deprecated",
    ]);
    let param_value = prop_oneof![
        2 => prop::sample::select(TEXTS).prop_map(Junk::Text),
        1 => junk(),
    ];
    prop_oneof![
        3 => index().prop_map(Mutation::Delete),
        3 => (index(), junk()).prop_map(|(i, j)| Mutation::Replace(i, j)),
        3 => (index(), prop::sample::select(KEYS), junk())
            .prop_map(|(i, k, j)| Mutation::Set(i, k, j)),
        3 => (index(), ref_to, any::<bool>()).prop_map(|(i, t, e)| Mutation::Ref(i, t, e)),
        2 => (path_key, prop::option::of(index())).prop_map(|(k, i)| Mutation::Path(k, i)),
        1 => (index(), nest, prop_oneof![1usize..60, 60usize..300])
            .prop_map(|(i, n, d)| Mutation::Deep(i, n, d)),
        1 => (
            index(),
            1usize..300,
            prop::sample::select(vec![Link::Ref, Link::Property, Link::AllOf, Link::AnyOf, Link::Items])
        )
            .prop_map(|(i, n, l)| Mutation::Chain(i, n, l)),
        1 => (
            prop::sample::select(ODD_SERVERS),
            prop::option::of((junk(), any::<bool>()))
        )
            .prop_map(|(u, v)| Mutation::Server(u, v)),
        2 => (index(), prop::sample::select(ODD_MEDIA)).prop_map(|(i, m)| Mutation::Media(i, m)),
        3 => (index(), param_keys, param_value).prop_map(|(i, k, v)| Mutation::Param(i, k, v)),
        6 => (index(), keyword()).prop_map(|(i, k)| Mutation::Keyword(i, k)),
        2 => (index(), index()).prop_map(|(a, b)| Mutation::Copy(a, b)),
        1 => prop::sample::select(VERSIONS).prop_map(Mutation::Version),
        1 => (index(), index()).prop_map(|(a, e)| Mutation::Duplicate(a, e)),
        2 => (index(), index()).prop_map(|(a, b)| Mutation::Retext(a, b)),
    ]
}

/// Every node's pointer, the root first, in document order.
fn pointers(value: &Value) -> Vec<String> {
    fn walk(v: &Value, here: String, out: &mut Vec<String>) {
        out.push(here.clone());
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    walk(
                        child,
                        understudy::document::refs::pointer_join(&here, &[k]),
                        out,
                    );
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, format!("{here}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, String::new(), &mut out);
    out
}

/// The pointers whose node passes `keep`.
fn pointers_where(value: &Value, keep: impl Fn(&str, &Value) -> bool) -> Vec<String> {
    pointers(value)
        .into_iter()
        .filter(|p| value.pointer(p).is_some_and(|v| keep(p, v)))
        .collect()
}

/// Schema objects: at schema places and every object below one.
fn schema_objects(doc: &Value) -> Vec<String> {
    let places = schema_places(doc);
    pointers_where(doc, |p, v| {
        v.is_object()
            && places
                .iter()
                .any(|s| p == s || (p.starts_with(s.as_str()) && p[s.len()..].starts_with('/')))
    })
}

/// Places a schema may stand: `.../schema`, components' schemas, and inside schemas.
fn schema_places(doc: &Value) -> Vec<String> {
    pointers_where(doc, |p, _| {
        p.ends_with("/schema")
            || p.starts_with("/components/schemas/")
            || p.contains("/schema/properties/")
            || p.ends_with("/items")
    })
}

fn pick<'a>(list: &'a [String], i: &Pick) -> Option<&'a str> {
    (!list.is_empty()).then(|| list[i.index(list.len())].as_str())
}

/// `pointer` as a `$ref` fragment: escaped like a URI fragment, or (`raw`) as it is.
fn fragment(pointer: &str, raw: bool) -> String {
    const ENCODE: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'<')
        .add(b'>')
        .add(b'^')
        .add(b'`')
        .add(b'{')
        .add(b'|')
        .add(b'}');
    if raw {
        format!("#{pointer}")
    } else {
        format!(
            "#{}",
            percent_encoding::utf8_percent_encode(pointer, ENCODE)
        )
    }
}

fn set_at(doc: &mut Value, pointer: &str, value: Value) {
    if let Some(slot) = doc.pointer_mut(pointer) {
        *slot = value;
    }
}

fn parent_of(pointer: &str) -> Option<(&str, String)> {
    let (parent, last) = pointer.rsplit_once('/')?;
    Some((parent, last.replace("~1", "/").replace("~0", "~")))
}

/// A path item with one `get` whose path parameters are `names` (declared or not).
fn path_item(names: &[String], declared: bool) -> Value {
    let params: Vec<Value> = if declared {
        names
            .iter()
            .map(|n| json!({"name": n, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect()
    } else {
        Vec::new()
    };
    json!({"get": {
        "parameters": params,
        "responses": {"200": {"description": "ok", "content": {"application/json": {
            "schema": {"type": "object", "properties": {"id": {"type": "string"}}}
        }}}}
    }})
}

impl Mutation {
    fn apply(&self, doc: &mut Value) {
        match self {
            Mutation::Delete(i) => {
                let all = pointers(doc);
                let Some(p) = pick(&all[1.min(all.len())..], i).map(str::to_owned) else {
                    return;
                };
                let Some((parent, last)) = parent_of(&p) else {
                    return;
                };
                match doc.pointer_mut(parent) {
                    Some(Value::Object(map)) => {
                        map.shift_remove(&last);
                    }
                    Some(Value::Array(items)) => {
                        if let Ok(n) = last.parse::<usize>()
                            && n < items.len()
                        {
                            items.remove(n);
                        }
                    }
                    _ => {}
                }
            }
            Mutation::Replace(i, junk) => {
                let all = pointers(doc);
                if let Some(p) = pick(&all, i).map(str::to_owned) {
                    set_at(doc, &p, junk.value());
                }
            }
            Mutation::Set(i, key, junk) => {
                let objects = pointers_where(doc, |_, v| v.is_object());
                if let Some(p) = pick(&objects, i).map(str::to_owned)
                    && let Some(Value::Object(map)) = doc.pointer_mut(&p)
                {
                    map.insert((*key).to_owned(), junk.value());
                }
            }
            Mutation::Ref(i, to, raw) => {
                let all = pointers(doc);
                let Some(here) = pick(&all[1.min(all.len())..], i).map(str::to_owned) else {
                    return;
                };
                let target = match to {
                    RefTo::Itself => fragment(&here, *raw),
                    RefTo::Parent => fragment(parent_of(&here).map_or("", |(p, _)| p), *raw),
                    RefTo::Cycle(j) | RefTo::Node(j) => {
                        let Some(other) = pick(&all, j).map(str::to_owned) else {
                            return;
                        };
                        if matches!(to, RefTo::Cycle(_))
                            && other != here
                            && !here.starts_with(&other)
                        {
                            set_at(doc, &other, json!({"$ref": fragment(&here, *raw)}));
                        }
                        fragment(&other, *raw)
                    }
                    RefTo::Missing => fragment(&format!("{here}/missing~1node"), *raw),
                    RefTo::Odd(r) => (*r).to_owned(),
                };
                set_at(doc, &here, json!({ "$ref": target }));
            }
            Mutation::Path(key, from) => {
                let (template, item) = match key {
                    PathKey::Odd(k) => ((*k).to_owned(), None),
                    PathKey::Long(n) => (format!("/{}", "p".repeat(*n)), None),
                    PathKey::Params { count, declared } => {
                        let names: Vec<String> = (0..*count).map(|i| format!("p{i}")).collect();
                        let template: String = names.iter().map(|n| format!("/{{{n}}}")).collect();
                        (template, Some(path_item(&names, *declared)))
                    }
                };
                // An existing path item under the odd key, or a small one.
                let existing = from.as_ref().and_then(|j| {
                    let items: Vec<Value> = doc
                        .get("paths")
                        .and_then(Value::as_object)
                        .map(|m| m.values().cloned().collect())
                        .unwrap_or_default();
                    (!items.is_empty()).then(|| items[j.index(items.len())].clone())
                });
                let item = item.or(existing).unwrap_or_else(|| path_item(&[], false));
                if !doc.get("paths").is_some_and(Value::is_object)
                    && let Value::Object(root) = doc
                {
                    root.insert("paths".to_owned(), json!({}));
                }
                if let Some(Value::Object(paths)) = doc.get_mut("paths") {
                    paths.insert(template, item);
                }
            }
            Mutation::Deep(i, nest, depth) => {
                let places = schema_places(doc);
                let Some(p) = pick(&places, i).map(str::to_owned) else {
                    return;
                };
                let mut schema = json!({"type": "string", "minLength": 1});
                for level in 0..*depth {
                    schema = nest.wrap(schema, level);
                }
                set_at(doc, &p, schema);
            }
            Mutation::Chain(i, len, link) => {
                let places = schema_places(doc);
                let Some(p) = pick(&places, i).map(str::to_owned) else {
                    return;
                };
                let Value::Object(root) = doc else {
                    return;
                };
                let components = root.entry("components").or_insert_with(|| json!({}));
                if !components.is_object() {
                    *components = json!({});
                }
                let schemas = components
                    .as_object_mut()
                    .map(|c| c.entry("schemas").or_insert_with(|| json!({})));
                let Some(schemas) = schemas else {
                    return;
                };
                if !schemas.is_object() {
                    *schemas = json!({});
                }
                let Some(schemas) = schemas.as_object_mut() else {
                    return;
                };
                for n in 0..*len {
                    let next = json!({"$ref": format!("#/components/schemas/chain{}", n + 1)});
                    let schema = if n + 1 == *len {
                        json!({"type": "integer", "minimum": 0})
                    } else {
                        link.wrap(next)
                    };
                    schemas.insert(format!("chain{n}"), schema);
                }
                set_at(doc, &p, json!({"$ref": "#/components/schemas/chain0"}));
            }
            Mutation::Server(url, variable) => {
                let mut server = json!({ "url": url });
                if let Some((junk, with_default)) = variable {
                    let var = if *with_default {
                        json!({ "default": junk.value(), "enum": [junk.value()] })
                    } else {
                        junk.value()
                    };
                    server["variables"] = json!({ "v": var, "x": var });
                }
                if let Value::Object(root) = doc {
                    root.insert("servers".to_owned(), json!([server]));
                }
            }
            Mutation::Media(i, media) => {
                let contents = pointers_where(doc, |p, v| p.ends_with("/content") && v.is_object());
                if let Some(p) = pick(&contents, i).map(str::to_owned)
                    && let Some(Value::Object(content)) = doc.pointer_mut(&p)
                {
                    let first = content.values().next().cloned().unwrap_or(json!({}));
                    if content.len() == 1 {
                        content.clear();
                    }
                    content.insert((*media).to_owned(), first);
                }
            }
            Mutation::Keyword(i, keyword) => {
                let schemas = schema_objects(doc);
                if let Some(p) = pick(&schemas, i).map(str::to_owned)
                    && let Some(Value::Object(schema)) = doc.pointer_mut(&p)
                {
                    for (k, v) in keyword.fields() {
                        schema.insert(k.to_owned(), v);
                    }
                }
            }
            Mutation::Copy(from, to) => {
                let all = pointers(doc);
                if let (Some(a), Some(b)) = (pick(&all, from), pick(&all[1.min(all.len())..], to))
                    && let Some(value) = doc.pointer(a).cloned()
                {
                    let b = b.to_owned();
                    set_at(doc, &b, value);
                }
            }
            Mutation::Duplicate(array, element) => {
                let arrays =
                    pointers_where(doc, |_, v| v.as_array().is_some_and(|a| !a.is_empty()));
                if let Some(p) = pick(&arrays, array).map(str::to_owned)
                    && let Some(Value::Array(items)) = doc.pointer_mut(&p)
                {
                    let copy = items[element.index(items.len())].clone();
                    items.push(copy);
                }
            }
            Mutation::Retext(to, from) => {
                let texts = pointers_where(doc, |_, v| v.is_string());
                if let (Some(a), Some(b)) = (pick(&texts, to), pick(&texts, from))
                    && let Some(value) = doc.pointer(b).cloned()
                {
                    let a = a.to_owned();
                    set_at(doc, &a, value);
                }
            }
            Mutation::Version(v) => {
                if let Value::Object(root) = doc {
                    root.insert("openapi".to_owned(), json!(v));
                }
            }
            Mutation::Param(i, key, junk) => {
                let params = pointers_where(doc, |_, v| v.get("in").is_some() && v.is_object());
                if let Some(p) = pick(&params, i).map(str::to_owned)
                    && let Some(Value::Object(param)) = doc.pointer_mut(&p)
                {
                    param.insert((*key).to_owned(), junk.value());
                }
            }
        }
    }
}

// --- cases ----------------------------------------------------------------------------------

/// One input: a document of the corpus, the name it is loaded under, its mutations, and the
/// fixtures of a bundled API (mutated, from a folder) when the name is a bundled one.
#[derive(Clone)]
struct Case {
    seed: usize,
    /// `None`: the document's own name; else one of [`BUNDLED_NAMES`].
    name: Option<usize>,
    mutations: Vec<Mutation>,
    /// `None`: the bundled fixtures.
    fixture_mutations: Option<Vec<Mutation>>,
    /// Loaded beside the bundled documents (mounts and routes must not collide).
    with_bundled: bool,
    /// Loaded from a file (its `$ref`s may then read files) rather than given as text.
    as_file: bool,
    /// Written as YAML, then changed as text (`None`: written as JSON).
    yaml: Option<Vec<TextMutation>>,
}

/// A change to a document's YAML text: what only YAML can say (anchors, aliases, merge keys,
/// tags, several documents), and text cut short.
#[derive(Debug, Clone)]
enum TextMutation {
    Prefix(&'static str),
    Append(&'static str),
    /// Cut at this fraction (in thousandths) of the text.
    Truncate(u16),
}

const YAML_PREFIXES: &[&str] = &[
    "\u{feff}",
    "%YAML 1.2\n---\n",
    "--- !tagged\n",
    "---\n",
    "# comment\n",
    "\t",
    "x: &anchor\n",
];

const YAML_APPENDS: &[&str] = &[
    "\n---\nsecond: document\n",
    "\nlol: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\nlol2: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
     lol3: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nlol4: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
     lol5: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nlol6: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
    "\nloop: &l [*l]\n",
    "\n<<: {x-merged: 1}\n",
    "\n<<: [{x-a: 1}, {x-b: 2}]\n",
    "\n<<: scalar\n",
    "\nx-bin: !!binary aGVsbG8=\n",
    "\nx-int: !!int nope\n",
    "\n? [complex, key]\n: value\n",
    "\n? {a: 1}\n: value\n",
    "\n1.5: float key\n",
    "\n~: null key\n",
    "\nnull: null key\n",
    "\nopenapi: 3.1.0\n",
    "\nx-unknown-alias: *nope\n",
    "\nx-deep: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\
     [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]\
     ]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\
     ]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
    "\nx-tab:\t1\n",
    "\n\u{0}\n",
    "\nx-emoji: 🦀\n",
];

impl TextMutation {
    fn apply(&self, text: &mut String) {
        match self {
            TextMutation::Prefix(p) => text.insert_str(0, p),
            TextMutation::Append(a) => text.push_str(a),
            TextMutation::Truncate(at) => {
                let mut end = text.len() * usize::from(*at) / 1000;
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                text.truncate(end);
            }
        }
    }
}

fn text_mutation() -> impl Strategy<Value = TextMutation> {
    prop_oneof![
        1 => prop::sample::select(YAML_PREFIXES).prop_map(TextMutation::Prefix),
        3 => prop::sample::select(YAML_APPENDS).prop_map(TextMutation::Append),
        1 => (0u16..1000).prop_map(TextMutation::Truncate),
    ]
}

impl Case {
    fn name(&self) -> String {
        match self.name {
            Some(i) => BUNDLED_NAMES[i % BUNDLED_NAMES.len()].to_owned(),
            None => corpus()[self.seed % corpus().len()].name.clone(),
        }
    }

    fn document(&self) -> Value {
        let mut doc = corpus()[self.seed % corpus().len()].value.clone();
        for m in &self.mutations {
            m.apply(&mut doc);
        }
        doc
    }
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Case")
            .field("document", &corpus()[self.seed % corpus().len()].name)
            .field("loaded_as", &self.name())
            .field("mutations", &self.mutations)
            .field("fixture_mutations", &self.fixture_mutations)
            .field("with_bundled", &self.with_bundled)
            .field("as_file", &self.as_file)
            .field("yaml", &self.yaml)
            .finish()
    }
}

fn case() -> impl Strategy<Value = Case> {
    let pick = || any::<u64>().prop_map(Pick);
    let fixture_mutation = prop_oneof![
        pick().prop_map(Mutation::Delete),
        (pick(), junk()).prop_map(|(i, j)| Mutation::Replace(i, j)),
        (pick(), prop::sample::select(KEYS), junk()).prop_map(|(i, k, j)| Mutation::Set(i, k, j)),
        (pick(), pick()).prop_map(|(a, b)| Mutation::Copy(a, b)),
        (pick(), pick()).prop_map(|(a, e)| Mutation::Duplicate(a, e)),
        (pick(), pick()).prop_map(|(a, b)| Mutation::Retext(a, b)),
    ];
    let any_document = (
        0..corpus().len(),
        prop_oneof![4 => Just(None), 1 => (0..BUNDLED_NAMES.len()).prop_map(Some)],
        prop::collection::vec(mutation(), 1..=6),
        prop::option::weighted(0.3, prop::collection::vec(fixture_mutation.clone(), 1..=4)),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.2),
        prop::option::weighted(0.25, prop::collection::vec(text_mutation(), 0..=3)),
    )
        .prop_map(
            |(seed, name, mutations, fixture_mutations, with_bundled, as_file, yaml)| Case {
                seed,
                name,
                mutations,
                fixture_mutations,
                with_bundled,
                as_file,
                yaml,
            },
        );
    // A bundled document barely changed, so that it loads and its fixtures are what the
    // case is about. The corpus starts with the bundled documents.
    let fixtures = (
        0..BUNDLED_NAMES.len(),
        prop::collection::vec(mutation(), 0..=1),
        prop::collection::vec(fixture_mutation, 1..=6),
    )
        .prop_map(|(seed, mutations, fixture_mutations)| Case {
            seed,
            name: None,
            mutations,
            fixture_mutations: Some(fixture_mutations),
            with_bundled: false,
            as_file: false,
            yaml: None,
        });
    prop_oneof![4 => any_document, 1 => fixtures]
}

/// What one load came to.
struct Loaded {
    took: Duration,
    ok: bool,
}

/// A folder for one case's files (the document, when loaded from a file, and fixtures),
/// removed when dropped.
struct CaseDir(PathBuf);

impl CaseDir {
    fn new() -> Result<CaseDir, String> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("understudy-loader-fuzz-{}-{n}", std::process::id()));
        std::fs::create_dir_all(dir.join("docs/shared")).map_err(|e| e.to_string())?;
        Ok(CaseDir(dir))
    }
}

impl Drop for CaseDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Loads one case on its own thread: `Err` with the panic's message, or when it takes longer
/// than [`CASE_BOUND`].
fn load(case: &Case) -> Result<Loaded, String> {
    let name = case.name();
    let text = match &case.yaml {
        None => serde_json::to_string(&case.document()).map_err(|e| e.to_string())?,
        Some(changes) => {
            let mut text = serde_yaml_ng::to_string(&case.document()).map_err(|e| e.to_string())?;
            for change in changes {
                change.apply(&mut text);
            }
            text
        }
    };
    let mut dir = None;
    let mut case_dir = || -> Result<PathBuf, String> {
        if dir.is_none() {
            dir = Some(CaseDir::new()?);
        }
        Ok(dir.as_ref().map(|d| d.0.clone()).unwrap_or_default())
    };
    let fixtures = match &case.fixture_mutations {
        Some(mutations) if BUNDLED_NAMES.contains(&name.as_str()) => {
            let mut fixture = bundled_fixture(&name).unwrap_or(Value::Null);
            for m in mutations {
                m.apply(&mut fixture);
            }
            let root = case_dir()?;
            std::fs::write(root.join(format!("{name}.yaml")), fixture.to_string())
                .map_err(|e| e.to_string())?;
            FixtureSource::Dir(root)
        }
        _ => FixtureSource::Bundled,
    };
    let document = if case.as_file {
        // Beside a copy of `tests/docs/shared/`, which `edge-30.yaml` references.
        let root = case_dir()?;
        let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/docs/shared");
        for entry in std::fs::read_dir(shared).map_err(|e| e.to_string())? {
            let from = entry.map_err(|e| e.to_string())?.path();
            if let Some(file) = from.file_name() {
                std::fs::copy(&from, root.join("docs/shared").join(file))
                    .map_err(|e| e.to_string())?;
            }
        }
        let extension = if case.yaml.is_some() { "yaml" } else { "json" };
        let path = root.join("docs").join(format!("{name}.{extension}"));
        std::fs::write(&path, &text).map_err(|e| e.to_string())?;
        Source::File(path)
    } else {
        Source::Text { name, text }
    };
    if std::env::var_os("UNDERSTUDY_FUZZ_TRACE").is_some() {
        eprintln!("loader fuzz: {case:?}");
    }
    let mut sources = vec![document];
    if case.with_bundled {
        sources.extend(understudy::document::load::bundled());
    }
    let (tx, rx) = mpsc::channel();
    let config = EngineConfig {
        fixtures,
        ..EngineConfig::default()
    };
    std::thread::Builder::new()
        .name("loader-fuzz".to_owned())
        .stack_size(STACK)
        .spawn(move || {
            let started = Instant::now();
            let outcome = std::panic::catch_unwind(|| match Engine::load(&sources, config) {
                Ok(engine) => {
                    first_answers_on_a_worker(&engine);
                    true
                }
                Err(f) => {
                    if std::env::var_os("UNDERSTUDY_FUZZ_PROBLEMS").is_some()
                        && let Some(p) = f.iter().flat_map(|f| f.problems.iter()).next()
                    {
                        eprintln!("PROBLEM {}", p.message.chars().take(60).collect::<String>());
                    }
                    false
                }
            });
            let _ = tx.send((outcome, started.elapsed()));
        })
        .map_err(|e| e.to_string())?;
    let result = match rx.recv_timeout(CASE_BOUND) {
        Ok((Ok(ok), took)) => Ok(Loaded { took, ok }),
        Ok((Err(panic), _)) => Err(format!("the loader panicked: {}", panic_message(&panic))),
        // The thread is left to finish on its own: it cannot be stopped.
        Err(_) => Err(format!("the loader took more than {CASE_BOUND:?}")),
    };
    drop(dir);
    result
}

/// What the first requests of a loaded document make once and keep: every response's static
/// body (its example, else generated data) and headers. Not loading as such, but the same
/// schemas' first use, made eagerly here so that the fuzz reaches `generate`.
fn first_answers(engine: &Engine) {
    for api in engine.apis() {
        for op in &api.operations {
            for response in &op.responses {
                let _ = response.header_values(&api.matchers, 0);
                for media in &response.media {
                    let _ = media.static_answer(&api.matchers, 0);
                }
            }
        }
    }
}

/// [`first_answers`] on a thread with the stack of a server's worker thread (tokio's 2 MiB),
/// where answers are made; a panic there is this thread's.
fn first_answers_on_a_worker(engine: &Engine) {
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .stack_size(WORKER_STACK)
            .spawn_scoped(scope, || first_answers(engine));
        match worker.map(|w| w.join()) {
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Ok(Ok(())) => {}
            Err(e) => panic!("no worker thread: {e}"),
        }
    });
}

fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}

// --- running --------------------------------------------------------------------------------

/// `UNDERSTUDY_FUZZ_SECONDS`, when set: run for that long instead of a fixed count.
fn fuzz_time() -> Option<Duration> {
    let secs: u64 = std::env::var("UNDERSTUDY_FUZZ_SECONDS")
        .ok()?
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs))
}

/// The slowest case seen: how long, and the case.
type Slowest = Option<(Duration, String)>;

#[test]
fn mutated_documents_load_or_fail_cleanly_within_the_time_bound() {
    let started = Instant::now();
    let until = fuzz_time();
    let cases = Arc::new(std::sync::Mutex::new((0u64, 0u64, None as Slowest)));
    loop {
        let batch = if until.is_some() { BATCH } else { CASES };
        let mut runner = TestRunner::new(Config {
            cases: batch,
            failure_persistence: Some(Box::new(FileFailurePersistence::Direct(REGRESSIONS))),
            // A hang costs the whole bound per step.
            max_shrink_time: 300_000,
            ..Config::default()
        });
        let seen = Arc::clone(&cases);
        let outcome = runner.run(&case(), move |case| {
            let loaded = load(&case).map_err(|e| {
                // Said at once: shrinking a slow case can take long.
                eprintln!("loader fuzz: failed ({e}): {case:?}");
                TestCaseError::fail(e)
            })?;
            let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
            seen.0 += 1;
            seen.1 += u64::from(loaded.ok);
            if seen.2.as_ref().is_none_or(|(t, _)| loaded.took > *t) {
                let mut shown = format!("{case:?}");
                shown.truncate(600);
                seen.2 = Some((loaded.took, shown));
            }
            Ok(())
        });
        if let Err(e) = outcome {
            panic!("loader fuzz: {e}");
        }
        match until {
            Some(limit) if started.elapsed() < limit => continue,
            _ => break,
        }
    }
    let seen = cases.lock().unwrap_or_else(|e| e.into_inner());
    eprintln!(
        "loader fuzz: {} cases ({} loaded, the rest refused) in {:.1}s",
        seen.0,
        seen.1,
        started.elapsed().as_secs_f64()
    );
    if let Some((took, case)) = &seen.2 {
        eprintln!("loader fuzz: slowest {:.2}s: {case}", took.as_secs_f64());
    }
    assert!(seen.0 >= u64::from(CASES));
}

// --- the harness itself and regressions -----------------------------------------------------

fn loads(name: &str, doc: &Value) -> Result<(), Vec<understudy::document::problems::Problem>> {
    let source = Source::Text {
        name: name.to_owned(),
        text: doc.to_string(),
    };
    Engine::load(&[source], EngineConfig::default())
        .map(|_| ())
        .map_err(|failures| failures.into_iter().flat_map(|f| f.problems).collect())
}

#[test]
fn every_document_of_the_corpus_loads_unmutated_or_fails_as_it_did() {
    for seed in corpus() {
        // `bad.yaml` is broken on purpose and `edge-30.yaml` references a file, which a
        // document given as text cannot.
        let expected = !matches!(seed.name.as_str(), "bad" | "edge-30");
        assert_eq!(
            loads(&seed.name, &seed.value).is_ok(),
            expected,
            "{}",
            seed.name
        );
    }
}

#[test]
fn a_path_with_the_most_parameters_the_router_takes_loads() {
    let mut doc = corpus()[0].value.clone();
    Mutation::Path(
        PathKey::Params {
            count: MAX_PATH_PARAMS,
            declared: true,
        },
        None,
    )
    .apply(&mut doc);
    loads("many", &doc).expect("a path with the most parameters loads");
}

#[test]
fn a_chain_of_components_a_few_hundred_long_loads() {
    let mut doc = corpus()[0].value.clone();
    let first = schema_places(&doc).len();
    assert!(first > 0);
    Mutation::Chain(Pick(0), 300, Link::Property).apply(&mut doc);
    assert!(doc.pointer("/components/schemas/chain299").is_some());
    if let Err(problems) = loads("chain", &doc) {
        panic!("{problems:#?}");
    }
}

#[test]
fn an_error_schema_with_a_huge_min_length_neither_hangs_loading_nor_the_first_answers() {
    // The first case the fuzz found (shrunk): `links.yaml` with its `Problem` error schema's
    // `type` member given `minLength: 2^53+1`. Loading padded the member one character at a
    // time, and so did the first generated answer.
    let seed = corpus()
        .iter()
        .find(|s| s.name == "links")
        .expect("links.yaml");
    let mut doc = seed.value.clone();
    let member =
        "/components/responses/Problem/content/application~1problem+json/schema/properties/type";
    doc.pointer_mut(member)
        .and_then(Value::as_object_mut)
        .expect("the Problem schema's `type`")
        .insert("minLength".to_owned(), json!(9_007_199_254_740_993_u64));
    let started = Instant::now();
    let engine = Engine::load(
        &[Source::Text {
            name: "links".to_owned(),
            text: doc.to_string(),
        }],
        EngineConfig::default(),
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    first_answers(&engine);
    assert!(started.elapsed() < CASE_BOUND, "{:?}", started.elapsed());
}
