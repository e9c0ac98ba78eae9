//! A JSON value written as XML, for a body declared in an XML media type (Azure's OData
//! `$metadata` operations declare their errors in `application/xml` only): the value is made
//! and judged as JSON against the schema, as every other body is, and only written as XML.
//!
//! An object is an element holding one element per member, an array repeats its element once
//! per item, `null` is an empty element, and any other value is its text. The root element is
//! named by the schema (`xml.name`, else the component its `$ref` names, as OpenAPI's XML
//! Object reads it), else `error`. Member names that are no XML names are mended (`_`).

use serde_json::Value;

use crate::document::refs::Resources;
use crate::schema::validators::SchemaLoc;

/// Whether a media type is XML: `application/xml`, or any `+xml` type (`application/atom+xml`).
pub fn is_xml(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/xml")
        || essence
            .get(essence.len().saturating_sub(4)..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case("+xml"))
}

/// The root element's name for a body of the schema at `schema`.
pub fn root_name(resources: &Resources, schema: Option<&SchemaLoc>) -> String {
    let Some((loc, value)) = schema.and_then(|l| Some((l, l.get(resources)?))) else {
        return "error".to_owned();
    };
    let target = resources.deref(&loc.file, value).ok();
    let declared = target
        .and_then(|t| t.value.pointer("/xml/name"))
        .or_else(|| value.pointer("/xml/name"))
        .and_then(Value::as_str);
    let component = value
        .get("$ref")
        .and_then(Value::as_str)
        .unwrap_or(&loc.pointer)
        .rsplit_once("/schemas/")
        .map(|(_, name)| name);
    name(declared.or(component).unwrap_or("error"))
}

/// `value` as an XML document whose root element is `root`.
pub fn write(root: &str, value: &Value) -> String {
    let mut out = String::from(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    match value {
        // A root holds one element per item: a document has one root.
        Value::Array(items) => {
            open(&mut out, root);
            for item in items {
                element(&mut out, "item", item);
            }
            close(&mut out, root);
        }
        other => element(&mut out, root, other),
    }
    out
}

fn element(out: &mut String, tag: &str, value: &Value) {
    match value {
        Value::Array(items) => {
            for item in items {
                element(out, tag, item);
            }
        }
        Value::Null => {
            out.push('<');
            out.push_str(tag);
            out.push_str("/>");
        }
        Value::Object(members) => {
            open(out, tag);
            for (key, member) in members {
                element(out, &name(key), member);
            }
            close(out, tag);
        }
        Value::String(text) => {
            open(out, tag);
            escape(out, text);
            close(out, tag);
        }
        scalar => {
            open(out, tag);
            out.push_str(&scalar.to_string());
            close(out, tag);
        }
    }
}

fn open(out: &mut String, tag: &str) {
    out.push('<');
    out.push_str(tag);
    out.push('>');
}

fn close(out: &mut String, tag: &str) {
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

fn escape(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // Characters XML 1.0 cannot hold at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// `text` as an XML element name: letters, digits, `_`, `-` and `.`, not starting with a digit,
/// `-` or `.` (no `:`: a prefix would need a namespace).
fn name(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out
        .chars()
        .next()
        .is_none_or(|c| c.is_ascii_digit() || matches!(c, '-' | '.'))
    {
        out.insert(0, '_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn xml_media_types_are_application_xml_and_the_xml_suffix() {
        assert!(is_xml("application/xml"));
        assert!(is_xml("application/atom+xml; charset=utf-8"));
        assert!(!is_xml("text/xml"));
        assert!(!is_xml("application/json"));
        assert!(!is_xml("xml"));
    }

    #[test]
    fn a_value_is_written_as_elements_under_its_root() {
        let value = json!({"error": {"code": "400", "message": "a < b & c", "n": 1,
            "tags": ["x", "y"], "none": null, "@odata.type": true}});
        assert_eq!(
            write("QueryFailure", &value),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><QueryFailure><error><code>400</code>\
             <message>a &lt; b &amp; c</message><n>1</n><tags>x</tags><tags>y</tags><none/>\
             <_odata.type>true</_odata.type></error></QueryFailure>"
        );
        assert_eq!(
            write("list", &json!([1, "2"])),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><list><item>1</item><item>2</item></list>"
        );
    }

    #[test]
    fn the_root_is_named_by_the_schema() {
        let r = Resources::new(
            "file:///d.yaml",
            json!({
                "responses": {"a": {"$ref": "#/components/schemas/QueryFailure"}, "b": {},
                    "c": {"$ref": "#/components/schemas/Named"}},
                "components": {"schemas": {"QueryFailure": {"type": "object"},
                    "Named": {"type": "object", "xml": {"name": "Fault"}}}}
            }),
        );
        let at = |p: &str| SchemaLoc::new("file:///d.yaml", p);
        assert_eq!(root_name(&r, Some(&at("/responses/a"))), "QueryFailure");
        assert_eq!(root_name(&r, Some(&at("/responses/b"))), "error");
        assert_eq!(root_name(&r, Some(&at("/responses/c"))), "Fault");
        assert_eq!(
            root_name(&r, Some(&at("/components/schemas/QueryFailure"))),
            "QueryFailure"
        );
        assert_eq!(root_name(&r, None), "error");
    }
}
