//! The epub export (wallabag-api.md §5.9): an EPUB 3 book of one chapter,
//! titled with the entry's title, by its authors (`published_by`) or else
//! its site, built by epub-builder.
//!
//! A chapter must be XHTML, which an XML parser reads; stored content is
//! HTML (sanitised by ammonia when saved), whose void elements, entities
//! and omitted end tags an XML parser refuses. So the content is parsed as
//! HTML (html5ever, through dom_query) and each node written again with
//! quick-xml, which escapes text and attributes. Images are not embedded,
//! as that would mean fetching them: each becomes a link to the picture.

use std::io;

use dom_query::{Document, NodeRef};
use epub_builder::{EpubBuilder, EpubContent, EpubVersion, ReferenceType, ZipLibrary};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::export_document::{is_xml_name, xml_chars};
use crate::store::entry::StoredEntry;

/// HTML's void elements: written as empty XML elements.
const VOID_ELEMENTS: [&str; 13] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

pub fn epub(entry: &StoredEntry, title: &str) -> Result<Vec<u8>, String> {
    let title = xml_chars(title);
    let language = entry
        .record
        .language
        .as_deref()
        .map(|l| l.replace('_', "-"));
    let content = entry.record.content.as_deref().unwrap_or_default();
    let chapter = xhtml_chapter(&title, language.as_deref(), content).map_err(|e| e.to_string())?;

    let error = |err: epub_builder::Error| err.to_string();
    let mut builder = EpubBuilder::new(ZipLibrary::new().map_err(error)?).map_err(error)?;
    builder.epub_version(EpubVersion::V30);
    builder.metadata("title", title.as_str()).map_err(error)?;
    if let Some(author) = author(entry) {
        builder
            .metadata("author", xml_chars(&author))
            .map_err(error)?;
    }
    // EPUB requires a language; wallabag's default user language stands in
    // for an entry that has none.
    let book_language = language.unwrap_or_else(|| "en".to_owned());
    builder
        .metadata("lang", xml_chars(&book_language))
        .map_err(error)?;
    builder.metadata("generator", "api-server").map_err(error)?;
    builder
        .add_content(
            EpubContent::new("entry.xhtml", chapter.as_slice())
                .title(title.as_str())
                .reftype(ReferenceType::Text),
        )
        .map_err(error)?;

    let mut book = Vec::new();
    builder.generate(&mut book).map_err(error)?;
    Ok(book)
}

/// The authors, comma-separated, or else the site's domain.
pub fn author(entry: &StoredEntry) -> Option<String> {
    entry
        .record
        .published_by
        .as_ref()
        .map(|names| names.join(", "))
        .filter(|names| !names.trim().is_empty())
        .or_else(|| entry.record.domain_name.clone())
        .filter(|author| !author.is_empty())
}

/// The chapter: an XHTML document with the title as heading, then the
/// content.
fn xhtml_chapter(title: &str, language: Option<&str>, content: &str) -> io::Result<Vec<u8>> {
    let mut w = Writer::new(Vec::new());
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.write_event(Event::DocType(BytesText::from_escaped("html")))?;

    let mut html = BytesStart::new("html");
    html.push_attribute(("xmlns", "http://www.w3.org/1999/xhtml"));
    if let Some(language) = language {
        let language = xml_chars(language);
        html.push_attribute(("xml:lang", language.as_str()));
        html.push_attribute(("lang", language.as_str()));
    }
    w.write_event(Event::Start(html))?;
    w.create_element("head").write_inner_content(|w| {
        w.create_element("meta")
            .with_attribute(("charset", "utf-8"))
            .write_empty()?;
        w.create_element("title")
            .write_text_content(BytesText::new(title))?;
        Ok(())
    })?;
    w.create_element("body").write_inner_content(|w| {
        w.create_element("h1")
            .write_text_content(BytesText::new(title))?;
        let document = Document::from(content);
        for body in document.select("body").nodes() {
            for child in body.children() {
                write_node(w, &child)?;
            }
        }
        Ok(())
    })?;
    w.write_event(Event::End(BytesEnd::new("html")))?;
    Ok(w.into_inner())
}

/// One parsed node as XHTML. Text is escaped by quick-xml; comments are
/// dropped; an element whose name XML cannot carry keeps only its
/// children, an attribute such a name (or a namespace prefix) is dropped.
fn write_node(w: &mut Writer<Vec<u8>>, node: &NodeRef) -> io::Result<()> {
    if node.is_text() {
        let text = xml_chars(&node.text());
        return w.write_event(Event::Text(BytesText::new(&text)));
    }
    if !node.is_element() {
        return Ok(());
    }
    let name = node
        .node_name()
        .map(|n| n.to_ascii_lowercase())
        .unwrap_or_default();
    if name == "img" {
        return write_image_link(w, node);
    }
    if !is_xml_name(&name) {
        for child in node.children() {
            write_node(w, &child)?;
        }
        return Ok(());
    }

    let mut element = BytesStart::new(name.as_str());
    for attribute in node.attrs() {
        let attribute_name: &str = &attribute.name.local;
        if attribute.name.prefix.is_some() || !is_xml_name(attribute_name) {
            continue;
        }
        let value = xml_chars(&attribute.value);
        element.push_attribute((attribute_name, value.as_str()));
    }
    if VOID_ELEMENTS.contains(&name.as_str()) {
        return w.write_event(Event::Empty(element));
    }
    w.write_event(Event::Start(element.borrow()))?;
    for child in node.children() {
        write_node(w, &child)?;
    }
    w.write_event(Event::End(element.to_end()))
}

/// An image as a link to it, named by its alternative text.
fn write_image_link(w: &mut Writer<Vec<u8>>, node: &NodeRef) -> io::Result<()> {
    let alt = node
        .attr("alt")
        .map(|alt| xml_chars(&alt))
        .filter(|alt| !alt.trim().is_empty())
        .unwrap_or_else(|| "image".to_owned());
    let Some(src) = node.attr("src").filter(|src| !src.is_empty()) else {
        return w.write_event(Event::Text(BytesText::new(&alt)));
    };
    let src = xml_chars(&src);
    w.create_element("a")
        .with_attribute(("href", src.as_str()))
        .write_text_content(BytesText::new(&format!("[{alt}]")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_content_becomes_well_formed_xhtml() {
        let content = "<p>a<br>b &amp; &nbsp;c<img src=\"https://x.test/p.png\" alt=\"A\"></p>\
                       <ul><li>one<li>two</ul><hr><!-- note -->";
        let chapter = xhtml_chapter("T & t", Some("fr-FR"), content).unwrap();
        let chapter = String::from_utf8(chapter).unwrap();
        assert!(
            chapter.contains(
                "<body><h1>T &amp; t</h1><p>a<br/>b &amp; \u{a0}c\
                 <a href=\"https://x.test/p.png\">[A]</a></p>\
                 <ul><li>one</li><li>two</li></ul><hr/></body></html>"
            ),
            "{chapter}"
        );
        assert!(
            chapter.contains("<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"fr-FR\"")
        );

        // Every start has its end: quick-xml's reader checks that.
        let mut reader = quick_xml::Reader::from_str(&chapter);
        reader.config_mut().check_end_names = true;
        loop {
            match reader.read_event().unwrap() {
                Event::Eof => break,
                _ => continue,
            }
        }
    }
}
