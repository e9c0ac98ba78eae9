//! What CRUD needs to know about a schema, read once at install: its types, its properties
//! (through `$ref` and `allOf`), which are required, read-only or write-only, and whether
//! undeclared members are allowed. `anyOf`/`oneOf` are not looked into: such schemas are
//! handled by validation and generation alone. The schema is read by `schema::facts`, over the
//! one merge every other reader uses; this module only keeps what CRUD asks.

use serde_json::Value;

use crate::document::refs::{Located, Resources};
use crate::schema::facts::{Conjunction, TypeSet};

/// A schema's facts, flattened over `$ref` and `allOf`.
#[derive(Debug, Clone, Default)]
pub struct Facts<'a> {
    /// The types every `type` allows (`allOf` intersects); `None` when no `type` is given.
    pub types: Option<TypeSet>,
    /// Declared properties in declaration order; a name declared twice keeps its first place
    /// and every schema given for it.
    pub properties: Vec<(String, Vec<Located<'a>>)>,
    pub required: Vec<String>,
    /// `additionalProperties: false` (or `unevaluatedProperties: false`).
    pub closed: bool,
    /// Every schema given for the items.
    pub items: Vec<Located<'a>>,
    pub read_only: bool,
    pub write_only: bool,
    pub format: Option<String>,
    /// The least value allowed, for the integers CRUD counts from: a `minimum`, or the next
    /// integer past an `exclusiveMinimum`.
    pub minimum: Option<f64>,
    pub default: Option<Value>,
    pub max_items: Option<u64>,
}

impl<'a> Facts<'a> {
    pub fn of(resources: &'a Resources, schema: Located<'a>) -> Facts<'a> {
        Facts::of_all(resources, &[schema])
    }

    /// The facts of a value that must satisfy every one of `schemas`.
    fn of_all(resources: &'a Resources, schemas: &[Located<'a>]) -> Facts<'a> {
        let conj = Conjunction::of(resources, schemas);
        let m = &conj.merged;
        Facts {
            types: conj.declared_types(),
            properties: conj
                .properties()
                .into_iter()
                .map(|(name, schemas)| (name.to_owned(), schemas))
                .collect(),
            required: m.required.iter().map(|r| (*r).to_owned()).collect(),
            closed: m.closed || conj.additional_closed(),
            items: conj
                .items()
                .into_iter()
                .filter(|i| i.value.is_object())
                .collect(),
            read_only: m.read_only,
            write_only: m.write_only,
            format: m.format.map(str::to_owned),
            minimum: m.lo.map(|lo| {
                if lo.exclusive {
                    lo.value.floor() + 1.0
                } else {
                    lo.value
                }
            }),
            default: m.default.cloned(),
            max_items: m.max_items.map(|n| n as u64),
        }
    }

    /// The facts of property `name`, when it is declared.
    pub fn property(&self, resources: &'a Resources, name: &str) -> Option<Facts<'a>> {
        let (_, schemas) = self.properties.iter().find(|(n, _)| n == name)?;
        Some(Facts::of_all(resources, schemas))
    }

    /// The facts of the items, for an array.
    pub fn items(&self, resources: &'a Resources) -> Option<Facts<'a>> {
        if self.items.is_empty() {
            return None;
        }
        Some(Facts::of_all(resources, &self.items))
    }

    pub fn declares(&self, name: &str) -> bool {
        self.properties.iter().any(|(n, _)| n == name)
    }

    /// Whether `type` names `t`: every value of that type is allowed, and for `integer`,
    /// `type` says integer rather than number.
    pub fn has_type(&self, t: &str) -> bool {
        let (Some(types), Some(wanted)) = (self.types, TypeSet::from_name(t)) else {
            return false;
        };
        if wanted == TypeSet::INTEGER {
            types.contains(wanted) && !types.intersects(TypeSet::NUMBER)
        } else {
            types.contains(wanted)
        }
    }

    pub fn is_object(&self) -> bool {
        self.has_type("object") || (self.types.is_none() && !self.properties.is_empty())
    }

    pub fn is_array(&self) -> bool {
        self.has_type("array") || (self.types.is_none() && !self.items.is_empty())
    }
}

/// The schema a `$ref`-only schema stands for (the schema itself otherwise): two uses of one
/// component resolve to the same value.
pub fn target<'a>(resources: &'a Resources, schema: Located<'a>) -> &'a Value {
    resources
        .deref(schema.base, schema.value)
        .map_or(schema.value, |l| l.value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn facts_follow_refs_and_all_of() {
        let r = Resources::new(
            "file:///d.yaml",
            json!({"components": {"schemas": {
                "Base": {"type": "object", "required": ["id"], "properties": {
                    "id": {"type": "integer", "readOnly": true, "minimum": 1}}},
                "Pet": {"allOf": [{"$ref": "#/components/schemas/Base"}, {
                    "required": ["name"], "additionalProperties": false,
                    "properties": {"name": {"type": "string"}, "secret": {"writeOnly": true}}}]}
            }}}),
        );
        let schema = json!({"$ref": "#/components/schemas/Pet"});
        let facts = Facts::of(
            &r,
            Located {
                base: "file:///d.yaml",
                value: &schema,
            },
        );
        assert!(facts.is_object() && facts.closed);
        assert_eq!(facts.required, vec!["id", "name"]);
        let id = facts.property(&r, "id").unwrap();
        assert!(id.read_only && id.has_type("integer"));
        assert_eq!(id.minimum, Some(1.0));
        assert!(facts.property(&r, "secret").unwrap().write_only);
        assert!(facts.property(&r, "nope").is_none());
    }
}
