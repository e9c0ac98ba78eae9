//! One routed request being answered: credentials (and, where the API's fixtures know its
//! tokens, who the caller is), every parameter and the body (all violations together), then
//! the session's stubs, then the operation's behaviour if its API has one, else the spec's
//! static answer.
//!
//! - `request`: the `RequestReader` that reads parameters and body for the server's answers
//!   and for [`inspect_request`] alike, and the [`RequestFindings`] it reports.
//! - `reply`: the answer rendered: a behaviour's reply or the spec's static one, negotiated,
//!   checked against the declared response when asked.

mod reply;
mod request;

use http::HeaderName;
use serde_json::Value;

use crate::mock::engine::Engine;
use crate::mock::message::{ErrorScope, MockRequest, Outcome, refuse};
use crate::mock::rejection::RequestError;
use crate::mock::stubs;
use crate::operation::api::{Api, Operation};
use crate::operation::respond::{self, Prefer};
use crate::operation::security::{CredentialSources, SchemeKind};
use crate::world::behaviour::{Call, ParamValues, Reply};
use crate::world::state::Session;

use request::RequestReader;
pub use request::{RequestFindings, inspect_request};

/// `Prefer` (RFC 7240), made once rather than parsed from text on every lookup.
pub(crate) static PREFER: HeaderName = HeaderName::from_static("prefer");

/// Parameter values, decoded and typed, by location and name.
#[derive(Debug, Default)]
struct Values<'a> {
    path: ParamValues<'a>,
    query: ParamValues<'a>,
    headers: ParamValues<'a>,
}

/// One routed request being answered.
pub(crate) struct Exchange<'e> {
    pub engine: &'e Engine,
    /// Index of `api` among the engine's APIs (and of its part of the world).
    pub api_index: usize,
    /// Index of `op` among the API's operations.
    pub op_index: usize,
    pub api: &'e Api,
    pub op: &'e Operation,
    pub req: &'e MockRequest,
    pub raw_path_params: &'e [&'e str],
    pub session: &'e Session,
}

impl Exchange<'_> {
    pub fn answer(&self) -> Outcome {
        let req = self.req;
        let reader = RequestReader {
            op: self.op,
            req,
            raw_path_params: self.raw_path_params,
        };
        let (query, cookies) = reader.query_and_cookies();
        let sources = CredentialSources {
            headers: &req.headers,
            query: &query,
            cookies: &cookies,
        };
        let credentials = match self.op.security.check(&sources) {
            Ok(c) => c,
            Err(unauthenticated) => {
                return self.refuse(RequestError::Unauthenticated {
                    detail: unauthenticated.detail,
                    challenges: unauthenticated.challenges,
                });
            }
        };
        let caller = match self.caller(&credentials) {
            Ok(c) => c,
            Err(outcome) => return *outcome,
        };
        let (mut violations, values) = reader.parameters(&query, &cookies);
        let body = match reader.body(&mut violations) {
            Ok(b) => b,
            Err(detail) => return self.refuse(RequestError::UnsupportedMediaType { detail }),
        };
        if !violations.is_empty() {
            let status = reader.rejection_status(&violations);
            return self.refuse(RequestError::Invalid { status, violations });
        }
        // A valid, authenticated request: the session's stubs come before the mock's answer.
        let at = Some((self.api_index, self.op_index));
        if let Some(stubbed) = stubs::answer(self.engine, self.session, at, req, body.as_ref()) {
            return stubbed;
        }
        let prefer = Prefer::parse(req.headers.get(&PREFER).and_then(|v| v.to_str().ok()));
        // Prism's preferences ask for the spec's static answers: they bypass behaviours.
        let static_asked = prefer.code.is_some() || prefer.example.is_some() || prefer.dynamic;
        if !static_asked && let Some(reply) = self.behave(&values, body.as_ref(), caller.as_deref())
        {
            return self.reply(reply);
        }
        self.success()
    }

    /// The answer to a request the mock refuses or cannot answer, in the operation's error
    /// format for its status; judged, when asked, against what the operation declares.
    fn refuse(&self, error: RequestError) -> Outcome {
        let status = error.status();
        let owed = error.owes_a_declared_status();
        let scope = ErrorScope::operation(self.engine, self.api, self.op, self.req, status);
        let mut outcome = refuse(&scope, error, &self.req.path);
        if scope.check && owed && scope.declared.is_none() {
            let undeclared = respond::undeclared_status(&self.op.id, status);
            outcome.response_violations.push(undeclared);
        }
        outcome
    }

    /// Who a bearer token belongs to, where the API's behaviour knows its tokens: an unknown
    /// token is a 401. `None` when no token was needed or the API takes any.
    fn caller(
        &self,
        credentials: &[crate::operation::security::Credential],
    ) -> Result<Option<String>, Box<Outcome>> {
        let Some(token) = credentials.iter().find(|c| c.kind == SchemeKind::Bearer) else {
            return Ok(None);
        };
        let Some(behaviour) = self.engine.behaviour(self.api_index) else {
            return Ok(None);
        };
        let Some(part) = self.session.part(self.api_index) else {
            return Ok(None);
        };
        match behaviour.authenticate(part, &token.secret) {
            Some(user) => Ok(Some(user)),
            None => Err(Box::new(self.refuse(RequestError::Unauthenticated {
                detail: "The bearer token is not known.".to_owned(),
                challenges: vec!["Bearer realm=\"understudy\", error=\"invalid_token\"".to_owned()],
            }))),
        }
    }

    /// The API's behaviour for this operation, if it has one that handles it.
    fn behave(
        &self,
        values: &Values<'_>,
        body: Option<&Value>,
        caller: Option<&str>,
    ) -> Option<Reply> {
        let behaviour = self.engine.behaviour(self.api_index)?;
        if !behaviour.handles(&self.op.id) {
            return None;
        }
        let part = self.session.part(self.api_index)?;
        let call = Call {
            api: self.api,
            op: self.op,
            method: &self.req.method,
            path: &self.req.path,
            path_params: &values.path,
            query: &values.query,
            headers: &values.headers,
            body,
            caller,
            run_seed: self.engine.config().seed,
        };
        behaviour.call(part, &call)
    }
}
