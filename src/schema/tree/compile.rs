//! Compiling: a conjunction of located schemas, merged once by `merge`, into a [`Node`]; an
//! `anyOf`/`oneOf` into a union of the conjunction with each branch added, a discriminator
//! into the property it pins; a lone `$ref` shared through the cache. Arrays and objects are
//! in `collections`.

mod collections;

use std::sync::Arc;

use serde_json::Value;

use super::{
    ANY, Alt, Cache, IntSpec, Kind, NULL, Node, NumSpec, OBJ, Reject, SOFT_DEPTH, STR, StrSpec,
    UnionNode, node_types, value_bits,
};
use crate::document::refs::{Located, Resources};
use crate::schema::error::{SchemaError, hard_depth};
use crate::schema::generate::Direction;
use crate::schema::merge::{
    ARR, BOOL, Choice, INT, MergeError, Merged, Merger, NUM, Reach, mapping_key,
};

/// Compiles schemas of one document for one direction.
pub(crate) struct Compiler<'a> {
    resources: &'a Resources,
    direction: Direction,
    cache: &'a Cache,
}

/// Keywords that change nothing in a node: a schema with only these and `$ref` is its target.
const INERT: &[&str] = &["$ref", "description", "title", "$comment"];

static FALSE: Value = Value::Bool(false);

impl<'a> Compiler<'a> {
    pub(crate) fn new(cache: &'a Cache) -> Self {
        Self {
            resources: &cache.resources,
            direction: cache.direction,
            cache,
        }
    }

    /// The schema a `$ref`-only schema stands for (through chains of them); `None` when
    /// `loc` is not one.
    fn ref_target(&self, mut loc: Located<'a>) -> Option<Located<'a>> {
        let mut followed = false;
        for _ in 0..32 {
            let Value::Object(o) = loc.value else { break };
            let Some(r) = o.get("$ref").and_then(Value::as_str) else {
                break;
            };
            if !o.keys().all(|k| INERT.contains(&k.as_str())) {
                break;
            }
            loc = self.resources.resolve(loc.base, r).ok()?;
            followed = true;
        }
        followed.then_some(loc)
    }

    /// Compiles the schemas a child value (an item, a property) must satisfy; a lone `$ref`
    /// is compiled once per depth class and shared.
    fn child(
        &self,
        conj: &[Located<'a>],
        path: &str,
        depth: usize,
    ) -> Result<Arc<Node>, SchemaError> {
        let target = match conj {
            [only] => self.ref_target(*only),
            _ => None,
        };
        let Some(target) = target else {
            return self.compile(conj, &[], &[], path, depth).map(Arc::new);
        };
        let key = (target.value as *const Value, depth.min(SOFT_DEPTH));
        if let Some(found) = self.cache.nodes.borrow().get(&key) {
            return Ok(found.clone());
        }
        let node = Arc::new(self.compile(&[target], &[], &[], path, depth)?);
        self.cache.nodes.borrow_mut().insert(key, node.clone());
        Ok(node)
    }

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
    ) -> Result<Merged<'a>, SchemaError> {
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
            MergeError::Ref { source, .. } => SchemaError::Ref {
                at: Self::at(path),
                source,
            },
            MergeError::Cycle { .. } => SchemaError::Recursion {
                at: Self::at(path),
                limit: hard_depth(SOFT_DEPTH),
            },
        })
    }

    fn reject(&self, schemas: Vec<Located<'a>>) -> Option<Reject> {
        let schemas: Vec<_> = schemas
            .into_iter()
            .filter_map(|s| self.cache.matcher.check(s))
            .collect();
        if schemas.is_empty() {
            return None;
        }
        Some(Reject { schemas })
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
    ) -> Result<Node, SchemaError> {
        if depth > hard_depth(SOFT_DEPTH) {
            return Err(SchemaError::Recursion {
                at: Self::at(path),
                limit: hard_depth(SOFT_DEPTH),
            });
        }
        let m = self.merge(conj, resolved, path)?;
        if m.false_schema {
            return Err(SchemaError::Unsatisfiable {
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
    ) -> Result<Node, SchemaError> {
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
                Err(e @ SchemaError::Ref { .. }) => return Err(e),
                Err(e) => {
                    last_err = Some(e);
                    continue;
                }
            };
            let node = match self.compile(&trial, &res, &f, path, depth) {
                Ok(n) => n,
                Err(e @ SchemaError::Ref { .. }) => return Err(e),
                Err(e) => {
                    last_err = Some(e);
                    continue;
                }
            };
            let reject = if choice.one_of {
                let others: Vec<Located<'a>> = choice
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
            return Err(last_err.unwrap_or_else(|| SchemaError::Unsatisfiable {
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
    ) -> Result<Node, SchemaError> {
        let allowed = m.declared_types();
        let unsat = |reason: &str| SchemaError::Unsatisfiable {
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
                        .all(|c| self.cache.matcher.matches(*c, v) != Some(false))
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
                Err(e @ SchemaError::Ref { .. }) => return Err(e),
                Err(e) if kinds.is_empty() && pool & OBJ == 0 => return Err(e),
                Err(_) => {}
            }
        }
        if pool & OBJ != 0 {
            match self.object(m, forced, path, depth) {
                Ok(o) => kinds.push(Kind::Obj(o)),
                Err(e @ SchemaError::Ref { .. }) => return Err(e),
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
}
