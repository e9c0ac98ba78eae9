//! Arize ids: opaque base64 strings that decode to `Type:number` (`U3BhY2U6MTIzNDU=` is
//! `Space:12345`). One newtype per type, so a user id cannot be handed where a space id is
//! expected, and parsing checks the type the id claims.

use std::hash::Hash;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// An id of one Arize type.
pub trait Id: Copy + Eq + Hash + Ord + std::fmt::Debug {
    /// The type name inside the encoded id (`Space` in `Space:12345`).
    const KIND: &'static str;

    fn from_number(n: u64) -> Self;
    fn number(self) -> u64;

    /// The id `text` names, when it is base64 of `KIND:number` in the canonical form the
    /// service hands out (padded, no leading zeros), so that one id has one spelling.
    fn parse(text: &str) -> Option<Self> {
        let bytes = STANDARD.decode(text).ok()?;
        let decoded = std::str::from_utf8(&bytes).ok()?;
        let (kind, digits) = decoded.split_once(':')?;
        if kind != Self::KIND || digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u64 = digits.parse().ok()?;
        let id = Self::from_number(n);
        (id.encode() == text).then_some(id)
    }

    fn encode(self) -> String {
        STANDARD.encode(format!("{}:{}", Self::KIND, self.number()))
    }
}

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident => $kind:literal),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u64);

        impl Id for $name {
            const KIND: &'static str = $kind;

            fn from_number(n: u64) -> Self {
                Self(n)
            }

            fn number(self) -> u64 {
                self.0
            }
        }
    )*};
}

ids! {
    /// `Organization:n`.
    OrganizationId => "Organization",
    /// `Space:n`.
    SpaceId => "Space",
    /// `User:n`.
    UserId => "User",
    /// A custom role, `Role:n`.
    RoleId => "Role",
    /// A membership record, `SpaceMembership:n`.
    MembershipId => "SpaceMembership",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vendors_examples_decode_to_their_types() {
        assert_eq!(SpaceId::parse("U3BhY2U6MTIzNDU="), Some(SpaceId(12345)));
        assert_eq!(UserId::parse("VXNlcjoxMjM0NQ=="), Some(UserId(12345)));
        assert_eq!(SpaceId(12345).encode(), "U3BhY2U6MTIzNDU=");
    }

    #[test]
    fn an_id_of_another_type_is_refused() {
        assert_eq!(UserId::parse("U3BhY2U6MTIzNDU="), None);
        assert_eq!(RoleId::parse("U3BhY2U6MTIzNDU="), None);
    }

    #[test]
    fn text_that_is_not_a_canonical_id_is_refused() {
        for text in [
            "",
            "not base64!",
            "U3BhY2U6MTIzNDU",  // unpadded
            "U3BhY2U6",         // `Space:` without a number
            "U3BhY2U6LTE=",     // `Space:-1`
            "U3BhY2U6MDEyMzQ1", // `Space:012345`
        ] {
            assert_eq!(SpaceId::parse(text), None, "{text}");
        }
    }

    #[test]
    fn encoding_then_parsing_gives_the_id_back() {
        for n in [0, 1, 7, 42, 12345, u64::MAX] {
            assert_eq!(
                MembershipId::parse(&MembershipId(n).encode()),
                Some(MembershipId(n))
            );
        }
    }
}
