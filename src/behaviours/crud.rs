//! CRUD inferred from the paths of any document without a bundled behaviour (to be written).

use std::sync::Arc;

use crate::api::Api;
use crate::behaviour::Installed;

/// The CRUD behaviour for `api`, or `None` when no path fits a collection/item pattern.
pub fn install(_api: &Api) -> Option<Arc<dyn Installed>> {
    None
}
