//! GitBook's fixture file: organizations, users, teams, spaces with their user and team
//! permissions, and API tokens; checked whole at startup (every reference resolves, ids in
//! GitBook's style, roles that are `MemberRole`s), then turned into the starting world.

use std::collections::HashSet;
use std::sync::Arc;

// A seeded hash much quicker than SipHash on short ids: lists look one up per item.
use foldhash::HashMap;
use serde::Deserialize;

use super::world::{Role, World};
use crate::world::fixtures::{self, FixtureError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    organizations: Vec<OrganizationEntry>,
    users: Vec<UserEntry>,
    #[serde(default)]
    teams: Vec<TeamEntry>,
    spaces: Vec<SpaceEntry>,
    tokens: Vec<TokenEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganizationEntry {
    id: String,
    title: String,
    /// Users who manage the organization's teams (`OrganizationTeam.permissions.admin`).
    #[serde(default)]
    admins: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserEntry {
    id: String,
    #[serde(rename = "displayName")]
    display_name: String,
    email: Option<String>,
    #[serde(rename = "photoURL")]
    photo_url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamEntry {
    id: String,
    organization: String,
    title: String,
    #[serde(rename = "createdAt")]
    created_at: String,
    #[serde(default)]
    members: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpaceEntry {
    id: String,
    organization: String,
    title: String,
    #[serde(default)]
    users: Vec<UserPermissionEntry>,
    #[serde(default)]
    teams: Vec<TeamPermissionEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserPermissionEntry {
    user: String,
    role: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamPermissionEntry {
    team: String,
    role: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenEntry {
    token: String,
    user: String,
}

/// An organization.
#[derive(Debug, Clone)]
pub struct Organization {
    pub id: String,
    pub title: String,
    pub admins: HashSet<String>,
}

/// A user, as `User` shows them.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub display_name: String,
    pub email: Option<String>,
    pub photo_url: Option<String>,
    /// This user as `User` serializes (`super::user_json`), made once at load: every list
    /// page showing them copies these bytes instead of building and serializing a `Value`.
    pub json: Box<str>,
}

/// An organization team.
#[derive(Debug, Clone)]
pub struct Team {
    pub id: String,
    pub organization: String,
    pub title: String,
    pub created_at: String,
    pub members: Vec<String>,
}

/// A space.
#[derive(Debug, Clone)]
pub struct Space {
    pub id: String,
    pub organization: String,
    pub title: String,
}

/// Who and what exists: fixed by the fixtures, shared by every session's world. Each list
/// keeps the fixture's order (for `/__admin/state`) beside an index by id.
#[derive(Debug, Default)]
pub struct Directory {
    pub organizations: Vec<Organization>,
    pub users: Vec<User>,
    pub teams: Vec<Team>,
    pub spaces: Vec<Space>,
    /// Token → user id, in the fixture's order.
    pub tokens: Vec<(String, String)>,
    users_by_id: HashMap<String, usize>,
    teams_by_id: HashMap<String, usize>,
    spaces_by_id: HashMap<String, usize>,
    organizations_by_id: HashMap<String, usize>,
    tokens_by_secret: HashMap<String, usize>,
}

impl Directory {
    pub fn user(&self, id: &str) -> Option<&User> {
        self.users_by_id.get(id).and_then(|&i| self.users.get(i))
    }

    pub fn team(&self, id: &str) -> Option<&Team> {
        self.teams_by_id.get(id).and_then(|&i| self.teams.get(i))
    }

    /// Where `users` holds the user `id`: what a list's entry keeps, to reach the user
    /// without a lookup.
    pub fn user_at(&self, id: &str) -> Option<u32> {
        self.users_by_id
            .get(id)
            .and_then(|&i| u32::try_from(i).ok())
    }

    /// Where `teams` holds the team `id`.
    pub fn team_at(&self, id: &str) -> Option<u32> {
        self.teams_by_id
            .get(id)
            .and_then(|&i| u32::try_from(i).ok())
    }

    /// The user at `at` in `users`.
    pub fn user_in(&self, at: Option<u32>) -> Option<&User> {
        self.users.get(usize::try_from(at?).ok()?)
    }

    /// The team at `at` in `teams`.
    pub fn team_in(&self, at: Option<u32>) -> Option<&Team> {
        self.teams.get(usize::try_from(at?).ok()?)
    }

    pub fn space(&self, id: &str) -> Option<&Space> {
        self.spaces_by_id.get(id).and_then(|&i| self.spaces.get(i))
    }

    pub fn organization(&self, id: &str) -> Option<&Organization> {
        self.organizations_by_id
            .get(id)
            .and_then(|&i| self.organizations.get(i))
    }

    /// The user a token belongs to.
    pub fn token_user(&self, token: &str) -> Option<&str> {
        self.tokens_by_secret
            .get(token)
            .and_then(|&i| self.tokens.get(i))
            .map(|(_, user)| user.as_str())
    }
}

/// GitBook's id style: short alphanumeric strings (`sPaCe4Docs01`, `u1x2Y3z4`).
pub fn is_gitbook_id(id: &str) -> bool {
    (4..=40).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The starting world `text` (the fixture file `file`) describes.
pub fn load(text: &str, file: &str) -> Result<World, FixtureError> {
    let parsed: File = fixtures::parse(text, file)?;
    let err = |entry: String, message: String| FixtureError::new(file, entry, message);
    let mut d = Directory::default();

    for (i, o) in parsed.organizations.iter().enumerate() {
        let entry = format!("organizations[{i}]");
        check_id(&o.id, "organization").map_err(|m| err(entry.clone(), m))?;
        if d.organizations_by_id.insert(o.id.clone(), i).is_some() {
            return Err(err(entry, format!("organization {} appears twice", o.id)));
        }
        if o.title.trim().is_empty() {
            return Err(err(entry, "title is empty".into()));
        }
    }
    for (i, u) in parsed.users.iter().enumerate() {
        let entry = format!("users[{i}]");
        check_id(&u.id, "user").map_err(|m| err(entry.clone(), m))?;
        if d.users_by_id.insert(u.id.clone(), i).is_some() {
            return Err(err(entry, format!("user {} appears twice", u.id)));
        }
        if u.display_name.trim().is_empty() {
            return Err(err(entry, "displayName is empty".into()));
        }
        if let Some(email) = &u.email
            && !looks_like_email(email)
        {
            return Err(err(
                entry,
                format!("email {email:?} is not an email address"),
            ));
        }
        if let Some(photo) = &u.photo_url
            && url::Url::parse(photo).is_err()
        {
            return Err(err(
                entry,
                format!("photoURL {photo:?} is not an absolute URL"),
            ));
        }
        let mut user = User {
            id: u.id.clone(),
            display_name: u.display_name.clone(),
            email: u.email.clone(),
            photo_url: u.photo_url.clone(),
            json: Box::default(),
        };
        user.json = serde_json::to_string(&super::user_json(&user))
            .map_err(|e| err(entry, format!("cannot be serialized: {e}")))?
            .into_boxed_str();
        d.users.push(user);
    }
    for (i, o) in parsed.organizations.iter().enumerate() {
        let mut admins = HashSet::new();
        for (j, a) in o.admins.iter().enumerate() {
            let entry = format!("organizations[{i}].admins[{j}]");
            if d.user(a).is_none() {
                return Err(err(entry, format!("user {a} is not in users")));
            }
            if !admins.insert(a.clone()) {
                return Err(err(entry, format!("user {a} appears twice")));
            }
        }
        d.organizations.push(Organization {
            id: o.id.clone(),
            title: o.title.clone(),
            admins,
        });
    }
    for (i, t) in parsed.teams.iter().enumerate() {
        let entry = format!("teams[{i}]");
        check_id(&t.id, "team").map_err(|m| err(entry.clone(), m))?;
        if d.teams_by_id.insert(t.id.clone(), i).is_some() {
            return Err(err(entry, format!("team {} appears twice", t.id)));
        }
        if d.organization(&t.organization).is_none() {
            return Err(err(
                entry,
                format!("organization {} is not in organizations", t.organization),
            ));
        }
        let title_len = t.title.chars().count();
        if !(1..=64).contains(&title_len) {
            return Err(err(
                entry,
                format!("title {:?} is not 1 to 64 characters long", t.title),
            ));
        }
        if !is_date_time(&t.created_at) {
            return Err(err(
                entry,
                format!(
                    "createdAt {:?} is not an RFC 3339 date-time like 2024-03-18T09:30:00.000Z",
                    t.created_at
                ),
            ));
        }
        let mut seen = HashSet::new();
        for (j, m) in t.members.iter().enumerate() {
            let entry = format!("teams[{i}].members[{j}]");
            if d.user(m).is_none() {
                return Err(err(entry, format!("user {m} is not in users")));
            }
            if !seen.insert(m.as_str()) {
                return Err(err(entry, format!("user {m} appears twice")));
            }
        }
        d.teams.push(Team {
            id: t.id.clone(),
            organization: t.organization.clone(),
            title: t.title.clone(),
            created_at: t.created_at.clone(),
            members: t.members.clone(),
        });
    }
    for (i, s) in parsed.spaces.iter().enumerate() {
        let entry = format!("spaces[{i}]");
        check_id(&s.id, "space").map_err(|m| err(entry.clone(), m))?;
        if d.spaces_by_id.insert(s.id.clone(), i).is_some() {
            return Err(err(entry, format!("space {} appears twice", s.id)));
        }
        if d.organization(&s.organization).is_none() {
            return Err(err(
                entry,
                format!("organization {} is not in organizations", s.organization),
            ));
        }
        d.spaces.push(Space {
            id: s.id.clone(),
            organization: s.organization.clone(),
            title: s.title.clone(),
        });
    }
    for (i, t) in parsed.tokens.iter().enumerate() {
        let entry = format!("tokens[{i}]");
        if !t.token.starts_with("gb_") || !t.token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(err(
                entry,
                format!(
                    "token {:?} is not in GitBook's style (gb_ then visible ASCII)",
                    t.token
                ),
            ));
        }
        if d.user(&t.user).is_none() {
            return Err(err(entry, format!("user {} is not in users", t.user)));
        }
        if d.tokens_by_secret.insert(t.token.clone(), i).is_some() {
            return Err(err(entry, "this token appears twice".into()));
        }
        d.tokens.push((t.token.clone(), t.user.clone()));
    }

    // Permissions are checked against the directory, then applied to a world built on it.
    let mut grants: Vec<(&str, &str, Role, bool)> = Vec::new();
    for (i, s) in parsed.spaces.iter().enumerate() {
        let mut seen = HashSet::new();
        for (j, p) in s.users.iter().enumerate() {
            let entry = format!("spaces[{i}].users[{j}]");
            if d.user(&p.user).is_none() {
                return Err(err(entry, format!("user {} is not in users", p.user)));
            }
            if !seen.insert(p.user.as_str()) {
                return Err(err(
                    entry,
                    format!("user {} has two permissions in this space", p.user),
                ));
            }
            let role = role(&p.role).map_err(|m| err(entry.clone(), m))?;
            grants.push((&s.id, &p.user, role, false));
        }
        let mut seen = HashSet::new();
        for (j, p) in s.teams.iter().enumerate() {
            let entry = format!("spaces[{i}].teams[{j}]");
            let Some(team) = d.team(&p.team) else {
                return Err(err(entry, format!("team {} is not in teams", p.team)));
            };
            if team.organization != s.organization {
                return Err(err(
                    entry,
                    format!(
                        "team {} belongs to organization {}, the space to {}",
                        p.team, team.organization, s.organization
                    ),
                ));
            }
            if !seen.insert(p.team.as_str()) {
                return Err(err(
                    entry,
                    format!("team {} has two permissions in this space", p.team),
                ));
            }
            let role = role(&p.role).map_err(|m| err(entry.clone(), m))?;
            grants.push((&s.id, &p.team, role, true));
        }
    }
    let mut world = World::new(Arc::new(d));
    for (space, who, role, is_team) in grants {
        if is_team {
            world.set_team(space, who, Some(role));
        } else {
            world.set_user(space, who, Some(role));
        }
    }
    Ok(world)
}

fn check_id(id: &str, what: &str) -> Result<(), String> {
    if is_gitbook_id(id) {
        Ok(())
    } else {
        Err(format!(
            "{what} id {id:?} is not in GitBook's style \
             (4 to 40 letters and digits, like sPaCe4Docs01)"
        ))
    }
}

fn role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| {
        let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        format!(
            "role {text:?} is not a MemberRole (one of {})",
            roles.join(", ")
        )
    })
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`, with plausible field ranges.
fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(r)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let fields = (|| {
        let shape = b.get(4) == Some(&b'-')
            && b.get(7) == Some(&b'-')
            && matches!(b.get(10), Some(b'T' | b't'))
            && b.get(13) == Some(&b':')
            && b.get(16) == Some(&b':');
        shape.then_some(())?;
        Some((
            num(0..4)?,
            num(5..7)?,
            num(8..10)?,
            num(11..13)?,
            num(14..16)?,
            num(17..19)?,
        ))
    })();
    let Some((_, month, day, hour, minute, second)) = fields else {
        return false;
    };
    if !((1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second < 61)
    {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let n = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &fraction[n..];
    }
    match rest.as_bytes() {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_fixtures_load() {
        let text = crate::world::fixtures::BUNDLED
            .iter()
            .find(|(n, _)| *n == "gitbook")
            .map(|(_, t)| *t)
            .unwrap_or_default();
        let world = load(text, "fixtures/gitbook.yaml");
        assert!(world.is_ok(), "{:?}", world.err());
    }

    #[test]
    fn date_times_are_checked_for_shape_and_ranges() {
        assert!(is_date_time("2024-03-18T09:30:00.000Z"));
        assert!(is_date_time("2024-03-18T09:30:00+02:00"));
        assert!(!is_date_time("2024-13-18T09:30:00Z"));
        assert!(!is_date_time("2024-03-18 09:30:00Z"));
        assert!(!is_date_time("yesterday"));
    }

    #[test]
    fn gitbook_ids_are_short_letters_and_digits() {
        assert!(is_gitbook_id("sPaCe4Docs01"));
        assert!(!is_gitbook_id("has-dash"));
        assert!(!is_gitbook_id("abc"));
    }
}
