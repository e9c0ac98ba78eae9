//! Alumio: the vendor's behaviour over its fixtures (to be written).

use std::sync::Arc;

use serde_json::Value;

use crate::api::Api;
use crate::behaviour::{Access, Behaviour, Call, Installed, Reply, WithFixtures};
use crate::fixtures::FixtureError;

/// The behaviour of the bundled Alumio document.
pub struct AlumioBehaviour;

impl Behaviour for AlumioBehaviour {
    type World = ();

    fn access(&self, _op_id: &str) -> Option<Access> {
        None
    }

    fn read(&self, _world: &(), _call: &Call<'_>) -> Option<Reply> {
        None
    }

    fn write(&self, _world: &mut (), _call: &Call<'_>) -> Option<Reply> {
        None
    }

    fn authenticate(&self, _world: &(), token: &str) -> Option<String> {
        Some(token.to_owned())
    }

    fn snapshot(&self, _world: &()) -> Value {
        Value::Null
    }
}

/// The behaviour with the world `text` (the fixture file `file`) describes.
pub fn install(_api: &Api, _text: &str, _file: &str) -> Result<Arc<dyn Installed>, FixtureError> {
    Ok(Arc::new(WithFixtures {
        behaviour: AlumioBehaviour,
        initial: (),
    }))
}
