//! What CRUD needs to know about a schema, read once at install: its types, its properties
//! (through `$ref` and `allOf`), which are required, read-only or write-only, and whether
//! undeclared members are allowed. `anyOf`/`oneOf` are not looked into: such schemas are
//! handled by validation and generation alone.

use serde_json::Value;

use crate::document::refs::{Located, Resources};

/// How deep `$ref`/`allOf` chains are followed.
const MAX_DEPTH: usize = 16;

/// A schema's facts, flattened over `$ref` and `allOf`.
#[derive(Debug, Clone, Default)]
pub struct Facts<'a> {
    pub types: Vec<String>,
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
    pub minimum: Option<f64>,
    pub default: Option<Value>,
    pub max_items: Option<u64>,
}

impl<'a> Facts<'a> {
    pub fn of(resources: &'a Resources, schema: Located<'a>) -> Facts<'a> {
        let mut facts = Facts::default();
        facts.absorb(resources, schema, 0);
        facts
    }

    /// The facts of property `name`, when it is declared.
    pub fn property(&self, resources: &'a Resources, name: &str) -> Option<Facts<'a>> {
        let (_, schemas) = self.properties.iter().find(|(n, _)| n == name)?;
        let mut facts = Facts::default();
        for s in schemas {
            facts.absorb(resources, *s, 0);
        }
        Some(facts)
    }

    /// The facts of the items, for an array.
    pub fn items(&self, resources: &'a Resources) -> Option<Facts<'a>> {
        if self.items.is_empty() {
            return None;
        }
        let mut facts = Facts::default();
        for s in &self.items {
            facts.absorb(resources, *s, 0);
        }
        Some(facts)
    }

    pub fn declares(&self, name: &str) -> bool {
        self.properties.iter().any(|(n, _)| n == name)
    }

    pub fn has_type(&self, t: &str) -> bool {
        self.types.iter().any(|x| x == t)
    }

    pub fn is_object(&self) -> bool {
        self.has_type("object") || (self.types.is_empty() && !self.properties.is_empty())
    }

    pub fn is_array(&self) -> bool {
        self.has_type("array") || (self.types.is_empty() && !self.items.is_empty())
    }

    fn absorb(&mut self, resources: &'a Resources, schema: Located<'a>, depth: usize) {
        let Value::Object(map) = schema.value else {
            return;
        };
        if depth > MAX_DEPTH {
            return;
        }
        if let Some(reference) = map.get("$ref").and_then(Value::as_str)
            && let Ok(target) = resources.resolve(schema.base, reference)
        {
            self.absorb(resources, target, depth + 1);
        }
        match map.get("type") {
            Some(Value::String(t)) => self.types.push(t.clone()),
            Some(Value::Array(ts)) => self
                .types
                .extend(ts.iter().filter_map(Value::as_str).map(str::to_owned)),
            _ => {}
        }
        if let Some(Value::Object(props)) = map.get("properties") {
            for (name, s) in props {
                let located = Located {
                    base: schema.base,
                    value: s,
                };
                match self.properties.iter_mut().find(|(n, _)| n == name) {
                    Some((_, schemas)) => schemas.push(located),
                    None => self.properties.push((name.clone(), vec![located])),
                }
            }
        }
        if let Some(Value::Array(required)) = map.get("required") {
            for r in required.iter().filter_map(Value::as_str) {
                if !self.required.iter().any(|x| x == r) {
                    self.required.push(r.to_owned());
                }
            }
        }
        for key in ["additionalProperties", "unevaluatedProperties"] {
            if map.get(key) == Some(&Value::Bool(false)) {
                self.closed = true;
            }
        }
        if let Some(items) = map.get("items").filter(|i| i.is_object()) {
            self.items.push(Located {
                base: schema.base,
                value: items,
            });
        }
        let flag = |k: &str| map.get(k) == Some(&Value::Bool(true));
        self.read_only |= flag("readOnly");
        self.write_only |= flag("writeOnly");
        if let Some(f) = map.get("format").and_then(Value::as_str) {
            self.format.get_or_insert_with(|| f.to_owned());
        }
        if let Some(m) = map.get("minimum").and_then(Value::as_f64) {
            self.minimum = Some(self.minimum.map_or(m, |x| x.max(m)));
        }
        if let Some(d) = map.get("default") {
            self.default.get_or_insert_with(|| d.clone());
        }
        if let Some(m) = map.get("maxItems").and_then(Value::as_u64) {
            self.max_items = Some(self.max_items.map_or(m, |x| x.min(m)));
        }
        if let Some(Value::Array(all)) = map.get("allOf") {
            for s in all {
                self.absorb(
                    resources,
                    Located {
                        base: schema.base,
                        value: s,
                    },
                    depth + 1,
                );
            }
        }
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
