//! From a decoded HTML page to the facts an entry stores.
//!
//! dom_smoothie (a port of Mozilla's readability.js) finds the article body and
//! the metadata: title, byline, published time, `<html lang>`, lead image.
//! This module turns those strings into typed values (a locale, a date, a list
//! of authors, an absolute http(s) URL) and sanitises the body. It never sees
//! the network; [`super::Fetcher`] hands it text and the final URL.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use dom_smoothie::{Article, Readability};
use url::Url;

use super::sanitize::{reading_time, sanitize_html_with_base};

/// What extraction found in one page. Every field may be empty: a page with no
/// recognisable article still yields its title and metadata.
#[derive(Debug, Default)]
pub(crate) struct Extracted {
    pub(crate) title: Option<String>,
    pub(crate) content: String,
    pub(crate) reading_time: i32,
    pub(crate) language: Option<String>,
    pub(crate) authors: Vec<String>,
    pub(crate) published_at: Option<DateTime<FixedOffset>>,
    pub(crate) preview_picture: Option<Url>,
}

/// Extracts the readable article from `html`, fetched from `url`.
pub(crate) fn extract_html(html: &str, url: &Url) -> Extracted {
    let Ok(mut readability) = Readability::new(html, Some(url.as_str()), None) else {
        // Only a relative document URL is refused, and ours is absolute.
        return Extracted::default();
    };

    // Language sources readability does not read; taken before parsing, which
    // rewrites the document.
    let fallback_language = meta_language(&readability);

    match readability.parse() {
        Ok(article) => from_article(article, fallback_language, url),
        Err(err) => {
            // Nothing article-like (an empty page, a bare frameset): keep what
            // metadata there is so the entry still has a title, and leave the
            // content empty for the caller to treat as "not parsed".
            tracing::debug!(cause = %err, "no readable content found");
            metadata_only(html, url, fallback_language)
        }
    }
}

fn from_article(article: Article, fallback_language: Option<String>, url: &Url) -> Extracted {
    let content = sanitize_html_with_base(&article.content, url);
    Extracted {
        title: non_empty(&article.title),
        reading_time: reading_time(&content),
        content,
        language: article
            .lang
            .as_deref()
            .and_then(normalize_language)
            .or(fallback_language),
        authors: article
            .byline
            .as_deref()
            .map(split_authors)
            .unwrap_or_default(),
        published_at: article.published_time.as_deref().and_then(parse_published),
        preview_picture: article
            .image
            .as_deref()
            .and_then(|image| absolute_http_url(image, url)),
    }
}

fn metadata_only(html: &str, url: &Url, fallback_language: Option<String>) -> Extracted {
    let Ok(readability) = Readability::new(html, Some(url.as_str()), None) else {
        return Extracted::default();
    };
    let json_ld = readability.parse_json_ld();
    let meta = readability.get_article_metadata(json_ld);
    Extracted {
        title: non_empty(&meta.title),
        language: meta
            .lang
            .as_deref()
            .and_then(normalize_language)
            .or(fallback_language),
        authors: meta
            .byline
            .as_deref()
            .map(split_authors)
            .unwrap_or_default(),
        published_at: meta.published_time.as_deref().and_then(parse_published),
        preview_picture: meta
            .image
            .as_deref()
            .and_then(|image| absolute_http_url(image, url)),
        ..Extracted::default()
    }
}

/// `<meta http-equiv="content-language">` or `og:locale`, for pages without
/// `<html lang>`.
fn meta_language(readability: &Readability) -> Option<String> {
    [
        r#"meta[http-equiv="content-language" i]"#,
        r#"meta[property="og:locale"]"#,
    ]
    .into_iter()
    .filter_map(|selector| readability.doc.try_select(selector)?.attr("content"))
    .find_map(|value| normalize_language(&value))
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

/// A locale as wallabag stores it: `en`, `fr_FR`, `zh_Hant_TW`. `-` becomes
/// `_`, the language is lower-cased and the region upper-cased; anything that
/// is not shaped like a locale (`"english"`, `"x"`, several values) is dropped,
/// as wallabag's validator drops it.
pub(crate) fn normalize_language(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let mut parts = raw.split(['-', '_']);
    let language = parts.next()?;
    if !(2..=3).contains(&language.len()) || !language.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut locale = language.to_ascii_lowercase();
    for part in parts {
        let part = match part.len() {
            // script, e.g. Hant
            4 if part.chars().all(|c| c.is_ascii_alphabetic()) => {
                let mut chars = part.chars();
                let first = chars.next()?.to_ascii_uppercase();
                std::iter::once(first)
                    .chain(chars.map(|c| c.to_ascii_lowercase()))
                    .collect()
            }
            // region, e.g. FR or 419
            2 if part.chars().all(|c| c.is_ascii_alphabetic()) => part.to_ascii_uppercase(),
            3 if part.chars().all(|c| c.is_ascii_digit()) => part.to_owned(),
            _ => return None,
        };
        locale.push('_');
        locale.push_str(&part);
    }
    Some(locale)
}

/// Splits a byline into author names: `"By Jane Doe and John Roe"` and
/// `"Jane Doe, John Roe"` (readability's join of JSON-LD authors) both give two.
pub(crate) fn split_authors(byline: &str) -> Vec<String> {
    let byline = byline.trim();
    let byline = ["by ", "By ", "BY "]
        .iter()
        .find_map(|prefix| byline.strip_prefix(prefix))
        .unwrap_or(byline);

    let mut authors: Vec<String> = Vec::new();
    for name in byline
        .split([',', ';', '|'])
        .flat_map(|part| part.split(" and "))
        .flat_map(|part| part.split(" & "))
    {
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        // A "name" longer than this is a sentence readability mistook for a byline.
        if !name.is_empty() && name.chars().count() <= 100 && !authors.contains(&name) {
            authors.push(name);
        }
    }
    authors
}

/// Parses the published-time formats pages use: RFC 3339 (the `article:` and
/// JSON-LD norm), RFC 2822, a date-time without offset and a bare date, the
/// last two taken as UTC.
pub(crate) fn parse_published(raw: &str) -> Option<DateTime<FixedOffset>> {
    let raw = raw.trim();
    if let Ok(date) = DateTime::parse_from_rfc3339(raw) {
        return Some(date);
    }
    if let Ok(date) = DateTime::parse_from_rfc2822(raw) {
        return Some(date);
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(date) = DateTime::parse_from_str(raw, format) {
            return Some(date);
        }
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(raw, format) {
            return Some(naive.and_utc().fixed_offset());
        }
    }
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().fixed_offset())
}

/// `raw` resolved against the page URL, if it is an http(s) URL: a preview
/// picture is shown by clients, so `javascript:` or `data:` must not pass.
pub(crate) fn absolute_http_url(raw: &str, base: &Url) -> Option<Url> {
    let url = base.join(raw.trim()).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_normalised_to_wallabag_locales() {
        assert_eq!(normalize_language("en").as_deref(), Some("en"));
        assert_eq!(normalize_language("fr-FR").as_deref(), Some("fr_FR"));
        assert_eq!(normalize_language("fr-fr").as_deref(), Some("fr_FR"));
        assert_eq!(normalize_language(" de_AT ").as_deref(), Some("de_AT"));
        assert_eq!(
            normalize_language("zh-hant-tw").as_deref(),
            Some("zh_Hant_TW")
        );
        assert_eq!(normalize_language("es-419").as_deref(), Some("es_419"));
        assert_eq!(normalize_language("english"), None);
        assert_eq!(normalize_language("en, fr"), None);
        assert_eq!(normalize_language(""), None);
        assert_eq!(normalize_language("e"), None);
    }

    #[test]
    fn bylines_split_into_authors() {
        assert_eq!(split_authors("Jane Doe"), ["Jane Doe"]);
        assert_eq!(
            split_authors("By Jane Doe and John Roe"),
            ["Jane Doe", "John Roe"]
        );
        assert_eq!(
            split_authors("Jane Doe, John Roe, Jane Doe"),
            ["Jane Doe", "John Roe"]
        );
        assert_eq!(split_authors("  A &  B "), ["A", "B"]);
        assert!(split_authors("  ").is_empty());
    }

    #[test]
    fn published_times_in_common_formats_parse() {
        let at = |s: &str| parse_published(s).map(|d| d.to_rfc3339());
        assert_eq!(
            at("2024-03-01T09:15:02+01:00").as_deref(),
            Some("2024-03-01T09:15:02+01:00")
        );
        assert_eq!(
            at("2024-03-01T09:15:02Z").as_deref(),
            Some("2024-03-01T09:15:02+00:00")
        );
        assert_eq!(
            at("2024-03-01T09:15:02+0200").as_deref(),
            Some("2024-03-01T09:15:02+02:00")
        );
        assert_eq!(
            at("Fri, 01 Mar 2024 09:15:02 GMT").as_deref(),
            Some("2024-03-01T09:15:02+00:00")
        );
        assert_eq!(
            at("2024-03-01T09:15:02").as_deref(),
            Some("2024-03-01T09:15:02+00:00")
        );
        assert_eq!(
            at("2024-03-01").as_deref(),
            Some("2024-03-01T00:00:00+00:00")
        );
        assert_eq!(at("last Tuesday"), None);
    }

    #[test]
    fn preview_pictures_must_be_http_and_become_absolute() {
        let base = Url::parse("https://example.org/posts/a").unwrap();
        assert_eq!(
            absolute_http_url("/img/cover.jpg", &base)
                .map(String::from)
                .as_deref(),
            Some("https://example.org/img/cover.jpg")
        );
        assert_eq!(absolute_http_url("javascript:alert(1)", &base), None);
        assert_eq!(absolute_http_url("data:image/png;base64,AAAA", &base), None);
    }

    #[test]
    fn a_page_without_an_article_keeps_its_title_and_language() {
        let url = Url::parse("https://example.org/").unwrap();
        let html =
            r#"<html lang="en-GB"><head><title>Just a title</title></head><body></body></html>"#;
        let extracted = extract_html(html, &url);
        assert_eq!(extracted.title.as_deref(), Some("Just a title"));
        assert_eq!(extracted.language.as_deref(), Some("en_GB"));
        assert_eq!(extracted.reading_time, 0);
    }

    #[test]
    fn meta_languages_are_used_when_the_html_element_has_no_lang() {
        let url = Url::parse("https://example.org/").unwrap();
        let body = "<p>Un paragraphe assez long pour être un article. </p>".repeat(20);
        let html = format!(
            r#"<html><head><title>T</title><meta property="og:locale" content="fr_FR"></head><body><article>{body}</article></body></html>"#
        );
        assert_eq!(extract_html(&html, &url).language.as_deref(), Some("fr_FR"));

        let html = html.replace(
            r#"<meta property="og:locale" content="fr_FR">"#,
            r#"<meta http-equiv="Content-Language" content="de-at">"#,
        );
        assert_eq!(extract_html(&html, &url).language.as_deref(), Some("de_AT"));
    }
}
