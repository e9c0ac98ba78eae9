//! What the Alumio behaviour refuses: an unknown space (404) and broken domain rules (422,
//! with every violation), each in Alumio's `Error` format. The document declares only
//! `default` besides its successes; 422 is API Platform's status for validation failures, as
//! the document's own examples show (`status: '422'`).

use crate::schema::violation::Violation;
use crate::world::behaviour::{DomainError, Reply};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlumioError {
    /// The path's `space`, or the `?space=` filter, names no space.
    #[error("Space \"{space}\" not found.")]
    NoSpace { space: String },
    /// Entries of the body break domain rules: one violation each, all reported together.
    /// The text lists them as API Platform does (`path: message`, one a line).
    #[error("{}", lines(.violations))]
    Unprocessable { violations: Vec<Violation> },
}

fn lines(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

impl DomainError for AlumioError {
    fn status(&self) -> u16 {
        match self {
            AlumioError::NoSpace { .. } => 404,
            AlumioError::Unprocessable { .. } => 422,
        }
    }

    fn violations(self) -> Vec<Violation> {
        match self {
            AlumioError::Unprocessable { violations } => violations,
            AlumioError::NoSpace { .. } => Vec::new(),
        }
    }
}

impl From<AlumioError> for Reply {
    fn from(error: AlumioError) -> Reply {
        Reply::domain(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::violation::{Location, Segment};
    use crate::world::behaviours::declared::{bundled_api, undeclared};

    fn at(i: usize, member: &str, message: &str) -> Violation {
        let steps = vec![
            Segment::Key("spaceWorkers".into()),
            Segment::Index(i),
            Segment::Key(member.into()),
        ];
        Violation::new(Location::Body(steps), "workers", message.to_owned())
    }

    #[test]
    fn an_unknown_space_is_a_404_that_names_it() {
        let e = AlumioError::NoSpace {
            space: "nope".into(),
        };
        assert_eq!(
            (e.status(), e.to_string()),
            (404, "Space \"nope\" not found.".into())
        );
    }

    #[test]
    fn a_422_lists_its_violations_one_a_line_and_keeps_them() {
        let violations = vec![
            at(0, "workers", "A space can have at most 3 workers."),
            at(2, "spaceIdentifier", "This field is missing."),
        ];
        let e = AlumioError::Unprocessable {
            violations: violations.clone(),
        };
        assert_eq!(e.status(), 422);
        assert_eq!(
            e.to_string(),
            "spaceWorkers[0].workers: A space can have at most 3 workers.\n\
             spaceWorkers[2].spaceIdentifier: This field is missing."
        );
        let Reply::Err(facts) = Reply::from(e) else {
            panic!("not an error answer")
        };
        assert_eq!((facts.status, &*facts.title), (422, "Unprocessable Entity"));
        assert_eq!(facts.violations, violations);
    }

    #[test]
    fn every_refusal_is_a_status_its_operations_declare() {
        let api = bundled_api("alumio");
        let both: &'static [&'static str] = &[super::super::ASSIGN, super::super::ALLOCATE];
        let cases = [
            (AlumioError::NoSpace { space: "x".into() }, both),
            (AlumioError::Unprocessable { violations: vec![] }, both),
        ];
        assert_eq!(undeclared(&api, cases), []);
    }
}
