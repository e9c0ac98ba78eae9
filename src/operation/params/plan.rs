//! The plan of one parameter, compiled once at load from its Parameter object: name,
//! location, style, `explode`, and the [`Shape`] of its value, whose type facts come from
//! `schema::facts`.

use serde_json::Value;

use super::location::{ParamIn, Style};
use crate::document::problems::{excerpt, excerpt_value};
use crate::document::refs::{Located, Resources};
use crate::operation::negotiate::is_json;
use crate::schema::facts::{ObjectShape, TypeSet, Types};

/// The structure a parameter's value has, decided once from its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// One value of one of these (scalar) types.
    Scalar(TypeSet),
    /// An array whose items take these types.
    Array(TypeSet),
    Object(ObjectShape),
    /// The parameter uses `content` with a JSON media type: the text is a JSON document.
    Content,
    /// No schema, or one that allows both arrays and objects: a single value stays a string
    /// and a query key given more than once becomes an array of strings.
    Any,
}

/// Everything needed to read one parameter from a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamPlan {
    pub name: String,
    pub location: ParamIn,
    pub style: Style,
    pub explode: bool,
    pub shape: Shape,
    /// Always true for path parameters, which OpenAPI requires even when a document forgets
    /// to say so.
    pub required: bool,
    pub allow_empty_value: bool,
}

impl ParamPlan {
    /// Builds the plan for a Parameter object (already `$ref`-resolved by the caller) found in
    /// the file at `base`; the schema's `$ref`s resolve through `resources`. Defaults follow
    /// OpenAPI: style `form` for query and cookie, `simple` for path and header; `explode` is
    /// true only for `form`. A parameter with a `content` map is read as JSON when its media
    /// type is JSON and as one scalar otherwise. Errors are sentences for the loader to
    /// list: a missing name, an unknown `in`, an unknown style or one not defined for the
    /// location, a non-boolean `explode`.
    pub fn compile(resources: &Resources, base: &str, param: &Value) -> Result<ParamPlan, String> {
        let name = param
            .get("name")
            .and_then(Value::as_str)
            .ok_or("a parameter has no `name`")?
            .to_owned();
        // Messages quote the document's values only in part.
        let quoted = excerpt(&name);
        let location = match param.get("in").and_then(Value::as_str) {
            Some(s) => ParamIn::parse(s).ok_or_else(|| {
                format!(
                    "parameter `{quoted}`: `in: {}` is not one of path, query, header, cookie",
                    excerpt(s)
                )
            })?,
            None => return Err(format!("parameter `{quoted}` has no `in`")),
        };
        let style = match param.get("style") {
            None => location.default_style(),
            Some(Value::String(s)) => Style::parse(s).ok_or_else(|| {
                format!(
                    "parameter `{quoted}`: `{}` is not a known style",
                    excerpt(s)
                )
            })?,
            Some(other) => {
                return Err(format!(
                    "parameter `{quoted}`: `style` must be a string, not {}",
                    excerpt_value(other)
                ));
            }
        };
        let allowed = location.allowed_styles();
        if !allowed.contains(&style) {
            let list: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
            return Err(format!(
                "parameter `{quoted}` in {}: style `{}` is not allowed there (use {})",
                location.as_str(),
                style.as_str(),
                list.join(", ")
            ));
        }
        let explode = match param.get("explode") {
            None => style == Style::Form,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(format!(
                    "parameter `{quoted}`: `explode` must be true or false, not {}",
                    excerpt_value(other)
                ));
            }
        };
        let flag = |key: &str| param.get(key).and_then(Value::as_bool).unwrap_or(false);
        let types = Types::new(resources);
        let at = |value| Located { base, value };
        let shape = match (param.get("schema"), param.get("content")) {
            (_, Some(Value::Object(content))) if !content.is_empty() => {
                // OpenAPI allows exactly one entry; with more, the first is as good a guess
                // as any.
                match content.iter().next() {
                    Some((media, _)) if is_json(media) => Shape::Content,
                    // Plain text: one value, typed by the media type's schema if it has one.
                    Some((_, media)) => match media.get("schema") {
                        Some(schema) => Shape::Scalar(types.of(at(schema))),
                        None => Shape::Scalar(TypeSet::ANY),
                    },
                    None => Shape::Any,
                }
            }
            (Some(schema), _) => shape_of(types, at(schema)),
            _ => Shape::Any,
        };
        Ok(ParamPlan {
            name,
            location,
            style,
            explode,
            shape,
            required: location == ParamIn::Path || flag("required"),
            allow_empty_value: flag("allowEmptyValue"),
        })
    }
}

/// The shape a schema gives a parameter's value: a scalar of its types, an array of its
/// items' types, an object of its members' types. A schema that allows both arrays and
/// objects is taken for the one whose keywords (`items`, `properties`) it uses, and stays
/// `Any` when that does not decide.
fn shape_of<'a>(types: Types<'a>, schema: Located<'a>) -> Shape {
    let allowed = types.of(schema);
    let array = allowed.intersects(TypeSet::ARRAY);
    let object = allowed.intersects(TypeSet::OBJECT);
    let (array, object) = if array && object {
        (types.mentions_items(schema), types.mentions_members(schema))
    } else {
        (array, object)
    };
    match (array, object) {
        (false, false) if allowed.intersects(TypeSet::ARRAY | TypeSet::OBJECT) => Shape::Any,
        (false, false) => Shape::Scalar(allowed),
        (true, false) => Shape::Array(types.items(schema)),
        (false, true) => Shape::Object(types.members(schema)),
        (true, true) => Shape::Any,
    }
}
