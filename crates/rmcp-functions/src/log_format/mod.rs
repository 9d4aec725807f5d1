//! How a log line is written: the text and JSON lines, each value cut to a fixed length
//! and each line to [`MAX_LOG_LINE_BYTES`].
//!
//! Two reasons for a formatter of our own rather than `tracing_subscriber`'s:
//!
//! - **Bounded lines.** Values can come from callers (a 100 KB tool name, a `Host`
//!   header rmcp logs when it refuses it), and Application Insights bills every byte of
//!   every line. Here every value is cut at [`MAX_VALUE_BYTES`] with a marker saying how
//!   much was cut, and a line that would still be longer than [`MAX_LOG_LINE_BYTES`] is
//!   cut too (a JSON line is written again with its strings shortened, so it stays one
//!   valid JSON object). Control characters are escaped, so no value can start a line of
//!   its own.
//! - **Cost.** The request line is written for every request. `tracing_subscriber`'s
//!   formatter turns the clock into a date on every line and writes each field through
//!   `core::fmt` with styling wrappers; this one keeps the date of the current second per
//!   thread and writes strings and numbers directly (bench/results/instructions.json).
//!
//! The lines look as `tracing_subscriber`'s do, without colours but the level's:
//!
//! ```text
//! 2026-12-07T14:27:00.123456Z  INFO rmcp_functions::logging: request method=POST path=/mcp status=200
//! {"timestamp":"2026-12-07T14:27:00.123456Z","level":"INFO","message":"request","method":"POST",…,"target":"rmcp_functions::logging","span":{"tool":"get_forecast","name":"tool"}}
//! ```

mod bounded;
mod write;

use std::fmt::{self, Write as _};

use tracing::{Event, Subscriber, field::Field};
use tracing_subscriber::{
    field::{RecordFields, Visit},
    fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, format::Writer},
    registry::LookupSpan,
};

/// The longest log line, in bytes, newline included, whatever a request carries.
pub const MAX_LOG_LINE_BYTES: usize = 4096;

/// The longest value (a field, or the message) written in full; longer ones are cut
/// with a marker. Long enough for an error chain with a URL in it.
const MAX_VALUE_BYTES: usize = 1024;

/// A string value in a JSON line written again because the line was too long is cut to
/// this.
const MAX_VALUE_BYTES_IN_LONG_LINE: usize = 256;

use self::write::{
    Clipped, Escaped, format_u64, itoa_buffer, write_json_escaped, write_level, write_timestamp,
};
pub(crate) use self::{bounded::BoundedStdout, write::floor_char_boundary};

/// Text or JSON lines.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line {
    json: bool,
    /// Colour the level (text on a terminal).
    ansi: bool,
}

impl Line {
    pub(crate) fn text(ansi: bool) -> Self {
        Self { json: false, ansi }
    }

    pub(crate) fn json() -> Self {
        Self {
            json: true,
            ansi: false,
        }
    }

    /// The matching formatter of span fields.
    pub(crate) fn fields(self) -> SpanFields {
        SpanFields { json: self.json }
    }
}

impl<S, N> FormatEvent<S, N> for Line
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let metadata = event.metadata();
        if self.json {
            writer.write_str("{\"timestamp\":\"")?;
            write_timestamp(&mut writer)?;
            writer.write_str("\",\"level\":\"")?;
            writer.write_str(metadata.level().as_str())?;
            writer.write_char('"')?;
            event.record(&mut Fields::new(&mut writer, true, true));
            writer.write_str(",\"target\":\"")?;
            write_json_escaped(&mut writer, metadata.target())?;
            writer.write_char('"')?;
            if let Some(span) = ctx.event_scope().and_then(|mut scope| scope.next()) {
                writer.write_str(",\"span\":{")?;
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<N>>()
                    && !fields.fields.is_empty()
                {
                    writer.write_str(&fields.fields)?;
                    writer.write_char(',')?;
                }
                writer.write_str("\"name\":\"")?;
                write_json_escaped(&mut writer, span.name())?;
                writer.write_str("\"}")?;
            }
            writer.write_str("}\n")
        } else {
            write_timestamp(&mut writer)?;
            writer.write_char(' ')?;
            write_level(&mut writer, metadata.level(), self.ansi)?;
            writer.write_char(' ')?;
            if let Some(scope) = ctx.event_scope() {
                let mut any = false;
                for span in scope.from_root() {
                    writer.write_str(span.name())?;
                    let extensions = span.extensions();
                    if let Some(fields) = extensions.get::<FormattedFields<N>>()
                        && !fields.fields.is_empty()
                    {
                        writer.write_char('{')?;
                        writer.write_str(&fields.fields)?;
                        writer.write_char('}')?;
                    }
                    writer.write_char(':')?;
                    any = true;
                }
                if any {
                    writer.write_char(' ')?;
                }
            }
            writer.write_str(metadata.target())?;
            writer.write_str(": ")?;
            event.record(&mut Fields::new(&mut writer, false, true));
            writer.write_char('\n')
        }
    }
}

/// Formats a span's fields once, when it is created: `name=value` pairs for text, JSON
/// members for JSON.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SpanFields {
    json: bool,
}

impl<'writer> FormatFields<'writer> for SpanFields {
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'writer>,
        fields: R,
    ) -> fmt::Result {
        fields.record(&mut Fields::new(&mut writer, self.json, false));
        Ok(())
    }

    fn add_fields(
        &self,
        current: &'writer mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        let separator = if self.json { ',' } else { ' ' };
        if !current.fields.is_empty() {
            current.fields.push(separator);
        }
        self.format_fields(current.as_writer(), fields)
    }
}

/// Writes an event's or a span's fields.
struct Fields<'a, 'w> {
    writer: &'a mut Writer<'w>,
    json: bool,
    /// Fields written so far (for separators).
    written: usize,
    /// An event's JSON members follow the level, so each starts with a comma.
    after_members: bool,
    result: fmt::Result,
}

impl<'a, 'w> Fields<'a, 'w> {
    fn new(writer: &'a mut Writer<'w>, json: bool, after_members: bool) -> Self {
        Self {
            writer,
            json,
            written: 0,
            after_members,
            result: Ok(()),
        }
    }

    /// Writes the separator and the name of `field`; for text, the message goes without
    /// its name.
    fn start(&mut self, field: &Field) -> fmt::Result {
        let name = field.name();
        let name = name.strip_prefix("r#").unwrap_or(name);
        if self.json {
            if self.written > 0 || self.after_members {
                self.writer.write_char(',')?;
            }
            self.writer.write_char('"')?;
            write_json_escaped(self.writer, name)?;
            self.writer.write_str("\":")?;
        } else {
            if self.written > 0 {
                self.writer.write_char(' ')?;
            }
            if name != "message" {
                self.writer.write_str(name)?;
                self.writer.write_char('=')?;
            }
        }
        self.written += 1;
        Ok(())
    }

    /// A string field: quoted in JSON, and in text unless it is the message (as
    /// `tracing_subscriber` writes them).
    fn string(&mut self, field: &Field, value: &str) -> fmt::Result {
        self.start(field)?;
        let quoted = self.json || field.name() != "message";
        if quoted {
            self.writer.write_char('"')?;
        }
        let mut clipped = Clipped::new(Escaped::new(self.writer, self.json));
        clipped.write_str(value)?;
        clipped.finish()?;
        if quoted {
            self.writer.write_char('"')?;
        }
        Ok(())
    }

    /// A value written with `Display`/`Debug`: unquoted in text, a string in JSON.
    fn formatted(&mut self, field: &Field, value: &dyn fmt::Debug) -> fmt::Result {
        self.start(field)?;
        if self.json {
            self.writer.write_char('"')?;
        }
        let mut clipped = Clipped::new(Escaped::new(self.writer, self.json));
        write!(clipped, "{value:?}")?;
        clipped.finish()?;
        if self.json {
            self.writer.write_char('"')?;
        }
        Ok(())
    }

    /// A number or a boolean, written as it is in both formats.
    fn plain(&mut self, field: &Field, value: &str) -> fmt::Result {
        self.start(field)?;
        self.writer.write_str(value)
    }

    fn keep(&mut self, result: fmt::Result) {
        if self.result.is_ok() {
            self.result = result;
        }
    }
}

impl Visit for Fields<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        let result = self.string(field, value);
        self.keep(result);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        let mut digits = itoa_buffer();
        let result = self.plain(field, format_u64(value, &mut digits));
        self.keep(result);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        let mut digits = itoa_buffer();
        let text = format_u64(value.unsigned_abs(), &mut digits);
        let result = if value < 0 {
            self.start(field).and_then(|()| {
                self.writer.write_char('-')?;
                self.writer.write_str(text)
            })
        } else {
            self.plain(field, text)
        };
        self.keep(result);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        let result = self.plain(field, if value { "true" } else { "false" });
        self.keep(result);
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        let result = if value.is_finite() {
            let mut buffer = ryu::Buffer::new();
            let text = buffer.format_finite(value);
            self.plain(field, text)
        } else if self.json {
            // JSON has no NaN or infinity: as serde_json writes them.
            self.plain(field, "null")
        } else {
            self.formatted(field, &value)
        };
        self.keep(result);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let result = self.formatted(field, value);
        self.keep(result);
    }
}

/// Room for the digits of any `u64`.
#[cfg(test)]
mod tests {
    use super::{
        bounded::bounded,
        write::{date_time, write_text_escaped},
        *,
    };

    #[test]
    fn dates_are_utc_calendar_dates() {
        assert_eq!(&date_time(0), b"1970-01-01T00:00:00");
        assert_eq!(&date_time(951_782_400), b"2000-02-29T00:00:00");
        assert_eq!(&date_time(1_796_655_599), b"2026-12-07T14:59:59");
        assert_eq!(&date_time(4_107_542_400), b"2100-03-01T00:00:00");
    }

    #[test]
    fn numbers_are_written_in_decimal() {
        let mut digits = itoa_buffer();
        assert_eq!(format_u64(0, &mut digits), "0");
        assert_eq!(format_u64(u64::MAX, &mut digits), "18446744073709551615");
    }

    #[test]
    fn a_long_value_is_cut_at_a_character_boundary_with_a_marker() {
        let mut out = String::new();
        let mut clipped = Clipped::new(&mut out);
        let value = "é".repeat(MAX_VALUE_BYTES);
        clipped.write_str(&value).unwrap();
        clipped.write_str("more").unwrap();
        clipped.finish().unwrap();
        let (kept, marker) = out.split_once('…').unwrap();
        assert_eq!(kept.len(), MAX_VALUE_BYTES);
        assert_eq!(
            marker,
            format!("[{} bytes cut]", value.len() + 4 - MAX_VALUE_BYTES)
        );
    }

    #[test]
    fn control_characters_cannot_start_a_line() {
        let mut text = String::new();
        write_text_escaped(&mut text, "a\nb\u{1b}[31mc\u{85}").unwrap();
        assert_eq!(text, "a\\nb\\u{1b}[31mc\\u{85}");
        let mut json = String::new();
        write_json_escaped(&mut json, "a\"\\\n\u{1}é").unwrap();
        assert_eq!(json, "a\\\"\\\\\\n\\u0001é");
    }

    #[test]
    fn an_overlong_line_is_cut_and_json_stays_json() {
        let text = format!("2026 INFO x: request tool={}", "t".repeat(10_000));
        let cut = bounded(&text);
        assert!(
            cut.len() <= MAX_LOG_LINE_BYTES && cut.ends_with(" bytes cut]\n"),
            "{cut}"
        );

        let many: serde_json::Map<String, serde_json::Value> = (0..100)
            .map(|i| (format!("f{i}"), "v".repeat(1000).into()))
            .collect();
        let mut object = many.clone();
        object.insert("message".to_owned(), "m".repeat(10_000).into());
        object.insert("level".to_owned(), "WARN".into());
        let cut = bounded(&serde_json::to_string(&object).unwrap());
        assert!(cut.len() <= MAX_LOG_LINE_BYTES, "{}", cut.len());
        let parsed: serde_json::Value = serde_json::from_str(&cut).unwrap();
        assert_eq!(parsed["level"], "WARN");
        assert_eq!(parsed["line_cut"], true);
        assert!(parsed["message"].as_str().unwrap().starts_with("mmm"));
    }
}
