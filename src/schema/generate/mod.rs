//! Deterministic generation of JSON values that satisfy a JSON Schema (2020-12, as normalised by
//! the loader): the data the mock answers with.
//!
//! Implementation rationale: every schema is handled as a *conjunction* of located subschemas.
//! `$ref` (with its siblings) and `allOf` are flattened into one effective schema (a [`Merged`], see `schema_merge`) whose
//! bounds are the tightest of all branches; `anyOf`/`oneOf` are resolved by picking a branch and
//! adding it to the conjunction, then merging again. Object and array keywords stay grouped per
//! branch, because `additionalProperties` and `items` only make sense next to the `properties` and
//! `prefixItems` of their own schema. Randomness comes from one seeded SplitMix64 stream, and
//! output order follows the schema, so the same input always gives the same bytes.
//!
//! The generator does its best, not a proof: callers validate what it returns and retry with
//! another seed (or without examples) when it falls short.
//!
//! - this file: options, the entry, conjunctions and their `anyOf`/`oneOf` choices, the type.
//! - `values`: numbers and strings (formats, patterns, realistic words).
//! - `collections`: arrays and objects.

mod collections;
#[cfg(test)]
mod tests;
mod values;

use serde_json::Value;

use crate::document::refs::{Located, Resources};
pub use crate::schema::error::SchemaError;
use crate::schema::error::{MAX_SOFT_DEPTH, hard_depth};
use crate::schema::merge::{
    ARR, BOOL, Choice, INT, MergeError, Merged, Merger, NULL, NUM, OBJ, Reach, STR, mapping_key,
    value_bits,
};
use crate::schema::pattern::Pattern;
use crate::schema::validators::{Matcher, Matchers};
pub(crate) use crate::seed::Rng;
use values::is_int_format;

/// Which side of an exchange a value is for: requests never carry `readOnly` properties and
/// responses never carry `writeOnly` ones (unless they are required).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Request,
    Response,
}

/// How to generate.
#[derive(Debug, Clone)]
pub struct GenOptions {
    pub seed: u64,
    /// Nesting depth past which only required properties and minimal arrays are produced
    /// (at most 32, whatever is asked).
    pub max_depth: usize,
    pub direction: Direction,
    /// Answer with a schema's first `examples` entry (or its `default`) when it has one.
    pub use_examples: bool,
}

impl Default for GenOptions {
    fn default() -> Self {
        Self {
            seed: 0,
            max_depth: 6,
            direction: Direction::Response,
            use_examples: true,
        }
    }
}

/// Generates a value satisfying `schema`, a schema of the document `matchers` judges for
/// (its `$ref`s resolve within that document's files).
pub fn generate<'a>(
    matchers: &'a Matchers,
    schema: Located<'a>,
    opts: &GenOptions,
) -> Result<Value, SchemaError> {
    let mut g = Generator {
        resources: matchers.resources(),
        matcher: match opts.direction {
            Direction::Request => &matchers.request,
            Direction::Response => &matchers.response,
        },
        opts,
        rng: Rng::new(opts.seed),
        work: WORK_BUDGET,
    };
    let ctx = Ctx {
        depth: 0,
        path: String::new(),
        name: None,
    };
    g.gen_conj(&[schema], &ctx)
}

/// A string of `min_len..=max_len` code points matched by the ECMA-262 `pattern`, or `None` when
/// the pattern is unsupported or no such string was found.
pub fn generate_string_for_pattern(
    pattern: &str,
    rng_seed: u64,
    min_len: usize,
    max_len: Option<usize>,
) -> Option<String> {
    Pattern::parse(pattern)
        .ok()?
        .generate(&mut Rng::new(rng_seed), min_len, max_len)
}

/// Subschema generations one call may perform; bounds pathological retry trees.
const WORK_BUDGET: usize = 200_000;
/// The most characters, items or properties a generated value must have. A schema asking for
/// more (`minLength: 9007199254740993`) is answered with an error rather than with all the
/// time and memory of the process.
pub(super) const MAX_SIZE: usize = 10_000;
/// Attempts at a value that some check (uniqueness, `not`, `oneOf` exclusivity) rejected.
const RETRIES: usize = 8;
/// Rounds of picking `anyOf`/`oneOf` branches, whose own branches may hold more choices.
const CHOICE_ROUNDS: usize = 32;

/// Where in the instance we are, and what the property is called (for realistic strings).
#[derive(Debug, Clone)]
struct Ctx<'n> {
    depth: usize,
    path: String,
    name: Option<&'n str>,
}

impl Ctx<'_> {
    fn child<'n>(&self, token: &str, name: Option<&'n str>) -> Ctx<'n> {
        Ctx {
            depth: self.depth + 1,
            path: crate::document::refs::pointer_join(&self.path, &[token]),
            name,
        }
    }
}

struct Generator<'a, 'o> {
    resources: &'a Resources,
    /// Judges a value against one schema, where building a value cannot decide: an `enum`
    /// value must fit its siblings, a `not` must not match, a `oneOf` value must match one
    /// branch only.
    matcher: &'a Matcher,
    opts: &'o GenOptions,
    rng: Rng,
    work: usize,
}

impl<'a> Generator<'a, '_> {
    fn max_depth(&self) -> usize {
        self.opts.max_depth.min(MAX_SOFT_DEPTH)
    }

    fn at(ctx: &Ctx<'_>, eff: Option<&Merged<'a>>) -> String {
        Self::at_origin(ctx, eff.and_then(|e| e.origin.as_deref()))
    }

    fn at_origin(ctx: &Ctx<'_>, origin: Option<&str>) -> String {
        let path = if ctx.path.is_empty() { "/" } else { &ctx.path };
        match origin {
            Some(origin) => format!("`{path}` (schema {origin})"),
            None => format!("`{path}`"),
        }
    }

    fn unsat(ctx: &Ctx<'_>, eff: &Merged<'a>, reason: impl Into<String>) -> SchemaError {
        SchemaError::Unsatisfiable {
            at: Self::at(ctx, Some(eff)),
            reason: reason.into(),
        }
    }

    /// `Err` when `keyword` asks for a value bigger than [`MAX_SIZE`].
    fn sized(ctx: &Ctx<'_>, eff: &Merged<'a>, keyword: &str, n: usize) -> Result<(), SchemaError> {
        if n > MAX_SIZE {
            return Err(Self::unsat(
                ctx,
                eff,
                format!("`{keyword}: {n}` asks for more than understudy generates ({MAX_SIZE})"),
            ));
        }
        Ok(())
    }

    // ----- merging -------------------------------------------------------------------------

    /// Flattens a conjunction into one effective schema; `resolved` lists the `anyOf`/`oneOf`
    /// arrays whose chosen branch is already part of `conj`.
    fn merge(
        &self,
        conj: &[Located<'a>],
        resolved: &[*const Value],
        ctx: &Ctx<'_>,
    ) -> Result<Merged<'a>, SchemaError> {
        let merger = Merger {
            resources: self.resources,
            reach: Reach {
                dynamic_ref: true,
                if_then: true,
            },
        };
        merger.merge(conj, resolved).map_err(|e| match e {
            MergeError::Ref { origin, source } => SchemaError::Ref {
                at: Self::at_origin(ctx, origin.as_deref()),
                source,
            },
            MergeError::Cycle { origin } => SchemaError::Recursion {
                at: Self::at_origin(ctx, origin.as_deref()),
                limit: 0,
            },
        })
    }

    // ----- entry: conjunctions and choices --------------------------------------------------

    fn spend(&mut self, ctx: &Ctx<'_>) -> Result<(), SchemaError> {
        if self.work == 0 {
            return Err(SchemaError::Exhausted {
                at: Self::at(ctx, None),
            });
        }
        self.work -= 1;
        Ok(())
    }

    fn gen_conj(&mut self, conj: &[Located<'a>], ctx: &Ctx<'_>) -> Result<Value, SchemaError> {
        self.spend(ctx)?;
        let limit = hard_depth(self.opts.max_depth);
        if ctx.depth > limit {
            return Err(SchemaError::Recursion {
                at: Self::at(ctx, None),
                limit,
            });
        }
        let eff = self.merge(conj, &[], ctx)?;
        if eff.choices.is_empty() {
            return self.gen_eff(&eff, conj, &[], ctx);
        }
        let mut last_err = None;
        // Overlapping `oneOf` branches (multiples of 2 and of 3, say) may need a few draws.
        for _ in 0..RETRIES * 2 {
            match self.gen_with_choices(conj, ctx) {
                Ok((v, picked)) => {
                    if !self.matches_other_one_of_branch(&picked, &v) {
                        return Ok(v);
                    }
                    last_err = Some(Ok(v));
                }
                Err(e @ (SchemaError::Exhausted { .. } | SchemaError::Ref { .. })) => {
                    return Err(e);
                }
                Err(e) => last_err = Some(Err(e)),
            }
        }
        // The caller validates; an imperfect `oneOf` value is better than none.
        last_err.unwrap_or_else(|| {
            Err(SchemaError::Exhausted {
                at: Self::at(ctx, Some(&eff)),
            })
        })
    }

    /// Picks a branch for every `anyOf`/`oneOf` (and those the branches bring), then generates.
    /// Returns the value and the `oneOf`s with the index chosen in each.
    #[allow(clippy::type_complexity)]
    fn gen_with_choices(
        &mut self,
        conj: &[Located<'a>],
        ctx: &Ctx<'_>,
    ) -> Result<(Value, Vec<(Choice<'a>, usize)>), SchemaError> {
        let mut conj = conj.to_vec();
        let mut resolved = Vec::new();
        let mut forced: Vec<(&'a str, Value)> = Vec::new();
        let mut picked = Vec::new();
        for _ in 0..CHOICE_ROUNDS {
            let eff = self.merge(&conj, &resolved, ctx)?;
            if eff.choices.is_empty() {
                let v = self.gen_eff(&eff, &conj, &forced, ctx)?;
                return Ok((v, picked));
            }
            for choice in eff.choices {
                if resolved.contains(&choice.id) {
                    continue; // the same array reached twice through the conjunction
                }
                let index = self.pick_branch(&conj, &resolved, &choice, ctx)?;
                let branch = Located {
                    base: choice.base,
                    value: &choice.branches[index],
                };
                if let Some(f) = self.discriminator_value(&choice, branch) {
                    forced.push(f);
                }
                conj.push(branch);
                resolved.push(choice.id);
                if choice.one_of {
                    picked.push((choice, index));
                }
            }
        }
        Err(SchemaError::Exhausted {
            at: Self::at(ctx, None),
        })
    }

    /// A branch compatible with the rest of the conjunction, by seed; past `max_depth`, the
    /// least nested kind of branch, so recursion bottoms out.
    fn pick_branch(
        &mut self,
        conj: &[Located<'a>],
        resolved: &[*const Value],
        choice: &Choice<'a>,
        ctx: &Ctx<'_>,
    ) -> Result<usize, SchemaError> {
        let mut viable = Vec::new();
        for (i, b) in choice.branches.iter().enumerate() {
            let mut trial = conj.to_vec();
            trial.push(Located {
                base: choice.base,
                value: b,
            });
            let mut res = resolved.to_vec();
            res.push(choice.id);
            let eff = match self.merge(&trial, &res, ctx) {
                Ok(eff) => eff,
                Err(SchemaError::Ref { source, at }) => {
                    return Err(SchemaError::Ref { source, at });
                }
                Err(_) => continue,
            };
            if eff.never.is_some() || eff.allowed_types() == 0 {
                continue;
            }
            let weight = eff.nesting_weight(eff.allowed_types());
            viable.push((i, weight));
        }
        if viable.is_empty() {
            return Err(SchemaError::Unsatisfiable {
                at: Self::at(ctx, None),
                reason: format!(
                    "no `{}` branch is compatible with the rest of the schema",
                    if choice.one_of { "oneOf" } else { "anyOf" }
                ),
            });
        }
        if ctx.depth >= self.max_depth() {
            let best = viable.iter().map(|&(_, w)| w).min().unwrap_or(0);
            viable.retain(|&(_, w)| w == best);
        }
        // `viable` was checked non-empty above, so `pick` always answers; index 0 is a formality.
        let &(i, _) = self.rng.pick(&viable).unwrap_or(&viable[0]);
        Ok(i)
    }

    /// The discriminator property and the value naming `branch`, per OpenAPI: the mapping key
    /// whose target is the branch's `$ref`, else the last segment of that `$ref`.
    fn discriminator_value(
        &self,
        choice: &Choice<'a>,
        branch: Located<'a>,
    ) -> Option<(&'a str, Value)> {
        let disc = choice.discriminator?;
        let prop = disc.get("propertyName")?.as_str()?;
        let reference = branch.value.get("$ref")?.as_str()?;
        let target = Resources::absolute(branch.base, reference).ok()?;
        if let Some(Value::Object(mapping)) = disc.get("mapping")
            && let Some(key) = mapping_key(choice.base, mapping, &target).ok()?
        {
            return Some((prop, Value::String(key.clone())));
        }
        let name = target.rsplit('/').next()?;
        Some((prop, Value::String(name.to_owned())))
    }

    fn matches_other_one_of_branch(&self, picked: &[(Choice<'a>, usize)], v: &Value) -> bool {
        picked.iter().any(|(choice, index)| {
            choice.branches.iter().enumerate().any(|(i, b)| {
                i != *index
                    && self.matcher.matches(
                        Located {
                            base: choice.base,
                            value: b,
                        },
                        v,
                    ) == Some(true)
            })
        })
    }

    // ----- values ------------------------------------------------------------------------------

    fn gen_eff(
        &mut self,
        eff: &Merged<'a>,
        conj: &[Located<'a>],
        forced: &[(&'a str, Value)],
        ctx: &Ctx<'_>,
    ) -> Result<Value, SchemaError> {
        if let Some(reason) = &eff.never {
            return Err(Self::unsat(ctx, eff, reason.clone()));
        }
        if let Some(&first) = eff.consts.first() {
            if eff.consts.iter().any(|c| *c != first) {
                return Err(Self::unsat(ctx, eff, "conflicting `const` values"));
            }
            return Ok(first.clone());
        }
        if let Some(first) = eff.enums.first() {
            let candidates: Vec<&Value> = first
                .iter()
                .filter(|v| eff.enums.iter().all(|e| e.contains(v)))
                .filter(|v| value_bits(v) & eff.allowed_types() != 0)
                .filter(|v| {
                    conj.iter()
                        .all(|c| self.matcher.matches(*c, v) != Some(false))
                })
                .collect();
            return match self.rng.pick(&candidates) {
                Some(v) => Ok((*v).clone()),
                None => Err(Self::unsat(
                    ctx,
                    eff,
                    "no `enum` value fits the other constraints",
                )),
            };
        }
        if self.opts.use_examples
            && let Some(ex) = eff.example
        {
            return Ok(ex.clone());
        }
        let allowed = eff.allowed_types();
        if allowed == 0 {
            return Err(Self::unsat(ctx, eff, "no type satisfies every `type`"));
        }
        let past = ctx.depth >= self.max_depth();
        // A `not` may rule out most of a small range, so it gets more attempts.
        for _ in 0..RETRIES * 4 {
            let t = self.choose_type(eff, allowed, past);
            let v = match t {
                NULL => Value::Null,
                BOOL => Value::Bool(self.rng.chance(1, 2)),
                OBJ => self.gen_object(eff, forced, ctx)?,
                ARR => self.gen_array(eff, ctx)?,
                INT => self.gen_number(eff, true, ctx)?,
                // A `number` may well be integral: half the time try that first.
                NUM if self.rng.chance(1, 2) || is_int_format(eff.format) => self
                    .gen_number(eff, true, ctx)
                    .or_else(|_| self.gen_number(eff, false, ctx))?,
                NUM => self.gen_number(eff, false, ctx)?,
                _ => self.gen_string(eff, ctx)?,
            };
            if eff
                .nots
                .iter()
                .all(|n| self.matcher.matches(*n, &v) != Some(true))
            {
                return Ok(v);
            }
        }
        Err(Self::unsat(ctx, eff, "every value tried matches a `not`"))
    }

    /// One type to generate from the allowed set; `null` only now and then (or to end
    /// recursion), and the keywords present decide for untyped schemas.
    fn choose_type(&mut self, eff: &Merged<'a>, allowed: u8, past: bool) -> u8 {
        let mut pool = allowed;
        if eff.types.is_none() {
            let hinted = eff.inferred & allowed;
            pool = if hinted != 0 {
                hinted
            } else if allowed & STR != 0 {
                STR
            } else {
                allowed
            };
        }
        if pool & NULL != 0 && pool != NULL {
            let prefer_null = if past { true } else { self.rng.chance(1, 6) };
            if prefer_null {
                return NULL;
            }
            pool &= !NULL;
        }
        // A `number` slot holds integers too; generate a fractional number or an integer.
        let kinds: Vec<u8> = [BOOL, OBJ, ARR, NUM, STR]
            .into_iter()
            .filter(|&b| pool & b != 0)
            .chain((pool & INT != 0 && pool & NUM == 0).then_some(INT))
            .collect();
        self.rng.pick(&kinds).copied().unwrap_or(NULL)
    }
}
