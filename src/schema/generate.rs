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

use serde_json::{Map, Value};

use crate::document::refs::{Located, RefError, Resources};
use crate::schema::merge::{
    ANY, ARR, BOOL, Choice, INT, MergeError, Merged, Merger, NULL, NUM, OBJ, Reach, STR,
    decimals_of, mapping_key, number_value, round_to, types_of, value_bits,
};
use crate::schema::pattern::Pattern;
pub(crate) use crate::seed::Rng;

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

/// Why no value could be generated. `at` is the instance location (a JSON pointer into the
/// value being built), followed by the last `$ref` taken to reach the schema, if any.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error("cannot follow a `$ref` at {at}: {source}")]
    Ref {
        at: String,
        #[source]
        source: RefError,
    },
    #[error("no value satisfies the schema at {at}: {reason}")]
    Unsatisfiable { at: String, reason: String },
    #[error("the schema at {at} requires itself without end (nesting deeper than {limit})")]
    Recursion { at: String, limit: usize },
    #[error("pattern `{pattern}` at {at} is not supported: {reason}")]
    Pattern {
        at: String,
        pattern: String,
        reason: String,
    },
    #[error("gave up at {at}: the schema needs too many attempts")]
    Exhausted { at: String },
}

/// Generates a value satisfying `schema`, whose `$ref`s resolve within `resources`.
pub fn generate<'a>(
    resources: &'a Resources,
    schema: Located<'a>,
    opts: &GenOptions,
) -> Result<Value, GenError> {
    let mut g = Generator {
        resources,
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

/// A quick, partial look at whether `v` satisfies `schema`: `Some` only when every keyword
/// involved was understood. The fuzz strategies steer with it (a `oneOf` value must not match
/// another branch, a `not` must not match); it is never the final word.
pub(crate) fn quick_check(resources: &Resources, schema: Located<'_>, v: &Value) -> Option<bool> {
    let opts = GenOptions::default();
    let g = Generator {
        resources,
        opts: &opts,
        rng: Rng::new(0),
        work: 0,
    };
    match g.check(schema, v, 8) {
        Verdict::Yes => Some(true),
        Verdict::No => Some(false),
        Verdict::Unknown => None,
    }
}

/// Levels of nesting past `max_depth` before recursion is declared endless.
const HARD_DEPTH_EXTRA: usize = 16;
/// `max_depth` is capped here: the walk recurses once per level and must fit a thread's stack.
const MAX_DEPTH_CAP: usize = 32;
/// Subschema generations one call may perform; bounds pathological retry trees.
const WORK_BUDGET: usize = 200_000;
/// The most characters, items or properties a generated value must have. A schema asking for
/// more (`minLength: 9007199254740993`) is answered with an error rather than with all the
/// time and memory of the process.
const MAX_SIZE: usize = 10_000;
/// Attempts at a value that some check (uniqueness, `not`, `oneOf` exclusivity) rejected.
const RETRIES: usize = 8;
/// Rounds of picking `anyOf`/`oneOf` branches, whose own branches may hold more choices.
const CHOICE_ROUNDS: usize = 32;

static FALSE: Value = Value::Bool(false);

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

/// What a quick look says about a value against a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Yes,
    No,
    Unknown,
}

/// Keywords the quick check may ignore: annotations and OpenAPI extras.
const ANNOTATIONS: &[&str] = &[
    "title",
    "description",
    "examples",
    "example",
    "default",
    "readOnly",
    "writeOnly",
    "deprecated",
    "discriminator",
    "xml",
    "externalDocs",
    "$comment",
    "$id",
    "$schema",
    "$anchor",
    "format",
    "contentMediaType",
    "contentEncoding",
];

struct Generator<'a, 'o> {
    resources: &'a Resources,
    opts: &'o GenOptions,
    rng: Rng,
    work: usize,
}

impl<'a> Generator<'a, '_> {
    fn max_depth(&self) -> usize {
        self.opts.max_depth.min(MAX_DEPTH_CAP)
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

    fn unsat(ctx: &Ctx<'_>, eff: &Merged<'a>, reason: impl Into<String>) -> GenError {
        GenError::Unsatisfiable {
            at: Self::at(ctx, Some(eff)),
            reason: reason.into(),
        }
    }

    /// `Err` when `keyword` asks for a value bigger than [`MAX_SIZE`].
    fn sized(ctx: &Ctx<'_>, eff: &Merged<'a>, keyword: &str, n: usize) -> Result<(), GenError> {
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
    ) -> Result<Merged<'a>, GenError> {
        let merger = Merger {
            resources: self.resources,
            reach: Reach {
                dynamic_ref: true,
                if_then: true,
            },
        };
        merger.merge(conj, resolved).map_err(|e| match e {
            MergeError::Ref { origin, source } => GenError::Ref {
                at: Self::at_origin(ctx, origin.as_deref()),
                source,
            },
            MergeError::Cycle { origin } => GenError::Recursion {
                at: Self::at_origin(ctx, origin.as_deref()),
                limit: 0,
            },
        })
    }

    // ----- entry: conjunctions and choices --------------------------------------------------

    fn spend(&mut self, ctx: &Ctx<'_>) -> Result<(), GenError> {
        if self.work == 0 {
            return Err(GenError::Exhausted {
                at: Self::at(ctx, None),
            });
        }
        self.work -= 1;
        Ok(())
    }

    fn gen_conj(&mut self, conj: &[Located<'a>], ctx: &Ctx<'_>) -> Result<Value, GenError> {
        self.spend(ctx)?;
        let limit = self.max_depth() + HARD_DEPTH_EXTRA;
        if ctx.depth > limit {
            return Err(GenError::Recursion {
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
                Err(e @ (GenError::Exhausted { .. } | GenError::Ref { .. })) => return Err(e),
                Err(e) => last_err = Some(Err(e)),
            }
        }
        // The caller validates; an imperfect `oneOf` value is better than none.
        last_err.unwrap_or_else(|| {
            Err(GenError::Exhausted {
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
    ) -> Result<(Value, Vec<(Choice<'a>, usize)>), GenError> {
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
        Err(GenError::Exhausted {
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
    ) -> Result<usize, GenError> {
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
                Err(GenError::Ref { source, at }) => return Err(GenError::Ref { source, at }),
                Err(_) => continue,
            };
            if eff.never.is_some() || eff.allowed_types() == 0 {
                continue;
            }
            let weight = eff.nesting_weight(eff.allowed_types());
            viable.push((i, weight));
        }
        if viable.is_empty() {
            return Err(GenError::Unsatisfiable {
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
                    && self.check(
                        Located {
                            base: choice.base,
                            value: b,
                        },
                        v,
                        8,
                    ) == Verdict::Yes
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
    ) -> Result<Value, GenError> {
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
                .filter(|v| conj.iter().all(|c| self.check(*c, v, 8) != Verdict::No))
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
                .all(|n| self.check(*n, &v, 8) != Verdict::Yes)
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

    fn gen_number(
        &mut self,
        eff: &Merged<'a>,
        integer: bool,
        ctx: &Ctx<'_>,
    ) -> Result<Value, GenError> {
        let (lo, hi) = (eff.lo, eff.hi);
        let integer = integer || is_int_format(eff.format);
        if integer {
            let step = eff.integer_step(1 << 53);
            let imin = lo.map(|b| {
                if b.exclusive {
                    b.value.floor() + 1.0
                } else {
                    b.value.ceil()
                }
            });
            let imax = hi.map(|b| {
                if b.exclusive {
                    b.value.ceil() - 1.0
                } else {
                    b.value.floor()
                }
            });
            let (mut a, mut b) = default_range(imin, imax, step);
            // The format's range only narrows: realistic defaults stay small.
            let (fa, fb) = match eff.format {
                Some("int32") => (f64::from(i32::MIN), f64::from(i32::MAX)),
                _ => (-9.2e18, 9.2e18),
            };
            (a, b) = (a.max(fa), b.min(fb));
            let (kmin, kmax) = ((a / step).ceil(), (b / step).floor());
            if kmin > kmax || !kmin.is_finite() || !kmax.is_finite() {
                return Err(Self::unsat(ctx, eff, "no integer lies within the bounds"));
            }
            let k = self.rng.between(kmin as i128, kmax as i128);
            let v = k.saturating_mul(step as i128);
            return i64::try_from(v)
                .map(Value::from)
                .map_err(|_| Self::unsat(ctx, eff, "the integer range is out of reach"));
        }
        let (a0, b0) = (lo.map(|b| b.value), hi.map(|b| b.value));
        let inside = |v: f64| {
            lo.is_none_or(|l| {
                if l.exclusive {
                    v > l.value
                } else {
                    v >= l.value
                }
            }) && hi.is_none_or(|h| {
                if h.exclusive {
                    v < h.value
                } else {
                    v <= h.value
                }
            })
        };
        let v = if let Some(&m) = eff.multiple_of.first() {
            let decimals = decimals_of(m);
            let (a, b) = default_range(a0, b0, m);
            let mut kmin = (a / m).ceil();
            let mut kmax = (b / m).floor();
            if !inside(kmin * m) {
                kmin += 1.0;
            }
            if !inside(kmax * m) {
                kmax -= 1.0;
            }
            if kmin > kmax || !kmin.is_finite() || !kmax.is_finite() {
                return Err(Self::unsat(
                    ctx,
                    eff,
                    "no multiple of `multipleOf` lies within the bounds",
                ));
            }
            let k = self.rng.between(kmin as i128, kmax as i128) as f64;
            round_to(k * m, decimals)
        } else {
            let (a, b) = default_range(a0, b0, 0.01);
            if a > b {
                return Err(Self::unsat(ctx, eff, "`minimum` is above `maximum`"));
            }
            let u = self.rng.below(1 << 20) as f64 / f64::from(1 << 20);
            let v = round_to(a + (b - a) * u, 2);
            if inside(v) { v } else { a + (b - a) / 2.0 }
        };
        if !inside(v) || eff.multiple_of.iter().any(|m| !is_multiple(v, *m)) {
            return Err(Self::unsat(
                ctx,
                eff,
                "no number satisfies the bounds and `multipleOf`",
            ));
        }
        number_value(v).ok_or_else(|| Self::unsat(ctx, eff, "the number is not finite"))
    }

    fn gen_string(&mut self, eff: &Merged<'a>, ctx: &Ctx<'_>) -> Result<Value, GenError> {
        Self::sized(ctx, eff, "minLength", eff.min_len)?;
        let (min, max) = (eff.min_len, eff.max_len);
        if max.is_some_and(|m| m < min) {
            return Err(Self::unsat(ctx, eff, "`minLength` is above `maxLength`"));
        }
        let fits_len = |s: &str| {
            let n = s.chars().count();
            n >= min && max.is_none_or(|m| n <= m)
        };
        let mut parsed = Vec::new();
        for p in &eff.patterns {
            parsed.push(Pattern::parse(p).map_err(|reason| GenError::Pattern {
                at: Self::at(ctx, Some(eff)),
                pattern: (*p).to_owned(),
                reason,
            })?);
        }
        let all_match = |s: &str| parsed.iter().all(|p| p.is_match(s) != Some(false));
        if let Some(s) = eff.format.and_then(|f| self.format_string(f)) {
            if fits_len(&s) && all_match(&s) {
                return Ok(Value::String(s));
            }
            if parsed.is_empty() && is_free_format(eff.format) {
                return Ok(Value::String(self.fit_len(s, min, max)));
            }
        }
        if let Some(first) = parsed.first() {
            for _ in 0..RETRIES {
                if let Some(s) = first.generate(&mut self.rng, min, max)
                    && all_match(&s)
                {
                    return Ok(Value::String(s));
                }
            }
            return Err(Self::unsat(
                ctx,
                eff,
                "no string matching `pattern` has an allowed length",
            ));
        }
        let s = self.plain_string(ctx.name);
        Ok(Value::String(self.fit_len(s, min, max)))
    }

    fn fit_len(&mut self, mut s: String, min: usize, max: Option<usize>) -> String {
        let n = s.chars().count();
        for _ in n..min {
            s.push((b'a' + self.rng.below(26) as u8) as char);
        }
        match max {
            Some(m) if n > m => s.chars().take(m).collect(),
            _ => s,
        }
    }

    /// A string shaped by the property name, for realism.
    fn plain_string(&mut self, name: Option<&str>) -> String {
        let name = name.unwrap_or_default().to_ascii_lowercase();
        let n = self.rng.below(900) + 100;
        let word = |g: &mut Self| WORDS[g.rng.below(WORDS.len() as u64) as usize];
        if name.contains("email") {
            format!("{}{n}@example.com", word(self))
        } else if name == "id" || name.ends_with("id") || name.ends_with("_id") {
            format!("{}-{n}", word(self))
        } else if name.contains("url")
            || name.contains("uri")
            || name.contains("href")
            || name.contains("link")
        {
            format!("https://example.com/{}/{n}", word(self))
        } else if name.contains("phone") {
            format!("+1-555-{:04}", self.rng.below(10_000))
        } else if name.contains("description")
            || name.contains("summary")
            || name.contains("message")
            || name.contains("comment")
        {
            format!("The {} {} is {}.", word(self), word(self), word(self))
        } else if name.contains("name") || name.contains("title") || name.contains("label") {
            let w = word(self);
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
                + " "
                + word(self)
        } else {
            word(self).to_owned()
        }
    }

    /// A string in the given format, or `None` for formats left to plain strings.
    fn format_string(&mut self, format: &str) -> Option<String> {
        let r = &mut self.rng;
        let w = WORDS[r.below(WORDS.len() as u64) as usize];
        let n = r.below(900) + 100;
        let date = |r: &mut Rng| {
            format!(
                "20{:02}-{:02}-{:02}",
                20 + r.below(6),
                1 + r.below(12),
                1 + r.below(28)
            )
        };
        let time =
            |r: &mut Rng| format!("{:02}:{:02}:{:02}Z", r.below(24), r.below(60), r.below(60));
        Some(match format {
            "email" | "idn-email" => format!("{w}{n}@example.com"),
            "uuid" => {
                let (a, b) = (r.next_u64(), r.next_u64());
                let hex = format!("{a:016x}{b:016x}");
                format!(
                    "{}-{}-4{}-{:x}{}-{}",
                    &hex[0..8],
                    &hex[8..12],
                    &hex[13..16],
                    8 + (b >> 60) % 4,
                    &hex[17..20],
                    &hex[20..32]
                )
            }
            "date-time" => format!("{}T{}", date(r), time(r)),
            "date" => date(r),
            "time" => time(r),
            "duration" => format!("P{}DT{}H", 1 + r.below(30), r.below(24)),
            "uri" | "url" | "iri" => format!("https://example.com/{w}/{n}"),
            "uri-reference" | "iri-reference" => format!("/{w}/{n}"),
            "uri-template" => format!("https://example.com/{w}/{{id}}"),
            "hostname" | "idn-hostname" => format!("{w}.example.com"),
            "ipv4" => format!("10.{}.{}.{}", r.below(256), r.below(256), 1 + r.below(254)),
            "ipv6" => format!("2001:db8::{:x}", r.below(0xffff) + 1),
            "byte" => {
                use base64::Engine as _;
                let bytes: Vec<u8> = (0..3 + r.below(12)).map(|_| r.below(256) as u8).collect();
                base64::engine::general_purpose::STANDARD.encode(bytes)
            }
            "binary" | "password" => (0..8 + r.below(8))
                .map(|_| ALNUM[r.below(ALNUM.len() as u64) as usize] as char)
                .collect(),
            "json-pointer" => format!("/{w}/{}", r.below(10)),
            "relative-json-pointer" => format!("{}/{w}", r.below(3)),
            "regex" => "^[a-z]+$".to_owned(),
            _ => return None,
        })
    }

    fn gen_array(&mut self, eff: &Merged<'a>, ctx: &Ctx<'_>) -> Result<Value, GenError> {
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
                let v = self.gen_conj(&conj, &child)?;
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

    /// The schemas the value of property `key` must satisfy, per branch: `properties` and
    /// matching `patternProperties`, or else `additionalProperties`.
    fn key_schemas(&self, eff: &Merged<'a>, key: &str) -> Vec<Located<'a>> {
        let mut out = Vec::new();
        let mut known = false;
        for b in &eff.obj {
            let mut matched = false;
            if let Some(p) = b.props.and_then(|p| p.get(key)) {
                out.push(Located {
                    base: b.base,
                    value: p,
                });
                matched = true;
            }
            for (pat, s) in b.patterns.into_iter().flatten() {
                if Pattern::parse(pat).is_ok_and(|p| p.is_match(key) != Some(false)) {
                    out.push(Located {
                        base: b.base,
                        value: s,
                    });
                    matched = true;
                }
            }
            if !matched && let Some(a) = b.additional {
                out.push(Located {
                    base: b.base,
                    value: a,
                });
            }
            known |= matched;
        }
        if eff.closed && !known {
            out.push(Located {
                base: "",
                value: &FALSE,
            });
        }
        out
    }

    fn gen_object(
        &mut self,
        eff: &Merged<'a>,
        forced: &[(&'a str, Value)],
        ctx: &Ctx<'_>,
    ) -> Result<Value, GenError> {
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
            let conj = self.key_schemas(eff, k);
            let child = ctx.child(k, Some(k));
            let forced_v = forced.iter().rev().find(|(f, _)| *f == k).map(|(_, v)| v);
            let v = match forced_v {
                Some(v) if !self.merge(&conj, &[], &child)?.fixes_value() => v.clone(),
                _ => self.gen_conj(&conj, &child)?,
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
            let conj = self.key_schemas(eff, &name);
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
    fn may_include(&self, eff: &Merged<'a>, k: &str, ctx: &Ctx<'_>) -> Result<bool, GenError> {
        let conj = self.key_schemas(eff, k);
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
    fn extra_key(&mut self, eff: &Merged<'a>, ctx: &Ctx<'_>) -> Result<Option<String>, GenError> {
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

    // ----- the quick check -----------------------------------------------------------------

    /// A cheap, partial look at whether `v` satisfies `schema`: `Yes` only when every keyword
    /// was understood and holds. Used to steer choices, never as the final word.
    fn check(&self, schema: Located<'a>, v: &Value, fuel: usize) -> Verdict {
        let o = match schema.value {
            Value::Bool(b) => return if *b { Verdict::Yes } else { Verdict::No },
            Value::Object(o) => o,
            _ => return Verdict::Unknown,
        };
        if fuel == 0 {
            return Verdict::Unknown;
        }
        let mut verdict = Verdict::Yes;
        let mut and = |x: Verdict| {
            verdict = match (verdict, x) {
                (Verdict::No, _) | (_, Verdict::No) => Verdict::No,
                (Verdict::Unknown, _) | (_, Verdict::Unknown) => Verdict::Unknown,
                _ => Verdict::Yes,
            };
            verdict == Verdict::No
        };
        let yes_if = |b: bool| if b { Verdict::Yes } else { Verdict::No };
        let sub = |s: &'a Value| Located {
            base: schema.base,
            value: s,
        };
        for (k, kv) in o {
            let x = match k.as_str() {
                "$ref" => match kv.as_str().map(|r| self.resources.resolve(schema.base, r)) {
                    Some(Ok(t)) => self.check(t, v, fuel - 1),
                    _ => Verdict::Unknown,
                },
                "type" => {
                    let bits = types_of(kv).unwrap_or(ANY);
                    let vb = value_bits(v);
                    // An integral number is an integer; a fractional one only a `number`.
                    yes_if(if vb & INT != 0 {
                        bits & INT != 0
                    } else {
                        bits & vb != 0
                    })
                }
                "const" => yes_if(kv == v),
                "enum" => yes_if(kv.as_array().is_some_and(|e| e.contains(v))),
                "required" => match v {
                    Value::Object(m) => yes_if(kv.as_array().is_some_and(|r| {
                        r.iter()
                            .filter_map(Value::as_str)
                            .all(|k| m.contains_key(k))
                    })),
                    _ => Verdict::Yes,
                },
                "properties" => match (v, kv) {
                    (Value::Object(m), Value::Object(props)) => {
                        let mut all = Verdict::Yes;
                        for (pk, ps) in props {
                            if let Some(pv) = m.get(pk) {
                                match self.check(sub(ps), pv, fuel - 1) {
                                    Verdict::No => return Verdict::No,
                                    Verdict::Unknown => all = Verdict::Unknown,
                                    Verdict::Yes => {}
                                }
                            }
                        }
                        all
                    }
                    _ => Verdict::Yes,
                },
                "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {
                    match (v.as_f64(), kv.as_f64()) {
                        (Some(x), Some(b)) => yes_if(match k.as_str() {
                            "minimum" => x >= b,
                            "maximum" => x <= b,
                            "exclusiveMinimum" => x > b,
                            _ => x < b,
                        }),
                        _ => Verdict::Yes,
                    }
                }
                "multipleOf" => match (v.as_f64(), kv.as_f64()) {
                    (Some(x), Some(m)) => yes_if(is_multiple(x, m)),
                    _ => Verdict::Yes,
                },
                "minLength" | "maxLength" => match (v.as_str(), kv.as_u64()) {
                    (Some(s), Some(n)) => {
                        let len = s.chars().count() as u64;
                        yes_if(if k == "minLength" { len >= n } else { len <= n })
                    }
                    _ => Verdict::Yes,
                },
                "pattern" => match (v.as_str(), kv.as_str().map(Pattern::parse)) {
                    (Some(s), Some(Ok(p))) => p.is_match(s).map_or(Verdict::Unknown, yes_if),
                    (Some(_), _) => Verdict::Unknown,
                    _ => Verdict::Yes,
                },
                "allOf" | "anyOf" | "oneOf" => {
                    let results: Vec<Verdict> = kv
                        .as_array()
                        .map(|a| a.iter().map(|s| self.check(sub(s), v, fuel - 1)).collect())
                        .unwrap_or_default();
                    let count = |x| results.iter().filter(|r| **r == x).count();
                    match k.as_str() {
                        "allOf" if count(Verdict::No) > 0 => Verdict::No,
                        "allOf" if count(Verdict::Unknown) > 0 => Verdict::Unknown,
                        "allOf" => Verdict::Yes,
                        "anyOf" if count(Verdict::Yes) > 0 => Verdict::Yes,
                        _ if count(Verdict::No) == results.len() => Verdict::No,
                        "oneOf" if count(Verdict::Yes) > 1 => Verdict::No,
                        "oneOf" if count(Verdict::Yes) == 1 && count(Verdict::Unknown) == 0 => {
                            Verdict::Yes
                        }
                        _ => Verdict::Unknown,
                    }
                }
                "not" => match self.check(sub(kv), v, fuel - 1) {
                    Verdict::Yes => Verdict::No,
                    Verdict::No => Verdict::Yes,
                    Verdict::Unknown => Verdict::Unknown,
                },
                k if ANNOTATIONS.contains(&k) || k.starts_with("x-") => Verdict::Yes,
                _ => Verdict::Unknown,
            };
            if and(x) {
                break;
            }
        }
        verdict
    }
}

const WORDS: &[&str] = &[
    "alpha", "bravo", "cedar", "delta", "ember", "falcon", "garnet", "harbor", "indigo", "juniper",
    "kestrel", "lumen", "maple", "nimbus", "onyx", "pepper", "quartz", "raven", "sierra", "tundra",
    "umber", "violet", "willow", "zephyr",
];

const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

fn is_int_format(format: Option<&str>) -> bool {
    matches!(format, Some("int32" | "int64"))
}

/// Formats whose strings may be padded or trimmed to a length without breaking them.
fn is_free_format(format: Option<&str>) -> bool {
    matches!(format, Some("password" | "binary"))
}

/// Bounds for generation: the schema's own, or a modest window (about a thousand steps) on the
/// open side(s) so values look realistic.
fn default_range(lo: Option<f64>, hi: Option<f64>, step: f64) -> (f64, f64) {
    let width = (1000.0 * step).clamp(1000.0, 1e15);
    match (lo, hi) {
        (Some(a), Some(b)) => (a, b),
        (Some(a), None) => (a, a + width),
        (None, Some(b)) => (b - width, b),
        (None, None) => (if step >= 1.0 { step } else { 0.0 }, width),
    }
}

/// Whether `v / m` is an integer, reading both as the decimals they print as (the way JSON
/// Schema validators compare them).
fn is_multiple(v: f64, m: f64) -> bool {
    let d = decimals_of(v).max(decimals_of(m)).min(15);
    let scale = 10f64.powi(d as i32);
    let (a, b) = ((v * scale).round(), (m * scale).round());
    b != 0.0 && a.abs() < 9e15 && (a % b) == 0.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const URI: &str = "https://example.test/openapi.json";

    /// One document holding every schema the table tests, so `$ref`s work as in a real spec.
    fn doc() -> Value {
        let parts = [
            json!({
            "Pet": {"type": "object", "required": ["id", "name"], "properties": {
                "id": {"type": "integer", "format": "int64"},
                "name": {"type": "string"},
                "tag": {"type": "string"}}},
            "Pets": {"type": "array", "maxItems": 100, "items": {"$ref": "#/components/schemas/Pet"}},
            "Error": {"type": "object", "required": ["code", "message"], "properties": {
                "code": {"type": "integer", "format": "int32"},
                "message": {"type": "string"}}},
            "Cat": {"type": "object", "required": ["petType", "meows"], "properties": {
                "petType": {"type": "string"}, "meows": {"type": "boolean"}}},
            "Dog": {"type": "object", "required": ["petType", "barks"], "properties": {
                "petType": {"type": "string"}, "barks": {"type": "integer", "minimum": 0, "maximum": 10}}},
            }),
            json!({
            "CatOrDog": {"oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
                "discriminator": {"propertyName": "petType", "mapping": {
                    "kitty": "#/components/schemas/Cat", "doggo": "#/components/schemas/Dog"}}},
            "CatOrDogUnmapped": {"oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
                "discriminator": {"propertyName": "petType"}},
            "Tree": {"type": "object", "required": ["value"], "properties": {
                "value": {"type": "integer"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}}}},
            "LinkedList": {"type": "object", "required": ["v"], "properties": {
                "v": {"type": "integer"}, "next": {"$ref": "#/components/schemas/LinkedList"}}},
            "Expr": {"oneOf": [{"type": "integer"}, {"type": "object", "required": ["op", "args"],
                "additionalProperties": false, "properties": {
                    "op": {"enum": ["add", "mul"]},
                    "args": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"$ref": "#/components/schemas/Expr"}}}}]},
            }),
            json!({
            "Roles": {"type": "array", "items": {"type": "string", "anyOf": [
                {"const": "ROLE_USER"}, {"const": "ROLE_EDITOR"}, {"const": "ROLE_ADMINISTRATOR"}]},
                "minItems": 1, "uniqueItems": true},
            "Slug": {"type": "string", "pattern": "^[a-z0-9-]+$", "maxLength": 255},
            "Code": {"type": "string", "pattern": "^\\d{3}-[A-Z]{2,4}$"},
            "LongSlug": {"type": "string", "pattern": "^[a-z]+(-[a-z]+)*$", "minLength": 40, "maxLength": 45},
            "Unanchored": {"type": "string", "pattern": "ab+c", "minLength": 10},
            "Half": {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.5},
            "Cents": {"type": "number", "minimum": 1, "maximum": 2, "multipleOf": 0.01},
            "Narrow": {"type": "number", "minimum": 0.1, "maximum": 0.2},
            "NullableEnum": {"type": ["string", "null"], "enum": ["a", "b", null]},
            "Merged": {"allOf": [
                {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                {"type": "object", "properties": {"b": {"type": "integer"}}, "required": ["b"]}]},
            "Account": {"type": "object", "required": ["name"], "properties": {
                "id": {"type": "string", "readOnly": true},
                "name": {"type": "string"},
                "password": {"type": "string", "writeOnly": true}}},
            }),
            json!({
            "Formats": {"type": "object", "required": ["email", "uuid", "dateTime", "date", "time",
                "duration", "uri", "uriRef", "iri", "url", "hostname", "ipv4", "ipv6", "byte", "int32",
                "int64", "float", "double", "password", "binary", "pointer", "regex"],
                "properties": {
                "email": {"type": "string", "format": "email"},
                "uuid": {"type": "string", "format": "uuid"},
                "dateTime": {"type": "string", "format": "date-time"},
                "date": {"type": "string", "format": "date"},
                "time": {"type": "string", "format": "time"},
                "duration": {"type": "string", "format": "duration"},
                "uri": {"type": "string", "format": "uri"},
                "uriRef": {"type": "string", "format": "uri-reference"},
                "iri": {"type": "string", "format": "iri"},
                "url": {"type": "string", "format": "url"},
                "hostname": {"type": "string", "format": "hostname"},
                "ipv4": {"type": "string", "format": "ipv4"},
                "ipv6": {"type": "string", "format": "ipv6"},
                "byte": {"type": "string", "format": "byte", "pattern": "^[A-Za-z0-9+/]*={0,2}$"},
                "int32": {"type": "integer", "format": "int32"},
                "int64": {"type": "integer", "format": "int64"},
                "float": {"type": "number", "format": "float"},
                "double": {"type": "number", "format": "double"},
                "password": {"type": "string", "format": "password", "minLength": 12},
                "binary": {"type": "string", "format": "binary"},
                "pointer": {"type": "string", "format": "json-pointer"},
                "regex": {"type": "string", "format": "regex"}}},
            }),
            json!({
            "Int32Edge": {"type": "integer", "format": "int32", "minimum": 2147483600},
            "IntRange": {"type": "integer", "exclusiveMinimum": 5, "exclusiveMaximum": 8, "multipleOf": 2},
            "Lengths": {"type": "string", "minLength": 30, "maxLength": 32},
            }),
            json!({
            "Closed": {"type": "object", "properties": {"a": {"type": "string"}},
                "additionalProperties": false, "minProperties": 1},
            "Map": {"type": "object", "additionalProperties": {"type": "integer"},
                "minProperties": 2, "maxProperties": 3},
            "Patterned": {"type": "object", "patternProperties": {"^x-[a-z]+$": {"type": "string"}},
                "additionalProperties": false, "minProperties": 1},
            "Names": {"type": "object", "propertyNames": {"pattern": "^[A-Z]{3}$"}, "minProperties": 2},
            "Deps": {"type": "object", "properties": {"card": {"type": "string"}, "billing": {"type": "string"}},
                "dependentRequired": {"card": ["billing"]}},
            "Tuple": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}],
                "items": false, "minItems": 2},
            "Contains": {"type": "array", "items": {"type": "integer"},
                "contains": {"minimum": 100}, "minContains": 2, "maxItems": 4},
            "UniqueInts": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 3},
                "uniqueItems": true, "minItems": 4},
            }),
            json!({
            "Untyped": {"properties": {"a": {"minLength": 2}, "n": {"minimum": 3}}, "required": ["a", "n"]},
            "Anything": true,
            "Const": {"const": {"x": 1}},
            "StringOrBigInt": {"anyOf": [{"type": "string", "minLength": 3}, {"type": "integer", "minimum": 10}]},
            "EvenOrTriple": {"oneOf": [{"type": "integer", "multipleOf": 2}, {"type": "integer", "multipleOf": 3}]},
            "RefWithSiblings": {"$ref": "#/components/schemas/Pet", "required": ["tag"]},
            }),
            json!({
            "NotString": {"type": ["integer", "string"], "not": {"type": "string"}},
            "NotSmall": {"type": "integer", "minimum": 1, "maximum": 5, "not": {"enum": [1, 2, 3]}},
            "NullablePet": {"anyOf": [{"$ref": "#/components/schemas/Pet"}, {"type": "null"}]},
            "IfThen": {"type": "object", "required": ["kind"], "properties": {"kind": {"enum": ["a", "b"]}},
                "if": {"properties": {"kind": {"const": "a"}}},
                "then": {"required": ["extra"], "properties": {"extra": {"type": "string"}}}},
            "Mixed": {"type": ["integer", "string", "boolean"], "minimum": -3, "maximum": 3, "maxLength": 4},
            }),
            json!({
                "Orders": {"type": "array", "minItems": 1, "items": {"type": "object",
                    "required": ["id", "placedAt", "lines"], "properties": {
                        "id": {"type": "string", "format": "uuid"},
                        "placedAt": {"type": "string", "format": "date-time"},
                        "lines": {"type": "array", "minItems": 1, "items": {"type": "object",
                            "required": ["sku", "qty"], "properties": {
                                "sku": {"$ref": "#/components/schemas/Code"},
                                "qty": {"type": "integer", "minimum": 1, "maximum": 99}}}}}}},
                "Nested": {"allOf": [{"$ref": "#/components/schemas/Merged"},
                    {"properties": {"c": {"type": "array", "items": {"$ref": "#/components/schemas/Half"}}},
                     "required": ["c"]}]},
                "Unicode": {"type": "string", "pattern": "^[α-ω]{3,5}$"}
            }),
            json!({
                "NullableObject": {"type": ["object", "null"], "required": ["a"], "properties": {"a": {"type": "boolean"}}},
                "UntypedItems": {"items": {"type": "integer"}, "minItems": 1},
                "ObjectEnum": {"enum": [{"k": 1}, {"k": 2}, [1, 2], "s"]},
                "UniqueObjects": {"type": "array", "minItems": 5, "uniqueItems": true,
                    "items": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer", "minimum": 0, "maximum": 9}}}},
                "Zero": {"type": "integer", "minimum": 0, "maximum": 0},
                "TinyNegative": {"type": "number", "maximum": -0.000001},
                "IntTenths": {"type": "integer", "multipleOf": 0.3},
                "EmailPattern": {"type": "string", "pattern": "^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$"},
                "NamesFromEnum": {"type": "object", "propertyNames": {"enum": ["a", "b", "c"]}, "minProperties": 2},
                "NotNull": {"not": {"type": "null"}},
                "ContainsFive": {"type": "array", "items": {"type": "integer"}, "contains": {"const": 5}},
                "OpenInterval": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.1},
                "PetInEnvelope": {"allOf": [{"$ref": "#/components/schemas/CatOrDog"},
                    {"properties": {"name": {"type": "string", "maxLength": 3}}, "required": ["name"]}]},
                "ManyItems": {"type": "array", "minItems": 50, "items": {"$ref": "#/components/schemas/Pet"}},
                "Alternation": {"type": "string", "pattern": "^(GET|POST|PUT|DELETE) /[a-z]{1,8}(/[0-9]{1,3})?$"},
                "Required100": {"type": "string", "minLength": 100, "pattern": "^[A-Z][a-z]*$"}
            }),
        ];
        let mut schemas = Map::new();
        for part in parts {
            if let Value::Object(m) = part {
                schemas.extend(m);
            }
        }
        json!({"openapi": "3.1.0", "components": {"schemas": schemas}})
    }

    fn schema_names(d: &Value) -> Vec<String> {
        d["components"]["schemas"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }

    fn validator(registry: &jsonschema::Registry<'_>, name: &str) -> jsonschema::Validator {
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .with_registry(registry)
            .build(&json!({"$ref": format!("{URI}#/components/schemas/{name}")}))
            .unwrap()
    }

    fn registry(d: &Value) -> jsonschema::Registry<'_> {
        jsonschema::Registry::new()
            .draft(jsonschema::Draft::Draft202012)
            .add(URI, d)
            .unwrap()
            .prepare()
            .unwrap()
    }

    fn gen_named(r: &Resources, name: &str, opts: &GenOptions) -> Result<Value, GenError> {
        let value = &r.root()["components"]["schemas"][name];
        generate(r, Located { base: URI, value }, opts)
    }

    fn opts(seed: u64) -> GenOptions {
        GenOptions {
            seed,
            use_examples: false,
            ..GenOptions::default()
        }
    }

    #[test]
    fn every_table_schema_yields_valid_values_for_two_hundred_seeds() {
        let d = doc();
        let reg = registry(&d);
        let r = Resources::new(URI, d.clone());
        let mut failures = Vec::new();
        for name in schema_names(&d) {
            let v = validator(&reg, &name);
            for seed in 0..200 {
                for direction in [Direction::Response, Direction::Request] {
                    let o = GenOptions {
                        direction,
                        ..opts(seed)
                    };
                    match gen_named(&r, &name, &o) {
                        Ok(value) if v.is_valid(&value) => {}
                        Ok(value) => failures.push(format!("{name} seed {seed}: invalid {value}")),
                        Err(e) => failures.push(format!("{name} seed {seed}: error {e}")),
                    }
                }
            }
        }
        let mut firsts: Vec<&String> = Vec::new();
        for f in &failures {
            let name = f.split(' ').next();
            if !firsts.iter().any(|g| g.split(' ').next() == name) {
                firsts.push(f);
            }
        }
        assert!(
            failures.is_empty(),
            "{} failures, first per schema: {firsts:#?}",
            failures.len()
        );
    }

    #[test]
    fn the_discriminator_names_the_chosen_branch_by_its_mapping_key() {
        let r = Resources::new(URI, doc());
        let mut seen = (false, false);
        for seed in 0..100 {
            let mapped = gen_named(&r, "CatOrDog", &opts(seed)).unwrap();
            let unmapped = gen_named(&r, "CatOrDogUnmapped", &opts(seed)).unwrap();
            if mapped.get("meows").is_some() {
                assert_eq!(mapped["petType"], "kitty", "{mapped}");
                seen.0 = true;
            } else {
                assert_eq!(mapped["petType"], "doggo", "{mapped}");
                seen.1 = true;
            }
            let expected = if unmapped.get("meows").is_some() {
                "Cat"
            } else {
                "Dog"
            };
            assert_eq!(unmapped["petType"], expected, "{unmapped}");
        }
        assert_eq!(
            seen,
            (true, true),
            "both branches should be chosen across seeds"
        );
    }

    #[test]
    fn a_branch_fixing_the_discriminator_keeps_its_own_value() {
        let d = json!({"components": {"schemas": {
            "A": {"type": "object", "required": ["kind"], "properties": {"kind": {"const": "alpha"}}},
            "U": {"oneOf": [{"$ref": "#/components/schemas/A"}], "discriminator": {"propertyName": "kind"}}}}});
        let r = Resources::new(URI, d);
        let v = gen_named(&r, "U", &opts(3)).unwrap();
        assert_eq!(v["kind"], "alpha");
    }

    #[test]
    fn read_only_properties_stay_out_of_requests_and_write_only_out_of_responses() {
        let r = Resources::new(URI, doc());
        let (mut saw_id, mut saw_password) = (false, false);
        for seed in 0..200 {
            let req = gen_named(
                &r,
                "Account",
                &GenOptions {
                    direction: Direction::Request,
                    ..opts(seed)
                },
            )
            .unwrap();
            assert!(req.get("id").is_none(), "{req}");
            saw_password |= req.get("password").is_some();
            let resp = gen_named(&r, "Account", &opts(seed)).unwrap();
            assert!(resp.get("password").is_none(), "{resp}");
            saw_id |= resp.get("id").is_some();
        }
        assert!(
            saw_id && saw_password,
            "the other direction should include them sometimes"
        );
    }

    #[test]
    fn a_required_read_only_property_is_still_present_in_a_request() {
        let d = json!({"components": {"schemas": {"X": {"type": "object", "required": ["id"],
            "properties": {"id": {"type": "integer", "readOnly": true}}}}}});
        let r = Resources::new(URI, d);
        for seed in 0..20 {
            let v = gen_named(
                &r,
                "X",
                &GenOptions {
                    direction: Direction::Request,
                    ..opts(seed)
                },
            )
            .unwrap();
            assert!(v["id"].is_i64(), "{v}");
        }
    }

    #[test]
    fn recursion_bottoms_out_within_the_depth_limit() {
        fn depth(v: &Value) -> usize {
            match v {
                Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
                Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
                _ => 0,
            }
        }
        let r = Resources::new(URI, doc());
        let mut deepest = 0;
        for seed in 0..200 {
            for name in ["Tree", "LinkedList", "Expr"] {
                let v = gen_named(&r, name, &opts(seed)).unwrap();
                // Each level of the schema is at most two levels of JSON (object, then array).
                assert!(depth(&v) <= 2 * 6 + 2, "{name}: {v}");
                deepest = deepest.max(depth(&v));
            }
        }
        assert!(deepest >= 3, "recursive schemas should nest sometimes");
    }

    #[test]
    fn a_huge_max_depth_is_capped_so_endless_recursion_cannot_overflow_the_stack() {
        let d = json!({"components": {"schemas": {
            "Forever": {"type": "object", "required": ["me"], "properties": {"me": {"$ref": "#/components/schemas/Forever"}}}}}});
        let r = Resources::new(URI, d);
        let o = GenOptions {
            max_depth: 100_000,
            ..opts(1)
        };
        let err = gen_named(&r, "Forever", &o).unwrap_err();
        assert!(
            matches!(err, GenError::Recursion { limit, .. } if limit == MAX_DEPTH_CAP + HARD_DEPTH_EXTRA),
            "{err:?}"
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_value_and_different_seeds_differ() {
        let r = Resources::new(URI, doc());
        for name in ["Pet", "Orders", "Formats", "Tree", "CatOrDog"] {
            let a = gen_named(&r, name, &opts(42)).unwrap();
            let b = gen_named(&r, name, &opts(42)).unwrap();
            assert_eq!(
                serde_json::to_string(&a).unwrap(),
                serde_json::to_string(&b).unwrap()
            );
            let distinct: std::collections::BTreeSet<String> = (0..10)
                .map(|s| gen_named(&r, name, &opts(s)).unwrap().to_string())
                .collect();
            assert!(
                distinct.len() >= 5,
                "{name}: only {} distinct values",
                distinct.len()
            );
        }
    }

    #[test]
    fn object_keys_follow_the_declared_property_order() {
        let r = Resources::new(URI, doc());
        for seed in 0..50 {
            let v = gen_named(&r, "Formats", &opts(seed)).unwrap();
            let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
            let declared: Vec<&String> = r.root()["components"]["schemas"]["Formats"]["properties"]
                .as_object()
                .unwrap()
                .keys()
                .collect();
            assert_eq!(keys, declared);
        }
    }

    #[test]
    fn examples_are_used_only_when_asked_and_const_beats_them() {
        let d = json!({"components": {"schemas": {
            "S": {"type": "string", "examples": ["hello there"]},
            "D": {"type": "integer", "default": 7},
            "C": {"const": 3, "examples": [4]}}}});
        let r = Resources::new(URI, d);
        let with = GenOptions {
            use_examples: true,
            ..opts(1)
        };
        assert_eq!(gen_named(&r, "S", &with).unwrap(), json!("hello there"));
        assert_eq!(gen_named(&r, "D", &with).unwrap(), json!(7));
        assert_eq!(gen_named(&r, "C", &with).unwrap(), json!(3));
        assert_ne!(gen_named(&r, "S", &opts(1)).unwrap(), json!("hello there"));
    }

    #[test]
    fn property_names_shape_plain_strings() {
        let d = json!({"components": {"schemas": {"U": {"type": "object",
            "required": ["email", "name"], "properties": {"email": {"type": "string"}, "name": {"type": "string"}}}}}});
        let r = Resources::new(URI, d);
        let v = gen_named(&r, "U", &opts(5)).unwrap();
        assert!(v["email"].as_str().unwrap().contains('@'), "{v}");
        assert!(v["name"].as_str().unwrap().contains(' '), "{v}");
    }

    #[test]
    fn references_into_other_files_resolve_against_their_own_file() {
        let mut r = Resources::new(
            "file:///api/root.json",
            json!({"S": {"$ref": "models/pet.json#/Pet"}}),
        );
        r.insert(
            "file:///api/models/pet.json",
            json!({"Pet": {"type": "object", "required": ["tag"], "properties": {"tag": {"$ref": "#/Tag"}}},
                   "Tag": {"type": "string", "pattern": "^t-[0-9]{2}$"}}),
        );
        let root = r.root().clone();
        let v = generate(
            &r,
            Located {
                base: "file:///api/root.json",
                value: &root["S"],
            },
            &opts(9),
        )
        .unwrap();
        let tag = v["tag"].as_str().unwrap();
        assert!(tag.len() == 4 && tag.starts_with("t-"), "{v}");
    }

    #[test]
    fn unsatisfiable_schemas_are_errors_not_panics() {
        let d = json!({"components": {"schemas": {
            "False": false,
            "Bounds": {"type": "integer", "minimum": 5, "maximum": 4},
            "NotAnything": {"not": {}},
            "TooFewValues": {"type": "array", "items": {"enum": ["a", "b"]}, "uniqueItems": true, "minItems": 3},
            "Forever": {"type": "object", "required": ["me"], "properties": {"me": {"$ref": "#/components/schemas/Forever"}}},
            "SelfRef": {"$ref": "#/components/schemas/SelfRef"},
            "Dangling": {"$ref": "#/components/schemas/Nope"},
            "Stretch": {"type": "string", "pattern": "^abc$", "minLength": 5},
            "Types": {"allOf": [{"type": "string"}, {"type": "integer"}]},
            "Lengths": {"type": "string", "minLength": 3, "maxLength": 2},
            "RequiredButFalse": {"type": "object", "required": ["a"], "properties": {"a": false}},
            "LookAround": {"type": "string", "pattern": "(?=a)b"}}}});
        let r = Resources::new(URI, d);
        let cases = [
            ("False", "Unsatisfiable"),
            ("Bounds", "Unsatisfiable"),
            ("NotAnything", "Unsatisfiable"),
            ("TooFewValues", "Unsatisfiable"),
            ("Forever", "Recursion"),
            ("SelfRef", "Recursion"),
            ("Dangling", "Ref"),
            ("Stretch", "Unsatisfiable"),
            ("Types", "Unsatisfiable"),
            ("Lengths", "Unsatisfiable"),
            ("RequiredButFalse", "Unsatisfiable"),
            ("LookAround", "Pattern"),
        ];
        for (name, kind) in cases {
            let err = gen_named(&r, name, &opts(1)).expect_err(name);
            assert!(format!("{err:?}").starts_with(kind), "{name}: {err:?}");
        }
    }

    #[test]
    fn a_schema_asking_for_a_huge_value_is_an_error_not_a_hang() {
        // Found by the loader fuzz (making the static answers of a loaded document): a
        // `minLength` of 2^53+1 padded a string character by character without end, and
        // `minItems` or `minProperties` of u64::MAX overflowed the count of tries.
        let d = json!({"components": {"schemas": {
            "LongString": {"type": "string", "minLength": 9_007_199_254_740_993_u64},
            "ManyItems": {"type": "array", "minItems": u64::MAX},
            "ManyContained": {"type": "array", "contains": {"type": "integer"},
                              "minContains": 1_000_000},
            "ManyProperties": {"type": "object", "minProperties": u64::MAX},
            "Nested": {"type": "object", "required": ["a"], "properties": {
                "a": {"$ref": "#/components/schemas/LongString"}}}}}});
        let r = Resources::new(URI, d);
        for name in [
            "LongString",
            "ManyItems",
            "ManyContained",
            "ManyProperties",
            "Nested",
        ] {
            let err = gen_named(&r, name, &opts(1)).expect_err(name);
            assert!(
                err.to_string().contains("more than understudy generates"),
                "{name}: {err}"
            );
        }
    }

    #[test]
    fn a_value_of_the_largest_generated_size_is_made() {
        let d = json!({"components": {"schemas": {
            "S": {"type": "string", "minLength": MAX_SIZE},
            "A": {"type": "array", "minItems": 500, "items": {"type": "integer"}}}}});
        let r = Resources::new(URI, d);
        let s = gen_named(&r, "S", &opts(1)).expect("a long string");
        assert_eq!(s.as_str().map(|s| s.chars().count()), Some(MAX_SIZE));
        let a = gen_named(&r, "A", &opts(1)).expect("many items");
        assert!(
            a.as_array().is_some_and(|a| (500..=502).contains(&a.len())),
            "{a}"
        );
    }

    #[test]
    fn errors_say_where_in_the_instance_they_arose() {
        let d = json!({"components": {"schemas": {"O": {"type": "object", "required": ["inner"],
            "properties": {"inner": {"type": "object", "required": ["n"],
                "properties": {"n": {"type": "integer", "minimum": 3, "maximum": 1}}}}}}}});
        let r = Resources::new(URI, d);
        let err = gen_named(&r, "O", &opts(1)).unwrap_err().to_string();
        assert!(err.contains("/inner/n"), "{err}");
    }

    #[test]
    fn pattern_strings_are_public_and_deterministic() {
        let a = generate_string_for_pattern(r"^[A-F0-9]{8}$", 7, 0, None).unwrap();
        assert_eq!(
            Some(a.clone()),
            generate_string_for_pattern(r"^[A-F0-9]{8}$", 7, 0, None)
        );
        assert!(
            a.len() == 8
                && a.chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
        );
        assert_eq!(generate_string_for_pattern("(?<=x)y", 7, 0, None), None);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]
            #[test]
            fn generation_never_panics_and_validates(seed in any::<u64>(), depth in 0usize..8) {
                let d = doc();
                let reg = registry(&d);
                let r = Resources::new(URI, d.clone());
                for name in ["Pet", "CatOrDog", "Tree", "Expr", "Roles", "Slug", "Code", "Half", "Formats", "Orders", "Nested"] {
                    let o = GenOptions { seed, max_depth: depth, ..GenOptions::default() };
                    let value = gen_named(&r, name, &o).map_err(|e| TestCaseError::fail(e.to_string()))?;
                    prop_assert!(validator(&reg, name).is_valid(&value), "{} seed {}: {}", name, seed, value);
                }
            }
        }
    }
}
