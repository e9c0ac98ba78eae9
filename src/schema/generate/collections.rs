//! Arrays and objects: lengths, uniqueness and `contains`; required, optional and extra
//! properties, `dependentRequired`, `propertyNames`, and the direction's hidden properties.
//! An optional property (or an item past `minItems`) that no value fits is left out; only a
//! required one makes the whole value ungenerable.

use serde_json::{Map, Value};

use super::values::WORDS;
use super::{Ctx, Direction, Generator, RETRIES, SchemaError, generate_string_for_pattern};
use crate::document::refs::Located;
use crate::schema::merge::Merged;

static FALSE: Value = Value::Bool(false);

/// Whether an error says that no value fits a schema (so an optional member or item can be
/// left out), rather than that generation itself failed (a broken `$ref`, the work budget
/// spent), which leaving things out would not mend.
fn leaves_no_value(e: &SchemaError) -> bool {
    matches!(
        e,
        SchemaError::Unsatisfiable { .. }
            | SchemaError::Recursion { .. }
            | SchemaError::Pattern { .. }
    )
}

impl<'a> Generator<'a, '_> {
    pub(super) fn gen_array(
        &mut self,
        eff: &Merged<'a>,
        ctx: &Ctx<'_>,
    ) -> Result<Value, SchemaError> {
        Self::sized(ctx, eff, "minItems", eff.min_items)?;
        Self::sized(ctx, eff, "minContains", eff.min_contains.unwrap_or(0))?;
        let mut lo = eff.min_items;
        let mut hi = eff.max_items.unwrap_or(usize::MAX);
        for b in &eff.arr {
            if b.items == Some(&Value::Bool(false)) {
                hi = hi.min(b.prefix.len());
            }
        }
        let need_contains = if eff.contains.is_empty() {
            0
        } else {
            eff.min_contains.unwrap_or(1)
        };
        lo = lo.max(need_contains);
        if lo > hi {
            return Err(Self::unsat(
                ctx,
                eff,
                "`minItems` (or `minContains`) exceeds what is allowed",
            ));
        }
        let past = ctx.depth >= self.max_depth();
        let n = if past {
            lo
        } else {
            let top = hi.min(lo.max(1) + 2);
            lo.max(1).min(top) + self.rng.below((top - lo.max(1).min(top)) as u64 + 1) as usize
        };
        let mut items: Vec<Value> = Vec::with_capacity(n);
        while items.len() < n {
            let i = items.len();
            let mut conj = eff.item_schemas(i);
            if i < need_contains {
                conj.extend(eff.contains.iter().copied());
            }
            let child = ctx.child(&i.to_string(), ctx.name);
            let mut fresh = None;
            // Small domains (a few integers, an enum) need many draws to find the last value.
            for _ in 0..RETRIES * 8 {
                let v = match self.gen_conj(&conj, &child) {
                    Ok(v) => v,
                    // Items no value fits: as many as there are already will do, when that is
                    // enough for `minItems` (an empty array, often).
                    Err(e) if items.len() >= lo && leaves_no_value(&e) => break,
                    Err(e) => return Err(e),
                };
                if !eff.unique || !items.contains(&v) {
                    fresh = Some(v);
                    break;
                }
            }
            match fresh {
                Some(v) => items.push(v),
                None if items.len() >= lo => break,
                None => {
                    return Err(Self::unsat(
                        ctx,
                        eff,
                        "the items cannot take enough distinct values for `uniqueItems`",
                    ));
                }
            }
        }
        Ok(Value::Array(items))
    }

    pub(super) fn gen_object(
        &mut self,
        eff: &Merged<'a>,
        forced: &[(&'a str, Value)],
        ctx: &Ctx<'_>,
    ) -> Result<Value, SchemaError> {
        Self::sized(ctx, eff, "minProperties", eff.min_props)?;
        let past = ctx.depth >= self.max_depth();
        let mut declared: Vec<&'a str> = Vec::new();
        for b in &eff.obj {
            for k in b.props.into_iter().flat_map(|p| p.keys()) {
                if !declared.contains(&k.as_str()) {
                    declared.push(k);
                }
            }
        }
        let is_required =
            |k: &str| eff.required.contains(&k) || forced.iter().any(|(f, _)| *f == k);
        let mut keys: Vec<&'a str> = Vec::new();
        let mut optional: Vec<&'a str> = Vec::new();
        for &k in &declared {
            if is_required(k) {
                keys.push(k);
            } else if self.may_include(eff, k, ctx)? {
                optional.push(k);
            }
        }
        for &r in eff.required.iter().chain(forced.iter().map(|(f, _)| f)) {
            if !keys.contains(&r) {
                keys.push(r);
            }
        }
        let keep_p = if ctx.depth < 3 { 3 } else { 1 };
        let mut spare = Vec::new();
        for k in optional {
            if !past && self.rng.chance(keep_p, 4) {
                keys.push(k);
            } else {
                spare.push(k);
            }
        }
        // dependentRequired: repeat until nothing more is pulled in.
        loop {
            let before = keys.len();
            for (k, deps) in &eff.dep_required {
                if keys.contains(k) {
                    for d in deps.iter().filter_map(Value::as_str) {
                        if !keys.contains(&d) {
                            keys.push(d);
                        }
                    }
                }
            }
            if keys.len() == before {
                break;
            }
        }
        while keys.len() < eff.min_props && !spare.is_empty() {
            keys.push(spare.remove(0));
        }
        let max = eff.max_props.unwrap_or(usize::MAX);
        while keys.len() > max {
            match keys.iter().rposition(|k| !is_required(k)) {
                Some(i) => {
                    keys.remove(i);
                }
                None => {
                    return Err(Self::unsat(
                        ctx,
                        eff,
                        "more properties are required than `maxProperties` allows",
                    ));
                }
            }
        }
        // Declared order, for stable and readable output.
        keys.sort_by_key(|k| declared.iter().position(|d| d == k).unwrap_or(usize::MAX));
        let mut out = Map::new();
        for &k in &keys {
            let conj = Self::key_conj(eff, k);
            let child = ctx.child(k, Some(k));
            let forced_v = forced.iter().rev().find(|(f, _)| *f == k).map(|(_, v)| v);
            let v = match forced_v {
                Some(v) if !self.merge(&conj, &[], &child)?.fixes_value() => v.clone(),
                _ => match self.gen_conj(&conj, &child) {
                    Ok(v) => v,
                    // An optional member no value fits is left out: the object is valid
                    // without it. Only a required one makes the object ungenerable.
                    Err(e) if !is_required(k) && leaves_no_value(&e) => continue,
                    Err(e) => return Err(e),
                },
            };
            out.insert(k.to_owned(), v);
        }
        // Extra keys: to reach minProperties, or to give a map-like schema an entry or two.
        let map_like = declared.is_empty()
            && eff
                .obj
                .iter()
                .any(|b| b.additional.is_some_and(Value::is_object) || b.patterns.is_some());
        let mut extra = eff.min_props.saturating_sub(out.len());
        if map_like && !past && extra == 0 {
            extra = 1 + self.rng.below(2) as usize;
        }
        let mut tries = 0;
        while extra > 0 && out.len() < max && tries < extra * RETRIES + RETRIES {
            tries += 1;
            let Some(name) = self.extra_key(eff, ctx)? else {
                continue;
            };
            if out.contains_key(&name) {
                continue;
            }
            let conj = Self::key_conj(eff, &name);
            let child = ctx.child(&name, None);
            if self.merge(&conj, &[], &child)?.never.is_some() {
                continue;
            }
            let v = self.gen_conj(&conj, &child)?;
            out.insert(name, v);
            extra -= 1;
        }
        if out.len() < eff.min_props {
            return Err(Self::unsat(
                ctx,
                eff,
                "cannot add enough properties for `minProperties`",
            ));
        }
        Ok(Value::Object(out))
    }

    /// Whether an optional declared property may appear at all: not forbidden, and not
    /// `readOnly` in a request or `writeOnly` in a response.
    fn may_include(&self, eff: &Merged<'a>, k: &str, ctx: &Ctx<'_>) -> Result<bool, SchemaError> {
        let conj = Self::key_conj(eff, k);
        let child = ctx.child(k, None);
        let p = self.merge(&conj, &[], &child)?;
        let hidden = match self.opts.direction {
            Direction::Request => p.read_only,
            Direction::Response => p.write_only,
        };
        Ok(p.never.is_none() && !hidden)
    }

    /// A name for an undeclared property: from `propertyNames` or a `patternProperties`
    /// pattern when there is one, else a plain word.
    fn extra_key(
        &mut self,
        eff: &Merged<'a>,
        ctx: &Ctx<'_>,
    ) -> Result<Option<String>, SchemaError> {
        if !eff.prop_names.is_empty() {
            let names = self.gen_conj(&eff.prop_names, &ctx.child("", None))?;
            return Ok(names.as_str().map(str::to_owned));
        }
        let patterns: Vec<&'a str> = eff
            .obj
            .iter()
            .flat_map(|b| b.patterns.into_iter().flat_map(|p| p.keys()))
            .map(String::as_str)
            .collect();
        let open = eff
            .obj
            .iter()
            .all(|b| b.additional != Some(&Value::Bool(false)))
            && !eff.closed;
        if let Some(p) = self
            .rng
            .pick(&patterns)
            .copied()
            .filter(|_| !open || self.rng.chance(1, 2))
        {
            return Ok(generate_string_for_pattern(
                p,
                self.rng.next_u64(),
                1,
                Some(24),
            ));
        }
        Ok(Some(format!(
            "{}{}",
            WORDS[self.rng.below(WORDS.len() as u64) as usize],
            self.rng.below(100)
        )))
    }
    /// The schemas the value of property `key` must satisfy; the schema `false` when the key
    /// is not allowed.
    fn key_conj(eff: &Merged<'a>, key: &str) -> Vec<Located<'a>> {
        eff.key_schemas(key).unwrap_or_else(|| {
            vec![Located {
                base: "",
                value: &FALSE,
            }]
        })
    }
}
