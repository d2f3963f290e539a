//! Exporting an entry over real HTTP: GET /api/entries/{id}/export.{format}
//! (wallabag-api.md §5.9) in each of the seven formats, the download's
//! name, the errors, and the routes around it (§1.1); and the tagging-rule
//! export, which does not exist here (§5.27).

use axum::http::HeaderMap;
use quick_xml::events::Event;
use reqwest::Method;
use serde_json::Value;

use crate::entries_support::{Api, Reply, annotate, date, fixture, id_of};
use crate::support::TestApp;

const TITLE: &str = "Crème brûlée / l'été";
/// The title as a file name: transliterated, with `/` dropped (§5.9).
const FILE_STEM: &str = "Creme brulee  l'ete";

const CONTENT: &str = "<h2>Ingredients</h2>\n<p>Cream &amp; sugar,\nthen fire.</p>\
                       <ul><li>one</li><li>two</li></ul>\
                       <p><img src=\"https://example.org/brulee.jpg\" alt=\"the dish\"></p>";

/// What an export answered, its body as bytes.
struct Download {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Download {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    /// A 200 download of this content type, named after the title.
    fn ok(self, content_type: &str, extension: &str) -> Self {
        assert_eq!(self.status, 200, "{}", String::from_utf8_lossy(&self.body));
        assert_eq!(self.header("content-type"), content_type);
        assert_eq!(
            self.header("content-disposition"),
            format!("attachment; filename=\"{FILE_STEM}.{extension}\"")
        );
        self
    }
}

async fn download(api: &Api<'_>, path: &str) -> Download {
    let response = api.request(Method::GET, path).send().await.unwrap();
    Download {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.bytes().await.unwrap().to_vec(),
    }
}

/// Alice's entry with a title to transliterate, two tags and an annotation.
async fn saved_entry(alice: &Api<'_>, app: &TestApp) -> Value {
    let entry = alice
        .save(
            &fixture("127.0.0.1", "brulee"),
            &[
                ("title", TITLE),
                ("content", CONTENT),
                ("tags", "dessert, long read"),
            ],
        )
        .await;
    annotate(app, &entry).await;
    entry
}

fn export_path(entry: &Value, format: &str) -> String {
    format!("/api/entries/{}/export.{format}", id_of(entry))
}

// ---------------------------------------------------------------------------
// The formats

/// §5.9 (wallabag's test): epub is a 200 `application/epub+zip` whose body
/// holds `application/epub`, the EPUB's first, uncompressed file.
#[tokio::test]
async fn epub_export_is_an_epub_book() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = saved_entry(&alice, &app).await;

    let epub = download(&alice, &export_path(&entry, "epub"))
        .await
        .ok("application/epub+zip", "epub");
    assert!(epub.body.starts_with(b"PK"), "a zip file");
    assert_eq!(&epub.body[30..38], b"mimetype");
    assert_eq!(&epub.body[38..58], b"application/epub+zip");
    let names = String::from_utf8_lossy(&epub.body);
    assert!(names.contains("OEBPS/entry.xhtml"));
    assert!(names.contains("OEBPS/content.opf"));
}

/// §5.9 (wallabag's test): pdf is a 200 `application/pdf` whose body holds
/// `PDF-`; the text is on the page and the title in the properties.
#[tokio::test]
async fn pdf_export_is_a_pdf_of_the_text() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = saved_entry(&alice, &app).await;

    let pdf = download(&alice, &export_path(&entry, "pdf"))
        .await
        .ok("application/pdf", "pdf");
    assert!(pdf.body.starts_with(b"%PDF-"));
    let body = String::from_utf8_lossy(&pdf.body);
    assert!(
        body.contains("/BaseFont /Courier"),
        "a font every reader has"
    );
    assert!(body.contains("(Cream & sugar, then fire.) Tj"), "{body}");
    // The title's line in WinAnsi ("Cr\xe8me", which pdf-writer writes as
    // a hex string); in the properties as UTF-16.
    assert!(body.to_ascii_lowercase().contains("<4372e86d65"), "{body}");
    assert!(body.contains("/Title <FEFF"));
    assert!(body.trim_end().ends_with("%%EOF"));
}

/// §5.9 (wallabag's test): txt is `text/plain`: a bar of 100 `=`, the
/// title, the bar, then the content as text wrapped at 100.
#[tokio::test]
async fn txt_export_is_the_text_under_a_title_bar() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = saved_entry(&alice, &app).await;

    let txt = download(&alice, &export_path(&entry, "txt"))
        .await
        .ok("text/plain; charset=utf-8", "txt");
    let text = txt.text();
    let bar = "=".repeat(100);
    assert!(
        text.starts_with(&format!("{bar}\n\n{TITLE}\n\n{bar}\n\n")),
        "{text}"
    );
    assert!(text.contains("Cream & sugar, then fire."), "{text}");
    assert!(text.contains("* one\n* two"), "{text}");
    assert!(!text.contains('<'), "no markup left: {text}");
    assert!(text.lines().all(|line| line.chars().count() <= 100));
}

/// §5.9 (wallabag's test, and the header and date of wallabag's code): csv
/// is `application/csv`, `;`-separated, quoted as PHP's fputcsv quotes,
/// the content on one line, tags joined with `, `, the date `d/m/Y h:i:s`.
#[tokio::test]
async fn csv_export_has_wallabags_header_and_date() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = saved_entry(&alice, &app).await;

    let csv = download(&alice, &export_path(&entry, "csv"))
        .await
        .ok("application/csv", "csv");
    let text = csv.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "a header and one row, content on one line");
    assert_eq!(
        lines[0],
        "Title;URL;Content;Tags;\"MIME Type\";Language;\"Creation date\""
    );
    let created = date(&entry["created_at"]).format("%d/%m/%Y %I:%M:%S");
    let row = lines[1];
    assert!(
        row.starts_with(&format!(
            "\"{TITLE}\";{};\"<h2>Ingredients</h2><p>Cream &amp; sugar,then fire.</p>",
            entry["url"].as_str().unwrap()
        )),
        "{row}"
    );
    assert!(
        row.ends_with(&format!("\"dessert, long read\";;;\"{created}\"")),
        "{row}"
    );
}

/// §5.9: json is an array of the one entry in the export group: tags as
/// labels, annotations with text, quote and ranges only, null fields left
/// out, no links, owner or hashes; dates with a colon in the offset (§1.4).
#[tokio::test]
async fn json_export_is_an_array_of_the_entry_in_the_export_group() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = saved_entry(&alice, &app).await;

    let json = download(&alice, &export_path(&entry, "json"))
        .await
        .ok("application/json", "json");
    let exported: Value = serde_json::from_slice(&json.body).unwrap();
    let items = exported.as_array().unwrap();
    assert_eq!(items.len(), 1);
    let item = items[0].as_object().unwrap();

    let keys: Vec<&str> = item.keys().map(String::as_str).collect();
    for key in [
        "id",
        "title",
        "url",
        "given_url",
        "is_archived",
        "is_starred",
        "content",
        "created_at",
        "updated_at",
        "annotations",
        "reading_time",
        "domain_name",
        "tags",
        "is_public",
    ] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
    for key in [
        "_links",
        "user_name",
        "user_email",
        "user_id",
        "hashed_url",
        "hashed_given_url",
        // Null in this entry, so left out.
        "uid",
        "origin_url",
        "archived_at",
        "starred_at",
        "published_at",
        "published_by",
        "headers",
    ] {
        assert!(!keys.contains(&key), "{key} in {keys:?}");
    }
    assert!(item.values().all(|v| !v.is_null()));
    // Keys in wallabag's order, as sent.
    let text = json.text();
    let order = [
        "id",
        "title",
        "url",
        "given_url",
        "is_archived",
        "is_starred",
        "content",
        "created_at",
        "updated_at",
        "annotations",
        "reading_time",
        "domain_name",
        "tags",
        "is_public",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|key| text.find(&format!("\"{key}\":")).unwrap())
        .collect();
    assert!(positions.is_sorted(), "{text}");

    assert_eq!(item["id"], entry["id"]);
    assert_eq!(item["title"], TITLE);
    assert_eq!(item["is_archived"], 0);
    assert_eq!(item["is_public"], false);
    assert_eq!(item["tags"], serde_json::json!(["dessert", "long read"]));
    assert_eq!(
        item["annotations"],
        serde_json::json!([{
            "text": "a note",
            "quote": "quoted text",
            "ranges": [{"start": "/p[1]", "startOffset": "0", "end": "/p[1]", "endOffset": "11"}],
        }])
    );
    let created = item["created_at"].as_str().unwrap();
    assert!(created.ends_with("+00:00"), "{created}");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(created).unwrap(),
        date(&entry["created_at"])
    );
}

/// §5.9: without a suffix the export is JSON.
#[tokio::test]
async fn export_without_a_suffix_is_json() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = saved_entry(&alice, &app).await;

    let plain = download(&alice, &format!("/api/entries/{}/export", id_of(&entry)))
        .await
        .ok("application/json", "json");
    let json = download(&alice, &export_path(&entry, "json")).await;
    assert_eq!(plain.body, json.body);
    // The format ignores case, as PHP's method names do.
    let upper = download(&alice, &export_path(&entry, "JSON"))
        .await
        .ok("application/json", "json");
    assert_eq!(upper.body, json.body);
}

/// §5.9: xml is `application/xml`, well formed, the entry's fields as
/// elements, lists as `entry` items.
#[tokio::test]
async fn xml_export_is_well_formed() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = saved_entry(&alice, &app).await;

    let xml = download(&alice, &export_path(&entry, "xml"))
        .await
        .ok("application/xml", "xml");
    let text = xml.text();
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));

    // Read it back: every end tag matches, and the text comes back as it
    // was once unescaped.
    let mut reader = quick_xml::Reader::from_str(&text);
    reader.config_mut().check_end_names = true;
    let mut path: Vec<String> = Vec::new();
    let mut raw = String::new();
    let mut texts: Vec<(String, String)> = Vec::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Start(start) => {
                path.push(start.name().into_inner().to_owned());
                raw.clear();
            }
            Event::Text(text) => raw.push_str(&text.xml10_content()),
            Event::GeneralRef(name) => raw.push_str(&format!("&{};", name.xml10_content())),
            Event::End(_) => {
                if !raw.trim().is_empty() {
                    let unescaped = quick_xml::escape::unescape(&raw).unwrap();
                    texts.push((path.join("/"), unescaped.into_owned()));
                }
                raw.clear();
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let found = |path: &str| -> Vec<&str> {
        texts
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, t)| t.as_str())
            .collect()
    };
    assert_eq!(found("result/entry/title"), [TITLE]);
    assert_eq!(found("result/entry/tags/entry"), ["dessert", "long read"]);
    assert_eq!(
        found("result/entry/annotations/entry/quote"),
        ["quoted text"]
    );
    assert_eq!(found("result/entry/is_public"), ["false"]);
    assert!(found("result/entry/content")[0].starts_with("<h2>Ingredients</h2>"));
}

/// §5.9: md is the title as a heading, then the content in Markdown.
#[tokio::test]
async fn markdown_export_has_the_title_as_heading() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = saved_entry(&alice, &app).await;

    let md = download(&alice, &export_path(&entry, "md"))
        .await
        .ok("text/markdown; charset=utf-8", "md");
    let text = md.text();
    assert!(text.starts_with(&format!("# {TITLE}\n")), "{text}");
    assert!(text.contains("## Ingredients"), "{text}");
    assert!(text.contains("*   one") || text.contains("* one"), "{text}");
    assert!(
        text.contains("![the dish](https://example.org/brulee.jpg)"),
        "{text}"
    );
    assert!(!text.contains("<p>"), "{text}");
}

/// §5.9: a title with nothing to keep still names a file.
#[tokio::test]
async fn a_title_of_symbols_names_the_file_entry() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = alice
        .save(&fixture("127.0.0.1", "symbols"), &[("title", "?!/*")])
        .await;

    let txt = download(&alice, &export_path(&entry, "txt")).await;
    assert_eq!(txt.status, 200);
    assert_eq!(
        txt.header("content-disposition"),
        "attachment; filename=\"entry.txt\""
    );
}

// ---------------------------------------------------------------------------
// Errors and routing

/// §5.9: an unknown format is a 400 naming those there are (wallabag: 500);
/// for a missing entry the 404 comes first.
#[tokio::test]
async fn an_unknown_format_is_refused_with_the_supported_ones() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = saved_entry(&alice, &app).await;

    let message = alice.get(&export_path(&entry, "docx")).await.error(400);
    assert_eq!(
        message,
        "Format \"docx\" is not supported, allowed: epub, pdf, csv, json, xml, txt, md"
    );
    let empty = alice
        .get(&format!("/api/entries/{}/export.", id_of(&entry)))
        .await;
    empty.error(400);
    alice
        .get("/api/entries/999999/export.docx")
        .await
        .error(404);
}

/// §2.4: another user's entry is a 404, as are a missing id and one that
/// is not a number (§1.1).
#[tokio::test]
async fn another_users_entry_is_not_found() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let bob = Api::user(&app, "bob").await;
    let entry = saved_entry(&alice, &app).await;

    for format in ["json", "epub", "pdf", "csv"] {
        bob.get(&export_path(&entry, format)).await.error(404);
    }
    alice
        .get("/api/entries/999999/export.json")
        .await
        .error(404);
    alice.get("/api/entries/abc/export.json").await.error(404);
}

/// §2.3: no token, no export.
#[tokio::test]
async fn export_needs_a_token() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = saved_entry(&alice, &app).await;

    let response = app
        .http
        .get(app.url(&export_path(&entry, "json")))
        .send()
        .await
        .unwrap();
    let reply = Reply::read(response).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json["error"], "access_denied");
}

/// §1.1: the export route takes no other path below an entry: those stay
/// 404 with or without a token and for any method, a wrong method on the
/// export is a 405, and the entry's own tag and reload routes still answer.
#[tokio::test]
async fn other_paths_below_an_entry_stay_unknown() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = saved_entry(&alice, &app).await;
    let id = id_of(&entry);

    let anonymous = |method: Method, path: String| {
        let request = app.http.request(method, app.url(&path));
        async move { Reply::read(request.send().await.unwrap()).await }
    };
    anonymous(Method::GET, format!("/api/entries/{id}/nothing"))
        .await
        .error(404);
    anonymous(Method::PATCH, format!("/api/entries/{id}/nothing.json"))
        .await
        .error(404);
    anonymous(Method::GET, format!("/api/entries/{id}/exports.json"))
        .await
        .error(404);
    alice
        .get(&format!("/api/entries/{id}/nothing"))
        .await
        .error(404);

    let wrong_method = alice
        .request(Method::DELETE, &export_path(&entry, "json"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), 405);
    assert_eq!(Reply::read(wrong_method).await.json["code"], 405);

    let tags = alice.get(&format!("/api/entries/{id}/tags")).await.ok();
    assert_eq!(tags.as_array().unwrap().len(), 2);
    alice
        .get(&format!("/api/entries/{id}/reload"))
        .await
        .error(405);
}

// ---------------------------------------------------------------------------
// GET /api/taggingrule/export (§5.27)

/// §5.27: tagging rules do not exist here, so their export is the API's
/// 404, not an empty file.
#[tokio::test]
async fn tagging_rule_export_is_not_found() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;

    alice.get("/api/taggingrule/export").await.error(404);
    alice.get("/api/taggingrule/export.json").await.error(404);
}
