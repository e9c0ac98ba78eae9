//! Arize ids: opaque base64 strings that decode to `Type:number` (`U3BhY2U6MTIzNDU=` is
//! `Space:12345`). One newtype per type, so a user id cannot be handed where a space id is
//! expected, and parsing checks the type the id claims.

use std::hash::Hash;
use std::io::Write as _;

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
        let mut encoded = [0u8; ENCODED_MAX];
        let len = STANDARD
            .encode_slice(id.plain(&mut [0u8; PLAIN_MAX]), &mut encoded)
            .ok()?;
        (encoded.get(..len) == Some(text.as_bytes())).then_some(id)
    }

    fn encode(self) -> String {
        STANDARD.encode(self.plain(&mut [0u8; PLAIN_MAX]))
    }

    /// `KIND:number`, written into `buf` (ids are encoded on every answer: no allocation).
    fn plain(self, buf: &mut [u8; PLAIN_MAX]) -> &[u8] {
        let mut cursor = std::io::Cursor::new(&mut buf[..]);
        // Cannot fail: every kind and a u64 fit PLAIN_MAX (asserted at compile time, per kind).
        let _ = write!(cursor, "{}:{}", Self::KIND, self.number());
        let len = cursor.position() as usize;
        &buf[..len]
    }
}

/// The longest `KIND:number`: a kind of up to 32 bytes, a colon and 20 digits.
const PLAIN_MAX: usize = 53;
/// Its base64, padded.
const ENCODED_MAX: usize = PLAIN_MAX.div_ceil(3) * 4;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident => $kind:literal),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u64);

        const _: () = assert!($kind.len() + 1 + 20 <= PLAIN_MAX, "an id's plain form must fit");

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
    fn the_largest_ids_of_the_longest_kind_encode_whole() {
        let id = MembershipId::from_number(u64::MAX);
        let plain = format!("SpaceMembership:{}", u64::MAX);
        assert_eq!(id.encode(), STANDARD.encode(&plain));
        assert_eq!(MembershipId::parse(&id.encode()), Some(id));
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
