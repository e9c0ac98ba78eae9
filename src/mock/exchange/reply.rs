//! The answer to a request that passed: a behaviour's reply, or the spec's static answer for
//! the chosen status, in the media type `Accept` allows (406 when it allows none), with the
//! declared headers; with `check_responses`, the answer is judged against the response
//! declared for its status (`respond::check`: headers, media type, schema).

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, header};
use serde_json::Value;

use super::{Exchange, PREFER};
use crate::mock::message::{self, MockResponse, Outcome};
use crate::mock::rejection::RequestError;
use crate::operation::negotiate;
use crate::operation::respond::{self, Answer, Prefer, ResponseSpec, Sent};
use crate::world::behaviour::Reply;

/// A behaviour's body: a value to serialize, or JSON already serialized.
enum ReplyBody {
    Value(Value),
    Json(Bytes),
}

impl Exchange<'_> {
    /// Renders a behaviour's reply: errors in the operation's format, bodies in the declared
    /// media type for their status (406 when `Accept` allows none).
    pub(super) fn reply(&self, reply: Reply) -> Outcome {
        let (status, body, created) = match reply {
            // Domain violations are the request's too: the journal shows them.
            Reply::Err(facts) => return self.refuse(RequestError::Domain(facts)),
            Reply::Ok {
                status,
                body,
                created,
            } => (status, body.map(ReplyBody::Value), created),
            Reply::Json { status, json } => (status, Some(ReplyBody::Json(json)), None),
        };
        let spec = respond::declared(&self.op.responses, status);
        let mut headers = spec
            .map(|s| self.declared_headers(s, status))
            .unwrap_or_default();
        if let Some(id) = created {
            self.locate(&mut headers, &id);
        }
        let Some(body) = body.filter(|_| !respond::bodiless(status)) else {
            let outcome = self.plain(status, None, headers);
            return self.judged(outcome, spec, None);
        };
        let offered: &[String] = spec.map_or(&[], |s| s.offered.as_slice());
        let accept = self
            .req
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok());
        let chosen = if offered.is_empty() {
            "application/json"
        } else {
            match negotiate::negotiate(accept, offered) {
                Some(c) => c,
                None => return self.not_acceptable(accept, offered),
            }
        };
        let content_type = if chosen.contains('*') {
            "application/json"
        } else {
            chosen
        };
        let (bytes, value) = match body {
            ReplyBody::Json(json) if negotiate::is_json(content_type) => (json, None),
            ReplyBody::Json(json) => match serde_json::from_slice::<Value>(&json) {
                // A JSON string sent as another media type goes as its text, as `Ok`'s does.
                Ok(v) => {
                    let answer = Answer::new(Arc::new(v), content_type);
                    (answer.bytes, Some(answer.value))
                }
                Err(_) => (json, None),
            },
            ReplyBody::Value(v) => {
                let answer = Answer::new(Arc::new(v), content_type);
                (answer.bytes, Some(answer.value))
            }
        };
        let outcome = self.plain(status, Some((content_type, bytes)), headers);
        self.judged(outcome, spec, value.as_deref())
    }

    /// `outcome` judged against `spec`, the response declared for its status, when answers
    /// are checked. A status the operation does not declare breaks the spec, checked or not.
    /// With `errors` (`--errors`), an answer that breaks the spec is not sent: a 500 naming
    /// the violations takes its place (the violations stay the answer's, for the log).
    fn judged(
        &self,
        outcome: Outcome,
        spec: Option<&ResponseSpec>,
        value: Option<&Value>,
    ) -> Outcome {
        let outcome = self.judged_as_is(outcome, spec, value);
        if !self.engine.config().errors || outcome.response_violations.is_empty() {
            return outcome;
        }
        let violations = outcome.response_violations;
        let mut replaced = self.refuse(RequestError::AnswerBreaksSpec {
            violations: violations.clone(),
        });
        // The request was fine: what broke is the answer the mock would have sent.
        replaced.violations = Arc::default();
        replaced.response_violations = violations;
        replaced
    }

    fn judged_as_is(
        &self,
        mut outcome: Outcome,
        spec: Option<&ResponseSpec>,
        value: Option<&Value>,
    ) -> Outcome {
        let response = &outcome.response;
        outcome.response_violations = match spec {
            None => vec![respond::undeclared_status(&self.op.id, response.status)],
            Some(_) if !self.engine.config().check_responses => Vec::new(),
            Some(spec) => respond::check(
                spec,
                &Sent {
                    status: response.status,
                    headers: &response.headers,
                    body: &response.body,
                    value,
                },
            ),
        };
        outcome
    }

    /// Points the `Location` the response declares at the item a create made (`id`, in the
    /// collection the request names), instead of at an example's URL.
    fn locate(&self, headers: &mut [(HeaderName, HeaderValue)], id: &str) {
        let Some((_, value)) = headers.iter_mut().find(|(n, _)| n == header::LOCATION) else {
            return;
        };
        let host = self
            .req
            .headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok());
        let location = respond::item_location(host, &self.req.path, id);
        if let Ok(located) = HeaderValue::from_str(&location) {
            *value = located;
        }
    }

    fn not_acceptable(&self, accept: Option<&str>, offered: &[String]) -> Outcome {
        self.refuse(RequestError::NotAcceptable {
            accept: accept.unwrap_or_default().to_owned(),
            offered: offered.to_vec(),
        })
    }

    pub(super) fn success(&self) -> Outcome {
        let req = self.req;
        let prefer = Prefer::parse(req.headers.get(&PREFER).and_then(|v| v.to_str().ok()));
        let response = match respond::choose(&self.op.responses, prefer.code) {
            Ok(Some(r)) => r,
            Ok(None) => {
                return self.plain(204, None, Vec::new());
            }
            Err(code) => {
                return self.refuse(RequestError::UndeclaredPreferCode {
                    code,
                    operation: self.op.id.to_string(),
                });
            }
        };
        let status = match (prefer.code, response.status) {
            (Some(code), _) => code,
            (None, key) => key.concrete(),
        };
        let accept = req
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok());
        if response.offered.is_empty() || respond::bodiless(status) {
            let outcome = self.plain(status, None, self.declared_headers(response, status));
            return self.judged(outcome, Some(response), None);
        }
        let Some(chosen) = negotiate::negotiate(accept, &response.offered) else {
            return self.not_acceptable(accept, &response.offered);
        };
        let Some(media) = response.media_for(chosen) else {
            return self.plain(status, None, Vec::new());
        };
        let matchers = &self.api.matchers;
        let content_type = if chosen.contains('*') {
            "application/json"
        } else {
            chosen
        };
        let answer = if let Some(name) = &prefer.example {
            match media.named_example(name) {
                Some(v) => Ok(Answer::new(Arc::new(v.clone()), content_type)),
                None => {
                    return self.refuse(RequestError::UnknownPreferExample { name: name.clone() });
                }
            }
        } else if prefer.dynamic || self.engine.config().dynamic {
            let n = self.engine.next_dynamic();
            let seed = self.engine.static_seed(self.api, self.op, status, chosen)
                ^ n.wrapping_mul(0x2545_F491_4F6C_DD1D);
            media
                .generate(matchers, seed, false)
                .map(|v| Answer::new(Arc::new(v), content_type))
                .map_err(Arc::new)
        } else {
            let seed = self.engine.static_seed(self.api, self.op, status, chosen);
            media.static_answer(matchers, seed)
        };
        let answer = match answer {
            Ok(a) => a,
            Err(cause) => return self.refuse(RequestError::NoAnswer { cause }),
        };
        let outcome = self.plain(
            status,
            Some((content_type, answer.bytes)),
            self.declared_headers(response, status),
        );
        self.judged(outcome, Some(response), Some(&answer.value))
    }

    fn declared_headers(
        &self,
        response: &ResponseSpec,
        status: u16,
    ) -> Vec<(HeaderName, HeaderValue)> {
        message::declared_headers(self.engine, self.api, self.op, response, status).to_vec()
    }

    fn plain(
        &self,
        status: u16,
        body: Option<(&str, Bytes)>,
        mut headers: Vec<(HeaderName, HeaderValue)>,
    ) -> Outcome {
        let body = match body {
            Some((content_type, bytes)) => {
                if let Ok(v) = HeaderValue::from_str(content_type) {
                    headers.push((header::CONTENT_TYPE, v));
                }
                bytes
            }
            None => Bytes::new(),
        };
        Outcome::from(MockResponse {
            status,
            headers,
            body,
        })
    }
}
