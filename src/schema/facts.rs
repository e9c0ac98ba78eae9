//! Type facts about a schema, read through the one flattener (`merge`): the JSON types it
//! allows ([`TypeSet`]), those of its items, of each declared member and of undeclared ones
//! ([`ObjectShape`]), and the merged `$ref`/`allOf` conjunction behind them ([`Conjunction`]).
//! Parameter plans and CRUD inference ask here rather than walking schemas themselves.
//!
//! Implementation rationale: `merge` flattens `$ref` and `allOf` into one conjunction and
//! leaves `anyOf`/`oneOf` open as choices. The type questions unite what the branches of each
//! choice say and intersect that with the rest, one choice at a time. Depth follows merge's
//! rule, cycles rather than a count: a conjunction that includes itself without nesting (or
//! whose `$ref` does not resolve, which the loader reports) constrains nothing here, and a
//! choice reached again while its own branches are being read, for the same value, constrains
//! nothing either, so recursive schemas end. OpenAPI 3.0's `nullable` is not read: `document::normalize` has
//! rewritten it into `type: [T, "null"]` before any schema reaches this module.

use std::fmt;
use std::ops::{BitAnd, BitOr};

use serde_json::Value;

use crate::document::refs::{Located, Resources};
use crate::schema::merge::{self, Choice, Merged, Merger, Reach};

/// The JSON types a schema allows, as `merge`'s type bits: `$ref`s are followed, `allOf`
/// intersects, `anyOf`/`oneOf` unite, `type` may be a list, `const` and `enum` narrow to the
/// types of their values, and a schema with no such keywords allows everything.
///
/// `type: number` sets both `NUMBER` and `INTEGER` (every integer is a number), while `NUMBER`
/// alone means only fractional numbers (an `enum` of `1.5`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TypeSet(u8);

impl TypeSet {
    pub const EMPTY: Self = Self(0);
    pub const NULL: Self = Self(merge::NULL);
    pub const BOOLEAN: Self = Self(merge::BOOL);
    pub const INTEGER: Self = Self(merge::INT);
    pub const NUMBER: Self = Self(merge::NUM);
    pub const STRING: Self = Self(merge::STR);
    pub const ARRAY: Self = Self(merge::ARR);
    pub const OBJECT: Self = Self(merge::OBJ);
    pub const SCALARS: Self =
        Self(merge::NULL | merge::BOOL | merge::INT | merge::NUM | merge::STR);
    pub const ANY: Self = Self(merge::ANY);

    const NAMES: [(Self, &'static str); 7] = [
        (Self::NULL, "null"),
        (Self::BOOLEAN, "boolean"),
        (Self::INTEGER, "integer"),
        (Self::NUMBER, "number"),
        (Self::STRING, "string"),
        (Self::ARRAY, "array"),
        (Self::OBJECT, "object"),
    ];

    /// True when every type in `other` is allowed.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// True when at least one type in `other` is allowed.
    pub fn intersects(self, other: Self) -> bool {
        self.0 & other.0 != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The set for one JSON Schema type name; `number` includes `integer`.
    pub fn from_name(name: &str) -> Option<Self> {
        match merge::type_bits(name) {
            0 => None,
            bits => Some(Self(bits)),
        }
    }

    /// The types whose reading of text can give this value: `1` is an integer, `1.0` an
    /// integer or a number (the text `1.0` reads as a number), `1.5` only a number. Unlike
    /// `merge::value_bits` (is the value an instance of the type?), an integer here is not a
    /// fractional number, so an `enum` of integers does not let `1.5` through as a number.
    pub fn of_value(value: &Value) -> Self {
        match value {
            Value::Null => Self::NULL,
            Value::Bool(_) => Self::BOOLEAN,
            Value::Number(n) if n.is_i64() || n.is_u64() => Self::INTEGER,
            Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => {
                Self::INTEGER | Self::NUMBER
            }
            Value::Number(_) => Self::NUMBER,
            Value::String(_) => Self::STRING,
            Value::Array(_) => Self::ARRAY,
            Value::Object(_) => Self::OBJECT,
        }
    }

    /// The types `schema` (found in the file at `base`) allows.
    pub fn of_schema(resources: &Resources, base: &str, schema: &Value) -> Self {
        Types::new(resources).of(Located {
            base,
            value: schema,
        })
    }
}

impl BitOr for TypeSet {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl BitAnd for TypeSet {
    type Output = Self;
    fn bitand(self, rhs: Self) -> Self {
        Self(self.0 & rhs.0)
    }
}

impl fmt::Debug for TypeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Self::ANY {
            return f.write_str("TypeSet(any)");
        }
        let names: Vec<&str> = Self::NAMES
            .iter()
            .filter(|(t, _)| self.contains(*t))
            .map(|(_, n)| *n)
            .collect();
        write!(f, "TypeSet({})", names.join("|"))
    }
}

/// One declared property of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    pub name: String,
    pub types: TypeSet,
    /// The types of its items, for a property that may be an array.
    pub items: TypeSet,
}

/// What an object schema says about its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectShape {
    pub properties: Vec<Property>,
    /// Types of undeclared members when `additionalProperties` is given as `true` or a
    /// schema; `None` when it is absent or `false`. Only `Some` lets an exploded form object
    /// take query keys that are not declared properties.
    pub additional: Option<TypeSet>,
}

impl ObjectShape {
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name)
    }

    /// The types (and item types) of a member called `name`: its property's, or those of
    /// undeclared members.
    pub(crate) fn member_types(&self, name: &str) -> (TypeSet, TypeSet) {
        match self.property(name) {
            Some(p) => (p.types, p.items),
            None => (self.additional.unwrap_or(TypeSet::ANY), TypeSet::ANY),
        }
    }
}

/// The schemas one value must satisfy at once (through `$ref` and `allOf`), merged.
#[derive(Debug, Default)]
pub(crate) struct Conjunction<'a> {
    pub(crate) merged: Merged<'a>,
}

impl<'a> Conjunction<'a> {
    /// Merges `schemas` as one conjunction. A cycle without nesting, or a `$ref` that does not
    /// resolve (the loader's to report), leaves a conjunction that constrains nothing.
    pub(crate) fn of(resources: &'a Resources, schemas: &[Located<'a>]) -> Self {
        let merger = Merger {
            resources,
            reach: Reach {
                dynamic_ref: false,
                if_then: false,
            },
        };
        Self {
            merged: merger.merge(schemas, &[]).unwrap_or_default(),
        }
    }

    /// The types the conjunction allows, `anyOf`/`oneOf` aside: the `type`s intersected, then
    /// narrowed by every `const` and `enum`; nothing for the schema `false`.
    pub(crate) fn types(&self) -> TypeSet {
        let m = &self.merged;
        if m.false_schema {
            return TypeSet::EMPTY;
        }
        let mut types = TypeSet(m.declared_types());
        for value in &m.consts {
            types = types & TypeSet::of_value(value);
        }
        for values in &m.enums {
            types = types & union(values.iter().map(TypeSet::of_value));
        }
        types
    }

    /// The types the `type` keywords allow, intersected; `None` when no well-formed `type`
    /// is given.
    pub(crate) fn declared_types(&self) -> Option<TypeSet> {
        self.merged.types.map(TypeSet)
    }

    /// Declared properties in declaration order: a name declared more than once keeps its
    /// first place and every schema given for it.
    pub(crate) fn properties(&self) -> Vec<(&'a str, Vec<Located<'a>>)> {
        let mut out: Vec<(&'a str, Vec<Located<'a>>)> = Vec::new();
        for branch in &self.merged.obj {
            for (name, value) in branch.props.into_iter().flatten() {
                let located = Located {
                    base: branch.base,
                    value,
                };
                match out.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, schemas)) => schemas.push(located),
                    None => out.push((name.as_str(), vec![located])),
                }
            }
        }
        out
    }

    /// Some member says `additionalProperties: false`.
    pub(crate) fn additional_closed(&self) -> bool {
        self.merged
            .obj
            .iter()
            .any(|b| b.additional == Some(&Value::Bool(false)))
    }

    /// Every `items` schema given (not `prefixItems`).
    pub(crate) fn items(&self) -> Vec<Located<'a>> {
        self.merged
            .arr
            .iter()
            .filter_map(|b| {
                b.items.map(|value| Located {
                    base: b.base,
                    value,
                })
            })
            .collect()
    }
}

fn union(sets: impl Iterator<Item = TypeSet>) -> TypeSet {
    sets.fold(TypeSet::EMPTY, BitOr::bitor)
}

/// The type questions of parameter plans, `anyOf`/`oneOf` included, about schemas whose
/// `$ref`s resolve within `resources`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Types<'a> {
    resources: &'a Resources,
}

/// The `anyOf`/`oneOf` arrays whose branches are being read for one value, innermost last.
/// Reading its items or members starts afresh: they are other values, read at most two levels
/// down (a member's items) and for their types alone, so nesting cannot recur without end.
type Open = Vec<*const Value>;

impl<'a> Types<'a> {
    pub(crate) fn new(resources: &'a Resources) -> Self {
        Self { resources }
    }

    /// The types `schema` allows.
    pub(crate) fn of(&self, schema: Located<'a>) -> TypeSet {
        self.types(schema, &mut Vec::new())
    }

    /// The types of `schema`'s items, for an array: per member, of its `prefixItems` and
    /// `items` (or anything, when `items` is absent), intersected; per choice, united over the
    /// branches that allow arrays.
    pub(crate) fn items(&self, schema: Located<'a>) -> TypeSet {
        self.item_types(schema, &mut Vec::new())
    }

    /// What `schema` says about an object's members: the properties of every member, typed
    /// by all that declare them; those of the choices' object branches, typed by any that
    /// does; undeclared members as `additionalProperties` says, unless one says `false`.
    pub(crate) fn members(&self, schema: Located<'a>) -> ObjectShape {
        self.object(schema, &mut Vec::new())
    }

    /// Whether some member of the conjunction uses `items` or `prefixItems`.
    pub(crate) fn mentions_items(&self, schema: Located<'a>) -> bool {
        !self.conjunction(schema).merged.arr.is_empty()
    }

    /// Whether some member of the conjunction uses `properties` or `additionalProperties`
    /// (a schema without `type` that lists `properties` is meant as an object).
    pub(crate) fn mentions_members(&self, schema: Located<'a>) -> bool {
        self.conjunction(schema)
            .merged
            .obj
            .iter()
            .any(|b| b.props.is_some() || b.additional.is_some())
    }

    fn conjunction(&self, schema: Located<'a>) -> Conjunction<'a> {
        Conjunction::of(self.resources, &[schema])
    }

    /// Calls `read` on every choice of `conj` not already open for this value, with that
    /// choice open meanwhile.
    fn each_choice(
        conj: &Conjunction<'a>,
        open: &mut Open,
        mut read: impl FnMut(&Choice<'a>, &mut Open),
    ) {
        for choice in &conj.merged.choices {
            if open.contains(&choice.id) {
                continue;
            }
            open.push(choice.id);
            read(choice, open);
            open.pop();
        }
    }

    fn types(&self, schema: Located<'a>, open: &mut Open) -> TypeSet {
        let conj = self.conjunction(schema);
        let mut types = conj.types();
        Self::each_choice(&conj, open, |choice, open| {
            let mut united = TypeSet::EMPTY;
            for branch in branches(choice) {
                united = united | self.types(branch, open);
            }
            types = types & united;
        });
        types
    }

    fn item_types(&self, schema: Located<'a>, open: &mut Open) -> TypeSet {
        let conj = self.conjunction(schema);
        let mut types = TypeSet::ANY;
        for b in &conj.merged.arr {
            let at = |value| Located {
                base: b.base,
                value,
            };
            let mut set = TypeSet::EMPTY;
            for p in b.prefix {
                set = set | self.of(at(p));
            }
            set = set
                | match b.items {
                    // The draft 4 tuple form, left as it was written.
                    Some(Value::Array(tuple)) => {
                        let mut tuple_set = TypeSet::EMPTY;
                        for s in tuple {
                            tuple_set = tuple_set | self.of(at(s));
                        }
                        tuple_set
                    }
                    Some(items) => self.of(at(items)),
                    None => TypeSet::ANY,
                };
            types = types & set;
        }
        Self::each_choice(&conj, open, |choice, open| {
            let mut united = None;
            for branch in branches(choice) {
                if self.types(branch, open).intersects(TypeSet::ARRAY) {
                    let items = self.item_types(branch, open);
                    united = Some(united.unwrap_or(TypeSet::EMPTY) | items);
                }
            }
            if let Some(united) = united {
                types = types & united;
            }
        });
        types
    }

    fn object(&self, schema: Located<'a>, open: &mut Open) -> ObjectShape {
        let conj = self.conjunction(schema);
        let mut shape = ObjectShape {
            properties: Vec::new(),
            additional: None,
        };
        for (name, schemas) in conj.properties() {
            let mut types = TypeSet::ANY;
            let mut items = TypeSet::ANY;
            for s in schemas {
                types = types & self.of(s);
                items = items & self.items(s);
            }
            shape.properties.push(Property {
                name: name.to_owned(),
                types,
                items,
            });
        }
        for b in &conj.merged.obj {
            match b.additional {
                None | Some(Value::Bool(false)) => {}
                Some(value) => {
                    let types = self.of(Located {
                        base: b.base,
                        value,
                    });
                    shape.additional = Some(shape.additional.unwrap_or(TypeSet::ANY) & types);
                }
            }
        }
        // Members of alternatives: declared in any, typed by all that declare them.
        Self::each_choice(&conj, open, |choice, open| {
            for branch in branches(choice) {
                if !self.types(branch, open).intersects(TypeSet::OBJECT) {
                    continue;
                }
                let alt = self.object(branch, open);
                for p in alt.properties {
                    match shape.properties.iter_mut().find(|q| q.name == p.name) {
                        Some(q) => {
                            q.types = q.types | p.types;
                            q.items = q.items | p.items;
                        }
                        None => shape.properties.push(p),
                    }
                }
                if let Some(extra) = alt.additional {
                    shape.additional = Some(shape.additional.unwrap_or(TypeSet::EMPTY) | extra);
                }
            }
        });
        if conj.additional_closed() {
            shape.additional = None;
        }
        shape
    }
}

fn branches<'a, 'c>(choice: &'c Choice<'a>) -> impl Iterator<Item = Located<'a>> + 'c {
    choice.branches.iter().map(|value| Located {
        base: choice.base,
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BASE: &str = "file:///api.json";

    fn resources() -> Resources {
        Resources::new(
            BASE,
            json!({"components": {"schemas": {
                "Id": {"type": "integer"},
                "Node": {"type": "object", "properties": {
                    "next": {"$ref": "#/components/schemas/Node"},
                    "tags": {"type": "array", "items": {"type": "string"}}
                }},
                "Tree": {"anyOf": [{"type": "string"}, {"type": "array",
                                    "items": {"$ref": "#/components/schemas/Tree"}}]},
                "Loop": {"allOf": [{"$ref": "#/components/schemas/Loop"}]}
            }}}),
        )
    }

    fn at(value: &Value) -> Located<'_> {
        Located { base: BASE, value }
    }

    #[test]
    fn recursive_choices_end_and_unite_what_their_branches_allow() {
        let r = resources();
        let tree = json!({"$ref": "#/components/schemas/Tree"});
        let types = Types::new(&r);
        assert_eq!(types.of(at(&tree)), TypeSet::STRING | TypeSet::ARRAY);
        assert_eq!(types.items(at(&tree)), TypeSet::STRING | TypeSet::ARRAY);
    }

    #[test]
    fn a_conjunction_that_includes_itself_constrains_nothing() {
        let r = resources();
        let looped = json!({"$ref": "#/components/schemas/Loop"});
        assert_eq!(Types::new(&r).of(at(&looped)), TypeSet::ANY);
        assert!(Conjunction::of(&r, &[at(&looped)]).properties().is_empty());
    }

    #[test]
    fn members_of_a_recursive_object_are_typed_without_following_them_further() {
        let r = resources();
        let node = json!({"$ref": "#/components/schemas/Node"});
        let shape = Types::new(&r).members(at(&node));
        assert_eq!(shape.member_types("next"), (TypeSet::OBJECT, TypeSet::ANY));
        assert_eq!(
            shape.member_types("tags"),
            (TypeSet::ARRAY, TypeSet::STRING)
        );
        assert_eq!(shape.member_types("other"), (TypeSet::ANY, TypeSet::ANY));
    }

    #[test]
    fn nullable_is_left_to_the_normaliser() {
        let r = resources();
        let schema = json!({"type": "integer", "nullable": true});
        assert_eq!(Types::new(&r).of(at(&schema)), TypeSet::INTEGER);
    }

    #[test]
    fn the_conjunction_lists_properties_in_declaration_order_with_every_schema() {
        let r = resources();
        let schema = json!({"allOf": [
            {"properties": {"a": {"type": "string"}, "b": {}}},
            {"properties": {"a": {"maxLength": 3}}, "additionalProperties": false}
        ]});
        let conj = Conjunction::of(&r, &[at(&schema)]);
        let props = conj.properties();
        let names: Vec<(&str, usize)> = props.iter().map(|(n, s)| (*n, s.len())).collect();
        assert_eq!(names, vec![("a", 2), ("b", 1)]);
        assert!(conj.additional_closed());
        assert_eq!(conj.declared_types(), None);
    }
}
