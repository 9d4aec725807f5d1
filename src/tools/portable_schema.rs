//! Tool schemas that every JSON Schema validator reads alike.
//!
//! schemars gives every number a Rust-specific `format` (`double`, `int32`, `uint16`,
//! `uint64`, `uint`). JSON Schema defines none of them, so a validator either ignores
//! them with a warning (the TypeScript SDK prints `unknown format "uint64" ignored` on
//! every listing and call) or, when strict, refuses the whole schema. What such a
//! format says about an integer's range is said with `minimum`/`maximum` instead, which
//! every validator enforces. Applied once to every tool, where the tools are built.

use rmcp::model::{JsonObject, Tool};
use serde_json::Value;

/// The formats JSON Schema 2020-12 defines (Validation, section 7.3): the only ones
/// kept.
const JSON_SCHEMA_FORMATS: &[&str] = &[
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uuid",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
];

/// Keywords whose values are data, not schemas: a `format` key there is left alone.
const DATA_KEYWORDS: &[&str] = &["const", "default", "enum", "examples"];

/// Rewrites `tool`'s input and output schemas in place.
pub(super) fn make_portable(tool: &mut Tool) {
    rewrite(std::sync::Arc::make_mut(&mut tool.input_schema));
    if let Some(output) = tool.output_schema.as_mut() {
        rewrite(std::sync::Arc::make_mut(output));
    }
}

/// Drops every `format` JSON Schema does not define from `schema` and the schemas in
/// it, bounding integers with the range their format named.
fn rewrite(schema: &mut JsonObject) {
    let dropped = match schema.get("format") {
        Some(Value::String(format)) if !JSON_SCHEMA_FORMATS.contains(&format.as_str()) => {
            Some(format.clone())
        }
        _ => None,
    };
    if let Some(format) = dropped {
        schema.remove("format");
        let (minimum, maximum) = integer_range(&format);
        bound(schema, &["minimum", "exclusiveMinimum"], minimum);
        bound(schema, &["maximum", "exclusiveMaximum"], maximum);
    }
    for (key, value) in schema.iter_mut() {
        if !DATA_KEYWORDS.contains(&key.as_str()) {
            rewrite_value(value);
        }
    }
}

/// Schemas nest in objects (`properties`, `$defs`, `items`) and arrays (`anyOf`).
fn rewrite_value(value: &mut Value) {
    match value {
        Value::Object(schema) => rewrite(schema),
        Value::Array(items) => items.iter_mut().for_each(rewrite_value),
        _ => {}
    }
}

/// Sets `limit` under `keys[0]` unless the schema already has one of `keys`.
fn bound(schema: &mut JsonObject, keys: &[&str], limit: Option<i64>) {
    if let Some(limit) = limit
        && !keys.iter().any(|key| schema.contains_key(*key))
    {
        schema.insert(keys[0].to_owned(), limit.into());
    }
}

/// The range of the integer type a schemars format names, as far as a JSON number
/// holds it exactly in every validator (within ±2^53): a 64-bit or pointer-sized
/// unsigned integer keeps its minimum only, a signed one no bound. Not an integer
/// format (`double`, `float`): no bound.
fn integer_range(format: &str) -> (Option<i64>, Option<i64>) {
    match format {
        "int8" => (Some(i8::MIN.into()), Some(i8::MAX.into())),
        "int16" => (Some(i16::MIN.into()), Some(i16::MAX.into())),
        "int32" => (Some(i32::MIN.into()), Some(i32::MAX.into())),
        "uint8" => (Some(0), Some(u8::MAX.into())),
        "uint16" => (Some(0), Some(u16::MAX.into())),
        "uint32" => (Some(0), Some(u32::MAX.into())),
        "uint64" | "uint128" | "uint" => (Some(0), None),
        _ => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rmcp::model::{JsonObject, Tool};
    use serde_json::{Value, json};

    use super::make_portable;

    fn object(value: Value) -> Arc<JsonObject> {
        let Value::Object(object) = value else {
            unreachable!("a JSON object")
        };
        Arc::new(object)
    }

    fn portable(input: Value, output: Value) -> (Value, Value) {
        let mut tool = Tool::new("t", "", object(input)).with_raw_output_schema(object(output));
        make_portable(&mut tool);
        let output = tool.output_schema.map(|s| Value::Object((*s).clone()));
        (Value::Object((*tool.input_schema).clone()), output.unwrap())
    }

    #[test]
    fn drops_rust_formats_and_bounds_integers_with_their_range() {
        let (input, output) = portable(
            json!({"type": "object", "properties": {
                "latitude": {"type": "number", "format": "double", "minimum": -90.0},
                "hours": {"type": "integer", "format": "uint16", "minimum": 1, "maximum": 156},
                "count": {"type": "integer", "format": "int32", "minimum": 0},
                "code": {"type": ["integer", "null"], "format": "int32"},
            }}),
            json!({"type": "object", "$defs": {"Info": {"properties": {
                "size": {"type": "integer", "format": "uint64", "minimum": 0},
            }}}, "properties": {
                "total": {"anyOf": [{"type": "integer", "format": "uint"}, {"type": "null"}]},
                "at": {"type": "string", "format": "date-time"},
            }}),
        );
        assert_eq!(
            input["properties"],
            json!({
                "latitude": {"type": "number", "minimum": -90.0},
                "hours": {"type": "integer", "minimum": 1, "maximum": 156},
                "count": {"type": "integer", "minimum": 0, "maximum": 2147483647},
                "code": {"type": ["integer", "null"], "minimum": -2147483648, "maximum": 2147483647},
            })
        );
        assert_eq!(
            output["$defs"]["Info"]["properties"]["size"],
            json!({"type": "integer", "minimum": 0})
        );
        assert_eq!(
            output["properties"],
            json!({
                "total": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}]},
                "at": {"type": "string", "format": "date-time"},
            })
        );
    }

    #[test]
    fn leaves_data_and_properties_named_format_alone() {
        let schema = json!({"type": "object", "properties": {
            "format": {"type": "string", "default": "double", "examples": [{"format": "int32"}]},
        }, "const": {"format": "uint"}});
        let (input, _) = portable(schema.clone(), json!({"type": "object"}));
        assert_eq!(input, schema);
    }
}
