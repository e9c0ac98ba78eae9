//! The behaviours of the bundled APIs, one module each, and CRUD inferred from the paths of
//! any other document.

pub mod alumio;
pub mod arize;
pub mod crud;
pub mod gitbook;

/// What the behaviours' error tests share: the bundled documents, and the statuses their
/// operations declare.
#[cfg(test)]
pub(crate) mod declared {
    use crate::document::load::{BUNDLED, Source};
    use crate::operation::api::Api;
    use crate::world::behaviour::DomainError;

    /// The bundled document `name`, compiled.
    pub fn bundled_api(name: &str) -> Api {
        let (name, text) = BUNDLED
            .iter()
            .find(|(n, _)| *n == name)
            .copied()
            .unwrap_or_else(|| panic!("no bundled document {name}"));
        Api::load(&Source::Bundled { name, text })
            .unwrap_or_else(|e| panic!("the bundled {name} loads: {e:?}"))
    }

    /// Each error's status with each operation (of those said to answer it) that declares
    /// no response for it, in order, each pair once; `default` declares every status. An
    /// operation `api` does not have is a mistake of the test, and panics.
    pub fn undeclared<E: DomainError>(
        api: &Api,
        cases: impl IntoIterator<Item = (E, &'static [&'static str])>,
    ) -> Vec<(u16, &'static str)> {
        let mut out = Vec::new();
        for (error, ops) in cases {
            let status = error.status();
            for &id in ops {
                let op = api
                    .operations
                    .iter()
                    .find(|o| &*o.id == id)
                    .unwrap_or_else(|| panic!("{} has no operation {id}", api.name));
                let declared = op.responses.iter().any(|r| r.status.covers(status));
                if !declared && !out.contains(&(status, id)) {
                    out.push((status, id));
                }
            }
        }
        out
    }
}
