//! GitBook's world in the state file: each space's user and team permissions and everyone who
//! can access it, each entry with its sequence number (list order and page tokens hang on
//! them), and the world's last sequence number. The directory is the fixtures'.
//!
//! What can be worked out again is not saved: a reach's direct role and the roles its teams
//! give follow from the space's permissions and the directory's teams, and a team's space
//! count from every space's team permissions. Restoring recomputes them, so a file whose lists
//! disagree (someone in `everyone` who reaches the space no way) is refused, not trusted.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Entry as ListEntry, Everyone, Ordered, Reach, Role, SpacePermissions, World};
use crate::world::behaviour::RestoreError;
use crate::world::behaviours::gitbook::fixtures::Directory;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Saved {
    /// The last sequence number given out.
    seq: u64,
    /// Every space of the directory, in its order.
    spaces: Vec<SavedSpace>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedSpace {
    id: String,
    users: Vec<Entry>,
    teams: Vec<Entry>,
    /// Everyone who can access the space, in the order they gained access.
    everyone: Vec<Reached>,
}

/// One user's or team's permission, at its place in the list.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    id: String,
    seq: u64,
    role: Role,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Reached {
    user: String,
    seq: u64,
}

impl World {
    /// The world as the state file keeps it.
    pub fn save(&self) -> Value {
        let spaces = self
            .directory
            .spaces
            .iter()
            .filter_map(|s| {
                let perms = self.spaces.get(&s.id)?;
                Some(SavedSpace {
                    id: s.id.clone(),
                    users: entries(&perms.users),
                    teams: entries(&perms.teams),
                    everyone: perms
                        .everyone
                        .all
                        .iter()
                        .map(|(seq, e)| Reached {
                            user: e.id.clone(),
                            seq: *seq,
                        })
                        .collect(),
                })
            })
            .collect();
        let saved = Saved {
            seq: self.seq,
            spaces,
        };
        // Only string keys and plain values: serialising cannot fail.
        serde_json::to_value(saved).unwrap_or(Value::Null)
    }

    /// The world `saved` describes, over `initial`'s directory.
    pub fn restore(initial: &World, saved: Value) -> Result<World, RestoreError> {
        let saved: Saved = serde_json::from_value(saved)?;
        let directory = &initial.directory;
        let mut world = World::new(directory.clone());
        world.seq = saved.seq;
        let mut seen = HashSet::new();
        for space in saved.spaces {
            let at = |what: String| RestoreError::new(format!("space {}: {what}", space.id));
            if !seen.insert(space.id.clone()) {
                return Err(at("appears twice".into()));
            }
            let Some(perms) = world.spaces.get_mut(&space.id) else {
                return Err(at("is not in the fixtures".into()));
            };
            perms.users = ordered(&space.users, saved.seq, |id| directory.user_at(id))
                .map_err(|m| at(format!("users: {m}")))?;
            perms.teams = ordered(&space.teams, saved.seq, |id| directory.team_at(id))
                .map_err(|m| at(format!("teams: {m}")))?;
            perms.everyone = everyone(perms, &space.everyone, saved.seq, directory)
                .map_err(|m| at(format!("everyone: {m}")))?;
            for (team, _) in perms.teams.iter() {
                *world.team_spaces.entry(team.to_owned()).or_default() += 1;
            }
        }
        if let Some(missing) = directory.spaces.iter().find(|s| !seen.contains(&s.id)) {
            return Err(RestoreError::new(format!(
                "space {} of the fixtures is missing",
                missing.id
            )));
        }
        Ok(world)
    }
}

fn entries(list: &Ordered<Role>) -> Vec<Entry> {
    list.by_seq
        .iter()
        .map(|(seq, e)| Entry {
            id: e.id.clone(),
            seq: *seq,
            role: e.value,
        })
        .collect()
}

/// A list from its saved entries: known ids (`place` gives where the directory keeps one),
/// each once, sequence numbers unique and given out.
fn ordered(
    entries: &[Entry],
    last_seq: u64,
    place: impl Fn(&str) -> Option<u32>,
) -> Result<Ordered<Role>, String> {
    let mut list = Ordered::default();
    for e in entries {
        let Some(at) = place(&e.id) else {
            return Err(format!("{} is not in the fixtures", e.id));
        };
        check_seq(e.seq, last_seq)?;
        if list.by_id.contains_key(&e.id) || list.by_seq.contains_key(&e.seq) {
            return Err(format!(
                "{} (or its sequence number {}) appears twice",
                e.id, e.seq
            ));
        }
        list.set(&e.id, Some(at), e.role, e.seq);
    }
    Ok(list)
}

fn check_seq(seq: u64, last: u64) -> Result<(), String> {
    if seq == 0 || seq > last {
        return Err(format!(
            "sequence number {seq} was never given out (the last was {last})"
        ));
    }
    Ok(())
}

/// Everyone who can access a space, each at their saved place, with the reach the space's
/// permissions (and the directory's teams) give them; the list must name exactly the users
/// those permissions reach.
fn everyone(
    perms: &SpacePermissions,
    reached: &[Reached],
    last_seq: u64,
    directory: &Directory,
) -> Result<Everyone, String> {
    let mut reach: HashMap<&str, ([u32; 6], Option<Role>)> = HashMap::new();
    for (user, role) in perms.users.iter() {
        reach.entry(user).or_default().1 = Some(role);
    }
    for (team, role) in perms.teams.iter() {
        let members = directory.team(team).map(|t| t.members.as_slice());
        for member in members.unwrap_or_default() {
            reach.entry(member).or_default().0[role.rank()] += 1;
        }
    }
    let mut out = Everyone::default();
    let mut by_seq = BTreeMap::new();
    for r in reached {
        check_seq(r.seq, last_seq)?;
        let Some(&(via_teams, direct)) = reach.get(r.user.as_str()) else {
            return Err(format!("{} has no permission in the space", r.user));
        };
        if out.by_user.contains_key(&r.user) || by_seq.insert(r.seq, ()).is_some() {
            return Err(format!(
                "{} (or its sequence number {}) appears twice",
                r.user, r.seq
            ));
        }
        let mut entry = Reach {
            seq: r.seq,
            direct,
            via_teams,
            effective: Role::Read,
        };
        let Some(effective) = entry.effective() else {
            return Err(format!("{} has no role in the space", r.user));
        };
        entry.effective = effective;
        let indexed = ListEntry {
            id: r.user.clone(),
            at: directory.user_at(&r.user),
            value: effective,
        };
        out.all.insert(r.seq, indexed.clone());
        out.by_role[effective.rank()].insert(r.seq, indexed);
        out.by_user.insert(r.user.clone(), entry);
    }
    if let Some(user) = reach.keys().find(|u| !out.by_user.contains_key(**u)) {
        return Err(format!("{user} can access the space but is not listed"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::behaviours::gitbook::fixtures;

    fn bundled() -> World {
        let text = crate::world::fixtures::BUNDLED
            .iter()
            .find(|(n, _)| *n == "gitbook")
            .map(|(_, t)| *t)
            .unwrap();
        fixtures::load(text, "gitbook.yaml").unwrap()
    }

    #[test]
    fn a_saved_world_restores_to_one_that_saves_the_same() {
        let mut w = bundled();
        w.set_team("sPaCeNotes03", "tEaMdOcS01", Some(Role::Edit));
        w.set_user("sPaCeNotes03", "Qm9iU21pdGg", Some(Role::Read));
        w.set_user("sPaCe4Docs01", "Q2Fyb2xMZWU", None);
        let saved = w.save();
        let back = World::restore(&bundled(), saved.clone()).unwrap();
        assert_eq!(back.save(), saved);
        assert_eq!(back.seq, w.seq);
        assert_eq!(back.team_space_count("tEaMdOcS01"), 2);
        let notes = back.space("sPaCeNotes03").unwrap();
        assert_eq!(notes.everyone.role_of("Q2Fyb2xMZWU"), Some(Role::Edit));
        assert_eq!(notes.everyone.role_of("Qm9iU21pdGg"), Some(Role::Read));
    }

    /// Every entry of every list of `w`, with what its place in the directory names.
    fn placed(w: &World) -> Vec<(String, Option<String>)> {
        let d = &w.directory;
        let mut out = Vec::new();
        for s in &d.spaces {
            let perms = w.space(&s.id).unwrap();
            for e in perms.users.index().values() {
                out.push((e.id.clone(), d.user_in(e.at).map(|u| u.id.clone())));
            }
            for e in perms.teams.index().values() {
                out.push((e.id.clone(), d.team_in(e.at).map(|t| t.id.clone())));
            }
            for role in std::iter::once(None).chain(Role::ALL.map(Some)) {
                for e in perms.everyone.index(role).values() {
                    out.push((e.id.clone(), d.user_in(e.at).map(|u| u.id.clone())));
                }
            }
        }
        out
    }

    #[test]
    fn each_list_entry_keeps_its_id_s_place_in_the_directory_written_and_restored() {
        let mut w = bundled();
        w.set_team("sPaCeNotes03", "tEaMdOcS01", Some(Role::Edit));
        w.set_team("sPaCeNotes03", "tEaMeNg02", Some(Role::Read));
        w.set_user("sPaCeNotes03", "SGVpZGlLYXJsc3Nvbg", Some(Role::Admin));
        w.set_user("sPaCeNotes03", "RGF2ZU5ndXllbg", Some(Role::Comment));
        w.set_team("sPaCeNotes03", "tEaMdOcS01", None);
        w.set_user("sPaCe4Docs01", "Q2Fyb2xMZWU", None);
        let written = placed(&w);
        // Teams and users of several places: a place off by one names another id.
        assert!(written.len() > 10, "{written:?}");
        for (id, named) in &written {
            assert_eq!(named.as_deref(), Some(id.as_str()));
        }
        let back = World::restore(&bundled(), w.save()).unwrap();
        assert_eq!(placed(&back), written);
    }

    #[test]
    fn an_aggregate_list_that_disagrees_with_the_permissions_is_refused() {
        let mut w = bundled();
        w.set_user("sPaCeNotes03", "Qm9iU21pdGg", Some(Role::Read));
        let saved = w.save();
        let place = saved["spaces"]
            .as_array()
            .unwrap()
            .iter()
            .position(|s| s["id"] == "sPaCeNotes03")
            .unwrap();
        let mut extra = saved.clone();
        extra["spaces"][place]["everyone"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"user": "RGF2ZU5ndXllbg", "seq": 1}));
        let err = World::restore(&bundled(), extra).unwrap_err();
        assert!(err.0.contains("RGF2ZU5ndXllbg has no permission"), "{err}");

        let mut missing = saved;
        missing["spaces"][place]["everyone"] = Value::Array(vec![]);
        let err = World::restore(&bundled(), missing).unwrap_err();
        assert!(
            err.0
                .contains("Qm9iU21pdGg can access the space but is not listed"),
            "{err}"
        );
    }
}
