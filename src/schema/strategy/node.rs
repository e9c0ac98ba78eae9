//! Valid values: a schema compiled into a tree of [`Node`]s, and each node into a strategy.
//!
//! Compiling follows the loader's normalised 2020-12 schemas through the merge `generate`
//! uses too (`schema_merge`): `$ref` (with its siblings) and `allOf` are flattened into one
//! conjunction whose bounds are the tightest of all its members; an `anyOf`/`oneOf` becomes
//! a [`Node::Union`] whose alternatives are the conjunction with each branch added. Object and array keywords stay
//! grouped per member, because `additionalProperties` and `items` only speak about the
//! `properties` and `prefixItems` next to them. The tree is finite: past [`SOFT_DEPTH`] levels
//! of nesting only required properties and minimal arrays are produced and unions prefer their
//! flattest branch; a schema that still needs more than [`HARD_DEPTH`] levels is an error.

use std::sync::Arc;

use proptest::prelude::*;
use serde_json::{Map, Value};

use super::{Direction, FuzzError};
use crate::document::refs::{Located, Resources};
use crate::schema::generate::quick_check;
pub(crate) use crate::schema::merge::round_to;
pub(crate) use crate::schema::merge::{
    ANY, ARR, BOOL, Bound, INT, NULL, NUM, OBJ, STR, value_bits,
};
use crate::schema::merge::{
    Choice, MergeError, Merged, Merger, Reach, decimals_of, mapping_key, number_value,
};

/// Nesting past which optional properties are left out and arrays are as short as allowed.
pub(crate) const SOFT_DEPTH: usize = 3;
/// Nesting past which a schema is taken to recurse without end.
pub(crate) const HARD_DEPTH: usize = 24;

/// Schemas a value must *not* surely satisfy: the other branches of a `oneOf`, and `not`s.
#[derive(Debug, Clone)]
pub(crate) struct Reject {
    resources: Arc<Resources>,
    schemas: Vec<(String, Value)>,
}

impl Reject {
    pub(crate) fn allows(&self, v: &Value) -> bool {
        self.schemas.iter().all(|(base, s)| {
            quick_check(&self.resources, Located { base, value: s }, v) != Some(true)
        })
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
    pub prefix: Vec<Node>,
    /// Items past the prefix; `None` when `items: false`.
    pub items: Option<Box<Node>>,
    pub unique: bool,
    /// Past the soft depth: only the minimum length.
    pub minimal: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Prop {
    pub name: String,
    pub node: Node,
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
    pub extra: Option<Box<Node>>,
    /// Some member says `additionalProperties: false` (or `unevaluatedProperties: false`).
    pub closed: bool,
    /// `patternProperties` are present (undeclared keys may be constrained).
    pub has_patterns: bool,
    pub min_props: usize,
    pub max_props: Option<usize>,
}

// ----- compiling ---------------------------------------------------------------------------

/// Compiles schemas of one document for one direction.
pub(crate) struct Compiler<'a> {
    pub resources: &'a Arc<Resources>,
    pub direction: Direction,
}

static FALSE: Value = Value::Bool(false);

impl<'a> Compiler<'a> {
    fn at(path: &str) -> String {
        if path.is_empty() {
            "/".to_owned()
        } else {
            path.to_owned()
        }
    }

    fn merge(
        &self,
        conj: &[Located<'a>],
        resolved: &[*const Value],
        path: &str,
    ) -> Result<Merged<'a>, FuzzError> {
        // `Resources` lives behind the `Arc` for as long as the compiler borrows it.
        let resources: &'a Resources = self.resources;
        // The strategies follow neither `$dynamicRef` nor `if`/`then`.
        let merger = Merger {
            resources,
            reach: Reach {
                dynamic_ref: false,
                if_then: false,
            },
        };
        merger.merge(conj, resolved).map_err(|e| match e {
            MergeError::Ref { source, .. } => FuzzError::Ref {
                at: Self::at(path),
                source,
            },
            MergeError::Cycle { .. } => FuzzError::Recursion { at: Self::at(path) },
        })
    }

    fn reject(&self, schemas: Vec<Located<'_>>) -> Option<Reject> {
        if schemas.is_empty() {
            return None;
        }
        Some(Reject {
            resources: self.resources.clone(),
            schemas: schemas
                .into_iter()
                .map(|l| (l.base.to_owned(), l.value.clone()))
                .collect(),
        })
    }

    /// Compiles the conjunction `conj` at instance `path` (a JSON pointer), `depth` levels
    /// deep. `forced` pins object properties (a discriminator naming the chosen branch).
    pub(crate) fn compile(
        &self,
        conj: &[Located<'a>],
        resolved: &[*const Value],
        forced: &[(String, Value)],
        path: &str,
        depth: usize,
    ) -> Result<Node, FuzzError> {
        if depth > HARD_DEPTH {
            return Err(FuzzError::Recursion { at: Self::at(path) });
        }
        let m = self.merge(conj, resolved, path)?;
        if m.false_schema {
            return Err(FuzzError::Unsatisfiable {
                at: Self::at(path),
                reason: "the schema is `false`".into(),
            });
        }
        if let Some(choice) = m.choices.first() {
            return self.union(conj, resolved, forced, &m, choice, path, depth);
        }
        self.plain(conj, forced, &m, path, depth)
    }

    #[allow(clippy::too_many_arguments)]
    fn union(
        &self,
        conj: &[Located<'a>],
        resolved: &[*const Value],
        forced: &[(String, Value)],
        m: &Merged<'a>,
        choice: &Choice<'a>,
        path: &str,
        depth: usize,
    ) -> Result<Node, FuzzError> {
        let disc_prop = choice
            .discriminator
            .and_then(|d| d.get("propertyName"))
            .and_then(Value::as_str);
        let mut res = resolved.to_vec();
        res.push(choice.id);
        let mut alts = Vec::new();
        let mut weights = Vec::new();
        let mut named_all = disc_prop.is_some();
        let mut last_err = None;
        for (i, b) in choice.branches.iter().enumerate() {
            let branch = Located {
                base: choice.base,
                value: b,
            };
            let mut f = forced.to_vec();
            match disc_prop.and_then(|p| self.discriminator_value(choice, branch, p)) {
                Some(pv) => f.push(pv),
                None => named_all = false,
            }
            let mut trial = conj.to_vec();
            trial.push(branch);
            // Weigh the branch first: past the soft depth only the flattest survive.
            let weight = match self.merge(&trial, &res, path) {
                Ok(bm) if !bm.false_schema && bm.declared_types() != 0 => {
                    let t = bm.declared_types()
                        & if !bm.typed && bm.inferred_core != 0 {
                            bm.inferred_core
                        } else {
                            ANY
                        };
                    bm.nesting_weight(t)
                }
                Ok(_) => continue,
                Err(e @ FuzzError::Ref { .. }) => return Err(e),
                Err(e) => {
                    last_err = Some(e);
                    continue;
                }
            };
            let node = match self.compile(&trial, &res, &f, path, depth) {
                Ok(n) => n,
                Err(e @ FuzzError::Ref { .. }) => return Err(e),
                Err(e) => {
                    last_err = Some(e);
                    continue;
                }
            };
            let reject = if choice.one_of {
                let others: Vec<Located<'_>> = choice
                    .branches
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, o)| Located {
                        base: choice.base,
                        value: o,
                    })
                    .collect();
                self.reject(others)
            } else {
                None
            };
            alts.push(Alt { node, reject });
            weights.push(weight);
        }
        if alts.is_empty() {
            return Err(last_err.unwrap_or_else(|| FuzzError::Unsatisfiable {
                at: Self::at(path),
                reason: "no branch of the choice is compatible with the rest of the schema".into(),
            }));
        }
        if named_all {
            // The validation views turn a discriminated choice into a selection by the
            // property: branches may overlap, the discriminator tells them apart.
            for a in &mut alts {
                a.reject = None;
            }
        }
        if depth >= SOFT_DEPTH {
            let best = weights.iter().copied().min().unwrap_or(0);
            let mut keep = weights.iter().map(|w| *w == best);
            alts.retain(|_| keep.next().unwrap_or(false));
        }
        let types = alts.iter().fold(0, |acc, a| acc | node_types(&a.node)) & m.declared_types();
        Ok(Node::Union(Box::new(UnionNode {
            keyword: if choice.one_of { "oneOf" } else { "anyOf" },
            alts,
            types,
            explicit_type: m.typed,
            discriminated: if named_all {
                disc_prop.map(str::to_owned)
            } else {
                None
            },
        })))
    }

    /// The discriminator value naming `branch`, per OpenAPI: the mapping key whose target is
    /// the branch's `$ref`, else the `const` the branch pins, else the `$ref`'s last segment.
    fn discriminator_value(
        &self,
        choice: &Choice<'a>,
        branch: Located<'a>,
        prop: &str,
    ) -> Option<(String, Value)> {
        let disc = choice.discriminator?;
        let reference = branch.value.get("$ref").and_then(Value::as_str);
        let mapping = disc.get("mapping").and_then(Value::as_object);
        if let (Some(reference), Some(mapping)) = (reference, mapping) {
            let target = Resources::absolute(branch.base, reference).ok()?;
            if let Some(key) = mapping_key(choice.base, mapping, &target).ok()? {
                return Some((prop.to_owned(), Value::String(key.clone())));
            }
        }
        let resolved = self
            .resources
            .deref(branch.base, branch.value)
            .map(|l| l.value)
            .unwrap_or(branch.value);
        let pinned = resolved.get("properties").and_then(|p| p.get(prop));
        if let Some(c) = pinned.and_then(|p| p.get("const")) {
            return Some((prop.to_owned(), c.clone()));
        }
        if let Some(Value::Array(e)) = pinned.and_then(|p| p.get("enum"))
            && let Some(first) = e.first()
        {
            return Some((prop.to_owned(), first.clone()));
        }
        if mapping.is_some_and(|m| !m.is_empty()) {
            return None;
        }
        let name = reference?.rsplit('/').next()?;
        Some((prop.to_owned(), Value::String(name.to_owned())))
    }

    fn plain(
        &self,
        conj: &[Located<'a>],
        forced: &[(String, Value)],
        m: &Merged<'a>,
        path: &str,
        depth: usize,
    ) -> Result<Node, FuzzError> {
        let allowed = m.declared_types();
        let unsat = |reason: &str| FuzzError::Unsatisfiable {
            at: Self::at(path),
            reason: reason.to_owned(),
        };
        if !m.consts.is_empty() || !m.enums.is_empty() {
            let mut candidates: Vec<Value> = match (m.consts.first(), m.enums.first()) {
                (Some(c), _) => vec![(*c).clone()],
                (None, Some(e)) => e.to_vec(),
                (None, None) => Vec::new(),
            };
            candidates.retain(|v| {
                m.consts.iter().all(|c| *c == v)
                    && m.enums.iter().all(|e| e.contains(v))
                    && value_bits(v) & allowed != 0
                    && conj
                        .iter()
                        .all(|c| quick_check(self.resources, *c, v) != Some(false))
            });
            if candidates.is_empty() {
                return Err(unsat("no `const`/`enum` value fits the other constraints"));
            }
            let keyword = if m.consts.is_empty() { "enum" } else { "const" };
            return Ok(Node::Fixed {
                values: candidates,
                keyword,
            });
        }
        let explicit = m.typed;
        if !explicit && m.inferred_core == 0 && m.nots.is_empty() {
            return Ok(Node::Any);
        }
        let pool = if explicit {
            allowed
        } else if m.inferred_core != 0 {
            m.inferred_core
        } else {
            STR
        };
        let mut kinds = Vec::new();
        if pool & NULL != 0 {
            kinds.push(Kind::Null);
        }
        if pool & BOOL != 0 {
            kinds.push(Kind::Bool);
        }
        if pool & NUM != 0 {
            kinds.push(Kind::Num(NumSpec {
                lo: m.lo,
                hi: m.hi,
                multiple_of: m.multiple_of.first().copied(),
            }));
        } else if pool & INT != 0
            && let Some(spec) = self.int_spec(m)
        {
            kinds.push(Kind::Int(spec));
        }
        if pool & STR != 0 {
            if m.max_len.is_some_and(|x| x < m.min_len) {
                return Err(unsat("`minLength` is above `maxLength`"));
            }
            kinds.push(Kind::Str(StrSpec {
                min: m.min_len,
                max: m.max_len,
                patterns: m.patterns.iter().map(|p| (*p).to_owned()).collect(),
                format: m.format.map(str::to_owned),
            }));
        }
        if pool & ARR != 0 {
            match self.array(m, path, depth) {
                Ok(a) => kinds.push(Kind::Arr(a)),
                Err(e @ FuzzError::Ref { .. }) => return Err(e),
                Err(e) if kinds.is_empty() && pool & OBJ == 0 => return Err(e),
                Err(_) => {}
            }
        }
        if pool & OBJ != 0 {
            match self.object(m, forced, path, depth) {
                Ok(o) => kinds.push(Kind::Obj(o)),
                Err(e @ FuzzError::Ref { .. }) => return Err(e),
                Err(e) if kinds.is_empty() => return Err(e),
                Err(_) => {}
            }
        }
        if kinds.is_empty() {
            return Err(unsat("no type satisfies every `type`"));
        }
        // Past the soft depth, `null` (when allowed) ends the nesting.
        if depth >= SOFT_DEPTH && kinds.len() > 1 && kinds.iter().any(|k| matches!(k, Kind::Null)) {
            kinds.retain(|k| matches!(k, Kind::Null));
        }
        Ok(Node::Typed {
            explicit,
            kinds,
            reject: self.reject(m.nots.clone()),
        })
    }

    fn int_spec(&self, m: &Merged<'a>) -> Option<IntSpec> {
        let step = m.integer_step(1 << 40);
        let imin = m.lo.map(|b| {
            if b.exclusive {
                b.value.floor() + 1.0
            } else {
                b.value.ceil()
            }
        });
        let imax = m.hi.map(|b| {
            if b.exclusive {
                b.value.ceil() - 1.0
            } else {
                b.value.floor()
            }
        });
        let (fa, fb) = match m.format {
            Some("int32") => (f64::from(i32::MIN), f64::from(i32::MAX)),
            _ => (-9.0e15, 9.0e15),
        };
        let a = imin.unwrap_or(-1000.0 * step).max(fa);
        let b = imax.unwrap_or(1000.0 * step).min(fb);
        let (kmin, kmax) = ((a / step).ceil(), (b / step).floor());
        if kmin > kmax || !kmin.is_finite() || !kmax.is_finite() {
            return None;
        }
        Some(IntSpec {
            kmin: kmin as i64,
            kmax: kmax as i64,
            step: step as i64,
            lo: m.lo,
            hi: m.hi,
            multiple_of: m.multiple_of.first().copied(),
        })
    }

    fn array(&self, m: &Merged<'a>, path: &str, depth: usize) -> Result<ArrSpec, FuzzError> {
        let mut max = m.max_items;
        let longest_prefix = m.arr.iter().map(|b| b.prefix.len()).max().unwrap_or(0);
        let mut closed = false;
        for b in &m.arr {
            if b.items == Some(&FALSE) {
                max = Some(max.map_or(b.prefix.len(), |x| x.min(b.prefix.len())));
                closed = true;
            }
        }
        if max.is_some_and(|x| x < m.min_items) {
            return Err(FuzzError::Unsatisfiable {
                at: Self::at(path),
                reason: "`minItems` exceeds what is allowed".into(),
            });
        }
        let mut prefix = Vec::new();
        for i in 0..longest_prefix {
            if max.is_some_and(|x| i >= x) {
                break;
            }
            let child = crate::document::refs::pointer_join(path, &[&i.to_string()]);
            prefix.push(self.compile(&m.item_schemas(i), &[], &[], &child, depth + 1)?);
        }
        let items = if closed {
            None
        } else {
            let child = crate::document::refs::pointer_join(path, &["0"]);
            let needed = m.min_items > longest_prefix;
            match self.compile(&m.item_schemas(longest_prefix), &[], &[], &child, depth + 1) {
                Ok(n) => Some(Box::new(n)),
                Err(e) if needed => return Err(e),
                Err(_) => {
                    max = Some(max.map_or(longest_prefix, |x| x.min(longest_prefix)));
                    None
                }
            }
        };
        Ok(ArrSpec {
            min: m.min_items,
            max,
            prefix,
            items,
            unique: m.unique,
            minimal: depth >= SOFT_DEPTH,
        })
    }

    /// The schemas the value of property `key` must satisfy, one per member that speaks
    /// about it; `None` when some member forbids the key.
    fn key_schemas(&self, m: &Merged<'a>, key: &str) -> Option<Vec<Located<'a>>> {
        let mut out = Vec::new();
        let mut known = false;
        for b in &m.obj {
            let mut matched = false;
            if let Some(p) = b.props.and_then(|p| p.get(key)) {
                out.push(Located {
                    base: b.base,
                    value: p,
                });
                matched = true;
            }
            for (pat, s) in b.patterns.into_iter().flatten() {
                let p = crate::schema::pattern::Pattern::parse(pat).ok()?;
                match p.is_match(key) {
                    Some(true) => {
                        out.push(Located {
                            base: b.base,
                            value: s,
                        });
                        matched = true;
                    }
                    Some(false) => {}
                    None => return None,
                }
            }
            if !matched && let Some(a) = b.additional {
                if a == &FALSE {
                    return None;
                }
                out.push(Located {
                    base: b.base,
                    value: a,
                });
            }
            known |= matched;
        }
        if m.closed && !known {
            return None;
        }
        Some(out)
    }

    fn object(
        &self,
        m: &Merged<'a>,
        forced: &[(String, Value)],
        path: &str,
        depth: usize,
    ) -> Result<ObjSpec, FuzzError> {
        let mut names: Vec<&str> = Vec::new();
        for b in &m.obj {
            for k in b.props.into_iter().flat_map(|p| p.keys()) {
                if !names.contains(&k.as_str()) {
                    names.push(k);
                }
            }
        }
        for r in m
            .required
            .iter()
            .copied()
            .chain(forced.iter().map(|(k, _)| k.as_str()))
        {
            if !names.contains(&r) {
                names.push(r);
            }
        }
        let past = depth >= SOFT_DEPTH;
        let mut props = Vec::new();
        for name in names {
            let is_forced = forced.iter().rev().find(|(k, _)| k == name);
            let listed = m.required.contains(&name);
            let Some(schemas) = self.key_schemas(m, name) else {
                if listed || is_forced.is_some() {
                    return Err(FuzzError::Unsatisfiable {
                        at: Self::at(path),
                        reason: format!("property `{name}` is required but not allowed"),
                    });
                }
                continue;
            };
            let child = crate::document::refs::pointer_join(path, &[name]);
            let pm = self.merge(&schemas, &[], &child)?;
            let directional = match self.direction {
                Direction::Request => pm.read_only,
                Direction::Response => pm.write_only,
            };
            // The validation views drop such properties from `required`.
            let required = listed && !directional;
            let always = required || is_forced.is_some();
            let hidden = !always && (directional || past);
            if hidden {
                continue;
            }
            let node = match is_forced {
                Some((_, v)) if !(pm.consts.is_empty() && pm.enums.is_empty()) => {
                    let mut n = self.compile(&schemas, &[], &[], &child, depth + 1)?;
                    if let Node::Fixed { values, .. } = &mut n
                        && values.contains(v)
                    {
                        *values = vec![v.clone()];
                    }
                    n
                }
                Some((_, v)) => Node::Fixed {
                    values: vec![v.clone()],
                    keyword: "const",
                },
                None => match self.compile(&schemas, &[], &[], &child, depth + 1) {
                    Ok(n) => n,
                    Err(e) if !always && !matches!(e, FuzzError::Ref { .. }) => continue,
                    Err(e) => return Err(e),
                },
            };
            props.push(Prop {
                name: name.to_owned(),
                node,
                required,
                always,
                hidden,
            });
        }
        // `minProperties`: make optional properties always present, in order.
        let mut present = props.iter().filter(|p| p.always).count();
        for p in props.iter_mut() {
            if present >= m.min_props {
                break;
            }
            if !p.always {
                p.always = true;
                present += 1;
            }
        }
        let has_patterns = m.obj.iter().any(|b| b.patterns.is_some());
        let closed = m.closed || m.obj.iter().any(|b| b.additional == Some(&FALSE));
        let map_like = !closed
            && !has_patterns
            && (props.is_empty() || present < m.min_props)
            && m.obj
                .iter()
                .any(|b| b.additional.is_some_and(Value::is_object));
        let extra = if map_like && (!past || present < m.min_props) {
            let schemas: Vec<Located<'a>> = m
                .obj
                .iter()
                .filter_map(|b| {
                    b.additional.map(|a| Located {
                        base: b.base,
                        value: a,
                    })
                })
                .collect();
            let child = crate::document::refs::pointer_join(path, &["*"]);
            self.compile(&schemas, &[], &[], &child, depth + 1)
                .ok()
                .map(Box::new)
        } else {
            None
        };
        let extra_room = if extra.is_some() { 2 } else { 0 };
        if present + extra_room < m.min_props && props.len() + extra_room < m.min_props {
            return Err(FuzzError::Unsatisfiable {
                at: Self::at(path),
                reason: "cannot reach `minProperties`".into(),
            });
        }
        if m.max_props
            .is_some_and(|x| props.iter().filter(|p| p.always).count() > x)
        {
            return Err(FuzzError::Unsatisfiable {
                at: Self::at(path),
                reason: "more properties are required than `maxProperties` allows".into(),
            });
        }
        Ok(ObjSpec {
            props,
            extra,
            closed,
            has_patterns,
            min_props: m.min_props,
            max_props: m.max_props,
        })
    }
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

// ----- strategies ----------------------------------------------------------------------------

/// A JSON number, written as an integer when it is one (`null` when not finite).
pub(crate) fn number(v: f64) -> Value {
    number_value(v).unwrap_or(Value::Null)
}

impl Node {
    /// Values satisfying the node.
    pub(crate) fn valid(&self) -> BoxedStrategy<Value> {
        match self {
            Node::Any => any_value(),
            Node::Fixed { values, .. } => proptest::sample::select(values.clone()).boxed(),
            Node::Union(u) => {
                let alts: Vec<BoxedStrategy<Value>> = u
                    .alts
                    .iter()
                    .map(|a| {
                        let s = a.node.valid();
                        match &a.reject {
                            Some(r) => {
                                let r = r.clone();
                                s.prop_filter("matches only its own `oneOf` branch", move |v| {
                                    r.allows(v)
                                })
                                .boxed()
                            }
                            None => s,
                        }
                    })
                    .collect();
                proptest::strategy::Union::new(alts).boxed()
            }
            Node::Typed { kinds, reject, .. } => {
                let s = proptest::strategy::Union::new(kinds.iter().map(Kind::valid)).boxed();
                match reject {
                    Some(r) => {
                        let r = r.clone();
                        s.prop_filter("matches no `not`", move |v| r.allows(v))
                            .boxed()
                    }
                    None => s,
                }
            }
        }
    }
}

/// Small values of every type, for schemas that say nothing.
pub(crate) fn any_value() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1000i64..1000).prop_map(Value::from),
        "[a-z]{0,8}".prop_map(Value::String),
    ]
    .boxed()
}

impl Kind {
    pub(crate) fn valid(&self) -> BoxedStrategy<Value> {
        match self {
            Kind::Null => Just(Value::Null).boxed(),
            Kind::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
            Kind::Int(i) => i.valid(),
            Kind::Num(n) => n.valid(),
            Kind::Str(s) => s.valid(),
            Kind::Arr(a) => a.valid(None),
            Kind::Obj(o) => o.valid(None, None),
        }
    }
}

impl IntSpec {
    pub(crate) fn valid(&self) -> BoxedStrategy<Value> {
        let step = self.step;
        (self.kmin..=self.kmax)
            .prop_map(move |k| Value::from(k.saturating_mul(step)))
            .boxed()
    }
}

impl NumSpec {
    fn inside(&self, v: f64) -> bool {
        self.lo.is_none_or(|b| {
            if b.exclusive {
                v > b.value
            } else {
                v >= b.value
            }
        }) && self.hi.is_none_or(|b| {
            if b.exclusive {
                v < b.value
            } else {
                v <= b.value
            }
        })
    }

    pub(crate) fn valid(&self) -> BoxedStrategy<Value> {
        let a = self.lo.map_or(-1000.0, |b| b.value);
        let b = self.hi.map_or(a.max(0.0) + 1000.0, |b| b.value);
        let a = if self.lo.is_none() {
            b.min(0.0) - 1000.0
        } else {
            a
        };
        let spec = self.clone();
        if let Some(m) = self.multiple_of {
            let decimals = decimals_of(m);
            let (kmin, kmax) = ((a / m).ceil() as i64, (b / m).floor() as i64);
            return (kmin..=kmax.max(kmin))
                .prop_map(move |k| number(round_to(k as f64 * m, decimals)))
                .prop_filter("within the bounds", move |v| {
                    v.as_f64().is_some_and(|x| spec.inside(x))
                })
                .boxed();
        }
        let (ia, ib) = (a.ceil() as i64, b.floor() as i64);
        let ints = (ia..=ib.max(ia)).prop_map(|k| k as f64);
        let fracs = (a..=b).prop_map(|x| round_to(x, 2));
        prop_oneof![ints, fracs]
            .prop_filter("within the bounds", move |x| spec.inside(*x))
            .prop_map(number)
            .boxed()
    }
}

impl StrSpec {
    pub(crate) fn fits(&self, s: &str) -> bool {
        let n = s.chars().count();
        n >= self.min && self.max.is_none_or(|m| n <= m)
    }

    pub(crate) fn valid(&self) -> BoxedStrategy<Value> {
        let spec = self.clone();
        let checkers: Vec<crate::schema::pattern::Pattern> = self
            .patterns
            .iter()
            .filter_map(|p| crate::schema::pattern::Pattern::parse(p).ok())
            .collect();
        let base: BoxedStrategy<String> = if let Some(first) = self.patterns.first() {
            match super::pattern::matching(first) {
                Some(s) => s,
                None => {
                    // A pattern proptest cannot generate from: the deterministic generator's
                    // walk, seeded (no shrinking beyond the seed, but a value).
                    let (p, min, max) = (first.clone(), self.min, self.max);
                    any::<u64>()
                        .prop_filter_map("the pattern yields a string", move |seed| {
                            crate::schema::generate::generate_string_for_pattern(&p, seed, min, max)
                        })
                        .boxed()
                }
            }
        } else if let Some(f) = self.format.as_deref().and_then(format_strategy) {
            f
        } else {
            let hi = self.max.unwrap_or(self.min + 12).min(self.min + 24);
            proptest::collection::vec(plain_char(), self.min..=hi.max(self.min))
                .prop_map(|cs| cs.into_iter().collect::<String>())
                .boxed()
        };
        base.prop_filter("fits the length and every pattern", move |s| {
            spec.fits(s) && checkers.iter().all(|p| p.is_match(s) != Some(false))
        })
        .prop_map(Value::String)
        .boxed()
    }
}

/// Characters of plain strings: mostly letters and digits, now and then punctuation, a space
/// or a non-ASCII letter (so encodings get exercised).
pub(crate) fn plain_char() -> BoxedStrategy<char> {
    prop_oneof![
        10 => proptest::char::range('a', 'z'),
        2 => proptest::char::range('A', 'Z'),
        2 => proptest::char::range('0', '9'),
        1 => proptest::sample::select(vec![' ', '-', '_', '.', 'é', 'ß', '☃']),
    ]
    .boxed()
}

/// Strings in a format, built from parts so that they shrink; `None` for formats left to
/// plain strings.
pub(crate) fn format_strategy(format: &str) -> Option<BoxedStrategy<String>> {
    let word = || "[a-z][a-z0-9]{0,7}";
    let date = || (2000u32..2040, 1u32..=12, 1u32..=28);
    let time = || (0u32..24, 0u32..60, 0u32..60);
    Some(match format {
        "email" | "idn-email" => (word(), word())
            .prop_map(|(a, b)| format!("{a}@{b}.example.com"))
            .boxed(),
        "uuid" => any::<[u8; 16]>()
            .prop_map(|mut b| {
                b[6] = (b[6] & 0x0f) | 0x40;
                b[8] = (b[8] & 0x3f) | 0x80;
                let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
                format!(
                    "{}-{}-{}-{}-{}",
                    &h[0..8],
                    &h[8..12],
                    &h[12..16],
                    &h[16..20],
                    &h[20..32]
                )
            })
            .boxed(),
        "date" => date()
            .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
            .boxed(),
        "time" => time()
            .prop_map(|(h, m, s)| format!("{h:02}:{m:02}:{s:02}Z"))
            .boxed(),
        "date-time" => (date(), time())
            .prop_map(|((y, mo, d), (h, mi, s))| {
                format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
            })
            .boxed(),
        "uri" | "url" | "iri" => (word(), word())
            .prop_map(|(h, p)| format!("https://{h}.example.com/{p}"))
            .boxed(),
        "uri-reference" | "iri-reference" => word().prop_map(|p| format!("/{p}")).boxed(),
        "hostname" | "idn-hostname" => word().prop_map(|h| format!("{h}.example.com")).boxed(),
        "ipv4" => any::<[u8; 4]>()
            .prop_map(|[a, b, c, d]| format!("{a}.{b}.{c}.{d}"))
            .boxed(),
        "ipv6" => any::<[u16; 8]>()
            .prop_map(|p| {
                p.iter()
                    .map(|x| format!("{x:x}"))
                    .collect::<Vec<_>>()
                    .join(":")
            })
            .boxed(),
        "byte" => proptest::collection::vec(any::<u8>(), 0..12)
            .prop_map(|b| {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD.encode(b)
            })
            .boxed(),
        _ => return None,
    })
}

impl ArrSpec {
    /// The most items a valid array of this spec is generated with.
    pub(crate) fn cap(&self) -> usize {
        let floor = self.min.max(self.prefix.len().min(1));
        let soft = if self.minimal { self.min } else { floor + 3 };
        let cap = soft.max(self.min);
        let cap = match &self.items {
            Some(_) => cap,
            None => cap.min(self.prefix.len()).max(self.min),
        };
        self.max.map_or(cap, |m| cap.min(m))
    }

    /// Valid arrays; `set` puts a given strategy's values at one index (which is then
    /// present).
    pub(crate) fn valid(&self, set: Option<(usize, BoxedStrategy<Value>)>) -> BoxedStrategy<Value> {
        let cap = self.cap();
        let min = match &set {
            Some((i, _)) => self.min.max(i + 1),
            None => self.min,
        };
        let cap = cap.max(min);
        let item = |i: usize| -> BoxedStrategy<Value> {
            if let Some((j, s)) = &set
                && *j == i
            {
                return s.clone();
            }
            match self.prefix.get(i) {
                Some(n) => n.valid(),
                None => self
                    .items
                    .as_ref()
                    .map_or_else(|| Just(Value::Null).boxed(), |n| n.valid()),
            }
        };
        let slots: Vec<BoxedStrategy<Value>> = (0..cap).map(item).collect();
        let unique = self.unique;
        (slots, min..=cap)
            .prop_map(|(mut items, n)| {
                items.truncate(n);
                Value::Array(items)
            })
            .prop_filter("items are unique", move |v| !unique || all_unique(v))
            .boxed()
    }
}

pub(crate) fn all_unique(v: &Value) -> bool {
    match v {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .all(|(i, x)| !items[..i].contains(x)),
        _ => true,
    }
}

impl ObjSpec {
    /// Valid objects; `set` gives one property (by index) a value from another strategy and
    /// makes it present; `omit` leaves one out.
    pub(crate) fn valid(
        &self,
        set: Option<(usize, BoxedStrategy<Value>)>,
        omit: Option<usize>,
    ) -> BoxedStrategy<Value> {
        let mut names = Vec::new();
        let mut slots: Vec<BoxedStrategy<Option<Value>>> = Vec::new();
        for (i, p) in self.props.iter().enumerate() {
            if omit == Some(i) || p.hidden {
                continue;
            }
            let s = match &set {
                Some((j, s)) if *j == i => s.clone().prop_map(Some).boxed(),
                _ if p.always => p.node.valid().prop_map(Some).boxed(),
                _ => proptest::option::weighted(0.5, p.node.valid()).boxed(),
            };
            names.push(p.name.clone());
            slots.push(s);
        }
        let extras = match &self.extra {
            Some(node) => {
                let declared: Vec<String> = self.props.iter().map(|p| p.name.clone()).collect();
                proptest::collection::btree_map("[a-z]{1,8}", node.valid(), 0..=2)
                    .prop_map(move |m| {
                        m.into_iter()
                            .filter(|(k, _)| !declared.contains(k))
                            .collect::<Vec<_>>()
                    })
                    .boxed()
            }
            None => Just(Vec::new()).boxed(),
        };
        let (min, max) = (self.min_props, self.max_props);
        (slots, extras)
            .prop_map(move |(values, extras)| {
                let mut out = Map::new();
                for (name, v) in names.iter().zip(values) {
                    if let Some(v) = v {
                        out.insert(name.clone(), v);
                    }
                }
                for (k, v) in extras {
                    out.insert(k, v);
                }
                Value::Object(out)
            })
            .prop_filter("within minProperties and maxProperties", move |v| {
                let n = v.as_object().map_or(0, Map::len);
                n >= min && max.is_none_or(|m| n <= m)
            })
            .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Direction, compile};
    use super::*;
    use proptest::test_runner::TestRunner;
    use serde_json::json;

    const URI: &str = "file:///t.yaml";

    fn samples(
        doc: Value,
        name: &str,
        direction: Direction,
    ) -> (Vec<Value>, jsonschema::Validator) {
        let r = Arc::new(Resources::new(URI, json!({"components": {"schemas": doc}})));
        let schema = Located {
            base: URI,
            value: &r.root()["components"]["schemas"][name],
        };
        let s = compile(&r, schema, direction).unwrap().valid();
        let mut runner = TestRunner::deterministic();
        let values = (0..64)
            .map(|_| s.new_tree(&mut runner).unwrap().current())
            .collect();
        let mut whole = r.root().clone();
        whole["$ref"] = json!(format!("#/components/schemas/{name}"));
        (values, jsonschema::validator_for(&whole).unwrap())
    }

    #[test]
    fn one_of_values_match_exactly_one_branch() {
        let (values, v) = samples(
            json!({"N": {"oneOf": [{"type": "integer", "multipleOf": 2},
                                   {"type": "integer", "multipleOf": 3}]}}),
            "N",
            Direction::Request,
        );
        for x in values {
            assert!(v.is_valid(&x), "{x}");
        }
    }

    #[test]
    fn a_discriminator_names_the_chosen_branch() {
        let (values, _) = samples(
            json!({"Pet": {"oneOf": [{"$ref": "#/components/schemas/Cat"},
                                     {"$ref": "#/components/schemas/Dog"}],
                           "discriminator": {"propertyName": "kind",
                               "mapping": {"cat": "#/components/schemas/Cat", "dog": "Dog"}}},
                   "Cat": {"type": "object", "required": ["kind"],
                           "properties": {"kind": {"type": "string"}, "meows": {"type": "boolean"}}},
                   "Dog": {"type": "object", "required": ["kind"],
                           "properties": {"kind": {"type": "string"}}}}),
            "Pet",
            Direction::Request,
        );
        for x in values {
            let kind = x["kind"].as_str().unwrap();
            assert!(kind == "cat" || kind == "dog", "{x}");
        }
    }

    #[test]
    fn recursive_schemas_end() {
        let (values, v) = samples(
            json!({"Node": {"type": "object", "required": ["children"], "properties": {
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}}}),
            "Node",
            Direction::Response,
        );
        for x in values {
            assert!(v.is_valid(&x), "{x}");
        }
    }

    #[test]
    fn requests_leave_out_read_only_properties_and_responses_write_only_ones() {
        let doc = json!({"U": {"type": "object", "properties": {
            "id": {"type": "string", "readOnly": true},
            "password": {"type": "string", "writeOnly": true},
            "name": {"type": "string"}}, "required": ["name"]}});
        let (req, _) = samples(doc.clone(), "U", Direction::Request);
        assert!(req.iter().all(|x| x.get("id").is_none()));
        assert!(req.iter().any(|x| x.get("password").is_some()));
        let (resp, _) = samples(doc, "U", Direction::Response);
        assert!(resp.iter().all(|x| x.get("password").is_none()));
    }

    #[test]
    fn lengths_count_characters_and_unique_items_hold() {
        let (values, v) = samples(
            json!({"A": {"type": "array", "uniqueItems": true, "minItems": 2, "maxItems": 3,
                "items": {"type": "string", "minLength": 2, "maxLength": 2, "format": "uuid"}},
                "B": {"type": "array", "uniqueItems": true, "minItems": 2,
                "items": {"type": "string", "minLength": 1, "maxLength": 3}}}),
            "B",
            Direction::Request,
        );
        for x in values {
            assert!(v.is_valid(&x), "{x}");
        }
    }

    #[test]
    fn additional_properties_false_allows_no_extras_and_a_schema_types_them() {
        let (values, v) = samples(
            json!({"M": {"type": "object", "additionalProperties": {"type": "integer"}},
                   "C": {"type": "object", "additionalProperties": false,
                         "properties": {"a": {"type": "integer"}}}}),
            "M",
            Direction::Request,
        );
        assert!(values.iter().any(|x| !x.as_object().unwrap().is_empty()));
        for x in values {
            assert!(v.is_valid(&x), "{x}");
        }
    }
}
