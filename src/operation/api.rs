//! One served API: a loaded document compiled into operations with their parameter plans,
//! validators, responses and error formats. Everything here is built once, at startup;
//! a document that cannot be served is reported with all its problems at once.

use std::collections::HashMap;
use std::sync::Arc;

use http::Method;
use serde_json::Value;

use crate::document::load::{self, RefPolicy, Source};
use crate::document::normalize::{self, Dialect, View};
use crate::document::problems::{LoadError, Problems, excerpt, excerpt_n};
use crate::document::refs::{Resources, pointer_join};
use crate::operation::errors::{ErrorCatalog, ErrorCatalogBuilder};
use crate::operation::params::{ParamIn, ParamPlan};
use crate::operation::respond::{HeaderCheck, ResponseMedia, ResponseSpec, StatusKey};
use crate::operation::security::Security;
use crate::schema::validators::{CompiledSchema, SchemaCompiler, SchemaLoc};
use crate::schema::violation::{Location, Segment};

/// The HTTP methods an OpenAPI path item can hold, in the order `Allow` lists them.
pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// How many of an example's violations a warning lists, and how much of each it says.
const EXAMPLE_VIOLATIONS_SHOWN: usize = 3;
const EXAMPLE_VIOLATION_CHARS: usize = 120;

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
    /// Mount plus template: what the router matches.
    pub route: String,
    pub params: Vec<Param>,
    pub body: Option<RequestBody>,
    pub responses: Vec<ResponseSpec>,
    pub security: Security,
    pub errors: ErrorCatalog,
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
    pub fn load_with(source: &Source, policy: &RefPolicy) -> Result<Api, LoadError> {
        let name = source.name();
        let mut problems = Problems::default();
        let Some(mut resources) = load::load(source, policy, &mut problems) else {
            return Err(LoadError {
                name,
                problems: problems.all().to_vec(),
            });
        };
        let root_uri = resources.root_uri().to_owned();
        let dialect = match dialect_of(resources.root()) {
            Ok(d) => d,
            Err(message) => {
                problems.error(&root_uri, "/openapi", message);
                return Err(LoadError {
                    name,
                    problems: problems.all().to_vec(),
                });
            }
        };
        normalize::normalize(&mut resources, dialect, &mut problems);
        let request_view = normalize::validation_view(&resources, View::Request);
        let response_view = normalize::validation_view(&resources, View::Response);
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
            resources: Arc::new(resources),
            operations,
            errors,
        })
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

struct Builder<'a, 'r> {
    resources: &'a Resources,
    compiler: &'a mut SchemaCompiler<'r>,
    problems: &'a mut Problems,
    root_uri: &'a str,
    errors: ErrorCatalogBuilder,
}

/// A value found by following `$ref`s, and where it ended up.
struct Found<'a> {
    file: String,
    pointer: String,
    value: &'a Value,
}

impl<'a> Builder<'a, '_> {
    /// Follows `$ref` from (file, pointer); problems are reported at the starting place.
    fn follow(&mut self, file: &str, pointer: &str) -> Option<Found<'a>> {
        let mut file = file.to_owned();
        let mut pointer = pointer.to_owned();
        let start = (file.clone(), pointer.clone());
        for _ in 0..64 {
            let Some(value) = self.resources.file(&file).and_then(|f| f.pointer(&pointer)) else {
                self.problems
                    .error(&start.0, &start.1, format!("nothing at {file}#{pointer}"));
                return None;
            };
            let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
                return Some(Found {
                    file,
                    pointer,
                    value,
                });
            };
            match Resources::absolute(&file, reference) {
                Ok(abs) => {
                    let (f, frag) = abs.split_once('#').unwrap_or((abs.as_str(), ""));
                    let decoded = percent_encoding::percent_decode_str(frag)
                        .decode_utf8_lossy()
                        .into_owned();
                    if self
                        .resources
                        .file(f)
                        .and_then(|v| v.pointer(&decoded))
                        .is_none()
                    {
                        let at = format!("{pointer}/$ref");
                        // A file that was refused or broken is already reported here.
                        if !self.problems.has_error_at(&file, &at) {
                            self.problems.error(
                                &file,
                                &at,
                                format!("`{}` points to nothing", excerpt(reference)),
                            );
                        }
                        return None;
                    }
                    file = f.to_owned();
                    pointer = decoded;
                }
                Err(e) => {
                    self.problems
                        .error(&file, &format!("{pointer}/$ref"), e.to_string());
                    return None;
                }
            }
        }
        self.problems
            .error(&start.0, &start.1, "a chain of `$ref`s that never ends");
        None
    }

    /// The location to compile for a `schema` at (file, pointer): a bare `$ref` is replaced by
    /// its target so that every use of a component shares one validator.
    fn schema_loc(&mut self, file: &str, pointer: &str) -> Option<SchemaLoc> {
        let value = self.resources.file(file)?.pointer(pointer)?;
        if let Value::Object(map) = value
            && map.len() == 1
            && map.contains_key("$ref")
        {
            let found = self.follow(file, pointer)?;
            return Some(SchemaLoc::new(found.file, found.pointer));
        }
        Some(SchemaLoc::new(file, pointer))
    }

    fn compile(&mut self, loc: &SchemaLoc, view: View) -> Option<Arc<CompiledSchema>> {
        match self.compiler.compile(loc, view) {
            Ok(v) => Some(v),
            Err(e) => {
                // Broken `$ref`s were already reported where they are written.
                if !(e.starts_with(crate::schema::validators::UNRESOLVED)
                    && self.problems.has_errors())
                {
                    self.problems.error(&loc.file, &loc.pointer, e);
                }
                None
            }
        }
    }

    fn operations(&mut self, mount: &str) -> Vec<Operation> {
        let root = self.resources.root();
        let Some(paths) = root.get("paths").and_then(Value::as_object) else {
            if root.get("paths").is_some() {
                self.problems
                    .error(self.root_uri, "/paths", "`paths` must be an object");
            }
            return Vec::new();
        };
        let mut operations = Vec::new();
        let mut ids: HashMap<String, String> = HashMap::new();
        for template in paths.keys() {
            let item_ptr = pointer_join("/paths", &[template]);
            if !template.starts_with('/') {
                self.problems
                    .error(self.root_uri, &item_ptr, "a path must start with `/`");
                continue;
            }
            let root_uri = self.root_uri.to_owned();
            let Some(item) = self.follow(&root_uri, &item_ptr) else {
                continue;
            };
            for method in METHODS {
                if item.value.get(*method).is_none() {
                    continue;
                }
                let op_ptr = pointer_join(&item.pointer, &[method]);
                if let Some(op) = self.operation(mount, template, method, &item, &op_ptr) {
                    if let Some(previous) = ids.insert(op.id.to_string(), op_ptr.clone()) {
                        self.problems.error(
                            &item.file,
                            &pointer_join(&op_ptr, &["operationId"]),
                            format!(
                                "operationId `{}` is also used at {previous}",
                                excerpt(&op.id)
                            ),
                        );
                    }
                    operations.push(op);
                }
            }
        }
        operations
    }

    fn operation(
        &mut self,
        mount: &str,
        template: &str,
        method: &str,
        item: &Found<'a>,
        op_ptr: &str,
    ) -> Option<Operation> {
        let op = item.value.get(method)?;
        let id = op.get("operationId").and_then(Value::as_str).map_or_else(
            || format!("{} {template}", method.to_uppercase()),
            str::to_owned,
        );
        let params = self.parameters(template, item, op_ptr);
        let body = self.request_body(&item.file, op_ptr);
        let responses = self.responses(&item.file, op_ptr);
        let root = self.resources.root();
        let requirements = op.get("security").or_else(|| root.get("security"));
        let security = Security::compile(
            requirements,
            root.pointer("/components/securitySchemes"),
            &item.file,
            &pointer_join(op_ptr, &["security"]),
            self.problems,
        );
        let errors =
            self.errors
                .for_operation(self.resources, self.compiler, self.problems, &responses);
        Some(Operation {
            id: id.into(),
            method: Method::from_bytes(method.to_uppercase().as_bytes()).unwrap_or(Method::GET),
            template: template.to_owned(),
            route: format!("{mount}{template}"),
            params,
            body,
            responses,
            security,
            errors,
        })
    }

    /// Path-level and operation-level parameters, the latter overriding by (name, in).
    fn parameters(&mut self, template: &str, item: &Found<'a>, op_ptr: &str) -> Vec<Param> {
        let mut found: Vec<Found<'a>> = Vec::new();
        for list_ptr in [
            pointer_join(&item.pointer, &["parameters"]),
            format!("{op_ptr}/parameters"),
        ] {
            let count = self
                .resources
                .file(&item.file)
                .and_then(|f| f.pointer(&list_ptr))
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            for i in 0..count {
                if let Some(p) = self.follow(&item.file, &format!("{list_ptr}/{i}")) {
                    let key = |v: &Value| (v.get("name").cloned(), v.get("in").cloned());
                    found.retain(|earlier| key(earlier.value) != key(p.value));
                    found.push(p);
                }
            }
        }
        let mut params = Vec::new();
        // The template's `{...}` names, in order: path parameters are found by their place.
        let names = template_params(template);
        for p in found {
            let plan = match ParamPlan::compile(self.resources, &p.file, p.value) {
                Ok(plan) => plan,
                Err(e) => {
                    self.problems.error(&p.file, &p.pointer, e);
                    continue;
                }
            };
            let schema_ptr = if p.value.get("schema").is_some() {
                Some(format!("{}/schema", p.pointer))
            } else {
                p.value
                    .get("content")
                    .and_then(Value::as_object)
                    .and_then(|c| c.keys().next())
                    .map(|media| pointer_join(&p.pointer, &["content", media, "schema"]))
                    .filter(|ptr| {
                        self.resources
                            .file(&p.file)
                            .and_then(|f| f.pointer(ptr))
                            .is_some()
                    })
            };
            let validator = schema_ptr
                .and_then(|ptr| self.schema_loc(&p.file, &ptr))
                .and_then(|loc| self.compile(&loc, View::Request));
            if plan.location == ParamIn::Path && !template.contains(&format!("{{{}}}", plan.name)) {
                self.problems.error(
                    &p.file,
                    &p.pointer,
                    format!(
                        "path parameter `{}` does not appear in `{}`",
                        excerpt(&plan.name),
                        excerpt(template)
                    ),
                );
            }
            let path_index = (plan.location == ParamIn::Path)
                .then(|| names.iter().position(|n| *n == plan.name))
                .flatten();
            params.push(Param {
                plan,
                validator,
                path_index,
            });
        }
        for name in names {
            let declared = params
                .iter()
                .any(|p| p.plan.location == ParamIn::Path && p.plan.name == name);
            if !declared {
                self.problems.error(
                    &item.file,
                    &item.pointer,
                    format!(
                        "`{{{}}}` in the path has no path parameter declared for it",
                        excerpt(&name)
                    ),
                );
            }
        }
        params
    }

    fn request_body(&mut self, file: &str, op_ptr: &str) -> Option<RequestBody> {
        let ptr = format!("{op_ptr}/requestBody");
        self.resources.file(file)?.pointer(&ptr)?;
        let found = self.follow(file, &ptr)?;
        let required = found
            .value
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let mut media = Vec::new();
        let mut declared = Vec::new();
        if let Some(Value::Object(content)) = found.value.get("content") {
            for (media_type, m) in content {
                let schema_ptr = pointer_join(&found.pointer, &["content", media_type, "schema"]);
                let validator = if m.get("schema").is_some() {
                    self.schema_loc(&found.file, &schema_ptr)
                        .and_then(|loc| self.compile(&loc, View::Request))
                } else {
                    None
                };
                let form = match m.get("schema") {
                    Some(schema) if media_type.starts_with("application/x-www-form-urlencoded") => {
                        let as_param = serde_json::json!({
                            "name": "body", "in": "query", "style": "form", "explode": true,
                            "schema": schema
                        });
                        ParamPlan::compile(self.resources, &found.file, &as_param)
                            .map_err(|e| self.problems.error(&found.file, &schema_ptr, e))
                            .ok()
                    }
                    _ => None,
                };
                declared.push(media_type.clone());
                media.push(BodyMedia {
                    media_type: media_type.clone(),
                    validator,
                    form,
                });
            }
        }
        Some(RequestBody {
            required,
            media,
            declared,
        })
    }

    fn responses(&mut self, file: &str, op_ptr: &str) -> Vec<ResponseSpec> {
        let ptr = format!("{op_ptr}/responses");
        let keys: Vec<String> = self
            .resources
            .file(file)
            .and_then(|f| f.pointer(&ptr))
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let mut out = Vec::new();
        for key in keys {
            let here = pointer_join(&ptr, &[&key]);
            let Some(status) = StatusKey::parse(&key) else {
                self.problems.error(
                    file,
                    &here,
                    format!(
                        "`{}` is not a status code, a range like `4XX`, or `default`",
                        excerpt(&key)
                    ),
                );
                continue;
            };
            let Some(found) = self.follow(file, &here) else {
                continue;
            };
            let mut media = Vec::new();
            if let Some(Value::Object(content)) = found.value.get("content") {
                for (media_type, m) in content {
                    let m_ptr = pointer_join(&found.pointer, &["content", media_type]);
                    let schema = if m.get("schema").is_some() {
                        self.schema_loc(&found.file, &format!("{m_ptr}/schema"))
                    } else {
                        None
                    };
                    let validator = schema
                        .as_ref()
                        .and_then(|loc| self.compile(loc, View::Response));
                    let examples = self.named_examples(&found.file, &m_ptr, m);
                    let item = ResponseMedia::new(
                        media_type.clone(),
                        schema,
                        validator,
                        examples,
                        m.get("example").cloned(),
                    );
                    self.check_examples(&found.file, &m_ptr, &item);
                    media.push(item);
                }
            }
            let headers = self.response_headers(&found);
            let checks = self.header_checks(&found, &headers);
            out.push(ResponseSpec::new(status, media, headers).with_header_checks(checks));
        }
        out
    }

    fn response_headers(&mut self, found: &Found<'a>) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        let Some(Value::Object(headers)) = found.value.get("headers") else {
            return out;
        };
        for name in headers.keys() {
            if name.eq_ignore_ascii_case("content-type") {
                continue;
            }
            let ptr = pointer_join(&found.pointer, &["headers", name]);
            if let Some(h) = self.follow(&found.file, &ptr) {
                out.push((name.clone(), h.value.clone()));
            }
        }
        out
    }

    /// The declared headers compiled for checking answers: read as `simple`-style header
    /// parameters, validated with the response view of their schema.
    fn header_checks(
        &mut self,
        found: &Found<'a>,
        headers: &[(String, Value)],
    ) -> Vec<HeaderCheck> {
        let mut out = Vec::new();
        for (name, spec) in headers {
            let ptr = pointer_join(&found.pointer, &["headers", name]);
            let Some(h) = self.follow(&found.file, &ptr) else {
                continue;
            };
            let mut as_param = spec.clone();
            if let Value::Object(map) = &mut as_param {
                map.insert("name".to_owned(), Value::String(name.clone()));
                map.insert("in".to_owned(), Value::String("header".to_owned()));
                map.remove("style");
                map.remove("explode");
            }
            let plan = ParamPlan::compile(self.resources, &h.file, &as_param).ok();
            let validator = if spec.get("schema").is_some() {
                self.schema_loc(&h.file, &format!("{}/schema", h.pointer))
                    .and_then(|loc| self.compile(&loc, View::Response))
            } else {
                None
            };
            out.push(HeaderCheck {
                name: name.clone(),
                required: spec.get("required").and_then(Value::as_bool) == Some(true),
                plan,
                validator,
            });
        }
        out
    }

    fn named_examples(
        &mut self,
        file: &str,
        media_ptr: &str,
        media: &Value,
    ) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        let Some(Value::Object(examples)) = media.get("examples") else {
            return out;
        };
        for name in examples.keys() {
            let ptr = pointer_join(media_ptr, &["examples", name]);
            if let Some(ex) = self.follow(file, &ptr) {
                match ex.value.get("value") {
                    Some(v) => out.push((name.clone(), v.clone())),
                    None if ex.value.get("externalValue").is_some() => self.problems.warning(
                        file,
                        &ptr,
                        "`externalValue` examples are not fetched; the example is skipped",
                    ),
                    None => {}
                }
            }
        }
        out
    }

    /// Examples that break their own schema are reported, not served.
    fn check_examples(&mut self, file: &str, media_ptr: &str, media: &ResponseMedia) {
        let Some(validator) = &media.validator else {
            return;
        };
        let mut bad = Vec::new();
        if let Some(ex) = &media.example {
            bad.push((
                pointer_join(media_ptr, &["example"]),
                validator.violations(ex, &Location::Body),
            ));
        }
        for (name, ex) in &media.examples {
            bad.push((
                pointer_join(media_ptr, &["examples", name]),
                validator.violations(ex, &Location::Body),
            ));
        }
        for (at, violations) in bad {
            if !violations.is_empty() {
                // Violations quote the example and the schema's values: a few, each bounded.
                let mut list: Vec<String> = violations
                    .iter()
                    .take(EXAMPLE_VIOLATIONS_SHOWN)
                    .map(|v| excerpt_n(&v.to_string(), EXAMPLE_VIOLATION_CHARS))
                    .collect();
                if violations.len() > EXAMPLE_VIOLATIONS_SHOWN {
                    list.push(format!(
                        "and {} more",
                        violations.len() - EXAMPLE_VIOLATIONS_SHOWN
                    ));
                }
                self.problems.warning(
                    file,
                    &at,
                    format!("the example breaks its schema: {}", list.join("; ")),
                );
            }
        }
    }

    fn document_errors(&mut self) -> ErrorCatalog {
        self.errors
            .for_document(self.resources, self.compiler, self.problems)
    }
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
