//! The JSON and XML exports (wallabag-api.md §5.9): an array holding the
//! one entry, with wallabag's export field group. Unlike the API's entry
//! (`entry_wire`), tags are bare labels, annotations keep only their text,
//! quote and ranges, null fields are left out, and there are no links, no
//! owner and no URL hashes. Dates carry a colon in their offset (§1.4).
//!
//! The XML is what wallabag's serializer writes for the same array: a
//! `result` root, one element per field, list items as `entry` elements,
//! and map keys that are no XML name as `<entry _key="...">`. quick-xml
//! writes and escapes it.

use std::io;

use chrono::FixedOffset;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesStart, BytesText, Event};
use serde::Serialize;
use serde_json::Value;

use super::wire;
use crate::store::entry::StoredEntry;

/// The export group's fields, in the order wallabag writes them.
pub const EXPORT_FIELDS: [&str; 25] = [
    "id",
    "uid",
    "title",
    "url",
    "origin_url",
    "given_url",
    "is_archived",
    "archived_at",
    "is_starred",
    "content",
    "created_at",
    "updated_at",
    "published_at",
    "published_by",
    "starred_at",
    "annotations",
    "mimetype",
    "language",
    "reading_time",
    "domain_name",
    "preview_picture",
    "http_status",
    "headers",
    "tags",
    "is_public",
];

/// An entry in the export group; field order is `EXPORT_FIELDS`.
#[derive(Debug, Serialize)]
pub struct EntryExport {
    pub id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_url: Option<String>,
    pub is_archived: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived_at: Option<String>,
    pub is_starred: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_by: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starred_at: Option<String>,
    pub annotations: Vec<AnnotationExport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mimetype: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub reading_time: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview_picture: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headers: Option<Value>,
    pub tags: Vec<String>,
    pub is_public: bool,
}

#[derive(Debug, Serialize)]
pub struct AnnotationExport {
    pub text: String,
    pub quote: String,
    pub ranges: Value,
}

impl EntryExport {
    pub fn new(entry: &StoredEntry, title: &str) -> Self {
        let record = &entry.record;
        let published_at = record.published_at.map(|at| {
            match record.published_offset.and_then(FixedOffset::east_opt) {
                Some(offset) => wire::iso_date_in(at, offset),
                None => wire::iso_date(at),
            }
        });
        Self {
            id: entry.id,
            uid: record.uid.clone(),
            title: title.to_owned(),
            url: record.url.clone(),
            origin_url: record.origin_url.clone(),
            given_url: record.given_url.clone(),
            is_archived: u8::from(record.is_archived),
            archived_at: record.archived_at.map(wire::iso_date),
            is_starred: u8::from(record.is_starred),
            content: record.content.clone(),
            created_at: wire::iso_date(entry.created_at),
            updated_at: wire::iso_date(entry.updated_at),
            published_at,
            published_by: record.published_by.clone(),
            starred_at: record.starred_at.map(wire::iso_date),
            annotations: entry
                .annotations
                .iter()
                .map(|a| AnnotationExport {
                    text: a.text.clone(),
                    quote: a.quote.clone(),
                    ranges: a.ranges.clone(),
                })
                .collect(),
            mimetype: record.mimetype.clone(),
            language: record.language.clone(),
            reading_time: record.reading_time,
            domain_name: record.domain_name.clone(),
            preview_picture: record.preview_picture.clone(),
            http_status: record.http_status.clone(),
            // An empty object is stored as NULL already; never `[]` (§11.10).
            headers: record
                .headers
                .clone()
                .filter(|h| h.as_object().is_some_and(|map| !map.is_empty())),
            tags: entry.tags.iter().map(|t| t.label.clone()).collect(),
            is_public: record.uid.is_some(),
        }
    }
}

/// `[{...}]`: the array of one entry.
pub fn json(entry: &StoredEntry, title: &str) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&[EntryExport::new(entry, title)])
}

/// An annotation's fields, in wallabag's order.
const ANNOTATION_FIELDS: [&str; 3] = ["text", "quote", "ranges"];

/// `<result><entry>...</entry></result>`.
pub fn xml(entry: &StoredEntry, title: &str) -> Result<Vec<u8>, io::Error> {
    let export = EntryExport::new(entry, title);
    // A JSON object sorts its keys: the field lists give the order back.
    let fields = serde_json::to_value(&export)?;
    let annotations = export
        .annotations
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()?;

    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    writer.create_element("result").write_inner_content(|w| {
        w.create_element("entry").write_inner_content(|w| {
            for name in EXPORT_FIELDS {
                if name == "annotations" {
                    w.create_element(name).write_inner_content(|w| {
                        for annotation in &annotations {
                            write_fields(w, "entry", annotation, &ANNOTATION_FIELDS)?;
                        }
                        Ok(())
                    })?;
                } else if let Some(value) = fields.get(name) {
                    write_value(w, BytesStart::new(name), value)?;
                }
            }
            Ok(())
        })?;
        Ok(())
    })?;
    let mut document = writer.into_inner();
    document.push(b'\n');
    Ok(document)
}

/// An object as an element whose children are its fields, in this order.
fn write_fields(
    w: &mut Writer<Vec<u8>>,
    name: &str,
    object: &Value,
    order: &[&str],
) -> io::Result<()> {
    w.create_element(name).write_inner_content(|w| {
        for field in order {
            if let Some(value) = object.get(field) {
                write_value(w, BytesStart::new(*field), value)?;
            }
        }
        Ok(())
    })?;
    Ok(())
}

/// One value as an element: scalars as text, lists as `entry` children,
/// objects as one child per key.
fn write_value(w: &mut Writer<Vec<u8>>, element: BytesStart, value: &Value) -> io::Result<()> {
    match value {
        Value::Null => Ok(()),
        Value::Bool(flag) => text_element(w, element, if *flag { "true" } else { "false" }),
        Value::Number(number) => text_element(w, element, &number.to_string()),
        Value::String(text) => text_element(w, element, text),
        Value::Array(items) => {
            w.write_event(Event::Start(element.borrow()))?;
            for item in items {
                write_value(w, BytesStart::new("entry"), item)?;
            }
            w.write_event(Event::End(element.to_end()))
        }
        Value::Object(map) => {
            w.write_event(Event::Start(element.borrow()))?;
            for (key, item) in map {
                let child = if is_xml_name(key) {
                    BytesStart::new(key.as_str())
                } else {
                    let mut child = BytesStart::new("entry");
                    child.push_attribute(("_key", xml_chars(key).as_str()));
                    child
                };
                write_value(w, child, item)?;
            }
            w.write_event(Event::End(element.to_end()))
        }
    }
}

fn text_element(w: &mut Writer<Vec<u8>>, element: BytesStart, text: &str) -> io::Result<()> {
    let text = xml_chars(text);
    if text.is_empty() {
        return w.write_event(Event::Empty(element));
    }
    w.write_event(Event::Start(element.borrow()))?;
    w.write_event(Event::Text(BytesText::new(&text)))?;
    w.write_event(Event::End(element.to_end()))
}

/// Whether `name` may be an element name as it is: ASCII letters, digits,
/// `-`, `_` and `.`, starting with a letter or `_`, and not `xml...`.
pub fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    let starts_well = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    starts_well
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("xml"))
}

/// The text without the characters XML 1.0 cannot carry at all, even
/// escaped (most control characters): escaping is quick-xml's, but these
/// would make the document unreadable to any XML parser.
pub fn xml_chars(text: &str) -> String {
    text.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r')
                || ('\u{20}'..='\u{D7FF}').contains(&c)
                || ('\u{E000}'..='\u{FFFD}').contains(&c)
                || c >= '\u{10000}'
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_names_and_characters() {
        assert!(is_xml_name("content-type"));
        assert!(is_xml_name("startOffset"));
        assert!(!is_xml_name("1st"));
        assert!(!is_xml_name("a b"));
        assert!(!is_xml_name("xmlns"));
        assert!(!is_xml_name(""));
        assert_eq!(xml_chars("a\u{0}b\u{1b}c\td\u{FFFE}"), "abc\td");
    }

    #[test]
    fn values_become_elements() {
        let mut w = Writer::new(Vec::new());
        let value = serde_json::json!({"content-type": "a<b", "x y": "1", "list": [1, true]});
        write_value(&mut w, BytesStart::new("headers"), &value).unwrap();
        assert_eq!(
            String::from_utf8(w.into_inner()).unwrap(),
            "<headers><content-type>a&lt;b</content-type><list><entry>1</entry>\
             <entry>true</entry></list><entry _key=\"x y\">1</entry></headers>"
        );
    }
}
