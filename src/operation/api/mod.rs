//! One served API: a loaded document compiled into operations with their parameter plans,
//! validators, responses and error formats. Everything here is built once, at startup;
//! a document that cannot be served is reported with all its problems at once.
//!
//! - `builder`: the walk over `paths` that compiles each operation, its parameters and
//!   request body, following `$ref`s and reporting every problem where it is written.
//! - `responses`: an operation's responses, their headers and examples (an example that
//!   breaks its own schema is a warning, and is not served).

mod builder;
pub mod key;
mod responses;

use std::sync::{Arc, Mutex};

use http::Method;
use serde_json::Value;

use crate::document::load::{self, RefPolicy, Source};
use crate::document::normalize::{self, Dialect, View};
use crate::document::problems::{LoadError, Problems, excerpt};
use crate::document::refs::{Resources, pointer_join};
use crate::operation::errors::{ErrorCatalog, ErrorCatalogBuilder};
use crate::operation::params::{ParamIn, ParamPlan};
use crate::operation::respond::ResponseSpec;
use crate::operation::security::Security;
use crate::schema::validators::{CompiledSchema, Matchers, SchemaCompiler};
use crate::schema::violation::{Location, Segment};

use builder::Builder;

/// The HTTP methods an OpenAPI path item can hold, in the order `Allow` lists them.
pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// A compiled parameter.
#[derive(Debug)]
pub struct Param {
    pub plan: ParamPlan,
    pub validator: Option<Arc<CompiledSchema>>,
    /// For a path parameter, which of the template's `{...}` it is (the router's values come
    /// in template order): found once here, not by reading the template on every request.
    pub path_index: Option<usize>,
}

impl Param {
    /// Where violations of this parameter are reported.
    pub fn location(&self, steps: Vec<Segment>) -> Location {
        let name = self.plan.name.clone();
        match self.plan.location {
            ParamIn::Path => Location::Path(name, steps),
            ParamIn::Query => Location::Query(name, steps),
            ParamIn::Header => Location::Header(name, steps),
            ParamIn::Cookie => Location::Cookie(name, steps),
        }
    }
}

/// One media type a request body may have.
#[derive(Debug)]
pub struct BodyMedia {
    /// As declared: may be a range such as `application/*`.
    pub media_type: String,
    pub validator: Option<Arc<CompiledSchema>>,
    /// For `application/x-www-form-urlencoded`: the body read as an exploded form-style
    /// object, which is what OpenAPI says such a body is.
    pub form: Option<ParamPlan>,
}

#[derive(Debug)]
pub struct RequestBody {
    pub required: bool,
    pub media: Vec<BodyMedia>,
    /// The declared media types, for matching `Content-Type`.
    pub declared: Vec<String>,
}

/// One operation, ready to serve.
#[derive(Debug)]
pub struct Operation {
    /// `operationId`, or `METHOD /path` when the document gives none.
    pub id: Arc<str>,
    pub method: Method,
    /// The path template as written in the document.
    pub template: String,
    /// Mount plus template, as written: what `routes` lists.
    pub route: String,
    /// What the router matches: the path part of the route, and the discriminator's
    /// conditions when the key has one (`/#X-Amz-Target=…`, `/{Bucket}?acl`).
    pub routing: key::Routing,
    pub params: Vec<Param>,
    pub body: Option<RequestBody>,
    pub responses: Vec<ResponseSpec>,
    pub security: Security,
    pub errors: ErrorCatalog,
}

impl Operation {
    /// What the router matches: the route without its discriminator.
    pub fn path(&self) -> &str {
        self.route
            .get(..self.routing.path_len)
            .unwrap_or(&self.route)
    }
}

/// One served document.
#[derive(Debug)]
pub struct Api {
    pub name: String,
    pub title: String,
    pub dialect: Dialect,
    /// Path prefix from the first server URL: `/api/v1`, `/v1`, or empty.
    pub mount: String,
    /// The normalised document (generation and error shaping read it).
    pub resources: Arc<Resources>,
    /// Whether a value matches a schema of the document, for the makers of values.
    pub matchers: Matchers,
    pub operations: Vec<Operation>,
    /// Error formats for answers that belong to no operation (404, 405).
    pub errors: ErrorCatalog,
    /// Warnings found while loading, for the startup log.
    pub warnings: Vec<String>,
}

impl Api {
    /// Loads and compiles a document whose `$ref`s may read files in its own folder and the
    /// working directory. Every error found is in the `LoadError`.
    pub fn load(source: &Source) -> Result<Api, LoadError> {
        Api::load_with(source, &RefPolicy::default())
    }

    /// Loads every source under one policy; fails with every problem of every document that
    /// cannot be served.
    pub fn load_all(sources: &[Source], policy: &RefPolicy) -> Result<Vec<Api>, Vec<LoadError>> {
        let mut apis = Vec::new();
        let mut failures = Vec::new();
        for source in sources {
            match Api::load_with(source, policy) {
                Ok(api) => apis.push(api),
                Err(e) => failures.push(e),
            }
        }
        if failures.is_empty() {
            Ok(apis)
        } else {
            Err(failures)
        }
    }

    /// Loads and compiles a document whose `$ref`s may read the files `policy` allows.
    ///
    /// Reading the document and deriving its validation views happen on a thread of their
    /// own ([`apart`]): what only loading needs (the parsed text, the document before it is
    /// copied, the two views) is then freed in whole pages and given back to the system,
    /// instead of staying as holes between what serving keeps. On GitHub's REST description
    /// that is 20 MB less resident memory (bench/README.md, "Big documents").
    pub fn load_with(source: &Source, policy: &RefPolicy) -> Result<Api, LoadError> {
        let name = source.name();
        let (read, dialect, mut problems) = apart(|| read(source, policy, &name))?;
        // The copy is made here, in exactly the space it needs; the original goes with the
        // loading thread's memory.
        let resources = Arc::new(read.clone());
        drop(read);
        let root_uri = resources.root_uri().to_owned();
        let (request_view, response_view) = apart(|| {
            (
                normalize::validation_view(&resources, View::Request),
                normalize::validation_view(&resources, View::Response),
            )
        });
        let mut compiler = match SchemaCompiler::for_views(&request_view, &response_view) {
            Ok(c) => c,
            Err(e) => {
                problems.error(&root_uri, "", e);
                return Err(LoadError {
                    name,
                    problems: problems.all().to_vec(),
                });
            }
        };
        let mount = mount_of(resources.root(), &root_uri, &mut problems);
        let mut builder = Builder {
            resources: &resources,
            compiler: &mut compiler,
            problems: &mut problems,
            root_uri: &root_uri,
            errors: ErrorCatalogBuilder::new(),
        };
        let operations = builder.operations(&mount);
        let errors = builder.document_errors();
        if problems.has_errors() {
            return Err(LoadError {
                name,
                problems: problems.all().to_vec(),
            });
        }
        let matchers = compiler.matchers(&resources);
        let title = resources
            .root()
            .pointer("/info/title")
            .and_then(Value::as_str)
            .unwrap_or(&name)
            .to_owned();
        Ok(Api {
            name,
            title,
            dialect,
            mount,
            warnings: problems.warnings().map(|w| w.to_string()).collect(),
            resources,
            matchers,
            operations,
            errors,
        })
    }
}

/// Reads, checks and normalises a document, and drops its prose.
fn read(
    source: &Source,
    policy: &RefPolicy,
    name: &str,
) -> Result<(Resources, Dialect, Problems), LoadError> {
    let mut problems = Problems::default();
    let refused = |problems: &Problems| LoadError {
        name: name.to_owned(),
        problems: problems.all().to_vec(),
    };
    let Some(mut resources) = load::load(source, policy, &mut problems) else {
        return Err(refused(&problems));
    };
    let dialect = match dialect_of(resources.root()) {
        Ok(d) => d,
        Err(message) => {
            let root_uri = resources.root_uri().to_owned();
            problems.error(&root_uri, "/openapi", message);
            return Err(refused(&problems));
        }
    };
    normalize::normalize(&mut resources, dialect, &mut problems);
    normalize::drop_prose(&mut resources);
    Ok((resources, dialect, problems))
}

/// Runs `work` on a thread of its own and waits for it. glibc gives a new thread an arena of
/// its own, so the memory `work` allocates and its caller later frees comes back in whole
/// pages. The stack is the main thread's size: loading recurses as deep as documents nest.
/// Where no thread can be had, `work` runs here; only the memory is not given back then.
fn apart<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    const STACK: usize = 8 << 20;
    let work = Mutex::new(Some(work));
    let run = || {
        let taken = work.lock().ok().and_then(|mut w| w.take());
        taken.map(|w| w())
    };
    let done = std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("understudy-load".to_owned())
            .stack_size(STACK)
            .spawn_scoped(scope, run);
        match worker {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => None,
        }
    });
    match done.or_else(run) {
        Some(value) => value,
        None => unreachable!("the work ran neither on its thread nor here"),
    }
}

fn dialect_of(root: &Value) -> Result<Dialect, String> {
    match root.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0.") || v == "3.0" => Ok(Dialect::Oas30),
        Some(v) if v.starts_with("3.1.") || v == "3.1" => Ok(Dialect::Oas31),
        Some(v) => Err(format!(
            "OpenAPI {} is not supported: understudy serves 3.0.x and 3.1.x documents",
            excerpt(v)
        )),
        None if root.get("swagger").is_some() => {
            Err("Swagger 2.0 documents are not supported: convert to OpenAPI 3 first".to_owned())
        }
        None => Err("not an OpenAPI document: there is no `openapi` version field".to_owned()),
    }
}

/// The path of the first server URL, server variables replaced by their defaults.
fn mount_of(root: &Value, file: &str, problems: &mut Problems) -> String {
    let Some(server) = root.pointer("/servers/0") else {
        return String::new();
    };
    let mut url = server
        .get("url")
        .and_then(Value::as_str)
        .unwrap_or("/")
        .to_owned();
    if let Some(Value::Object(vars)) = server.get("variables") {
        for (name, var) in vars {
            match var.get("default").and_then(Value::as_str) {
                Some(default) => url = url.replace(&format!("{{{name}}}"), default),
                None => problems.error(
                    file,
                    &pointer_join("/servers/0/variables", &[name]),
                    "a server variable must have a `default`",
                ),
            }
        }
    }
    if url.contains('{') {
        problems.error(
            file,
            "/servers/0/url",
            format!(
                "server URL `{}` uses a variable that is not defined",
                excerpt(&url)
            ),
        );
    }
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]).to_owned(),
        None => url,
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    path.trim_end_matches('/').to_owned()
}

/// The `{name}`s of a path template.
pub fn template_params(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push(rest[start + 1..start + len].to_owned());
        rest = &rest[start + len + 1..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn mounts_come_from_the_first_server_with_variable_defaults() {
        let mut p = Problems::default();
        let doc = json!({"servers": [{"url": "{host}/v1", "variables": {"host": {"default": "https://api.gitbook.com"}}}]});
        assert_eq!(mount_of(&doc, "f", &mut p), "/v1");
        assert_eq!(
            mount_of(&json!({"servers": [{"url": "/api/v1"}]}), "f", &mut p),
            "/api/v1"
        );
        assert_eq!(
            mount_of(
                &json!({"servers": [{"url": "https://api.arize.com"}]}),
                "f",
                &mut p
            ),
            ""
        );
        assert_eq!(
            mount_of(&json!({"servers": [{"url": "/"}]}), "f", &mut p),
            ""
        );
        assert_eq!(mount_of(&json!({}), "f", &mut p), "");
        assert!(!p.has_errors());
        mount_of(
            &json!({"servers": [{"url": "{scheme}://x/v2"}]}),
            "f",
            &mut p,
        );
        assert!(p.has_errors());
    }

    #[test]
    fn template_parameters_are_listed_in_order() {
        assert_eq!(template_params("/a/{x}/b/{y}.{z}"), vec!["x", "y", "z"]);
        assert!(template_params("/a").is_empty());
    }

    #[test]
    fn dialects_are_read_from_the_version_field() {
        assert_eq!(dialect_of(&json!({"openapi": "3.0.3"})), Ok(Dialect::Oas30));
        assert_eq!(dialect_of(&json!({"openapi": "3.1.0"})), Ok(Dialect::Oas31));
        assert!(
            dialect_of(&json!({"swagger": "2.0"}))
                .unwrap_err()
                .contains("Swagger")
        );
        assert!(dialect_of(&json!({"openapi": "4.0.0"})).is_err());
    }
}
