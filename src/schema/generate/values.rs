//! Numbers and strings: bounds and `multipleOf`s, formats, patterns, and plain strings shaped
//! by the property's name.

use serde_json::Value;

use super::{Ctx, Generator, RETRIES, Rng, SchemaError};
use crate::schema::merge::{Merged, decimals_of, number_value, round_to};
use crate::schema::pattern::Pattern;

impl<'a> Generator<'a, '_> {
    pub(super) fn gen_number(
        &mut self,
        eff: &Merged<'a>,
        integer: bool,
        ctx: &Ctx<'_>,
    ) -> Result<Value, SchemaError> {
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

    pub(super) fn gen_string(
        &mut self,
        eff: &Merged<'a>,
        ctx: &Ctx<'_>,
    ) -> Result<Value, SchemaError> {
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
            parsed.push(Pattern::parse(p).map_err(|reason| SchemaError::Pattern {
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
    pub(super) fn format_string(&mut self, format: &str) -> Option<String> {
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
}

pub(super) const WORDS: &[&str] = &[
    "alpha", "bravo", "cedar", "delta", "ember", "falcon", "garnet", "harbor", "indigo", "juniper",
    "kestrel", "lumen", "maple", "nimbus", "onyx", "pepper", "quartz", "raven", "sierra", "tundra",
    "umber", "violet", "willow", "zephyr",
];

const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

pub(super) fn is_int_format(format: Option<&str>) -> bool {
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
pub(super) fn is_multiple(v: f64, m: f64) -> bool {
    let d = decimals_of(v).max(decimals_of(m)).min(15);
    let scale = 10f64.powi(d as i32);
    let (a, b) = ((v * scale).round(), (m * scale).round());
    b != 0.0 && a.abs() < 9e15 && (a % b) == 0.0
}
