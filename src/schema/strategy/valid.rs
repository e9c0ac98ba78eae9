//! Valid values: each node of a compiled tree read as a proptest strategy.

use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::schema::merge::{decimals_of, number_value, round_to};
use crate::schema::tree::{ArrSpec, IntSpec, Kind, Node, NumSpec, ObjSpec, StrSpec};

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
mod tests;
