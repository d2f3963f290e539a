//! The CSV, plain-text and Markdown exports (wallabag-api.md §5.9).
//!
//! - CSV: wallabag writes rows with PHP's `fputcsv` and `;`; this writes
//!   the same bytes, its header included.
//! - Text: a bar of `=`, the title, a bar, then the content rendered as
//!   text by html2text.
//! - Markdown: the title as a heading, then the content converted by htmd.

use chrono::{DateTime, Utc};
use csv_core::{QuoteStyle, WriteResult, WriterBuilder};
use quick_xml::escape::escape;

use crate::store::entry::StoredEntry;

/// wallabag's text width and bar length.
pub const TEXT_WIDTH: usize = 100;

/// The header row, as `fputcsv` quotes it.
pub const CSV_HEADER: [&str; 7] = [
    "Title",
    "URL",
    "Content",
    "Tags",
    "MIME Type",
    "Language",
    "Creation date",
];

/// The header and the entry's row. Newlines are taken out of the content,
/// as wallabag does "to avoid crazy results".
pub fn csv(entry: &StoredEntry, title: &str) -> Result<Vec<u8>, String> {
    let record = &entry.record;
    let content = record
        .content
        .as_deref()
        .unwrap_or_default()
        .replace(['\r', '\n'], "");
    let tags: Vec<&str> = entry.tags.iter().map(|t| t.label.as_str()).collect();
    let row = [
        title,
        record.url.as_deref().unwrap_or_default(),
        &content,
        &tags.join(", "),
        record.mimetype.as_deref().unwrap_or_default(),
        record.language.as_deref().unwrap_or_default(),
        &csv_date(entry.created_at),
    ];

    let mut out = Vec::new();
    write_csv_row(&mut out, &CSV_HEADER)?;
    write_csv_row(&mut out, &row)?;
    Ok(out)
}

/// PHP's `d/m/Y h:i:s`, in the server zone (UTC). `h` is the 12-hour
/// clock and no AM/PM follows, so 14:05 and 02:05 look alike; kept as
/// wallabag writes it, for scripts that read its files.
pub fn csv_date(at: DateTime<Utc>) -> String {
    at.format("%d/%m/%Y %I:%M:%S").to_string()
}

/// One `fputcsv` row: fields joined by `;`, ending in `\n`. A field is
/// enclosed in quotes when it holds `;`, `"`, `\`, a space, a tab or a line
/// break (PHP's rule, which is why `"MIME Type"` is quoted in the header),
/// and its quotes are doubled by csv-core. Unlike PHP, a `\` before a quote
/// does not stop that quote from being doubled: the field stays readable
/// by any CSV parser.
fn write_csv_row(out: &mut Vec<u8>, fields: &[&str]) -> Result<(), String> {
    let quoted = WriterBuilder::new().quote_style(QuoteStyle::Always).build();
    let plain = WriterBuilder::new().quote_style(QuoteStyle::Never).build();
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b';');
        }
        // An empty field is nothing at all, as in PHP.
        if field.is_empty() {
            continue;
        }
        let enclose = field
            .bytes()
            .any(|b| matches!(b, b';' | b'"' | b'\\' | b' ' | b'\t' | b'\r' | b'\n'));
        let mut writer = if enclose {
            quoted.clone()
        } else {
            plain.clone()
        };
        // The most a field can take: every byte a doubled quote, plus the
        // enclosing pair.
        let mut buffer = vec![0; 2 * field.len() + 2];
        let (result, read, mut written) = writer.field(field.as_bytes(), &mut buffer);
        let (closed, closing) = writer.finish(&mut buffer[written..]);
        written += closing;
        if result != WriteResult::InputEmpty
            || closed != WriteResult::InputEmpty
            || read != field.len()
        {
            return Err("a CSV field did not fit its buffer".to_owned());
        }
        out.extend_from_slice(&buffer[..written]);
    }
    out.push(b'\n');
    Ok(())
}

/// The entry as text, lines at most `width` wide where words allow: a bar
/// of `=` that wide, the title, the bar again, then the content.
pub fn plain_text(entry: &StoredEntry, title: &str, width: usize) -> Result<String, String> {
    let bar = "=".repeat(width);
    let content = entry.record.content.as_deref().unwrap_or_default();
    // A table too wide for the width spills over rather than failing.
    let text = html2text::config::plain()
        .allow_width_overflow()
        .string_from_read(content.as_bytes(), width)
        .map_err(|err| err.to_string())?;
    Ok(format!("{bar}\n\n{title}\n\n{bar}\n\n{text}"))
}

pub fn txt(entry: &StoredEntry, title: &str) -> Result<Vec<u8>, String> {
    plain_text(entry, title, TEXT_WIDTH).map(String::into_bytes)
}

/// The title as a first-level heading, then the content. The title goes
/// through the converter as an escaped `<h1>`, so that Markdown in it is
/// escaped by htmd.
pub fn markdown(entry: &StoredEntry, title: &str) -> Result<Vec<u8>, String> {
    let content = entry.record.content.as_deref().unwrap_or_default();
    let html = format!("<h1>{}</h1>\n{content}", escape(title));
    let mut markdown = htmd::convert(&html).map_err(|err| err.to_string())?;
    markdown.push('\n');
    Ok(markdown.into_bytes())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn row(fields: &[&str]) -> String {
        let mut out = Vec::new();
        write_csv_row(&mut out, fields).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_rows_quote_as_fputcsv_does() {
        assert_eq!(
            row(&CSV_HEADER),
            "Title;URL;Content;Tags;\"MIME Type\";Language;\"Creation date\"\n"
        );
        assert_eq!(
            row(&["a;b", "say \"hi\"", "", "plain", "back\\slash"]),
            "\"a;b\";\"say \"\"hi\"\"\";;plain;\"back\\slash\"\n"
        );
        assert_eq!(row(&[""]), "\n");
    }

    #[test]
    fn csv_dates_use_the_twelve_hour_clock() {
        let at = Utc.with_ymd_and_hms(2025, 3, 1, 14, 5, 9).unwrap();
        assert_eq!(csv_date(at), "01/03/2025 02:05:09");
    }
}
