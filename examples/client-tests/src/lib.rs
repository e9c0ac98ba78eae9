//! A small client of GitBook's space permissions, the kind of code a user tests against
//! understudy: it lists a space's members (retrying a dropped connection), and invites users.
//! Its tests (`tests/against_the_mock.rs`) run it against `understudy::MockServer`.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

/// A client of one GitBook API (`base` is `https://api.gitbook.com` in production, the mock's
/// `uri()` in tests) with one token.
pub struct Spaces {
    base: String,
    token: String,
    agent: ureq::Agent,
    /// How often a request that lost its connection is sent again.
    retries: u32,
}

/// A member of a space, with the role it has there.
#[derive(Debug, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub role: String,
}

#[derive(Debug)]
pub enum Error {
    /// The API answered with an error.
    Status(u16, String),
    /// No answer: the connection failed, was dropped, or took too long.
    Transport(String),
}

#[derive(Deserialize)]
struct Page {
    items: Vec<PageItem>,
}

#[derive(Deserialize)]
struct PageItem {
    permission: String,
    user: User,
}

#[derive(Deserialize)]
struct User {
    id: String,
}

impl Spaces {
    pub fn new(base: &str, token: &str, timeout: Duration) -> Spaces {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build();
        Spaces {
            base: base.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            agent: config.into(),
            retries: 2,
        }
    }

    /// The space's members (the first page), each with its role; a dropped connection is
    /// retried.
    pub fn members(&self, space: &str) -> Result<Vec<Member>, Error> {
        let url = format!("{}/v1/spaces/{space}/permissions/users", self.base);
        let mut attempt = 0;
        loop {
            let sent = self
                .agent
                .get(&url)
                .header("Authorization", &format!("Bearer {}", self.token))
                .call();
            match sent {
                Ok(mut answer) if answer.status() == 200 => {
                    let page: Page = answer
                        .body_mut()
                        .read_json()
                        .map_err(|e| Error::Transport(e.to_string()))?;
                    return Ok(page
                        .items
                        .into_iter()
                        .map(|item| Member {
                            id: item.user.id,
                            role: item.permission,
                        })
                        .collect());
                }
                Ok(mut answer) => {
                    let text = answer.body_mut().read_to_string().unwrap_or_default();
                    return Err(Error::Status(answer.status().as_u16(), text));
                }
                Err(e) if attempt < self.retries && !matches!(e, ureq::Error::Timeout(_)) => {
                    attempt += 1;
                }
                Err(e) => return Err(Error::Transport(e.to_string())),
            }
        }
    }

    /// Invites `users` to the space with `role`.
    pub fn invite(&self, space: &str, role: &str, users: &[&str]) -> Result<(), Error> {
        let url = format!("{}/v1/spaces/{space}/permissions", self.base);
        let mut answer = self
            .agent
            .post(&url)
            .header("Authorization", &format!("Bearer {}", self.token))
            .send_json(json!({"role": role, "users": users}))
            .map_err(|e| Error::Transport(e.to_string()))?;
        match answer.status().as_u16() {
            204 => Ok(()),
            status => Err(Error::Status(
                status,
                answer.body_mut().read_to_string().unwrap_or_default(),
            )),
        }
    }
}
