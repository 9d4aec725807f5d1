//! How values are written into a line: escaped, clipped, numbers and dates without
//! `core::fmt` machinery.

use std::{
    cell::Cell,
    fmt,
    time::{SystemTime, UNIX_EPOCH},
};

use tracing::Level;

use super::MAX_VALUE_BYTES;
use tracing_subscriber::fmt::format::Writer;

pub(super) fn itoa_buffer() -> [u8; 20] {
    [0; 20]
}

/// `value` in decimal, written into the end of `buffer`.
pub(super) fn format_u64(mut value: u64, buffer: &mut [u8; 20]) -> &str {
    let mut start = buffer.len();
    loop {
        start -= 1;
        buffer[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    std::str::from_utf8(&buffer[start..]).unwrap_or("?")
}

/// Writes at most [`MAX_VALUE_BYTES`] of a value, cut at a character boundary, and then
/// (from [`finish`](Self::finish)) a marker saying how many bytes were left out.
pub(super) struct Clipped<W> {
    inner: W,
    room: usize,
    cut: usize,
}

impl<W: fmt::Write> Clipped<W> {
    pub(super) fn new(inner: W) -> Self {
        Self {
            inner,
            room: MAX_VALUE_BYTES,
            cut: 0,
        }
    }

    pub(super) fn finish(mut self) -> fmt::Result {
        if self.cut == 0 {
            return Ok(());
        }
        let mut digits = itoa_buffer();
        self.inner.write_str("…[")?;
        self.inner
            .write_str(format_u64(self.cut as u64, &mut digits))?;
        self.inner.write_str(" bytes cut]")
    }
}

impl<W: fmt::Write> fmt::Write for Clipped<W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if s.len() <= self.room {
            self.room -= s.len();
            return self.inner.write_str(s);
        }
        let end = floor_char_boundary(s, self.room);
        self.cut += s.len() - end;
        self.room -= end;
        if self.room < 4 {
            // No room for another character whatever its width: nothing more fits.
            self.room = 0;
        }
        self.inner.write_str(&s[..end])
    }
}

/// The largest index `<= at` that is a character boundary of `s`.
pub(crate) fn floor_char_boundary(s: &str, at: usize) -> usize {
    if at >= s.len() {
        return s.len();
    }
    (0..=at).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0)
}

/// Escapes what is written through it: for JSON, as a JSON string's contents; for text,
/// control characters as `\n`, `\u{1b}` and the like, so no value starts a new line or
/// talks to the terminal.
pub(super) struct Escaped<'a, 'w> {
    inner: &'a mut Writer<'w>,
    json: bool,
}

impl<'a, 'w> Escaped<'a, 'w> {
    pub(super) fn new(inner: &'a mut Writer<'w>, json: bool) -> Self {
        Self { inner, json }
    }
}

impl fmt::Write for Escaped<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.json {
            write_json_escaped(self.inner, s)
        } else {
            write_text_escaped(self.inner, s)
        }
    }
}

/// `s` as the contents of a JSON string.
pub(super) fn write_json_escaped(writer: &mut impl fmt::Write, s: &str) -> fmt::Result {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x00..=0x1f | 0x7f => "",
            _ => continue,
        };
        writer.write_str(&s[start..i])?;
        if escape.is_empty() {
            write!(writer, "\\u{byte:04x}")?;
        } else {
            writer.write_str(escape)?;
        }
        start = i + 1;
    }
    writer.write_str(&s[start..])
}

/// `s` with its control characters (C0, DEL, C1) escaped.
pub(super) fn write_text_escaped(writer: &mut impl fmt::Write, s: &str) -> fmt::Result {
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let escape = match c {
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => "",
            _ => continue,
        };
        writer.write_str(&s[start..i])?;
        if escape.is_empty() {
            write!(writer, "\\u{{{:x}}}", c as u32)?;
        } else {
            writer.write_str(escape)?;
        }
        start = i + c.len_utf8();
    }
    writer.write_str(&s[start..])
}

/// The level, padded to five characters as `tracing_subscriber` pads it, in its colour
/// on a terminal.
pub(super) fn write_level(writer: &mut Writer<'_>, level: &Level, ansi: bool) -> fmt::Result {
    let (text, colour) = match *level {
        Level::TRACE => ("TRACE", "35"),
        Level::DEBUG => ("DEBUG", "34"),
        Level::INFO => (" INFO", "32"),
        Level::WARN => (" WARN", "33"),
        Level::ERROR => ("ERROR", "31"),
    };
    if ansi {
        write!(writer, "\x1b[{colour}m{text}\x1b[0m")
    } else {
        writer.write_str(text)
    }
}

thread_local! {
    /// The second last formatted on this thread and its date and time,
    /// `YYYY-MM-DDTHH:MM:SS`: most lines fall in the same second as the one before.
    static SECOND: Cell<(u64, [u8; 19])> = const { Cell::new((u64::MAX, [0; 19])) };
}

/// The current time as RFC 3339 in UTC with microseconds, as `tracing_subscriber`
/// writes it: `2026-12-07T14:27:00.123456Z`.
pub(super) fn write_timestamp(writer: &mut impl fmt::Write) -> fmt::Result {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = now.as_secs();
    let (cached, mut date) = SECOND.get();
    if cached != seconds {
        date = date_time(seconds);
        SECOND.set((seconds, date));
    }
    let mut fraction = *b".000000Z";
    let mut micros = now.subsec_micros();
    for digit in fraction[1..7].iter_mut().rev() {
        *digit = b'0' + (micros % 10) as u8;
        micros /= 10;
    }
    writer.write_str(std::str::from_utf8(&date).unwrap_or("????-??-??T??:??:??"))?;
    writer.write_str(std::str::from_utf8(&fraction).unwrap_or(".??????Z"))
}

/// `YYYY-MM-DDTHH:MM:SS` of a Unix time, in UTC (Howard Hinnant's days-to-civil).
pub(super) fn date_time(unix_seconds: u64) -> [u8; 19] {
    let days = unix_seconds / 86_400;
    let second_of_day = unix_seconds % 86_400;
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);

    let mut out = *b"0000-00-00T00:00:00";
    let mut put = |at: usize, width: usize, mut value: u64| {
        for i in (at..at + width).rev() {
            out[i] = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    put(0, 4, year % 10_000);
    put(5, 2, month);
    put(8, 2, day);
    put(11, 2, second_of_day / 3600);
    put(14, 2, second_of_day / 60 % 60);
    put(17, 2, second_of_day % 60);
    out
}
