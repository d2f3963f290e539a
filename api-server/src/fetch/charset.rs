//! Turning a fetched body into text: which character encoding a page is in.
//!
//! Most of the web is UTF-8, but older and regional sites still serve
//! windows-1252, Shift_JIS, GBK or KOI8-R, and decoding those as UTF-8 fills an
//! article with replacement characters. encoding_rs (the WHATWG encodings, as
//! browsers implement them) does the decoding; this module only picks the label,
//! in the order browsers do: byte-order mark, `Content-Type` charset, a
//! `<meta>` declaration near the top of the page, then UTF-8 if the bytes are
//! valid UTF-8 and windows-1252 (the web's legacy default) if not.

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// How far into the page to look for a `<meta charset>`. The HTML standard
/// says 1024 bytes; pages with long heads put it later, and looking further
/// costs nothing next to parsing.
const META_PRESCAN_BYTES: usize = 4096;

/// Decodes `body`, using the charset of `content_type` when it names one.
pub(crate) fn decode(body: &[u8], content_type: Option<&str>) -> String {
    let encoding = Encoding::for_bom(body)
        .map(|(encoding, _)| encoding)
        .or_else(|| content_type.and_then(charset_param).and_then(for_label))
        .or_else(|| meta_charset(body).and_then(for_label))
        .unwrap_or_else(|| {
            if std::str::from_utf8(body).is_ok() {
                UTF_8
            } else {
                WINDOWS_1252
            }
        });

    // Malformed sequences become U+FFFD rather than failing the article.
    let (text, _, _) = encoding.decode(body);
    text.into_owned()
}

fn for_label(label: &str) -> Option<&'static Encoding> {
    let encoding = Encoding::for_label(label.trim().as_bytes())?;
    // A page cannot really be UTF-16 if its declaration was readable as
    // ASCII; the standard says to read such a declaration as UTF-8.
    if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
        return Some(UTF_8);
    }
    Some(encoding)
}

/// The `charset` parameter of a media type such as `text/html; charset="utf-8"`.
fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(|c| c == '"' || c == '\''))
    })
}

/// The charset declared by a `<meta charset=...>` or
/// `<meta http-equiv="Content-Type" content="...; charset=...">` tag.
fn meta_charset(body: &[u8]) -> Option<&str> {
    let head = &body[..body.len().min(META_PRESCAN_BYTES)];
    let mut from = 0;
    while let Some(offset) = find_ascii_ci(&head[from..], b"<meta") {
        let tag_start = from + offset;
        let tag_end = head[tag_start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(head.len(), |end| tag_start + end);
        let tag = &head[tag_start..tag_end];
        if let Some(label) =
            find_ascii_ci(tag, b"charset").and_then(|at| label_after(&tag[at + 7..]))
        {
            return Some(label);
        }
        from = tag_end;
    }
    None
}

/// The value after `charset`: optional spaces, `=`, optional quote, then the label.
fn label_after(rest: &[u8]) -> Option<&str> {
    let rest = trim_start(rest).strip_prefix(b"=")?;
    let rest = trim_start(rest);
    let rest = rest
        .strip_prefix(b"\"")
        .or_else(|| rest.strip_prefix(b"'"))
        .unwrap_or(rest);
    let len = rest
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.')))
        .unwrap_or(rest.len());
    let label = std::str::from_utf8(&rest[..len]).ok()?;
    (!label.is_empty()).then_some(label)
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

fn find_ascii_ci(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_the_default_for_valid_utf8() {
        assert_eq!(decode("café ☕".as_bytes(), None), "café ☕");
        assert_eq!(decode("café".as_bytes(), Some("text/html")), "café");
    }

    #[test]
    fn invalid_utf8_without_a_declaration_falls_back_to_windows_1252() {
        assert_eq!(
            decode(b"caf\xe9 \x93quoted\x94", None),
            "café \u{201c}quoted\u{201d}"
        );
    }

    #[test]
    fn the_content_type_charset_wins_over_meta() {
        let body = b"<meta charset=\"utf-8\"><p>caf\xe9</p>";
        let text = decode(body, Some("text/html; charset=ISO-8859-1"));
        assert!(text.contains("café"), "{text}");
    }

    #[test]
    fn meta_charset_is_read_in_both_forms() {
        let body =
            b"<html><head><META CHARSET='windows-1251'></head><p>\xcf\xf0\xe8\xe2\xe5\xf2</p>";
        assert!(decode(body, Some("text/html")).contains("Привет"));

        let body = b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=Shift_JIS\"><p>\x93\xfa\x96\x7b</p>";
        assert!(decode(body, None).contains("日本"));
    }

    #[test]
    fn a_byte_order_mark_wins_and_is_removed() {
        let body = b"\xef\xbb\xbf<p>ok</p>";
        assert_eq!(
            decode(body, Some("text/html; charset=iso-8859-1")),
            "<p>ok</p>"
        );
    }

    #[test]
    fn unknown_or_utf16_labels_are_handled() {
        assert_eq!(
            decode("é".as_bytes(), Some("text/html; charset=bogus")),
            "é"
        );
        assert_eq!(
            decode("<meta charset=utf-16><p>é</p>".as_bytes(), None),
            "<meta charset=utf-16><p>é</p>"
        );
    }

    #[test]
    fn charset_parameter_parsing() {
        assert_eq!(charset_param("text/html; charset=\"UTF-8\""), Some("UTF-8"));
        assert_eq!(
            charset_param("text/html;Charset=latin1;q=1"),
            Some("latin1")
        );
        assert_eq!(charset_param("text/html"), None);
    }
}
