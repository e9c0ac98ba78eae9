//! Reports of contract checks: plain text lines, a JSON report and JUnit XML. The model knows
//! exchanges and verdicts, not where the exchanges came from (a recording or a live server).

use std::collections::BTreeMap;

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus};
use serde_json::{Value, json};

use crate::conformance::checks::{Check, Judged, Mismatch, RequestSummary, Rule, Verdict};

/// One exchange and its verdicts.
#[derive(Debug, Clone)]
pub struct ExchangeReport {
    /// Where it came from: `traffic.har entry 3`, `case 17`.
    pub label: String,
    pub operation: Option<String>,
    pub request: RequestSummary,
    pub verdicts: Vec<Verdict>,
    /// For a step of a stateful story: the requests its story sent before it, in order, so
    /// that the whole sequence can be sent again.
    pub story: Vec<RequestSummary>,
}

impl ExchangeReport {
    /// The `curl` commands that send the exchange again: its story's earlier requests first,
    /// one a line, each after `indent`.
    pub fn curls(&self, indent: &str) -> String {
        self.story
            .iter()
            .chain(std::iter::once(&self.request))
            .map(|r| format!("{indent}{}\n", r.curl()))
            .collect()
    }
}

/// Every exchange judged, with the checks that were selected.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub selected: Vec<Check>,
    pub exchanges: Vec<ExchangeReport>,
}

/// How often a rule applied and failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub applied: usize,
    pub failed: usize,
}

/// A failed verdict with its exchange.
pub struct Failure<'r> {
    pub exchange: &'r ExchangeReport,
    pub rule: Rule,
    pub mismatch: &'r Mismatch,
}

impl Report {
    pub fn new(selected: &[Check]) -> Report {
        Report {
            selected: selected.to_vec(),
            exchanges: Vec::new(),
        }
    }

    pub fn push(&mut self, label: String, request: RequestSummary, judged: Judged) {
        self.push_story(label, request, judged, Vec::new());
    }

    /// An exchange of a story, after the requests `story` sent before it.
    pub fn push_story(
        &mut self,
        label: String,
        request: RequestSummary,
        judged: Judged,
        story: Vec<RequestSummary>,
    ) {
        self.exchanges.push(ExchangeReport {
            label,
            operation: judged.operation,
            request,
            verdicts: judged.verdicts,
            story,
        });
    }

    pub fn failures(&self) -> impl Iterator<Item = Failure<'_>> {
        self.exchanges.iter().flat_map(|e| {
            e.verdicts.iter().filter_map(move |v| {
                v.mismatch.as_ref().map(|m| Failure {
                    exchange: e,
                    rule: v.rule,
                    mismatch: m,
                })
            })
        })
    }

    pub fn passed(&self) -> bool {
        self.failures().next().is_none()
    }

    /// Per rule: every selected check (even one that never applied), and `unknown_operation`
    /// when it occurred.
    pub fn totals(&self) -> BTreeMap<Rule, Tally> {
        let mut out: BTreeMap<Rule, Tally> = self
            .selected
            .iter()
            .map(|c| (Rule::Check(*c), Tally::default()))
            .collect();
        for v in self.exchanges.iter().flat_map(|e| &e.verdicts) {
            let t = out.entry(v.rule).or_default();
            t.applied += 1;
            if !v.passed() {
                t.failed += 1;
            }
        }
        out
    }

    /// Each failure once, then one summary line.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for f in self.failures() {
            out.push_str(&format!(
                "FAIL {} {} ({}: {} {})\n  expected: {}\n  got:      {}\n{}\n",
                f.rule,
                f.exchange.operation.as_deref().unwrap_or("-"),
                f.exchange.label,
                f.exchange.request.method,
                f.exchange.request.url,
                f.mismatch.expected,
                f.mismatch.got,
                f.exchange.curls("  ")
            ));
        }
        let totals = self.totals();
        let applied: usize = totals.values().map(|t| t.applied).sum();
        let failed: usize = totals.values().map(|t| t.failed).sum();
        let failing: Vec<String> = totals
            .iter()
            .filter(|(_, t)| t.failed > 0)
            .map(|(r, t)| format!("{r} {}", t.failed))
            .collect();
        out.push_str(&format!(
            "{} exchanges, {applied} checks, {failed} failed{}\n",
            self.exchanges.len(),
            if failing.is_empty() {
                String::new()
            } else {
                format!(" ({})", failing.join(", "))
            }
        ));
        out
    }

    /// The JSON report: totals per check and every failure.
    pub fn json(&self) -> Value {
        let totals: serde_json::Map<String, Value> = self
            .totals()
            .into_iter()
            .map(|(r, t)| {
                (
                    r.name().to_owned(),
                    json!({"applied": t.applied, "passed": t.applied - t.failed, "failed": t.failed}),
                )
            })
            .collect();
        let failures: Vec<Value> = self
            .failures()
            .map(|f| {
                let r = &f.exchange.request;
                let headers: serde_json::Map<String, Value> = r
                    .headers
                    .iter()
                    .map(|(n, v)| (n.clone(), Value::String(v.clone())))
                    .collect();
                json!({
                    "check": f.rule.name(),
                    "operation": f.exchange.operation,
                    "exchange": f.exchange.label,
                    "expected": f.mismatch.expected,
                    "got": f.mismatch.got,
                    "request": {"method": r.method, "url": r.url, "headers": headers, "body": r.body},
                    "curl": r.curl(),
                    "story": f.exchange.story.iter().map(RequestSummary::curl).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "passed": self.passed(),
            "exchanges": self.exchanges.len(),
            "totals": totals,
            "failures": failures,
        })
    }

    /// JUnit XML: one testsuite per check, one testcase per exchange the check applied to.
    pub fn junit(&self) -> String {
        let mut junit = quick_junit::Report::new("understudy");
        for rule in self.totals().keys() {
            let mut suite = quick_junit::TestSuite::new(rule.name());
            for e in &self.exchanges {
                for v in e.verdicts.iter().filter(|v| v.rule == *rule) {
                    let status = match &v.mismatch {
                        None => TestCaseStatus::success(),
                        Some(m) => {
                            let mut failure = TestCaseStatus::non_success(NonSuccessKind::Failure);
                            failure
                                .set_message(xml_chars(&format!(
                                    "expected {}; got {}",
                                    m.expected, m.got
                                )))
                                .set_type(rule.name())
                                .set_description(xml_chars(&format!(
                                    "expected: {}\ngot: {}\n{}",
                                    m.expected,
                                    m.got,
                                    e.curls("")
                                )));
                            failure
                        }
                    };
                    let name = format!("{} {} ({})", e.request.method, e.request.url, e.label);
                    let mut case = TestCase::new(xml_chars(&name), status);
                    case.set_classname(xml_chars(&format!(
                        "{}.{}",
                        rule.name(),
                        e.operation.as_deref().unwrap_or("unknown")
                    )));
                    suite.add_test_case(case);
                }
            }
            junit.add_test_suite(suite);
        }
        // Writing to a `Vec` fails only on a bug in the XML writer.
        junit
            .to_string()
            .unwrap_or_else(|e| format!("<!-- the JUnit report could not be written: {e} -->\n"))
    }
}

/// Text without the two noncharacters XML 1.0 cannot hold; quick-junit drops the control
/// characters and escapes markup itself.
fn xml_chars(s: &str) -> String {
    s.replace(['\u{FFFE}', '\u{FFFF}'], "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_junit_report_escapes_markup_and_drops_what_xml_cannot_hold() {
        let mut report = Report::new(&[Check::NotAServerError]);
        let judged = Judged {
            operation: Some("op".to_owned()),
            verdicts: vec![Verdict {
                rule: Rule::Check(Check::NotAServerError),
                mismatch: Some(Mismatch {
                    expected: "<a href=\"x\">'&'</a>".to_owned(),
                    got: "\u{1}\u{FFFF}500".to_owned(),
                }),
            }],
        };
        let request = RequestSummary {
            method: "GET".to_owned(),
            url: "http://h/a?b=1&c=2".to_owned(),
            headers: Vec::new(),
            body: None,
        };
        report.push("case 1".to_owned(), request, judged);
        let xml = report.junit();
        assert!(
            xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"understudy\" tests=\"1\""),
            "{xml}"
        );
        assert!(
            xml.contains("&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;"),
            "{xml}"
        );
        assert!(xml.contains("got: 500\n"), "{xml}");
        assert!(
            xml.contains("name=\"GET http://h/a?b=1&amp;c=2 (case 1)\""),
            "{xml}"
        );
        assert!(xml.contains("failures=\"1\""), "{xml}");
    }

    #[test]
    fn a_story_failure_prints_the_curl_commands_of_the_story_before_its_own() {
        let request = |method: &str, path: &str| RequestSummary {
            method: method.to_owned(),
            url: format!("http://h{path}"),
            headers: Vec::new(),
            body: None,
        };
        let mut report = Report::new(&[Check::UseAfterFree]);
        let judged = Judged {
            operation: Some("getThing".to_owned()),
            verdicts: vec![Verdict {
                rule: Rule::Check(Check::UseAfterFree),
                mismatch: Some(Mismatch {
                    expected: "404 or 410".to_owned(),
                    got: "200".to_owned(),
                }),
            }],
        };
        let story = vec![request("POST", "/things"), request("DELETE", "/things/1")];
        report.push_story(
            "story s step 3 (use_after_free)".to_owned(),
            request("GET", "/things/1"),
            judged,
            story,
        );
        let text = report.text();
        assert!(text.contains(
            "  curl -X POST 'http://h/things'\n  curl -X DELETE 'http://h/things/1'\n  curl 'http://h/things/1'\n"
        ), "{text}");
        let json = report.json();
        assert_eq!(
            json["failures"][0]["story"],
            serde_json::json!([
                "curl -X POST 'http://h/things'",
                "curl -X DELETE 'http://h/things/1'"
            ])
        );
    }

    #[test]
    fn selected_checks_are_counted_even_when_they_never_applied() {
        let report = Report::new(&[Check::IgnoredAuth]);
        assert_eq!(
            report.totals().get(&Rule::Check(Check::IgnoredAuth)),
            Some(&Tally::default())
        );
        assert!(report.passed());
        assert!(report.text().starts_with("0 exchanges, 0 checks, 0 failed"));
    }
}
