//! OpenAPI `links` as stories: a 2xx answer of an operation names the operations a client may
//! call next and where their parameters and body come from (runtime expressions such as
//! `$response.body#/id`). Links are parsed once per run into [`StoryPlan`]s; a link that
//! cannot be followed (an unknown operation, a parameter the target does not take, a bad
//! expression) is reported as unusable, and its story goes on without it.
//!
//! A story per source operation: the source until it answers 2xx, the reads it links to, the
//! updates, the reads again, the deletes, and after a delete the reads once more. When the
//! source creates (`POST`, `PUT`) a read must find the thing (`ensure_resource_availability`);
//! after a linked `DELETE` it must not (`use_after_free`).

use http::Method;
use serde_json::Value;

use super::expect::Expect;
use super::expr::{Expr, Source, link_value};
use super::stories::{Bind, Step, StoryPlan, decode};
use crate::conformance::checks::Check;
use crate::document::refs::{Located, Resources, pointer_tokens};
use crate::operation::api::{Api, Operation};
use crate::operation::params::ParamIn;

/// One link of a source operation's 2xx answer.
#[derive(Debug)]
struct Link {
    name: String,
    target: usize,
    params: Vec<(ParamIn, String, Bind)>,
    body: Option<Bind>,
}

/// The stories of `api`'s links (`api_index` in the engine), and why each unusable link was
/// left out.
pub(crate) fn plans(api: &Api, api_index: usize) -> (Vec<StoryPlan>, Vec<String>) {
    let mut stories = Vec::new();
    let mut unusable = Vec::new();
    for (source, op) in api.operations.iter().enumerate() {
        let mut links = Vec::new();
        for (status, name, link) in declared_links(api, op) {
            match parse_link(api, op, &name, link) {
                Ok(l) => links.push(l),
                Err(why) => unusable.push(format!(
                    "link `{name}` of {} ({status}) is unusable: {why}",
                    op.id
                )),
            }
        }
        if !links.is_empty() {
            stories.push(story(api, api_index, source, &links));
        }
    }
    (stories, unusable)
}

/// The links of the operation's 2xx responses: (status, name, the Link object).
fn declared_links<'a>(api: &'a Api, op: &Operation) -> Vec<(String, String, Located<'a>)> {
    let res = &api.resources;
    let mut out = Vec::new();
    let Some(op_obj) = op_object(res, op) else {
        return out;
    };
    let Some(Value::Object(responses)) = op_obj.value.get("responses") else {
        return out;
    };
    for (status, response) in responses {
        if !status.starts_with('2') {
            continue;
        }
        let Ok(response) = res.deref(op_obj.base, response) else {
            continue;
        };
        let Some(Value::Object(links)) = response.value.get("links") else {
            continue;
        };
        for (name, link) in links {
            if let Ok(link) = res.deref(response.base, link) {
                out.push((status.clone(), name.clone(), link));
            }
        }
    }
    out
}

/// The operation's object in the document (`paths[template][method]`).
pub(crate) fn op_object<'a>(res: &'a Resources, op: &Operation) -> Option<Located<'a>> {
    let item = res.root().get("paths")?.get(&op.template)?;
    let item = res.deref(res.root_uri(), item).ok()?;
    let method = op.method.as_str().to_ascii_lowercase();
    res.deref(item.base, item.value.get(&method)?).ok()
}

fn parse_link(
    api: &Api,
    source: &Operation,
    name: &str,
    link: Located<'_>,
) -> Result<Link, String> {
    let target = match (
        link.value.get("operationId"),
        link.value.get("operationRef"),
    ) {
        (Some(Value::String(id)), _) => api
            .operations
            .iter()
            .position(|o| *o.id == **id)
            .ok_or_else(|| format!("no operation has the operationId `{id}`"))?,
        (_, Some(Value::String(r))) => operation_ref(api, link.base, r)?,
        _ => return Err("it names no operationId or operationRef".to_owned()),
    };
    let op = &api.operations[target];
    let mut params = Vec::new();
    if let Some(Value::Object(given)) = link.value.get("parameters") {
        for (key, value) in given {
            let (at, pname) = match key.split_once('.') {
                Some(("path", n)) => (Some(ParamIn::Path), n),
                Some(("query", n)) => (Some(ParamIn::Query), n),
                Some(("header", n)) => (Some(ParamIn::Header), n),
                Some(("cookie", n)) => (Some(ParamIn::Cookie), n),
                _ => (None, key.as_str()),
            };
            let param = op
                .params
                .iter()
                .find(|p| p.plan.name == pname && at.is_none_or(|a| a == p.plan.location))
                .ok_or_else(|| format!("{} takes no parameter `{key}`", op.id))?;
            params.push((param.plan.location, pname.to_owned(), bind(value)?));
        }
    }
    // A path parameter the link leaves out but the source's path has (`/owners/{ownerId}/...`)
    // is the same one.
    for p in &op.params {
        let plan = &p.plan;
        let given = params
            .iter()
            .any(|(at, n, _)| *at == plan.location && *n == plan.name);
        if plan.location == ParamIn::Path
            && !given
            && source.route.contains(&format!("{{{}}}", plan.name))
        {
            let expr = Expr::Request(Source::Path(plan.name.clone()));
            params.push((
                ParamIn::Path,
                plan.name.clone(),
                Bind::Expr { step: 0, expr },
            ));
        }
    }
    let body = link.value.get("requestBody").map(bind).transpose()?;
    Ok(Link {
        name: name.to_owned(),
        target,
        params,
        body,
    })
}

/// A link's value as a binding to the source step's exchange.
fn bind(v: &Value) -> Result<Bind, String> {
    Ok(match link_value(v).map_err(|e| e.to_string())? {
        Some(expr) => Bind::Expr { step: 0, expr },
        None => Bind::Const(v.clone()),
    })
}

/// The operation an `operationRef` points to: `#/paths/~1things~1{id}/get` in this document.
fn operation_ref(api: &Api, base: &str, reference: &str) -> Result<usize, String> {
    let absolute = Resources::absolute(base, reference).map_err(|e| e.to_string())?;
    let (file, fragment) = absolute.split_once('#').unwrap_or((&absolute, ""));
    if file != api.resources.root_uri() {
        return Err(format!("`{reference}` points outside the document"));
    }
    let pointer = decode(fragment);
    let tokens: Vec<String> = pointer_tokens(&pointer).collect();
    let [paths, template, method] = tokens.as_slice() else {
        return Err(format!("`{reference}` is not /paths/TEMPLATE/METHOD"));
    };
    api.operations
        .iter()
        .position(|o| {
            paths == "paths"
                && o.template == *template
                && o.method.as_str().eq_ignore_ascii_case(method)
        })
        .ok_or_else(|| format!("`{reference}` points to no operation"))
}

/// The story of one source operation and its usable links.
fn story(api: &Api, api_index: usize, source: usize, links: &[Link]) -> StoryPlan {
    let src = &api.operations[source];
    let creates = matches!(src.method, Method::POST | Method::PUT);
    let era = creates.then_some(Check::EnsureResourceAvailability);
    let mut steps = vec![Step {
        attempts: 5,
        why: format!("{} is sent valid requests until one succeeds", src.id),
        ..Step::new(source, Expect::Success, None)
    }];
    let of = |m: Method| {
        links
            .iter()
            .filter(move |l| api.operations[l.target].method == m)
    };
    let step_for = |l: &Link, expect: Expect, check: Option<Check>, why: String| Step {
        pins: l.params.clone(),
        body: l.body.clone(),
        why,
        ..Step::new(l.target, expect, check)
    };
    let made = |l: &Link| {
        format!(
            "step 1 ({}) made it and its link `{}` names it",
            src.id, l.name
        )
    };
    let reads: Vec<&Link> = of(Method::GET).collect();
    for l in &reads {
        steps.push(step_for(l, Expect::Found, era, made(l)));
    }
    let updates: Vec<&Link> = of(Method::PUT).chain(of(Method::PATCH)).collect();
    for l in &updates {
        steps.push(step_for(l, Expect::Found, era, made(l)));
    }
    if !updates.is_empty() {
        for l in &reads {
            steps.push(step_for(
                l,
                Expect::Found,
                era,
                format!("{}, and it was only changed", made(l)),
            ));
        }
    }
    for l in links.iter().filter(|l| {
        !matches!(
            api.operations[l.target].method,
            Method::GET | Method::PUT | Method::PATCH | Method::DELETE
        )
    }) {
        steps.push(step_for(l, Expect::Any, None, format!("link `{}`", l.name)));
    }
    for l in of(Method::DELETE) {
        steps.push(step_for(l, Expect::Success, era, made(l)));
        let deleted = steps.len();
        for r in &reads {
            let why = format!(
                "step {deleted} ({}) deleted it",
                api.operations[l.target].id
            );
            steps.push(step_for(r, Expect::Gone, Some(Check::UseAfterFree), why));
        }
    }
    StoryPlan {
        name: format!("links-{}", src.id),
        api: api_index,
        steps,
    }
}

#[cfg(test)]
#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r##"
openapi: 3.1.0
info: {title: t, version: '1'}
servers: [{url: /api}]
paths:
  /owners/{ownerId}/things:
    parameters:
      - {name: ownerId, in: path, required: true, schema: {type: string}}
    post:
      operationId: createThing
      responses:
        '201':
          description: made
          links:
            read: {operationId: getThing, parameters: {thingId: '$response.body#/id'}}
            rename:
              operationRef: '#/paths/~1owners~1{ownerId}~1things~1{thingId}/patch'
              parameters: {path.thingId: '$response.body#/id'}
              requestBody: {name: renamed}
            remove: {operationId: deleteThing, parameters: {thingId: '$response.body#id'}}
            nowhere: {operationId: noSuchOperation}
  /owners/{ownerId}/things/{thingId}:
    parameters:
      - {name: ownerId, in: path, required: true, schema: {type: string}}
      - {name: thingId, in: path, required: true, schema: {type: integer}}
    get:
      operationId: getThing
      responses: {'200': {description: it}}
    patch:
      operationId: renameThing
      requestBody:
        content: {application/json: {schema: {type: object}}}
      responses: {'200': {description: it}}
    delete:
      operationId: deleteThing
      responses: {'204': {description: gone}}
"##;

    #[test]
    fn links_parse_into_a_story_and_unusable_ones_are_said_not_followed() {
        let source = crate::document::load::Source::Text {
            name: "links".into(),
            text: DOC.into(),
        };
        let api = Api::load(&source).unwrap();
        let (stories, unusable) = plans(&api, 3);
        assert_eq!(unusable.len(), 2, "{unusable:?}");
        assert!(
            unusable[0].contains("`remove`") && unusable[0].contains("not a runtime expression")
        );
        assert!(unusable[1].contains("`nowhere`") && unusable[1].contains("noSuchOperation"));
        let [story] = stories.as_slice() else {
            panic!("one story: {stories:?}")
        };
        assert_eq!((story.name.as_str(), story.api), ("links-createThing", 3));
        let ops: Vec<&str> = story
            .steps
            .iter()
            .map(|s| &*api.operations[s.op].id)
            .collect();
        // The source, the read, the rename (by operationRef), the read again; no delete.
        assert_eq!(ops, ["createThing", "getThing", "renameThing", "getThing"]);
        let rename = &story.steps[2];
        let id = Bind::Expr {
            step: 0,
            expr: Expr::Response(Source::Body("/id".into())),
        };
        // The link's parameter, and the owner carried over from the source's own path.
        assert!(rename.pins.contains(&(ParamIn::Path, "thingId".into(), id)));
        let owner = Bind::Expr {
            step: 0,
            expr: Expr::Request(Source::Path("ownerId".into())),
        };
        assert!(
            rename
                .pins
                .contains(&(ParamIn::Path, "ownerId".into(), owner))
        );
        assert_eq!(
            rename.body,
            Some(Bind::Const(serde_json::json!({"name": "renamed"})))
        );
        assert_eq!(rename.check, Some(Check::EnsureResourceAvailability));
        assert_eq!(story.steps[0].attempts, 5);
    }
}
