//! The last guard on standard output: no line longer than [`MAX_LOG_LINE_BYTES`].

use std::io;

use tracing_subscriber::fmt::MakeWriter;

use super::{MAX_LOG_LINE_BYTES, MAX_VALUE_BYTES_IN_LONG_LINE, write::floor_char_boundary};

/// Standard output, one line per write, none longer than [`MAX_LOG_LINE_BYTES`]: the
/// last guard, for a line whose values were each short enough but were many.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct BoundedStdout;

impl<'a> MakeWriter<'a> for BoundedStdout {
    type Writer = BoundedLine;

    fn make_writer(&'a self) -> Self::Writer {
        BoundedLine
    }
}

/// Writes one formatted line (the formatter hands over each line in one write).
#[derive(Debug)]
pub(crate) struct BoundedLine;

impl io::Write for BoundedLine {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let mut stdout = io::stdout().lock();
        if buf.len() <= MAX_LOG_LINE_BYTES {
            return stdout.write_all(buf);
        }
        let line = String::from_utf8_lossy(buf);
        stdout.write_all(bounded(line.trim_end_matches('\n')).as_bytes())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stdout().flush()
    }
}

/// A line longer than [`MAX_LOG_LINE_BYTES`] made short enough, with its newline: a
/// JSON object is written again with its strings cut (and, if that is not enough, as
/// its timestamp, level, target and the start of its message); text is cut, with a
/// marker.
pub(crate) fn bounded(line: &str) -> String {
    if let Ok(serde_json::Value::Object(mut object)) = serde_json::from_str(line) {
        for value in object.values_mut() {
            shorten_strings(value);
        }
        object.insert("line_cut".to_owned(), serde_json::Value::Bool(true));
        if let Ok(text) = serde_json::to_string(&object)
            && text.len() < MAX_LOG_LINE_BYTES
        {
            return text + "\n";
        }
        let keep = ["timestamp", "level", "message", "target"];
        object.retain(|key, _| keep.contains(&key.as_str()));
        object.insert("line_cut".to_owned(), serde_json::Value::Bool(true));
        if let Ok(text) = serde_json::to_string(&object)
            && text.len() < MAX_LOG_LINE_BYTES
        {
            return text + "\n";
        }
        return "{\"message\":\"a log line too long to write\",\"line_cut\":true}\n".to_owned();
    }
    let marker = format!("…[{} bytes cut]\n", line.len());
    let end = floor_char_boundary(line, MAX_LOG_LINE_BYTES - marker.len());
    format!("{}{marker}", &line[..end])
}

pub(super) fn shorten_strings(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) if s.len() > MAX_VALUE_BYTES_IN_LONG_LINE => {
            let cut = s.len();
            s.truncate(floor_char_boundary(s, MAX_VALUE_BYTES_IN_LONG_LINE));
            s.push_str(&format!("…[{} bytes cut]", cut - s.len()));
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(shorten_strings),
        serde_json::Value::Object(members) => members.values_mut().for_each(shorten_strings),
        _ => {}
    }
}
