//! The soak's writers: one per API, each owning its (space, member) pairs and modelling the
//! world from the answers it got.

use super::*;

// --- GitBook ------------------------------------------------------------------------------

pub(super) const GITBOOK_SPACES: [&str; 4] = [
    "sPaCe4Docs01",
    "sPaCeApiRef02",
    "sPaCeNotes03",
    "sPaCeGlobex1",
];
/// Every user but Jane, whose token the clients use.
pub(super) const GITBOOK_USERS: [&str; 8] = [
    "Qm9iU21pdGg",
    "Q2Fyb2xMZWU",
    "RGF2ZU5ndXllbg",
    "RXZlTWFydGlu",
    "RnJhbmtPa2Fmb3I",
    "SXZhbk9ybG92",
    "R3JhY2VIb3BwZXI",
    "SGVpZGlLYXJsc3Nvbg",
];
pub(super) const GITBOOK_ROLES: [&str; 6] =
    ["admin", "create", "edit", "review", "comment", "read"];
/// Teams and the spaces of their organization.
pub(super) const GITBOOK_TEAMS: [(&str, &[&str]); 4] = [
    (
        "tEaMdOcS01",
        &["sPaCe4Docs01", "sPaCeApiRef02", "sPaCeNotes03"],
    ),
    (
        "tEaMeNg02",
        &["sPaCe4Docs01", "sPaCeApiRef02", "sPaCeNotes03"],
    ),
    (
        "tEaMsUpPort3",
        &["sPaCe4Docs01", "sPaCeApiRef02", "sPaCeNotes03"],
    ),
    ("tEaMgLoBeX4", &["sPaCeGlobex1"]),
];

/// Members (user or team) with a role in a space, as the fixtures have them.
pub(super) fn gitbook_fixture(kind: Kind) -> BTreeMap<(String, String), String> {
    let entries: &[(&str, &str, &str)] = match kind {
        Kind::User => &[
            ("sPaCe4Docs01", "u1x2Y3z4", "admin"),
            ("sPaCe4Docs01", "Qm9iU21pdGg", "edit"),
            ("sPaCe4Docs01", "Q2Fyb2xMZWU", "read"),
            ("sPaCeApiRef02", "Qm9iU21pdGg", "admin"),
            ("sPaCeGlobex1", "SGVpZGlLYXJsc3Nvbg", "admin"),
        ],
        Kind::Team => &[
            ("sPaCe4Docs01", "tEaMdOcS01", "review"),
            ("sPaCeApiRef02", "tEaMeNg02", "edit"),
            ("sPaCeGlobex1", "tEaMgLoBeX4", "comment"),
        ],
    };
    entries
        .iter()
        .map(|(s, m, r)| ((s.to_string(), m.to_string()), r.to_string()))
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Kind {
    User,
    Team,
}

impl Kind {
    pub(super) fn segment(self) -> &'static str {
        match self {
            Kind::User => "users",
            Kind::Team => "teams",
        }
    }
}

/// One GitBook writer: the (space, member) pairs it owns, and what it knows of them.
/// `None` in `known` is "no role"; a pair missing from `known` is unknown (its write got no
/// answer) until an invite sets it again.
pub(super) struct GitbookWriter {
    pub(super) pairs: Vec<(Kind, String, String)>,
    pub(super) known: BTreeMap<(Kind, String, String), Option<String>>,
}

impl GitbookWriter {
    /// Writer `i` of `n`: every n-th pair of users and teams.
    pub(super) fn new(i: usize, n: usize) -> GitbookWriter {
        let mut all = Vec::new();
        for space in GITBOOK_SPACES {
            for user in GITBOOK_USERS {
                all.push((Kind::User, space.to_owned(), user.to_owned()));
            }
        }
        for (team, spaces) in GITBOOK_TEAMS {
            for space in spaces {
                all.push((Kind::Team, space.to_string(), team.to_owned()));
            }
        }
        let pairs: Vec<_> = all.into_iter().skip(i).step_by(n).collect();
        let known = pairs
            .iter()
            .map(|p| {
                let fixture = gitbook_fixture(p.0);
                (p.clone(), fixture.get(&(p.1.clone(), p.2.clone())).cloned())
            })
            .collect();
        GitbookWriter { pairs, known }
    }

    pub(super) fn step(&mut self, client: &mut Client, rng: &mut Rng, tally: &mut Tally) {
        let pair = rng.pick(&self.pairs).clone();
        let (kind, space, member) = &pair;
        let known = self.known.get(&pair).cloned();
        let role = rng.pick(&GITBOOK_ROLES).to_string();
        let base = format!("/v1/spaces/{space}/permissions");
        let item = format!("{base}/{}/{member}", kind.segment());
        let op = if known.is_none() { 0 } else { rng.below(4) };
        let (req, expected, after) = match op {
            // Invite (an upsert); now and then with `role: null`, which removes.
            0 | 1 => {
                let role = (rng.below(6) > 0).then_some(role);
                let list = match kind {
                    Kind::User => "users",
                    Kind::Team => "teams",
                };
                let body = json!({"role": role, list: [member]});
                (
                    request("POST", &base, Some(gitbook_token(space)), Some(body)),
                    204,
                    role,
                )
            }
            2 => {
                let present = known.clone().flatten().is_some();
                let body = json!({"role": role});
                let req = request("PATCH", &item, Some(gitbook_token(space)), Some(body));
                let after = if present { Some(role) } else { None };
                (req, if present { 204 } else { 404 }, after)
            }
            _ => {
                let present = known.clone().flatten().is_some();
                let req = request("DELETE", &item, Some(gitbook_token(space)), None);
                (req, if present { 205 } else { 204 }, None)
            }
        };
        self.known.remove(&pair);
        let Some((status, body)) = send(client, &req, tally) else {
            return; // unknown until the next invite
        };
        if status != expected {
            tally.wrong(format!(
                "{} {}{}: {status}, the model says {expected} ({known:?}); {body}",
                req.method,
                req.path,
                req.query.map(|q| format!("?{q}")).unwrap_or_default()
            ));
            return; // unknown
        }
        self.known.insert(pair, after);
    }
}

// --- Arize --------------------------------------------------------------------------------

pub(super) const FRAUD: &str = "U3BhY2U6MTIzNDU=";
pub(super) const SEARCH: &str = "U3BhY2U6MTIzNDY=";
/// The users the writers add and remove, with the roles they give them: never a role that
/// lets its holder add or remove users, as Manny's token sends invalid requests, which must
/// stay invalid (a 403 or, once he is removed, a 404).
pub(super) const ARIZE_USERS: [(&str, &[&str]); 3] = [
    ("VXNlcjoxMjM0NQ==", &["member", "read-only"]), // Grace
    ("VXNlcjoxMDAwNA==", &["member", "read-only"]), // Manny
    ("VXNlcjoxMDAwNg==", &["annotator"]),           // Theo
];

/// The memberships of the fixtures: (space, user) to the predefined role or custom role id.
pub(super) fn arize_fixture() -> BTreeMap<(String, String), String> {
    [
        (FRAUD, "VXNlcjoxMDAwMQ==", "admin"),
        (FRAUD, "VXNlcjoxMDAwMg==", "Um9sZTo3"),
        (FRAUD, "VXNlcjoxMDAwMw==", "Um9sZTo4"),
        (FRAUD, "VXNlcjoxMDAwNA==", "member"),
        (FRAUD, "VXNlcjoxMDAwNQ==", "annotator"),
        (SEARCH, "VXNlcjoxMDAwMQ==", "admin"),
        (SEARCH, "VXNlcjoxMDAwMg==", "read-only"),
        (SEARCH, "VXNlcjoxMDAwMw==", "read-only"),
        ("U3BhY2U6MjAwMDE=", "VXNlcjoyMDAwMQ==", "admin"),
    ]
    .iter()
    .map(|(s, u, r)| ((s.to_string(), u.to_string()), r.to_string()))
    .collect()
}

/// One Arize writer, owning the [`ARIZE_USERS`] of one space.
pub(super) struct ArizeWriter {
    pub(super) space: &'static str,
    pub(super) known: BTreeMap<String, Option<String>>,
}

impl ArizeWriter {
    pub(super) fn new(space: &'static str) -> ArizeWriter {
        let fixture = arize_fixture();
        let known = ARIZE_USERS
            .iter()
            .map(|(u, _)| {
                let role = fixture.get(&(space.to_owned(), u.to_string())).cloned();
                (u.to_string(), role)
            })
            .collect();
        ArizeWriter { space, known }
    }

    pub(super) fn step(&mut self, client: &mut Client, rng: &mut Rng, tally: &mut Tally) {
        let (user, roles) = *rng.pick(&ARIZE_USERS);
        let known = self.known.get(user).cloned();
        let users = format!("/v2/spaces/{}/users", segment(self.space));
        let (req, expected, after) = if known.is_none() || rng.below(2) == 0 {
            let role = rng.pick(roles).to_string();
            let body = json!({"user_id": user, "role": {"type": "predefined", "name": role}});
            (
                request("POST", &users, Some(ARIZE_TOKEN), Some(body)),
                200,
                Some(role),
            )
        } else {
            let present = known.clone().flatten().is_some();
            let path = format!("{users}/{}", segment(user));
            let req = request("DELETE", &path, Some(ARIZE_TOKEN), None);
            (req, if present { 204 } else { 404 }, None)
        };
        self.known.remove(user);
        let Some((status, body)) = send(client, &req, tally) else {
            return;
        };
        if status != expected {
            tally.wrong(format!(
                "{} {}: {status}, the model says {expected} ({known:?}); {body}",
                req.method, req.path
            ));
            return;
        }
        self.known.insert(user.to_owned(), after);
    }
}

// --- Alumio -------------------------------------------------------------------------------

pub(super) const ALUMIO_SPACES: [&str; 3] = ["default", "webshop-sync", "erp-import"];
pub(super) const ALUMIO_ROLES: [&str; 3] = ["ROLE_USER", "ROLE_EDITOR", "ROLE_ADMINISTRATOR"];
/// The emails the writer assigns: a bounded pool, so the world (and memory) stays bounded.
pub(super) const ALUMIO_POOL: usize = 12;
pub(super) const LICENCE_WORKERS: u64 = 10;
pub(super) const WORKERS_PER_SPACE: u64 = 5;

pub(super) fn pool_email(n: usize) -> String {
    format!("soak-{n}@example.com")
}

/// The users of the fixtures, by space.
pub(super) fn alumio_fixture_users() -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let mut out: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for (space, email, roles) in [
        ("default", "admin@example.com", &["ROLE_ADMINISTRATOR"][..]),
        ("default", "jane.doe@example.com", &["ROLE_USER"]),
        ("webshop-sync", "admin@example.com", &["ROLE_ADMINISTRATOR"]),
        (
            "webshop-sync",
            "dev@example.com",
            &["ROLE_EDITOR", "ROLE_USER"],
        ),
    ] {
        out.entry(space.into())
            .or_default()
            .insert(email.into(), roles.iter().map(|r| r.to_string()).collect());
    }
    out.entry("erp-import".into()).or_default();
    out
}

/// The Alumio writer: assignments of the pool's emails, and the worker allocation.
pub(super) struct AlumioWriter {
    /// Roles (sorted) by space and email; a write without an answer makes the whole space
    /// unknown (an assignment may list several emails), until the end.
    pub(super) users: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    pub(super) workers: Option<BTreeMap<String, u64>>,
    pub(super) unknown_spaces: Vec<String>,
}

impl AlumioWriter {
    pub(super) fn new() -> AlumioWriter {
        let mut users = BTreeMap::new();
        for space in ALUMIO_SPACES {
            users.insert(space.to_owned(), BTreeMap::new());
        }
        let workers = [("default", 2), ("webshop-sync", 3), ("erp-import", 0)]
            .iter()
            .map(|(s, w)| (s.to_string(), *w))
            .collect();
        AlumioWriter {
            users,
            workers: Some(workers),
            unknown_spaces: Vec::new(),
        }
    }

    pub(super) fn step(&mut self, client: &mut Client, rng: &mut Rng, tally: &mut Tally) {
        if rng.below(3) == 0 && self.workers.is_some() {
            self.allocate(client, rng, tally);
        } else {
            self.assign(client, rng, tally);
        }
    }

    pub(super) fn assign(&mut self, client: &mut Client, rng: &mut Rng, tally: &mut Tally) {
        let space = rng.pick(&ALUMIO_SPACES).to_string();
        let mut entries: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for _ in 0..1 + rng.below(3) {
            let mut roles: Vec<String> = ALUMIO_ROLES
                .iter()
                .filter(|_| rng.below(2) == 0)
                .map(|r| r.to_string())
                .collect();
            if roles.is_empty() {
                roles.push(rng.pick(&ALUMIO_ROLES).to_string());
            }
            entries.insert(pool_email(rng.below(ALUMIO_POOL)), roles);
        }
        let body = json!({"users": entries
            .iter()
            .map(|(email, roles)| json!({"email": email, "roles": roles}))
            .collect::<Vec<_>>()});
        let path = format!("/api/v1/spaces/{space}/assign_users");
        let req = request("POST", &path, None, Some(body));
        let Some((status, body)) = send(client, &req, tally) else {
            self.unknown_spaces.push(space);
            return;
        };
        if status != 200 {
            tally.wrong(format!("POST {path}: {status}, the model says 200; {body}"));
            self.unknown_spaces.push(space);
            return;
        }
        let model = self.users.entry(space.clone()).or_default();
        for (email, roles) in entries {
            let mut roles = roles;
            roles.sort();
            model.insert(email, roles);
        }
        // The answer lists every user of the space: the pool's must be as modelled.
        if !self.unknown_spaces.contains(&space) {
            let answered = pool_users(&body["users"]);
            if &answered != model {
                tally.wrong(format!(
                    "POST {path}: the space's users are {answered:?}, the model says {model:?}"
                ));
                self.unknown_spaces.push(space);
            }
        }
    }

    pub(super) fn allocate(&mut self, client: &mut Client, rng: &mut Rng, tally: &mut Tally) {
        let Some(current) = self.workers.clone() else {
            return;
        };
        let mut asked: BTreeMap<String, u64> = BTreeMap::new();
        for _ in 0..1 + rng.below(2) {
            asked.insert(rng.pick(&ALUMIO_SPACES).to_string(), rng.below(7) as u64);
        }
        let mut after = current.clone();
        after.extend(asked.clone());
        let fits = asked.values().all(|w| *w <= WORKERS_PER_SPACE)
            && after.values().sum::<u64>() <= LICENCE_WORKERS;
        let body = json!({"spaceWorkers": asked
            .iter()
            .map(|(s, w)| json!({"spaceIdentifier": s, "workers": w}))
            .collect::<Vec<_>>()});
        let path = "/api/v1/space_workers/allocation";
        let req = request("POST", path, None, Some(body.clone()));
        let expected = if fits { 201 } else { 422 };
        let Some((status, answer)) = send(client, &req, tally) else {
            self.workers = None;
            return;
        };
        if status != expected {
            tally.wrong(format!(
                "POST {path} {body}: {status}, the model ({current:?}) says {expected}; {answer}"
            ));
            self.workers = None;
            return;
        }
        if fits {
            self.workers = Some(after);
        }
    }
}

/// The pool's users in a list of `{email, roles}`, roles sorted.
pub(super) fn pool_users(list: &Value) -> BTreeMap<String, Vec<String>> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| {
            let email = u["email"].as_str()?;
            email.starts_with("soak-").then(|| {
                let mut roles: Vec<String> = u["roles"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|r| r.as_str().map(str::to_owned))
                    .collect();
                roles.sort();
                (email.to_owned(), roles)
            })
        })
        .collect()
}
