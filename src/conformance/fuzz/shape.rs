//! What building a request needs from an operation, owned so that strategies can outlive it:
//! the [`Template`] a request is assembled from, the credential it carries, the body's media
//! type and schema, and the strategies of every parameter's part and of the body.

use std::sync::Arc;

use base64::Engine as _;
use http::Method;
use proptest::prelude::*;
use serde_json::Value;

use super::serialize::{Part, QUERY, enc, serialize};
use super::{
    CREDENTIAL_PLACEHOLDER, CredentialSlot, Direction, GeneratedRequest, RequestViolation,
};
use crate::operation::api::key::{CondIn, CondValue, Condition};
use crate::operation::api::{Api, Operation, Param};
use crate::operation::negotiate::is_json;
use crate::operation::params::{ParamIn, ParamPlan};
use crate::operation::security::SchemeKind;
use crate::schema::strategy::{Cache, Compiled, SchemaError, schema_at};

/// What building a request needs from an operation, owned (strategies outlive the borrow).
#[derive(Debug)]
pub(super) struct Template {
    method: Method,
    /// The path part of the route; a key's discriminator is sent as `conditions` say.
    route: String,
    conditions: Vec<Condition>,
    pub(super) plans: Vec<ParamPlan>,
    /// Names of the operation's query parameters other than each one, by index.
    pub(super) query_others: Vec<Vec<String>>,
    pub(super) content_type: Option<String>,
    credential: Option<CredentialSlot>,
}

impl Template {
    pub(super) fn assemble(
        &self,
        parts: &[Option<Part>],
        body: Option<Value>,
        violation: Option<RequestViolation>,
    ) -> GeneratedRequest {
        let mut path = self.route.clone();
        let mut query = Vec::new();
        let mut headers = Vec::new();
        let mut cookies = Vec::new();
        let mut in_path = Vec::new();
        for (plan, part) in self.plans.iter().zip(parts) {
            match part {
                Some(Part::Path(t)) => {
                    path = path.replace(&format!("{{{}}}", plan.name), t);
                    in_path.push((plan.name.as_str(), t.as_str()));
                }
                Some(Part::Query(pairs)) => query.extend(pairs.iter().cloned()),
                Some(Part::Header(t)) => headers.push((plan.name.clone(), t.clone())),
                Some(Part::Cookie(t)) => cookies.push(format!("{}={t}", plan.name)),
                None => {}
            }
        }
        // What the key's discriminator asks for that no parameter sent already.
        for c in &self.conditions {
            let value = match &c.value {
                CondValue::Present => String::new(),
                CondValue::Equals(v) => enc(v, QUERY),
                CondValue::Param(p) => match in_path.iter().find(|(n, _)| n == p) {
                    Some((_, t)) => (*t).to_owned(),
                    None => continue,
                },
            };
            match c.location {
                CondIn::Query => {
                    let name = enc(&c.name, QUERY);
                    if !query.iter().any(|(k, _)| *k == name) {
                        query.push((name, value));
                    }
                }
                CondIn::Header => {
                    if let CondValue::Equals(v) = &c.value
                        && !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(&c.name))
                    {
                        headers.push((c.name.clone(), v.clone()));
                    }
                }
            }
        }
        match &self.credential {
            Some(CredentialSlot::Bearer) => headers.push((
                "Authorization".into(),
                format!("Bearer {CREDENTIAL_PLACEHOLDER}"),
            )),
            Some(CredentialSlot::Basic) => headers.push((
                "Authorization".into(),
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD
                        .encode(format!("{CREDENTIAL_PLACEHOLDER}:"))
                ),
            )),
            Some(CredentialSlot::Header(n)) => {
                headers.push((n.clone(), CREDENTIAL_PLACEHOLDER.into()));
            }
            Some(CredentialSlot::Query(n)) => {
                query.push((enc(n, QUERY), CREDENTIAL_PLACEHOLDER.into()));
            }
            Some(CredentialSlot::Cookie(n)) => {
                cookies.push(format!("{n}={CREDENTIAL_PLACEHOLDER}"));
            }
            None => {}
        }
        if !cookies.is_empty() {
            headers.push(("Cookie".into(), cookies.join("; ")));
        }
        if body.is_some()
            && let Some(ct) = &self.content_type
        {
            headers.push(("Content-Type".into(), ct.clone()));
        }
        GeneratedRequest {
            method: self.method.clone(),
            path,
            query,
            headers,
            body,
            credential: self.credential.clone(),
            violation,
        }
    }
}

/// The credential the operation's security requirements ask for: the first alternative one
/// credential satisfies (a request carries one), else the first scheme of the first.
pub(super) fn credential_of(op: &Operation) -> Option<CredentialSlot> {
    if op.security.is_open() {
        return None;
    }
    let alternatives = op.security.alternatives();
    let alternative = alternatives
        .iter()
        .find(|a| a.len() == 1)
        .or_else(|| alternatives.first())?;
    let scheme = alternative.first()?;
    match &scheme.kind {
        SchemeKind::Basic => Some(CredentialSlot::Basic),
        SchemeKind::Bearer => Some(CredentialSlot::Bearer),
        SchemeKind::ApiKeyHeader(n) => Some(CredentialSlot::Header(n.clone())),
        SchemeKind::ApiKeyQuery(n) => Some(CredentialSlot::Query(n.clone())),
        SchemeKind::ApiKeyCookie(n) => Some(CredentialSlot::Cookie(n.clone())),
        SchemeKind::Unchecked => None,
    }
}

/// The media type a body is sent as, and its compiled schema (for JSON bodies).
fn body_choice(
    api: &Api,
    op: &Operation,
    cache: &Cache,
) -> Result<Option<(String, Option<Compiled>)>, SchemaError> {
    let Some(body) = &op.body else {
        return Ok(None);
    };
    let concrete = |m: &str| {
        if m.contains('*') {
            "application/json".to_owned()
        } else {
            m.to_owned()
        }
    };
    let media = body
        .media
        .iter()
        .find(|m| is_json(&concrete(&m.media_type)))
        .or_else(|| body.media.iter().find(|m| m.form.is_some()))
        .or_else(|| body.media.first());
    let Some(media) = media else {
        return Ok(None);
    };
    let compiled = match &media.validator {
        Some(v) => match schema_at(&api.resources, &v.loc) {
            Some(schema) => Some(cache.compile(schema)?),
            None => None,
        },
        None => None,
    };
    Ok(Some((concrete(&media.media_type), compiled)))
}

fn param_schema(api: &Api, p: &Param, cache: &Cache) -> Result<Option<Compiled>, SchemaError> {
    let Some(v) = &p.validator else {
        return Ok(None);
    };
    match schema_at(&api.resources, &v.loc) {
        Some(schema) => Ok(Some(cache.compile(schema)?)),
        None => Ok(None),
    }
}

fn template(op: &Operation) -> Template {
    let plans: Vec<ParamPlan> = op.params.iter().map(|p| p.plan.clone()).collect();
    let query_others = plans
        .iter()
        .map(|p| {
            plans
                .iter()
                .filter(|o| o.location == ParamIn::Query && o.name != p.name)
                .map(|o| o.name.clone())
                .collect()
        })
        .collect();
    Template {
        method: op.method.clone(),
        route: op.path().to_owned(),
        conditions: op.routing.conditions.clone(),
        plans,
        query_others,
        content_type: None,
        credential: credential_of(op),
    }
}

/// Serialized values of parameter `i` that read back as themselves.
pub(super) fn part_strategy(
    tpl: &Arc<Template>,
    i: usize,
    values: BoxedStrategy<Value>,
) -> BoxedStrategy<Part> {
    let tpl = tpl.clone();
    values
        .prop_filter_map("the style can carry the value", move |v| {
            serialize(&tpl.plans[i], &tpl.query_others[i], &v)
        })
        .boxed()
}

/// Strategies of every parameter's part (`None`: left out) and of the body.
pub(super) struct Pieces {
    pub(super) tpl: Arc<Template>,
    pub(super) parts: Vec<BoxedStrategy<Option<Part>>>,
    pub(super) schemas: Vec<Option<Compiled>>,
    pub(super) body: Option<(bool, Option<Compiled>)>,
}

pub(super) fn pieces_of(api: &Api, op: &Operation) -> Result<Pieces, SchemaError> {
    let mut tpl = template(op);
    let cache = Cache::with_matcher(api.matchers.request.clone(), Direction::Request);
    let body = body_choice(api, op, &cache)?;
    tpl.content_type = body.as_ref().map(|(ct, _)| ct.clone());
    let tpl = Arc::new(tpl);
    let mut parts = Vec::new();
    let mut schemas = Vec::new();
    for (i, p) in op.params.iter().enumerate() {
        let compiled = match param_schema(api, p, &cache) {
            Ok(c) => c,
            Err(e) if p.plan.required => return Err(e),
            Err(_) => None,
        };
        let values = compiled.as_ref().map_or_else(
            || "[a-z0-9]{1,8}".prop_map(Value::String).boxed(),
            Compiled::valid,
        );
        let part = part_strategy(&tpl, i, values);
        parts.push(if p.plan.required {
            part.prop_map(Some).boxed()
        } else if p.plan.location == ParamIn::Header
            && p.plan.name.eq_ignore_ascii_case("content-type")
        {
            Just(None).boxed()
        } else {
            proptest::option::weighted(0.5, part).boxed()
        });
        schemas.push(compiled);
    }
    let required = op.body.as_ref().is_some_and(|b| b.required);
    Ok(Pieces {
        tpl,
        parts,
        schemas,
        body: body.map(|(_, c)| (required, c)),
    })
}

pub(super) fn body_values(body: &Option<(bool, Option<Compiled>)>) -> BoxedStrategy<Option<Value>> {
    match body {
        None => Just(None).boxed(),
        Some((required, compiled)) => {
            let values = compiled.as_ref().map_or_else(
                || Just(Value::String("understudy".into())).boxed(),
                Compiled::valid,
            );
            if *required {
                values.prop_map(Some).boxed()
            } else {
                proptest::option::weighted(0.7, values).boxed()
            }
        }
    }
}
