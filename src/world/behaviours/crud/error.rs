//! What CRUD refuses, for any document: each variant its status and the text the client
//! reads, in the document's own error format.
//!
//! The statuses are the ones the module doc of `crud` promises: 404 for an item (or a parent)
//! that is not there, 409 for a client id already taken, the operation's own declared status
//! for an item that would break its schema (422; `OpPlan::invalid`; else 400 for an id the
//! schema refuses) and for a cursor this server did not give (422; `OpPlan::bad_cursor`).
//! One is the mock's own failure, a 500: no unique id could be generated from the id's schema.

use crate::schema::violation::Violation;
use crate::world::behaviour::{DomainError, Reply};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrudError {
    /// No item with this id in the collection (an item path's, or a nested path's parent).
    #[error("There is no item {id} in {collection}.")]
    NoItem { id: String, collection: String },
    /// A client's id is already an item's of the collection.
    #[error("An item with id {id} already exists in {collection}.")]
    TakenId { id: String, collection: String },
    /// Every id generated from the id's schema was taken.
    #[error("No new unique id could be made for an item of {collection}.")]
    NoUniqueId { collection: String },
    /// A cursor parameter's value is not one this server gave out, and the operation declares
    /// `status` for that.
    #[error("`{name}={value}` is not a cursor this server gave out.")]
    NotACursor {
        status: u16,
        name: String,
        value: String,
    },
    /// The item the request would make breaks the item schema, and the operation declares
    /// `status` (422) for that, or its id breaks it (400 where no 422 is declared): with the
    /// violations.
    #[error(
        "The item would break its schema: {} violation{}.",
        .violations.len(),
        if .violations.len() == 1 { "" } else { "s" }
    )]
    Invalid {
        status: u16,
        violations: Vec<Violation>,
    },
}

impl DomainError for CrudError {
    fn status(&self) -> u16 {
        match self {
            CrudError::NoItem { .. } => 404,
            CrudError::TakenId { .. } => 409,
            CrudError::NoUniqueId { .. } => 500,
            CrudError::NotACursor { status, .. } => *status,
            CrudError::Invalid { status, .. } => *status,
        }
    }

    fn violations(self) -> Vec<Violation> {
        match self {
            CrudError::Invalid { violations, .. } => violations,
            _ => Vec::new(),
        }
    }
}

impl From<CrudError> for Reply {
    fn from(error: CrudError) -> Reply {
        Reply::domain(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::violation::Location;

    fn violation() -> Violation {
        Violation::new(Location::Body(Vec::new()), "required", "name is missing.")
    }

    #[test]
    fn each_refusal_has_its_status_and_its_words() {
        let s = |t: &str| t.to_owned();
        let cases = [
            (
                CrudError::NoItem {
                    id: s("7"),
                    collection: s("/v1/pets"),
                },
                404,
                "There is no item 7 in /v1/pets.",
            ),
            (
                CrudError::TakenId {
                    id: s("7"),
                    collection: s("/v1/pets"),
                },
                409,
                "An item with id 7 already exists in /v1/pets.",
            ),
            (
                CrudError::NoUniqueId {
                    collection: s("/v1/pets"),
                },
                500,
                "No new unique id could be made for an item of /v1/pets.",
            ),
            (
                CrudError::NotACursor {
                    status: 422,
                    name: s("after"),
                    value: s("abc"),
                },
                422,
                "`after=abc` is not a cursor this server gave out.",
            ),
            (
                CrudError::Invalid {
                    status: 422,
                    violations: vec![violation()],
                },
                422,
                "The item would break its schema: 1 violation.",
            ),
            (
                CrudError::Invalid {
                    status: 400,
                    violations: vec![violation(), violation()],
                },
                400,
                "The item would break its schema: 2 violations.",
            ),
        ];
        for (error, status, text) in cases {
            assert_eq!((error.status(), error.to_string()), (status, text.into()));
        }
    }

    #[test]
    fn an_invalid_item_is_answered_with_its_violations() {
        let error = CrudError::Invalid {
            status: 422,
            violations: vec![violation()],
        };
        let Reply::Err(facts) = Reply::from(error) else {
            panic!("not an error answer")
        };
        assert_eq!((facts.status, facts.violations), (422, vec![violation()]));
    }
}
