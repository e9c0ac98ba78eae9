//! Arrays and objects of the tree: prefix items and the items after them, `items: false`;
//! properties hidden by direction or depth, a discriminator's pinned property, `minProperties`
//! reached by promoting optional ones, and map-like objects' extra entries.

use std::sync::Arc;

use serde_json::Value;

use super::{Compiler, FALSE};
use crate::document::refs::Located;
use crate::schema::error::SchemaError;
use crate::schema::generate::Direction;
use crate::schema::merge::Merged;
use crate::schema::tree::{ArrSpec, Node, ObjSpec, Prop, SOFT_DEPTH};

impl<'a> Compiler<'a> {
    pub(super) fn array(
        &self,
        m: &Merged<'a>,
        path: &str,
        depth: usize,
    ) -> Result<ArrSpec, SchemaError> {
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
            return Err(SchemaError::Unsatisfiable {
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
            prefix.push(self.child(&m.item_schemas(i), &child, depth + 1)?);
        }
        let items = if closed {
            None
        } else {
            let child = crate::document::refs::pointer_join(path, &["0"]);
            let needed = m.min_items > longest_prefix;
            match self.child(&m.item_schemas(longest_prefix), &child, depth + 1) {
                Ok(n) => Some(n),
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

    pub(super) fn object(
        &self,
        m: &Merged<'a>,
        forced: &[(String, Value)],
        path: &str,
        depth: usize,
    ) -> Result<ObjSpec, SchemaError> {
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
            let Some(schemas) = m.key_schemas(name) else {
                if listed || is_forced.is_some() {
                    return Err(SchemaError::Unsatisfiable {
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
                    Arc::new(n)
                }
                Some((_, v)) => Arc::new(Node::Fixed {
                    values: vec![v.clone()],
                    keyword: "const",
                }),
                None => match self.child(&schemas, &child, depth + 1) {
                    Ok(n) => n,
                    Err(e) if !always && !matches!(e, SchemaError::Ref { .. }) => continue,
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
            self.child(&schemas, &child, depth + 1).ok()
        } else {
            None
        };
        let extra_room = if extra.is_some() { 2 } else { 0 };
        if present + extra_room < m.min_props && props.len() + extra_room < m.min_props {
            return Err(SchemaError::Unsatisfiable {
                at: Self::at(path),
                reason: "cannot reach `minProperties`".into(),
            });
        }
        if m.max_props
            .is_some_and(|x| props.iter().filter(|p| p.always).count() > x)
        {
            return Err(SchemaError::Unsatisfiable {
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
