//! A schema compiled once into a tree of [`Node`]s: the interpreters (the proptest strategies
//! of valid values in `strategy`, the breaks of one constraint in `strategy::invalid`) read the
//! tree, not the schema.
//!
//! - this file: the nodes.
//! - `compile`: a conjunction of located schemas, merged by `merge`, into nodes.
//!
//! The filters that must know whether a value matches a schema (a `oneOf`'s other branches, a
//! `not`, an `enum` value's siblings) ask the document's [`Matcher`], which compiles each
//! schema asked about once.
//!
//! Compiling follows the loader's normalised 2020-12 schemas through the one merge:
//! `$ref` (with its siblings) and `allOf` are flattened into one conjunction whose bounds are
//! the tightest of all its members; an `anyOf`/`oneOf` becomes a [`Node::Union`] whose
//! alternatives are the conjunction with each branch added. Object and array keywords stay
//! grouped per member, because `additionalProperties` and `items` only speak about the
//! `properties` and `prefixItems` next to them. The tree is finite: past [`SOFT_DEPTH`] levels
//! of nesting only required properties and minimal arrays are produced and unions prefer their
//! flattest branch; a schema that still needs more than `hard_depth(SOFT_DEPTH)` levels is an
//! error (the one depth rule, in `error`).
//!
//! Deterministic sampling (`generate`) does not read this tree: it walks the same merged
//! conjunctions itself, because its soft depth is an option where the tree's is fixed and it
//! runs once per answer, where a tree is worth building for the thousands of values a
//! strategy draws. Both ask the same [`Matcher`].

pub(crate) mod compile;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::document::refs::{Located, Resources};
use crate::schema::error::SchemaError;
use crate::schema::generate::Direction;

pub(crate) use crate::schema::merge::{
    ANY, ARR, BOOL, Bound, INT, NULL, NUM, OBJ, STR, round_to, value_bits,
};
use crate::schema::validators::{Check, Matcher};

/// Nesting past which optional properties are left out and arrays are as short as allowed.
pub(crate) const SOFT_DEPTH: usize = 3;

/// The compiled trees of one document for one direction. A referenced schema is compiled once
/// per depth class (each level above [`SOFT_DEPTH`], then all levels past it) and shared by its
/// resolved location, so a thousand `$ref`s to one component share one node; every filter's
/// validator is compiled once too. Hold one for as long as the document lives.
pub(crate) struct Cache {
    resources: Arc<Resources>,
    direction: Direction,
    matcher: Arc<Matcher>,
    /// By the referenced schema's address in `resources` (stable: the `Arc` holds the files)
    /// and the depth class.
    nodes: RefCell<HashMap<(*const Value, usize), Arc<Node>>>,
}

impl Cache {
    pub(crate) fn new(matcher: Arc<Matcher>, direction: Direction) -> Self {
        Self {
            resources: matcher.resources_arc(),
            matcher,
            direction,
            nodes: RefCell::new(HashMap::new()),
        }
    }

    /// The tree of `schema`, which lives in this cache's document.
    pub(crate) fn compile<'a>(&'a self, schema: Located<'a>) -> Result<Node, SchemaError> {
        compile::Compiler::new(self).compile(&[schema], &[], &[], "", 0)
    }
}

/// Schemas a value must *not* satisfy: the other branches of a `oneOf`, and `not`s; each
/// compiled once into a validator.
#[derive(Debug, Clone)]
pub(crate) struct Reject {
    schemas: Vec<Arc<Check>>,
}

impl Reject {
    pub(crate) fn allows(&self, v: &Value) -> bool {
        self.schemas.iter().all(|s| !s.is_valid(v))
    }
}

/// A compiled schema.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// Anything at all (`{}`, `true`, annotations only).
    Any,
    /// One of these values (`const`, `enum`), already filtered by the other constraints.
    Fixed {
        values: Vec<Value>,
        keyword: &'static str,
    },
    Union(Box<UnionNode>),
    /// Values of one of these kinds.
    Typed {
        /// Whether a `type` keyword said so (else a wrong type is no violation).
        explicit: bool,
        kinds: Vec<Kind>,
        reject: Option<Reject>,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct UnionNode {
    /// `anyOf` or `oneOf`: how the validator reports a value that fits no branch.
    pub keyword: &'static str,
    pub alts: Vec<Alt>,
    /// The types some branch allows.
    pub types: u8,
    /// A `type` keyword next to the choice (the validator then reports a wrong type as `type`).
    pub explicit_type: bool,
    /// A `discriminator` with a branch named for each value: the validation views turn such a
    /// choice into a plain selection, so errors inside a branch are reported as they are.
    pub discriminated: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Alt {
    pub node: Node,
    pub reject: Option<Reject>,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Null,
    Bool,
    Int(IntSpec),
    Num(NumSpec),
    Str(StrSpec),
    Arr(ArrSpec),
    Obj(ObjSpec),
}

impl Kind {
    pub(crate) fn bits(&self) -> u8 {
        match self {
            Kind::Null => NULL,
            Kind::Bool => BOOL,
            Kind::Int(_) => INT,
            Kind::Num(_) => NUM | INT,
            Kind::Str(_) => STR,
            Kind::Arr(_) => ARR,
            Kind::Obj(_) => OBJ,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct IntSpec {
    /// Valid values are `k * step` for `k` in `kmin..=kmax`.
    pub kmin: i64,
    pub kmax: i64,
    pub step: i64,
    pub lo: Option<Bound>,
    pub hi: Option<Bound>,
    pub multiple_of: Option<f64>,
}

#[derive(Debug, Clone)]
pub(crate) struct NumSpec {
    pub lo: Option<Bound>,
    pub hi: Option<Bound>,
    pub multiple_of: Option<f64>,
}

#[derive(Debug, Clone)]
pub(crate) struct StrSpec {
    pub min: usize,
    pub max: Option<usize>,
    pub patterns: Vec<String>,
    pub format: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct ArrSpec {
    pub min: usize,
    pub max: Option<usize>,
    pub prefix: Vec<Arc<Node>>,
    /// Items past the prefix; `None` when `items: false`.
    pub items: Option<Arc<Node>>,
    pub unique: bool,
    /// Past the soft depth: only the minimum length.
    pub minimal: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Prop {
    pub name: String,
    pub node: Arc<Node>,
    /// Required by the schema (as the validation view of this direction sees it).
    pub required: bool,
    /// Always present: required, promoted for `minProperties`, or a discriminator.
    pub always: bool,
    /// Never present: `readOnly` in a request, `writeOnly` in a response, or past the soft
    /// depth.
    pub hidden: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct ObjSpec {
    pub props: Vec<Prop>,
    /// Undeclared keys: their schema when the object is map-like (no declared properties and
    /// an `additionalProperties` schema).
    pub extra: Option<Arc<Node>>,
    /// Some member says `additionalProperties: false` (or `unevaluatedProperties: false`).
    pub closed: bool,
    /// `patternProperties` are present (undeclared keys may be constrained).
    pub has_patterns: bool,
    pub min_props: usize,
    pub max_props: Option<usize>,
}

/// The types a node's values may take.
pub(crate) fn node_types(node: &Node) -> u8 {
    match node {
        Node::Any => ANY,
        Node::Fixed { values, .. } => values.iter().fold(0, |a, v| a | value_bits(v)),
        Node::Union(u) => u.types,
        Node::Typed { kinds, .. } => kinds.iter().fold(0, |a, k| a | k.bits()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const URI: &str = "file:///t.yaml";

    fn props(node: &Node) -> &[Prop] {
        match node {
            Node::Typed { kinds, .. } => match &kinds[..] {
                [Kind::Obj(o)] => &o.props,
                _ => panic!("not an object: {node:?}"),
            },
            _ => panic!("not typed: {node:?}"),
        }
    }

    #[test]
    fn references_to_one_component_share_one_node() {
        let r = Arc::new(Resources::new(
            URI,
            json!({"components": {"schemas": {
                "Pet": {"type": "object", "required": ["name"],
                        "properties": {"name": {"type": "string"}}},
                "Pair": {"type": "object", "required": ["a", "b"], "properties": {
                    "a": {"$ref": "#/components/schemas/Pet"},
                    "b": {"$ref": "#/components/schemas/Pet", "description": "the other"},
                    "c": {"$ref": "#/components/schemas/Pet", "required": ["tag"]}}}}}}),
        ));
        let cache = Cache::new(
            Arc::new(Matcher::standalone(r.clone())),
            Direction::Response,
        );
        let pair = Located {
            base: URI,
            value: &r.root()["components"]["schemas"]["Pair"],
        };
        let node = cache.compile(pair).unwrap();
        let p = props(&node);
        assert!(Arc::ptr_eq(&p[0].node, &p[1].node));
        // A `$ref` with a constraint beside it is its own conjunction.
        assert!(!Arc::ptr_eq(&p[0].node, &p[2].node));
        // A second compile through the same cache reuses the first one's nodes.
        let again = cache.compile(pair).unwrap();
        assert!(Arc::ptr_eq(&p[0].node, &props(&again)[0].node));
    }
}
