//! The compiling walk: every path item and operation of a document, `$ref`s followed to
//! where they lead, parameters (path-level overridden by operation-level) and request
//! bodies compiled; each problem is reported where it is written.

use std::collections::HashMap;
use std::sync::Arc;

use http::Method;
use serde_json::Value;

use super::key::{CondValue, Routing, routing, shape_of};
use super::{BodyMedia, METHODS, Operation, Param, RequestBody};
use crate::document::normalize::View;
use crate::document::problems::{Problems, excerpt};
use crate::document::refs::{Resources, pointer_join};
use crate::operation::errors::{ErrorCatalog, ErrorCatalogBuilder};
use crate::operation::params::{ParamIn, ParamPlan};
use crate::operation::security::Security;
use crate::schema::validators::{CompiledSchema, SchemaCompiler, SchemaLoc};

pub(super) struct Builder<'a, 'r> {
    pub(super) resources: &'a Resources,
    pub(super) compiler: &'a mut SchemaCompiler<'r>,
    pub(super) problems: &'a mut Problems,
    pub(super) root_uri: &'a str,
    pub(super) errors: ErrorCatalogBuilder,
}

/// A value found by following `$ref`s, and where it ended up.
pub(super) struct Found<'a> {
    pub(super) file: String,
    pub(super) pointer: String,
    pub(super) value: &'a Value,
}

impl<'a> Builder<'a, '_> {
    /// Follows `$ref` from (file, pointer); problems are reported at the starting place.
    pub(super) fn follow(&mut self, file: &str, pointer: &str) -> Option<Found<'a>> {
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
    pub(super) fn schema_loc(&mut self, file: &str, pointer: &str) -> Option<SchemaLoc> {
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

    pub(super) fn compile(&mut self, loc: &SchemaLoc, view: View) -> Option<Arc<CompiledSchema>> {
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

    pub(super) fn operations(&mut self, mount: &str) -> Vec<Operation> {
        let root = self.resources.root();
        let Some(paths) = root.get("paths").and_then(Value::as_object) else {
            if root.get("paths").is_some() {
                self.problems
                    .error(self.root_uri, "/paths", "`paths` must be an object");
            }
            return Vec::new();
        };
        let mut operations: Vec<Operation> = Vec::new();
        let mut ids: HashMap<String, String> = HashMap::new();
        // Keys that route alike (the same path and conditions, but for the parameters'
        // names): the first key of each, and per method the key whose operation answers.
        // Borrowed from the document, and a short list of methods: Microsoft Graph has twenty
        // thousand keys.
        let mut shapes: HashMap<String, Shape<'_>> = HashMap::new();
        for template in paths.keys() {
            // Extensions (`x-codegen-contextRoot`): allowed in `paths`, and no path.
            if template.starts_with("x-") {
                continue;
            }
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
                let Some(op) = self.operation(mount, template, method, &item, &op_ptr) else {
                    continue;
                };
                let (first, answering) = shapes
                    .entry(signature(&op))
                    .or_insert_with(|| (template.as_str(), Vec::new()));
                let winner = answering.iter().find(|(m, _)| *m == op.method);
                if *first != template.as_str() {
                    let message = match winner {
                        Some((_, winner)) => format!(
                            "`{}` and `{}` differ only in parameter names, so they are one path: \
                             {} is answered by `{}`, declared first, and not by this one",
                            excerpt(winner),
                            excerpt(template),
                            op.method,
                            excerpt(winner),
                        ),
                        None => format!(
                            "`{}` and `{}` differ only in parameter names, so they are one path: \
                             each method is answered by the path that declares it",
                            excerpt(first),
                            excerpt(template),
                        ),
                    };
                    self.problems.warning(&item.file, &op_ptr, message);
                }
                if winner.is_some() {
                    continue;
                }
                answering.push((op.method.clone(), template.as_str()));
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
        let (params, routing) = self.parameters(mount, template, item, op_ptr);
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
            routing,
            params,
            body,
            responses,
            security,
            errors,
        })
    }

    /// Path-level and operation-level parameters, the latter overriding by (name, in), and
    /// how the operation is routed (which needs to know where each parameter is declared).
    fn parameters(
        &mut self,
        mount: &str,
        template: &str,
        item: &Found<'a>,
        op_ptr: &str,
    ) -> (Vec<Param>, Routing) {
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
        let mut plans = Vec::new();
        for p in found {
            match ParamPlan::compile(self.resources, &p.file, p.value) {
                Ok(plan) => plans.push((p, plan)),
                Err(e) => self.problems.error(&p.file, &p.pointer, e),
            }
        }
        let declared: Vec<(&str, ParamIn)> = plans
            .iter()
            .map(|(_, plan)| (plan.name.as_str(), plan.location))
            .collect();
        // The values the router reads back, in order: path parameters are found by their
        // place among them.
        let (routing, names) = routing(mount, template, &declared);
        let names = &names;
        let mut params = Vec::new();
        for (p, plan) in plans {
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
            let path_index = (plan.location == ParamIn::Path)
                .then(|| names.iter().position(|n| *n == plan.name))
                .flatten();
            if plan.location == ParamIn::Path && path_index.is_none() {
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
            params.push(Param {
                plan,
                validator,
                path_index,
            });
        }
        // A `{name}` of the path needs a path parameter; one in the discriminator
        // (`?lat={lat}`) a parameter anywhere.
        let in_conditions = |name: &str| {
            routing
                .conditions
                .iter()
                .any(|c| c.value == CondValue::Param(name.to_owned()))
        };
        for name in names {
            let declared = params.iter().any(|p| {
                p.plan.name == *name && (p.plan.location == ParamIn::Path || in_conditions(name))
            });
            if !declared {
                self.problems.error(
                    &item.file,
                    &item.pointer,
                    format!(
                        "`{{{}}}` in the path has no path parameter declared for it",
                        excerpt(name)
                    ),
                );
            }
        }
        (params, routing)
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

    pub(super) fn document_errors(&mut self) -> ErrorCatalog {
        self.errors
            .for_document(self.resources, self.compiler, self.problems)
    }
}

/// Keys that route alike: the first key, and each method with the key that answers it.
type Shape<'k> = (&'k str, Vec<(Method, &'k str)>);

/// What routes alike: the path's shape and the conditions, parameter names left out.
fn signature(op: &Operation) -> String {
    let routing = &op.routing;
    let mut conditions: Vec<String> = routing
        .conditions
        .iter()
        .map(|c| {
            let value = match &c.value {
                CondValue::Present | CondValue::Param(_) => String::new(),
                CondValue::Equals(v) => format!("={v}"),
            };
            let name = match c.location {
                super::key::CondIn::Header => format!("h:{}", c.name.to_ascii_lowercase()),
                super::key::CondIn::Query => format!("q:{}", c.name),
            };
            format!("{name}{value}")
        })
        .collect();
    conditions.sort();
    format!("{} {}", shape_of(op.path()), conditions.join("&"))
}
