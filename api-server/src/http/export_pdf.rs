//! The PDF export (wallabag-api.md §5.9): the text export, laid out on A4
//! pages in Courier, with the title and authors in the document's
//! properties.
//!
//! Why this shape: a PDF can name one of the fourteen fonts every reader
//! has (Courier among them) instead of embedding one, so no font file is
//! needed on the server, and pdf-writer (typst's) only writes PDF objects,
//! without pulling in a layout engine. Courier is monospaced, so the text
//! export's wrapping at 80 columns is the layout: 80 characters of 6 pt fit
//! the page between its margins. Those fonts know only WinAnsi (Latin-1
//! and a few more) characters; any other is transliterated to ASCII
//! (deunicode), so non-Latin scripts come out romanised: readable, if not
//! as written. The `epub` export keeps every script.

use encoding_rs::WINDOWS_1252;
use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str, TextStr};

use super::export_epub::author;
use super::export_text::plain_text;
use crate::store::entry::StoredEntry;

const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
const FONT_SIZE: f32 = 10.0;
const LEADING: f32 = 12.0;
/// Courier's glyphs are 0.6 em wide: 80 × 6 pt = 480 pt of 483 available.
const COLUMNS: usize = 80;
const LINES_PER_PAGE: usize = 60;

const FONT: Name<'static> = Name(b"F1");

pub fn pdf(entry: &StoredEntry, title: &str) -> Result<Vec<u8>, String> {
    let text = plain_text(entry, title, COLUMNS)?;
    let lines: Vec<Vec<u8>> = text.lines().flat_map(encode_line).collect();
    let pages: Vec<&[Vec<u8>]> = if lines.is_empty() {
        vec![&[]]
    } else {
        lines.chunks(LINES_PER_PAGE).collect()
    };

    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let font_id = Ref::new(3);
    let info_id = Ref::new(4);
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|i| Ref::new(5 + 2 * i as i32))
        .collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id)
        .kids(page_ids.iter().copied())
        .count(page_ids.len() as i32);
    pdf.type1_font(font_id)
        .base_font(Name(b"Courier"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    let authors = author(entry);
    let mut info = pdf.document_info(info_id);
    info.title(TextStr(title));
    if let Some(authors) = &authors {
        info.author(TextStr(authors));
    }
    info.creator(TextStr("api-server"));
    drop(info);

    for (page_id, page_lines) in page_ids.iter().zip(pages) {
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
        page.parent(tree_id);
        page.contents(content_id);
        page.resources().fonts().pair(FONT, font_id);
        drop(page);

        let mut content = Content::new();
        content.begin_text();
        content.set_font(FONT, FONT_SIZE);
        content.set_leading(LEADING);
        content.next_line(MARGIN, PAGE_HEIGHT - MARGIN - FONT_SIZE);
        for line in page_lines {
            content.show(Str(line));
            content.next_line_using_leading();
        }
        content.end_text();
        pdf.stream(content_id, &content.finish());
    }
    Ok(pdf.finish())
}

/// One line of text as WinAnsi bytes, cut into lines of `COLUMNS` glyphs
/// (html2text lets a too-wide table spill over; a transliteration may be
/// longer than its character). A blank line stays a line.
fn encode_line(line: &str) -> Vec<Vec<u8>> {
    let mut bytes = Vec::with_capacity(line.len());
    let mut buffer = [0; 4];
    for c in line.chars() {
        if c.is_control() {
            bytes.push(b' ');
            continue;
        }
        let (encoded, _, unmappable) = WINDOWS_1252.encode(c.encode_utf8(&mut buffer));
        if !unmappable {
            bytes.extend_from_slice(&encoded);
            continue;
        }
        match deunicode::deunicode_char(c) {
            Some(ascii) => bytes.extend(ascii.bytes().filter(|b| !b.is_ascii_control())),
            None => bytes.push(b'?'),
        }
    }
    if bytes.is_empty() {
        return vec![Vec::new()];
    }
    bytes.chunks(COLUMNS).map(<[u8]>::to_vec).collect()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::store::entry::EntryRecord;

    #[test]
    fn long_text_flows_onto_further_pages() {
        let paragraphs: String = (0..100).map(|n| format!("<p>paragraph {n}</p>")).collect();
        let entry = StoredEntry {
            id: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            record: EntryRecord {
                content: Some(paragraphs),
                ..EntryRecord::default()
            },
            tags: Vec::new(),
            annotations: Vec::new(),
        };
        let document = pdf(&entry, "Long").unwrap();
        let text = String::from_utf8_lossy(&document);
        // 6 lines of heading, then 100 paragraphs with blank lines between:
        // 205 lines, 60 a page.
        assert!(text.contains("/Count 4"), "{text}");
        assert!(text.contains("(paragraph 99) Tj"));
    }

    #[test]
    fn lines_are_winansi_and_cut_at_the_page_width() {
        assert_eq!(encode_line("café €"), vec![b"caf\xe9 \x80".to_vec()]);
        assert_eq!(encode_line("日本"), vec![b"Ri Ben ".to_vec()]);
        assert_eq!(encode_line(""), vec![Vec::<u8>::new()]);
        let long = "x".repeat(COLUMNS + 5);
        let cut = encode_line(&long);
        assert_eq!((cut.len(), cut[0].len(), cut[1].len()), (2, COLUMNS, 5));
    }
}
