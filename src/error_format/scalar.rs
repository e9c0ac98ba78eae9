//! Scalars: converting a fact (a status, a title, a path) into a member's declared kind, and
//! fitting it into the member's `enum`, lengths and bounds.

use serde_json::{Number, Value, json};

use crate::schema::merge::{ARR, BOOL, Bound, INT, NULL, NUM, OBJ, STR};

use super::names::{normalise, slug};
use super::plan::write_value;

/// A JSON type, as a member's value is made of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    String,
    Integer,
    Number,
    Boolean,
    Null,
    Object,
    Array,
}

impl Kind {
    /// The kinds `type` bits (as `schema::merge` keeps them) allow, text first: a member
    /// nobody knows gets a value of the first kind that is not `null`. `number` covers
    /// `integer`.
    pub(super) fn from_bits(bits: u8) -> Vec<Kind> {
        let mut kinds = Vec::new();
        if bits & STR != 0 {
            kinds.push(Kind::String);
        }
        if bits & NUM != 0 {
            kinds.push(Kind::Number);
        } else if bits & INT != 0 {
            kinds.push(Kind::Integer);
        }
        for (bit, kind) in [
            (BOOL, Kind::Boolean),
            (OBJ, Kind::Object),
            (ARR, Kind::Array),
            (NULL, Kind::Null),
        ] {
            if bits & bit != 0 {
                kinds.push(kind);
            }
        }
        kinds
    }

    /// The `type` name of this kind.
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::Integer => "integer",
            Kind::Number => "number",
            Kind::Boolean => "boolean",
            Kind::Null => "null",
            Kind::Object => "object",
            Kind::Array => "array",
        }
    }

    fn of(value: &Value) -> Kind {
        match value {
            Value::String(_) => Kind::String,
            Value::Number(n) if n.is_i64() || n.is_u64() => Kind::Integer,
            Value::Number(_) => Kind::Number,
            Value::Bool(_) => Kind::Boolean,
            Value::Null => Kind::Null,
            Value::Object(_) => Kind::Object,
            Value::Array(_) => Kind::Array,
        }
    }

    fn holds(self, value: &Value) -> bool {
        match (self, value) {
            (Kind::Integer, Value::Number(n)) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            (Kind::Number, Value::Number(_)) => true,
            _ => self == Kind::of(value),
        }
    }

    /// `value` converted to this kind, if it has a faithful reading in it.
    fn convert(self, value: &Value) -> Option<Value> {
        match (self, value) {
            _ if self.holds(value) => Some(value.clone()),
            (Kind::String, Value::Number(n)) => Some(json!(n.to_string())),
            (Kind::String, Value::Bool(b)) => Some(json!(b.to_string())),
            (Kind::Integer, Value::String(s)) => s.trim().parse::<i64>().ok().map(Value::from),
            (Kind::Number, Value::String(s)) => s
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map(Value::Number),
            (Kind::Boolean, Value::String(s)) => s.parse::<bool>().ok().map(Value::Bool),
            _ => None,
        }
    }
}

/// The constraints of one scalar member that a rendered value must meet.
#[derive(Debug, Clone, Default)]
pub(super) struct Scalar {
    /// Empty: any kind.
    pub kinds: Vec<Kind>,
    pub allowed: Option<Vec<Value>>,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    /// The numeric bounds, as merged: the tightest of `minimum` and `exclusiveMinimum`, and of
    /// `maximum` and `exclusiveMaximum`.
    pub lo: Option<Bound>,
    pub hi: Option<Bound>,
    /// `anyOf`/`oneOf` branches: a value must meet one of them.
    pub alternatives: Vec<Scalar>,
    /// A valid value, for when no candidate can be made to fit.
    pub fallback: Value,
}

impl Scalar {
    /// The first candidate that fits, converted to a declared kind; failing that, the first
    /// allowed value; failing that, the first candidate trimmed or padded into the bounds.
    pub(super) fn fit(&self, candidates: &[Value]) -> Value {
        if let Some(v) = self.fits(candidates) {
            return v;
        }
        if let Some(first) = self.allowed.as_ref().and_then(|a| a.first()) {
            return first.clone();
        }
        candidates
            .first()
            .and_then(|c| self.kinds_for(c).find_map(|k| k.convert(c)))
            .map(|v| self.squeeze(v))
            .filter(|v| self.accepts(v))
            .unwrap_or_else(|| self.fallback.clone())
    }

    /// Appends [`Scalar::fit_text`] of `text`: the text itself, unwrapped, when it fits as it
    /// is (most members take any string).
    #[inline]
    pub(super) fn write_text(&self, text: &str, out: &mut Vec<u8>) {
        if self.accepts_text(text) {
            let _ = serde_json::to_writer(out, text);
        } else {
            write_value(out, &self.fit_text(text));
        }
    }

    /// Appends [`Scalar::fit`] of the one candidate `text`, without making it a `Value` when
    /// it fits as it is: the first thing `fit` tries.
    #[inline]
    pub(super) fn write_fit_text(&self, text: &str, out: &mut Vec<u8>) {
        if self.takes_own_kind(Kind::String) && self.accepts_text(text) {
            let _ = serde_json::to_writer(out, text);
        } else {
            write_value(out, &self.fit(&[Value::String(text.to_owned())]));
        }
    }

    /// Appends a status as its digits in a string, when that is what [`Scalar::fits_one`]
    /// makes of the number for a member declared as a string only, and says so.
    #[inline]
    pub(super) fn write_status_digits(&self, status: u16, out: &mut Vec<u8>) -> bool {
        if !(self.kinds == [Kind::String] && self.alternatives.is_empty()) {
            return false;
        }
        let mut buf = [0u8; 20];
        let digits = crate::text::decimal(u64::from(status), &mut buf);
        if !self.accepts_text(digits) {
            return false;
        }
        out.push(b'"');
        out.extend_from_slice(digits.as_bytes());
        out.push(b'"');
        true
    }

    /// Whether a candidate of `kind` is tried as it is, before any conversion.
    #[inline]
    fn takes_own_kind(&self, kind: Kind) -> bool {
        if self.kinds.is_empty() {
            self.alternatives.is_empty()
        } else {
            self.kinds.contains(&kind)
        }
    }

    /// [`Scalar::fit`] of a text and then its slug (`Not Found`, `not_found`), the slug made
    /// only when the text itself does not fit: most members take any string, and making
    /// slugs for every text was a sixth of rendering an error.
    fn fit_text(&self, text: &str) -> Value {
        let plain = Value::String(text.to_owned());
        match self.fits(std::slice::from_ref(&plain)) {
            Some(v) => v,
            None => self.fit(&[plain, Value::String(slug(text))]),
        }
    }

    pub(super) fn fits(&self, candidates: &[Value]) -> Option<Value> {
        candidates.iter().find_map(|c| self.fits_one(c))
    }

    /// `candidate`, converted to a declared kind, if it can be made to meet the constraints.
    pub(super) fn fits_one(&self, c: &Value) -> Option<Value> {
        // The candidate as it is, when its own kind is declared (or any kind may be): what
        // the search below tries first, without converting it.
        if self.takes_own_kind(Kind::of(c)) && self.accepts(c) {
            return Some(c.clone());
        }
        self.kinds_for(c)
            .filter_map(|k| k.convert(c))
            .find_map(|v| self.admit(v))
    }

    /// The kinds to try for `candidate`: its own first, then the declared ones in order.
    fn kinds_for(&self, candidate: &Value) -> impl Iterator<Item = Kind> {
        let declared = self.all_kinds();
        let own = Kind::of(candidate);
        let mut kinds = KindList::default();
        if declared.is_empty() || declared.contains(own) {
            kinds.push(own);
        }
        for k in declared.iter() {
            kinds.push(k);
        }
        kinds.iter()
    }

    fn all_kinds(&self) -> KindList {
        let mut kinds = KindList::default();
        if !self.kinds.is_empty() {
            for k in &self.kinds {
                kinds.push(*k);
            }
            return kinds;
        }
        for alt in &self.alternatives {
            for k in alt.all_kinds().iter() {
                kinds.push(k);
            }
        }
        kinds
    }

    /// `value` if it meets the constraints; a string enum also admits a value spelled
    /// differently (`not_found` for `NOT_FOUND`), in the enum's own spelling.
    fn admit(&self, value: Value) -> Option<Value> {
        if self.accepts(&value) {
            return Some(value);
        }
        let text = value.as_str()?;
        let allowed = self.allowed.as_ref()?;
        allowed
            .iter()
            .find(|a| a.as_str().is_some_and(|a| normalise(a) == normalise(text)))
            .filter(|a| self.accepts(a))
            .cloned()
    }

    fn accepts(&self, value: &Value) -> bool {
        if let Value::String(text) = value {
            return self.accepts_text(text);
        }
        if !self.kinds.is_empty() && !self.kinds.iter().any(|k| k.holds(value)) {
            return false;
        }
        if let Some(allowed) = &self.allowed
            && !allowed.iter().any(|a| same(a, value))
        {
            return false;
        }
        if let Some(n) = value.as_f64() {
            let out = self
                .lo
                .is_some_and(|b| n < b.value || (b.exclusive && n == b.value))
                || self
                    .hi
                    .is_some_and(|b| n > b.value || (b.exclusive && n == b.value));
            if out {
                return false;
            }
        }
        self.alternatives.is_empty() || self.alternatives.iter().any(|a| a.accepts(value))
    }

    /// [`Scalar::accepts`] of a string, asked without making it a `Value` first.
    #[inline]
    fn accepts_text(&self, text: &str) -> bool {
        if !self.kinds.is_empty() && !self.kinds.contains(&Kind::String) {
            return false;
        }
        if let Some(allowed) = &self.allowed
            && !allowed.iter().any(|a| a.as_str() == Some(text))
        {
            return false;
        }
        if self.min_length.is_some() || self.max_length.is_some() {
            let len = text.chars().count();
            if self.min_length.is_some_and(|m| len < m) || self.max_length.is_some_and(|m| len > m)
            {
                return false;
            }
        }
        self.alternatives.is_empty() || self.alternatives.iter().any(|a| a.accepts_text(text))
    }

    /// Strings cut or padded to the length bounds (padding with `.`, which reads as an
    /// ellipsis), numbers clamped to the inclusive bounds.
    fn squeeze(&self, value: Value) -> Value {
        match value {
            Value::String(s) => {
                let mut s: String = match self.max_length {
                    Some(max) => s.chars().take(max).collect(),
                    None => s,
                };
                // `min_length` is at most `MAX_FILL` (see `compile`).
                let short = self
                    .min_length
                    .map_or(0, |m| m.saturating_sub(s.chars().count()));
                s.extend(std::iter::repeat_n('.', short));
                Value::String(s)
            }
            Value::Number(n) => {
                let mut f = n.as_f64().unwrap_or_default();
                if let Some(b) = self.lo.filter(|b| !b.exclusive) {
                    f = f.max(b.value);
                }
                if let Some(b) = self.hi.filter(|b| !b.exclusive) {
                    f = f.min(b.value);
                }
                if n.is_i64() || n.is_u64() {
                    json!(f as i64)
                } else {
                    Number::from_f64(f).map_or(Value::Number(n), Value::Number)
                }
            }
            other => other,
        }
    }

    pub(super) fn prefers_number(&self) -> bool {
        let kinds = self.all_kinds();
        !kinds.is_empty()
            && !kinds.contains(Kind::String)
            && kinds
                .iter()
                .any(|k| matches!(k, Kind::Integer | Kind::Number))
    }

    pub(super) fn is_text(&self) -> bool {
        let kinds = self.all_kinds();
        kinds.is_empty() || kinds.contains(Kind::String)
    }
}

/// Distinct kinds in the order first met, held inline: rendering asks for them per member
/// per error, and a `Vec` each time was a tenth of rendering one.
#[derive(Debug, Clone, Copy)]
struct KindList {
    kinds: [Kind; KindList::ALL],
    len: usize,
}

impl Default for KindList {
    fn default() -> Self {
        KindList {
            kinds: [Kind::Null; KindList::ALL],
            len: 0,
        }
    }
}

impl KindList {
    /// How many kinds there are: a list never holds more.
    const ALL: usize = 7;

    fn push(&mut self, kind: Kind) {
        if !self.contains(kind) && self.len < Self::ALL {
            self.kinds[self.len] = kind;
            self.len += 1;
        }
    }

    fn contains(&self, kind: Kind) -> bool {
        self.kinds[..self.len].contains(&kind)
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn iter(self) -> impl Iterator<Item = Kind> {
        self.kinds.into_iter().take(self.len)
    }
}

pub(super) fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}
