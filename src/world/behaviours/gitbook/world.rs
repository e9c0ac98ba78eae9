//! GitBook's world: who exists (the directory, fixed by the fixtures) and who has which role
//! in which space (the permissions, changed by every write).
//!
//! Implementation rationale: every list is a `BTreeMap` from an insertion sequence number to
//! an id, beside a `HashMap` from the id to its entry. A page token carries the sequence
//! number of the first item it wants, so a page is one `range(seq..)`: O(log n + limit)
//! whatever the size of the space, and a page never skips or repeats an item while the list
//! is unchanged (removals only drop items; additions only append). A role change keeps the
//! item's place. The aggregate list ("everyone who can access the space") is kept up to date
//! on every write rather than computed on read: each user who can access the space has a
//! `Reach` (their direct role and how many of their teams give each role), and an index per
//! effective role, so `role=` filtering pages in O(log n + limit) as well. A team write costs
//! O(members × log n).

use std::collections::BTreeMap;
use std::sync::Arc;

// A seeded hash much quicker than SipHash on short ids: lists look one up per item.
use foldhash::HashMap;

use super::fixtures::Directory;

mod saved;

/// `MemberRole`, highest first: a user reached several ways gets the lowest rank.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Create,
    Edit,
    Review,
    Comment,
    Read,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Create,
        Role::Edit,
        Role::Review,
        Role::Comment,
        Role::Read,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Create => "create",
            Role::Edit => "edit",
            Role::Review => "review",
            Role::Comment => "comment",
            Role::Read => "read",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    fn rank(self) -> usize {
        self as usize
    }
}

/// A list's entries by sequence number: a page reads each id's value and the id's place in
/// the directory without looking the id up (in a space of 100,000 members each lookup missed
/// the cache, item after item).
pub type Index<V> = BTreeMap<u64, Entry<V>>;

/// One entry of a list's index.
#[derive(Debug, Clone)]
pub struct Entry<V> {
    pub id: String,
    /// Where the directory keeps the id (`Directory::user_at`, `Directory::team_at`); `None`
    /// for an id the directory does not have.
    pub at: Option<u32>,
    pub value: V,
}

/// Ids in insertion order, each with a value: one of a space's lists.
#[derive(Debug, Clone)]
pub struct Ordered<V> {
    by_id: HashMap<String, (u64, V)>,
    by_seq: Index<V>,
}

impl<V> Default for Ordered<V> {
    fn default() -> Self {
        Ordered {
            by_id: HashMap::default(),
            by_seq: BTreeMap::new(),
        }
    }
}

impl<V: Copy> Ordered<V> {
    pub fn get(&self, id: &str) -> Option<V> {
        self.by_id.get(id).map(|(_, v)| *v)
    }

    pub fn index(&self) -> &Index<V> {
        &self.by_seq
    }

    /// Sets `id`'s value, keeping its place if it has one, else appending it with `seq` (and
    /// `at`, its place in the directory); the previous value.
    fn set(&mut self, id: &str, at: Option<u32>, value: V, seq: u64) -> Option<V> {
        if let Some((place, v)) = self.by_id.get_mut(id) {
            if let Some(indexed) = self.by_seq.get_mut(place) {
                indexed.value = value;
            }
            return Some(std::mem::replace(v, value));
        }
        self.by_id.insert(id.to_owned(), (seq, value));
        let id = id.to_owned();
        self.by_seq.insert(seq, Entry { id, at, value });
        None
    }

    fn remove(&mut self, id: &str) -> Option<V> {
        let (seq, v) = self.by_id.remove(id)?;
        self.by_seq.remove(&seq);
        Some(v)
    }

    /// Every entry, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, V)> + '_ {
        self.by_seq.values().map(|e| (e.id.as_str(), e.value))
    }
}

/// How one user reaches a space: their own permission, and the teams that give them one.
#[derive(Debug, Clone)]
struct Reach {
    seq: u64,
    direct: Option<Role>,
    /// How many of the user's teams with a permission in the space give each role, by rank.
    via_teams: [u32; 6],
    effective: Role,
}

impl Reach {
    fn effective(&self) -> Option<Role> {
        let via = Role::ALL.into_iter().find(|r| self.via_teams[r.rank()] > 0);
        match (self.direct, via) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Everyone who can access a space, with their effective role, in the order they gained
/// access; and the same list per effective role.
#[derive(Debug, Clone, Default)]
pub struct Everyone {
    by_user: HashMap<String, Reach>,
    all: Index<Role>,
    by_role: [Index<Role>; 6],
}

/// A change to one user's reach.
enum Change {
    Direct(Option<Role>),
    /// A team of theirs stopped giving one role (if any) and started giving another (if any).
    Team {
        from: Option<Role>,
        to: Option<Role>,
    },
}

impl Everyone {
    /// The list of everyone, or of those whose effective role is `role`.
    pub fn index(&self, role: Option<Role>) -> &Index<Role> {
        match role {
            Some(r) => &self.by_role[r.rank()],
            None => &self.all,
        }
    }

    pub fn role_of(&self, user: &str) -> Option<Role> {
        self.by_user.get(user).map(|r| r.effective)
    }

    /// Applies `change` to `user` (`at` in the directory).
    fn apply(&mut self, user: &str, at: Option<u32>, change: Change, seq: &mut u64) {
        let mut reach = match self.by_user.remove(user) {
            Some(r) => r,
            None => {
                *seq += 1;
                Reach {
                    seq: *seq,
                    direct: None,
                    via_teams: [0; 6],
                    effective: Role::Read,
                }
            }
        };
        let before = self.all.contains_key(&reach.seq).then_some(reach.effective);
        match change {
            Change::Direct(role) => reach.direct = role,
            Change::Team { from, to } => {
                if let Some(r) = from {
                    let n = &mut reach.via_teams[r.rank()];
                    *n = n.saturating_sub(1);
                }
                if let Some(r) = to {
                    reach.via_teams[r.rank()] += 1;
                }
            }
        }
        let after = reach.effective();
        if before != after {
            if let Some(b) = before {
                self.by_role[b.rank()].remove(&reach.seq);
            }
            match after {
                Some(a) => {
                    let entry = Entry {
                        id: user.to_owned(),
                        at,
                        value: a,
                    };
                    self.by_role[a.rank()].insert(reach.seq, entry.clone());
                    self.all.insert(reach.seq, entry);
                }
                None => {
                    self.all.remove(&reach.seq);
                }
            }
        }
        if let Some(a) = after {
            reach.effective = a;
            self.by_user.insert(user.to_owned(), reach);
        }
    }
}

/// The permissions of one space.
#[derive(Debug, Clone, Default)]
pub struct SpacePermissions {
    pub users: Ordered<Role>,
    pub teams: Ordered<Role>,
    pub everyone: Everyone,
}

/// GitBook's world: the directory, and every space's permissions.
#[derive(Debug, Clone)]
pub struct World {
    pub directory: Arc<Directory>,
    spaces: HashMap<String, SpacePermissions>,
    /// How many spaces each team has a permission in (`OrganizationTeam.spaces`).
    team_spaces: HashMap<String, u32>,
    /// The last sequence number given out: every list orders by it.
    seq: u64,
}

impl World {
    /// A world where nobody has a permission anywhere yet.
    pub fn new(directory: Arc<Directory>) -> World {
        let spaces = directory
            .spaces
            .iter()
            .map(|s| (s.id.clone(), SpacePermissions::default()))
            .collect();
        World {
            directory,
            spaces,
            team_spaces: HashMap::default(),
            seq: 0,
        }
    }

    pub fn space(&self, id: &str) -> Option<&SpacePermissions> {
        self.spaces.get(id)
    }

    pub fn team_space_count(&self, team: &str) -> u32 {
        self.team_spaces.get(team).copied().unwrap_or(0)
    }

    /// Gives `user` the role `role` in `space` (`None` removes their permission); the role
    /// they had. An unknown space changes nothing.
    pub fn set_user(&mut self, space: &str, user: &str, role: Option<Role>) -> Option<Role> {
        let perms = self.spaces.get_mut(space)?;
        let at = self.directory.user_at(user);
        let previous = match role {
            Some(r) => {
                self.seq += 1;
                perms.users.set(user, at, r, self.seq)
            }
            None => perms.users.remove(user),
        };
        if previous != role {
            perms
                .everyone
                .apply(user, at, Change::Direct(role), &mut self.seq);
        }
        previous
    }

    /// Gives `team` the role `role` in `space` (`None` removes its permission); the role it
    /// had. Every member's reach follows.
    pub fn set_team(&mut self, space: &str, team: &str, role: Option<Role>) -> Option<Role> {
        let directory = Arc::clone(&self.directory);
        let perms = self.spaces.get_mut(space)?;
        let previous = match role {
            Some(r) => {
                self.seq += 1;
                perms.teams.set(team, directory.team_at(team), r, self.seq)
            }
            None => perms.teams.remove(team),
        };
        if previous == role {
            return previous;
        }
        match (previous, role) {
            (None, Some(_)) => *self.team_spaces.entry(team.to_owned()).or_default() += 1,
            (Some(_), None) => {
                if let Some(n) = self.team_spaces.get_mut(team) {
                    *n = n.saturating_sub(1);
                }
            }
            _ => {}
        }
        if let Some(t) = directory.team(team) {
            for member in &t.members {
                perms.everyone.apply(
                    member,
                    directory.user_at(member),
                    Change::Team {
                        from: previous,
                        to: role,
                    },
                    &mut self.seq,
                );
            }
        }
        previous
    }
}

/// One page of `index` from sequence number `from`: the entries, and where the next page
/// starts (`None` on the last page). `limit` 0 is a page of no items and no next page: a
/// next page of `limit` 0 would start where this one did, and a client following `next`
/// would never get past it.
pub fn page<T>(index: &BTreeMap<u64, T>, from: u64, limit: usize) -> (Vec<&T>, Option<u64>) {
    if limit == 0 {
        return (Vec::new(), None);
    }
    let mut range = index.range(from..);
    let items = range.by_ref().take(limit).map(|(_, entry)| entry).collect();
    let next = range.next().map(|(seq, _)| *seq);
    (items, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ids of a list, after checking that each list holds every user's current role.
    fn everyone(e: &Everyone, role: Option<Role>) -> Vec<&str> {
        for Entry { id, value, .. } in e.index(None).values() {
            assert_eq!(e.role_of(id), Some(*value), "{id} in the list of everyone");
        }
        for r in Role::ALL {
            for Entry { id, value, .. } in e.index(Some(r)).values() {
                assert_eq!(
                    (e.role_of(id), *value),
                    (Some(r), r),
                    "{id} in the list of {r:?}"
                );
            }
        }
        e.index(role).values().map(|e| e.id.as_str()).collect()
    }

    #[test]
    fn a_list_s_index_holds_each_id_s_current_value_in_its_place() {
        let mut list: Ordered<Role> = Ordered::default();
        assert_eq!(list.set("a", Some(7), Role::Read, 1), None);
        assert_eq!(list.set("b", None, Role::Edit, 2), None);
        assert_eq!(list.set("a", Some(7), Role::Admin, 3), Some(Role::Read));
        let indexed: Vec<(u64, &str, Option<u32>, Role)> = list
            .index()
            .iter()
            .map(|(seq, e)| (*seq, e.id.as_str(), e.at, e.value))
            .collect();
        assert_eq!(
            indexed,
            [(1, "a", Some(7), Role::Admin), (2, "b", None, Role::Edit)]
        );
        assert_eq!(list.remove("a"), Some(Role::Admin));
        assert_eq!(list.iter().collect::<Vec<_>>(), [("b", Role::Edit)]);
    }

    #[test]
    fn the_highest_of_a_direct_and_a_team_role_wins_and_falls_back_when_one_goes() {
        let mut e = Everyone::default();
        let mut seq = 0;
        e.apply("u", None, Change::Direct(Some(Role::Read)), &mut seq);
        e.apply(
            "u",
            None,
            Change::Team {
                from: None,
                to: Some(Role::Edit),
            },
            &mut seq,
        );
        assert_eq!(e.role_of("u"), Some(Role::Edit));
        assert_eq!(everyone(&e, Some(Role::Edit)), ["u"]);
        assert!(everyone(&e, Some(Role::Read)).is_empty());
        e.apply(
            "u",
            None,
            Change::Team {
                from: Some(Role::Edit),
                to: None,
            },
            &mut seq,
        );
        assert_eq!(e.role_of("u"), Some(Role::Read));
        e.apply("u", None, Change::Direct(None), &mut seq);
        assert_eq!(e.role_of("u"), None);
        assert!(everyone(&e, None).is_empty());
    }

    #[test]
    fn a_role_change_keeps_the_place_and_a_new_member_goes_last() {
        let mut e = Everyone::default();
        let mut seq = 0;
        for u in ["a", "b", "c"] {
            e.apply(u, None, Change::Direct(Some(Role::Read)), &mut seq);
        }
        e.apply("a", None, Change::Direct(Some(Role::Admin)), &mut seq);
        assert_eq!(everyone(&e, None), ["a", "b", "c"]);
        e.apply("a", None, Change::Direct(None), &mut seq);
        e.apply("a", None, Change::Direct(Some(Role::Read)), &mut seq);
        assert_eq!(everyone(&e, None), ["b", "c", "a"]);
    }

    #[test]
    fn pages_continue_after_the_last_item_given_even_when_it_is_gone() {
        let index: BTreeMap<u64, &str> = [(1, "a"), (3, "b"), (7, "c")].into_iter().collect();
        assert_eq!(page(&index, 0, 2), (vec![&"a", &"b"], Some(7)));
        assert_eq!(page(&index, 7, 2), (vec![&"c"], None));
        assert_eq!(page(&index, 4, 5), (vec![&"c"], None));
    }

    #[test]
    fn a_page_of_no_items_has_no_next_page_so_following_next_ends() {
        let index: BTreeMap<u64, &str> = [(1, "a"), (3, "b")].into_iter().collect();
        assert_eq!(page(&index, 0, 0), (vec![], None));
        assert_eq!(page(&index, 3, 0), (vec![], None));
    }
}
