//! Stateful stories: sequences of requests where each step's expectation depends on what the
//! earlier ones did (create, read, update, delete, read). A thing created must be readable
//! (`ensure_resource_availability`), a thing deleted must not be (`use_after_free`).
//!
//! Plans come from three places, built once per run: the bundled APIs' own stories
//! (`bundled`), the OpenAPI `links` of any document (`links`) and the CRUD resources the mock
//! infers (`crud`). A plan is typed: steps name an operation, the parameter values and body they
//! pin ([`Bind`]: a constant, a runtime expression over an earlier exchange, or the id an earlier
//! create made), what the answer must be ([`Expect`]) and which check judges it.
//!
//! # Implementation rationale
//!
//! Each story runs in its own session (`X-Understudy-Session: check-story-<n>`): against the
//! mock it starts from the fixtures and touches nothing else; other servers ignore the header.
//! Requests are the `fuzz` strategies' with the pinned values, drawn from a runner seeded by
//! `--seed` and the story's name, so a run is reproducible. Every exchange is judged by the
//! per-exchange checks as well; the story checks are decided by the plan, not by
//! [`crate::conformance::checks::Stories`] (whose path bookkeeping would judge the same reads twice). A story
//! stops at the first step whose expectation fails: what follows would test nothing. It stops
//! unjudged before a step whose request a value taken from an earlier exchange makes one the
//! document refuses (an empty path segment, an id the path parameter's schema does not take):
//! the server's refusal of it would be right. A failure is reported with the `curl` commands
//! of every request the story sent up to it.

use proptest::strategy::{Strategy, ValueTree};
use serde_json::Value;

use super::expect::{Expect, Match, decide, describe, text};
use super::property::runner_for;
use super::{Kind, Run, no_answer};
use crate::conformance::checks::{self, Check, Judged, Mismatch, RequestSummary, Rule, Verdict};
use crate::conformance::fuzz::{self, GeneratedRequest, Pins};
use crate::mock::engine::{Engine, Routed};
use crate::mock::exchange::inspect_request;
use crate::mock::message::{MockRequest, MockResponse};
use crate::operation::api::{Api, Operation};
use crate::operation::params::ParamIn;
use crate::schema::violation::Location;
use crate::world::state::SESSION_HEADER;

/// One story: steps against one document of the engine.
#[derive(Debug, Clone)]
pub(crate) struct StoryPlan {
    /// `gitbook-user-membership`, `crud-createPets`, `links-createThing`.
    pub name: String,
    /// The document, by its index in [`Engine::apis`].
    pub api: usize,
    pub steps: Vec<Step>,
}

/// One request of a story and what its answer must be.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    /// The operation, by its index in the document's operations.
    pub op: usize,
    pub pins: Vec<(ParamIn, String, Bind)>,
    /// Replaces the generated body.
    pub body: Option<Bind>,
    pub expect: Expect,
    /// The check that judges `expect`; `None` for a step that sets the story up, whose
    /// failure ends the story unjudged (the per-exchange checks still judge it).
    pub check: Option<Check>,
    /// Why the answer must be so, for the report: `step 6 (removeUserFromSpace) removed it`.
    pub why: String,
    /// A list read whole: the next page's token at a pointer into the answer, sent back in a
    /// query parameter.
    pub pages: Option<Paging>,
    /// Generated requests tried until the expectation holds (a source of links).
    pub attempts: u32,
}

impl Step {
    pub(crate) fn new(op: usize, expect: Expect, check: Option<Check>) -> Step {
        Step {
            op,
            pins: Vec::new(),
            body: None,
            expect,
            check,
            why: String::new(),
            pages: None,
            attempts: 1,
        }
    }
}

/// How a list is paged: `next` points at the next page's token in an answer, `param` is the
/// query parameter that takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Paging {
    pub next: String,
    pub param: String,
}

/// Where a step's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bind {
    Const(Value),
    /// A runtime expression over the exchange of an earlier step (by index).
    Expr {
        step: usize,
        expr: super::expr::Expr,
    },
    /// The id of what an earlier step (a create) made: its `Location`, else the body's member
    /// named like the item's path parameter, else `id` (as `checks` follows creates).
    Created {
        step: usize,
    },
}

/// An exchange a step made, for the later steps' bindings.
#[derive(Debug, Clone)]
pub(crate) struct Done {
    pub req: MockRequest,
    pub resp: MockResponse,
    /// The operation's route (`/api/things/{id}`), to read path parameters back.
    pub route: String,
    pub url: String,
}

/// Percent-decoded text.
pub(crate) fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// How a story ended.
#[derive(Debug)]
pub(super) enum End {
    Passed,
    /// A step's story check failed (step number, from 1).
    Failed(usize),
    /// A setup step went otherwise, or a value could not be found: nothing was judged.
    Stopped(usize, String),
    OutOfTime,
}

impl End {
    pub(super) fn note(&self, failed: usize) -> String {
        match (self, failed) {
            (End::Passed, 0) => "ok".to_owned(),
            (End::Failed(n), _) => format!("{failed} failed (the story stopped at step {n})"),
            (End::Stopped(n, why), 0) => format!("stopped at step {n}: {why}"),
            (End::Stopped(n, why), _) => format!("{failed} failed; stopped at step {n}: {why}"),
            (End::OutOfTime, _) => "stopped by --max-time".to_owned(),
            (End::Passed, _) => format!("{failed} failed"),
        }
    }
}

/// One request sent and judged.
struct Sent {
    mock: MockRequest,
    resp: Option<MockResponse>,
    judged: Judged,
}

/// The longest list a story reads, in pages.
const MAX_PAGES: usize = 50;

impl Run<'_, '_> {
    /// Runs every story in order, each in its own session.
    pub(super) fn stories(&mut self, engine: &Engine, plans: &[StoryPlan]) {
        for (n, plan) in plans.iter().enumerate() {
            if self.out_of_time() {
                return;
            }
            let Some(api) = engine.apis().get(plan.api) else {
                continue;
            };
            self.begin(&format!("story {}", plan.name));
            let failed_before = self.failed;
            let end = self.story(engine, api, plan, &format!("check-story-{}", n + 1));
            self.ops_done += 1;
            let failed = self.failed - failed_before;
            self.progress(&format!("story {}", plan.name), &end.note(failed));
        }
    }

    fn story(&mut self, engine: &Engine, api: &Api, plan: &StoryPlan, session: &str) -> End {
        let mut runner = runner_for(self.config.seed, &plan.name, Kind::Story);
        let mut done: Vec<Option<Done>> = Vec::with_capacity(plan.steps.len());
        let mut trail: Vec<RequestSummary> = Vec::new();
        for (i, step) in plan.steps.iter().enumerate() {
            let n = i + 1;
            let Some(op) = api.operations.get(step.op) else {
                return End::Stopped(n, "no such operation".to_owned());
            };
            let resolved = match resolve(api, plan, step, &done) {
                Ok(r) => r,
                Err(why) => return End::Stopped(n, why),
            };
            let strategy = match fuzz::pinned_request(api, op, &resolved.pins) {
                Ok(s) => s,
                Err(e) => return End::Stopped(n, e.to_string()),
            };
            let expected = format!("{}: {}", describe(&resolved.expect), step.why);
            let mut attempt = 0;
            let (pages, result) = loop {
                if self.out_of_time() {
                    return End::OutOfTime;
                }
                attempt += 1;
                let Ok(tree) = strategy.new_tree(&mut runner) else {
                    return End::Stopped(n, "no request could be generated".to_owned());
                };
                let req = tree.current();
                if attempt == 1
                    && let Some(why) = unfit(engine, op, step, &resolved.pins, &req)
                {
                    return End::Stopped(n, why);
                }
                let pages = self.read(req, step.pages.as_ref(), session);
                let answers: Vec<Option<&MockResponse>> =
                    pages.iter().map(|s| s.resp.as_ref()).collect();
                let result = decide(&resolved.expect, &answers);
                if result.is_ok() || attempt >= step.attempts.max(1) {
                    break (pages, result);
                }
                self.push_pages(plan, n, None, pages, None, &mut trail);
            };
            let Some(first) = pages.first() else {
                return End::Stopped(n, "nothing was sent".to_owned());
            };
            let Some(resp) = first.resp.clone() else {
                self.push_pages(plan, n, step.check, pages, None, &mut trail);
                return End::Stopped(n, "no answer".to_owned());
            };
            done.push(Some(Done {
                req: first.mock.clone(),
                resp,
                route: op.route.clone(),
                url: format!("{}{}", self.client.origin, first.mock.path),
            }));
            let verdict = step
                .check
                .filter(|c| self.checker.selected().contains(c))
                .map(|c| Verdict {
                    rule: Rule::Check(c),
                    mismatch: result.clone().err().map(|got| Mismatch {
                        expected: expected.clone(),
                        got,
                    }),
                });
            self.push_pages(plan, n, step.check, pages, verdict, &mut trail);
            if let Err(got) = result {
                return match step.check {
                    Some(_) => End::Failed(n),
                    None => End::Stopped(n, format!("got {got}, expected {expected}")),
                };
            }
        }
        End::Passed
    }

    /// Sends a step's request, and when the step reads a paged list, the requests for every
    /// next page.
    fn read(
        &mut self,
        first: GeneratedRequest,
        paging: Option<&Paging>,
        session: &str,
    ) -> Vec<Sent> {
        let mut out = vec![self.story_exchange(first.clone(), session)];
        let Some(paging) = paging else {
            return out;
        };
        while out.len() < MAX_PAGES && !self.out_of_time() {
            let next = out
                .last()
                .and_then(|s| s.resp.as_ref())
                .filter(|r| (200..300).contains(&r.status))
                .and_then(|r| serde_json::from_slice::<Value>(&r.body).ok())
                .and_then(|b| b.pointer(&paging.next).cloned());
            let Some(token) = next.filter(|t| !t.is_null()) else {
                break;
            };
            let mut req = first.clone();
            let name = fuzz_query_text(&paging.param);
            req.query.retain(|(k, _)| *k != name);
            req.query.push((name, fuzz_query_text(&text(&token))));
            out.push(self.story_exchange(req, session));
        }
        out
    }

    /// One request of a story, in its session, judged by the per-exchange checks.
    fn story_exchange(&mut self, req: GeneratedRequest, session: &str) -> Sent {
        let session = session.to_owned();
        let (mock, answer) = self.send(req, &move |r: &mut GeneratedRequest| {
            r.headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case(SESSION_HEADER));
            r.headers.push((SESSION_HEADER.to_owned(), session.clone()));
        });
        let mut judged = match &answer {
            Ok(resp) => self.checker.judge(&mock, resp),
            Err(e) => no_answer(&mock, e, &mut self.checker),
        };
        judged.verdicts.retain(|v| {
            !matches!(
                v.rule,
                Rule::Check(Check::UseAfterFree | Check::EnsureResourceAvailability)
            )
        });
        Sent {
            mock,
            resp: answer.ok(),
            judged,
        }
    }

    /// Reports a step's exchanges, the story's verdict on the last one.
    fn push_pages(
        &mut self,
        plan: &StoryPlan,
        n: usize,
        check: Option<Check>,
        pages: Vec<Sent>,
        verdict: Option<Verdict>,
        trail: &mut Vec<RequestSummary>,
    ) {
        let count = pages.len();
        let mut verdict = verdict;
        for (k, mut sent) in pages.into_iter().enumerate() {
            let mut label = format!("story {} step {n}", plan.name);
            if count > 1 {
                label.push_str(&format!(" page {}", k + 1));
            }
            if let Some(c) = check {
                label.push_str(&format!(" ({c})"));
            }
            if k + 1 == count {
                sent.judged.verdicts.extend(verdict.take());
            }
            let summary = RequestSummary::of(&sent.mock, Some(&self.client.origin));
            self.record(label, summary.clone(), sent.judged, Some(trail.clone()));
            trail.push(summary);
        }
    }
}

/// A step with its bindings read from the story so far.
struct Resolved {
    pins: Pins,
    expect: Expect<Value>,
}

fn resolve(
    api: &Api,
    plan: &StoryPlan,
    step: &Step,
    done: &[Option<Done>],
) -> Result<Resolved, String> {
    let value = |b: &Bind| -> Result<Value, String> {
        match b {
            Bind::Const(v) => Ok(v.clone()),
            Bind::Expr { step, expr } => done
                .get(*step)
                .and_then(Option::as_ref)
                .and_then(|d| expr.eval(d))
                .ok_or_else(|| format!("`{expr}` has no value in step {}'s exchange", step + 1)),
            Bind::Created { step } => {
                let d = done.get(*step).and_then(Option::as_ref);
                let op = plan.steps.get(*step).and_then(|s| api.operations.get(s.op));
                d.zip(op)
                    .and_then(|(d, op)| checks::created_id(api, op, &d.resp))
                    .map(Value::String)
                    .ok_or_else(|| {
                        format!(
                            "step {}'s answer does not say what it created (no Location, no id)",
                            step + 1
                        )
                    })
            }
        }
    };
    let mut pins = Pins::default();
    for (at, name, b) in &step.pins {
        pins.params.push((*at, name.clone(), value(b)?));
    }
    pins.body = step.body.as_ref().map(value).transpose()?;
    let matched = |m: &Match| -> Result<Match<Value>, String> {
        Ok(Match {
            key: (m.key.0.clone(), value(&m.key.1)?),
            fields: m
                .fields
                .iter()
                .map(|(p, b)| Ok((p.clone(), value(b)?)))
                .collect::<Result<_, String>>()?,
        })
    };
    let expect = match &step.expect {
        Expect::Any => Expect::Any,
        Expect::Status(s) => Expect::Status(s.clone()),
        Expect::Success => Expect::Success,
        Expect::Found => Expect::Found,
        Expect::Gone => Expect::Gone,
        Expect::Holds(m) => Expect::Holds(matched(m)?),
        Expect::Lacks(m) => Expect::Lacks(matched(m)?),
    };
    Ok(Resolved { pins, expect })
}

/// Why a step's request would test nothing: a value it took from an earlier answer makes a
/// request the document refuses, so the server's 4xx would be right whatever the story is
/// about. An empty path segment (an item created with the id `""`), a path that leads to
/// another operation, or a value the parameter's schema refuses (vpc-lattice makes ids
/// `servicenetwork-…` and reads them at paths that take `sn-…`: no id is both). `None`: the
/// request may be sent. The request is read as the server reads it ([`inspect_request`]).
fn unfit(
    engine: &Engine,
    op: &Operation,
    step: &Step,
    pins: &Pins,
    req: &GeneratedRequest,
) -> Option<String> {
    let taken: Vec<(ParamIn, &str, String)> = step
        .pins
        .iter()
        .filter_map(|(at, name, bind)| {
            let from = match bind {
                Bind::Const(_) => return None,
                Bind::Expr { step, .. } | Bind::Created { step } => step + 1,
            };
            let (_, _, value) = pins.params.iter().find(|(a, n, _)| a == at && n == name)?;
            let said = format!(
                "{} parameter {name} = `{}` (taken from step {from})",
                at.as_str(),
                text(value)
            );
            Some((*at, name.as_str(), said))
        })
        .collect();
    if taken.is_empty() {
        return None;
    }
    let mock = fuzz::to_mock_request(req);
    let (raw_params, routed) = match engine.route_request(&mock) {
        Routed::Operation {
            op: o, raw_params, ..
        } => (raw_params, Some(o)),
        _ => (Vec::new(), None),
    };
    if routed.is_none_or(|o| o.id != op.id) {
        let said: Vec<&str> = taken.iter().map(|(_, _, s)| s.as_str()).collect();
        return Some(format!(
            "{} {} is no path of {}: {}",
            mock.method,
            mock.path,
            op.id,
            said.join(", ")
        ));
    }
    inspect_request(op, &mock, &raw_params)
        .violations
        .iter()
        .find_map(|v| {
            let (at, name) = match &v.location {
                Location::Path(n, _) => (ParamIn::Path, n),
                Location::Query(n, _) => (ParamIn::Query, n),
                Location::Header(n, _) => (ParamIn::Header, n),
                Location::Cookie(n, _) => (ParamIn::Cookie, n),
                Location::Body(_) | Location::Request => return None,
            };
            let (_, _, said) = taken.iter().find(|(a, n, _)| *a == at && n == name)?;
            Some(format!(
                "{said} is no value the document takes there: {}",
                v.message
            ))
        })
}

/// Query text as the `fuzz` requests carry it: percent-encoded.
fn fuzz_query_text(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The stories of every document the engine serves: the bundled APIs' (recognised by their
/// operationIds), each document's links, and the CRUD resources inferred for documents that
/// are not a bundled API. Also why each unusable link was left out.
pub(crate) fn plan_all(engine: &Engine) -> (Vec<StoryPlan>, Vec<String>) {
    let mut plans = Vec::new();
    let mut unusable = Vec::new();
    for (i, api) in engine.apis().iter().enumerate() {
        let bundled = super::bundled::plans(api, i);
        let is_bundled = !bundled.is_empty();
        plans.extend(bundled);
        let (linked, bad) = super::links::plans(api, i);
        plans.extend(linked);
        unusable.extend(bad);
        if !is_bundled {
            plans.extend(super::crud::plans(api, i));
        }
    }
    (plans, unusable)
}
