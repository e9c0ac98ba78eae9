//! Judging exchanges against the document: the named checks (`checks`), whole requests per
//! operation (`fuzz`), recorded traffic (`recording`), and reports (`report`).

pub mod checks;
pub mod fuzz;
pub mod recording;
pub mod report;
