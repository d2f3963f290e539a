//! How a POST or PATCH body, or a fetch, changes an entry (wallabag-api.md
//! §5.10–§5.12): which fields are read, which values are ignored as
//! invalid, and the redirect rules for `url`/`origin_url`. Plain functions
//! over `EntryRecord`; the handlers in `entries` decide when each runs and
//! the store writes the result.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use rand::Rng;
use serde_json::Value;
use url::Url;

use super::params::Bag;
use crate::fetch::{self, FetchedArticle};
use crate::store::entry::{EntryRecord, urldecode};
use crate::store::tag::normalize_labels;

/// What wallabag stores as content when it cannot fetch an article
/// (its `fetching_error_message` setting). Clients look for this text to
/// tell a failed fetch from an article, so it is kept word for word.
pub const FETCH_ERROR_CONTENT: &str = "wallabag can't retrieve contents for this article. \
    Please <a href=\"https://doc.wallabag.org/en/user/errors_during_fetching.html\
    #how-can-i-help-to-fix-that\">troubleshoot this issue</a>.\n";

/// The fields of a POST or PATCH body, each already validated: an invalid
/// language, picture or date reads as absent, as wallabag ignores it.
#[derive(Clone, Debug, Default)]
pub struct EntryChanges {
    pub title: Option<String>,
    /// Sanitised: nothing that runs script is ever stored.
    pub content: Option<String>,
    pub language: Option<String>,
    pub preview_picture: Option<String>,
    pub published_at: Option<PublishedAt>,
    pub authors: Option<Vec<String>>,
    pub archive: Option<bool>,
    pub starred: Option<bool>,
    pub public: Option<bool>,
    /// Normalised labels; empty when none were given.
    pub tags: Vec<String>,
    pub origin_url: Option<String>,
}

/// A publication date and the offset it was given in (`None`: the server's
/// zone, UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublishedAt {
    pub at: DateTime<Utc>,
    pub offset: Option<i32>,
}

impl EntryChanges {
    /// Reads the body fields of §5.10/§5.11. Empty strings mean "not given".
    pub fn from_body(body: &Bag) -> Self {
        Self {
            title: body.non_empty("title"),
            content: body
                .non_empty("content")
                .map(|html| fetch::sanitize_html(&html))
                .filter(|html| !html.trim().is_empty()),
            language: body
                .non_empty("language")
                .and_then(|l| normalize_language(&l)),
            preview_picture: body
                .non_empty("preview_picture")
                .filter(|url| is_valid_url(url)),
            published_at: body.value("published_at").and_then(parse_published_at),
            // Only a string is split into authors; an array is ignored (§5.11).
            authors: match body.value("authors") {
                Some(Value::String(authors)) if !authors.is_empty() => {
                    Some(authors.split(',').map(str::to_owned).collect())
                }
                _ => None,
            },
            archive: body.flag("archive"),
            starred: body.flag("starred"),
            public: body.flag("public"),
            tags: body.list("tags").map(normalize_labels).unwrap_or_default(),
            origin_url: body.non_empty("origin_url"),
        }
    }

    /// Title, language, picture, date and authors, where given.
    pub fn apply_metadata(&self, record: &mut EntryRecord) {
        if let Some(title) = &self.title {
            record.title = Some(title.clone());
        }
        if let Some(language) = &self.language {
            record.language = Some(language.clone());
        }
        if let Some(picture) = &self.preview_picture {
            record.preview_picture = Some(picture.clone());
        }
        if let Some(published) = self.published_at {
            record.published_at = Some(published.at);
            record.published_offset = published.offset;
        }
        if let Some(authors) = &self.authors {
            record.published_by = Some(authors.clone());
        }
    }

    /// `archive`, `starred`, `public` and `origin_url`, where given.
    pub fn apply_flags(&self, record: &mut EntryRecord, now: DateTime<Utc>) {
        // Setting a flag again moves its date to now, as wallabag does.
        if let Some(archive) = self.archive {
            record.is_archived = archive;
            record.archived_at = archive.then_some(now);
        }
        if let Some(starred) = self.starred {
            record.is_starred = starred;
            record.starred_at = starred.then_some(now);
        }
        match self.public {
            Some(true) if record.uid.is_none() => record.uid = Some(new_uid(now)),
            Some(false) => record.uid = None,
            _ => {}
        }
        // An empty or null origin_url never clears it (§5.11).
        if let Some(origin) = &self.origin_url {
            record.origin_url = Some(origin.clone());
        }
    }
}

/// Content the user supplied (already sanitised) replaces the stored one.
pub fn apply_content(record: &mut EntryRecord, content: &str) {
    record.content = Some(content.to_owned());
    record.reading_time = fetch::reading_time(content);
    record.is_not_parsed = false;
    if record.preview_picture.is_none() {
        record.preview_picture = first_image(content);
    }
}

/// A fetched article replaces the content and metadata, and moves `url`
/// per the redirect rules. An article without readable content is stored
/// as not parsed, with wallabag's error text, keeping its metadata.
pub fn apply_fetched(record: &mut EntryRecord, article: &FetchedArticle) {
    if let Some(current) = record.url.clone() {
        match url_change(&current, &article.final_url) {
            UrlChange::Keep => {}
            UrlChange::Replace => record.set_url(article.final_url.as_str()),
            UrlChange::ReplaceKeepingOrigin => {
                if record.origin_url.as_deref().is_none_or(str::is_empty) {
                    record.origin_url = Some(current);
                }
                record.set_url(article.final_url.as_str());
            }
        }
    }
    record.domain_name = host_of(record.url.as_deref());

    if let Some(title) = article.title.as_deref().filter(|t| !t.is_empty()) {
        record.title = Some(title.to_owned());
    }
    if article.content.trim().is_empty() {
        apply_fetch_failure(record);
    } else {
        record.content = Some(article.content.clone());
        record.reading_time = article.reading_time;
        record.is_not_parsed = false;
    }
    record.http_status = Some(article.http_status.to_string());
    if !article.authors.is_empty() {
        record.published_by = Some(article.authors.clone());
    }
    if !article.headers.is_empty() {
        record.headers = serde_json::to_value(&article.headers).ok();
    }
    if let Some(published) = article.published_at {
        record.published_at = Some(published.with_timezone(&Utc));
        record.published_offset = None;
    }
    if let Some(language) = &article.language {
        record.language = Some(language.clone());
    }
    if let Some(mimetype) = &article.mimetype {
        record.mimetype = Some(mimetype.clone());
    }
    let picture = article
        .preview_picture
        .as_ref()
        .map(Url::to_string)
        .or_else(|| first_image(&article.content));
    if picture.is_some() {
        record.preview_picture = picture;
    }
}

/// A fetch that failed: wallabag's error text, flagged as not parsed.
pub fn apply_fetch_failure(record: &mut EntryRecord) {
    record.content = Some(FETCH_ERROR_CONTENT.to_owned());
    record.reading_time = fetch::reading_time(FETCH_ERROR_CONTENT);
    record.is_not_parsed = true;
}

/// The defaults wallabag fills before saving: the domain from the URL, and
/// a title from the URL's last path segment or its host.
pub fn fill_defaults(record: &mut EntryRecord) {
    if record.domain_name.as_deref().is_none_or(str::is_empty) {
        record.domain_name = host_of(record.url.as_deref());
    }
    if record.title.as_deref().is_none_or(str::is_empty) {
        record.title = record.url.as_deref().and_then(default_title);
    }
}

fn host_of(url: Option<&str>) -> Option<String> {
    Url::parse(url?).ok()?.host_str().map(str::to_owned)
}

/// The basename of the URL's path (as PHP's `pathinfo` gives it), or the
/// host when the path has none.
pub fn default_title(url: &str) -> Option<String> {
    let parsed = Url::parse(url).ok()?;
    parsed
        .path()
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|segment| !segment.is_empty())
        .map(str::to_owned)
        .or_else(|| parsed.host_str().map(str::to_owned))
}

/// What a redirect does to an entry's URL (wallabag's `updateOriginUrl`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlChange {
    /// Only the fragment, or some other part of the path, differs: keep it.
    Keep,
    /// Only the scheme, a trailing slash or percent-encoding differs.
    Replace,
    /// Anything else (host, query, several parts): take the final URL and
    /// remember the submitted one as `origin_url` if there is none.
    ReplaceKeepingOrigin,
}

pub fn url_change(current: &str, fetched: &Url) -> UrlChange {
    if current == fetched.as_str() {
        return UrlChange::Keep;
    }
    let Ok(parsed) = Url::parse(current) else {
        return UrlChange::ReplaceKeepingOrigin;
    };
    // The same URL spelled differently (case of the host, a missing root
    // slash): no redirect happened, keep the client's spelling.
    if parsed == *fetched {
        return UrlChange::Keep;
    }
    let parts = [
        ("scheme", parsed.scheme() != fetched.scheme()),
        ("host", parsed.host_str() != fetched.host_str()),
        ("port", parsed.port() != fetched.port()),
        (
            "user",
            parsed.username() != fetched.username() || parsed.password() != fetched.password(),
        ),
        ("path", parsed.path() != fetched.path()),
        ("query", parsed.query() != fetched.query()),
        ("fragment", parsed.fragment() != fetched.fragment()),
    ];
    let changed: Vec<&str> = parts
        .iter()
        .filter(|(_, differs)| *differs)
        .map(|(name, _)| *name)
        .collect();
    match changed.as_slice() {
        ["path"] => {
            let trailing_slash = format!("{}/", parsed.path()) == fetched.path();
            let decoded_equal = urldecode(parsed.path()) == urldecode(fetched.path());
            if trailing_slash || decoded_equal {
                UrlChange::Replace
            } else {
                UrlChange::Keep
            }
        }
        ["scheme"] => UrlChange::Replace,
        ["fragment"] | [] => UrlChange::Keep,
        _ => UrlChange::ReplaceKeepingOrigin,
    }
}

/// A URL wallabag's validator accepts: absolute http(s) with a host, no
/// surrounding blanks.
pub fn is_valid_url(value: &str) -> bool {
    if value.trim() != value || !value.contains("://") {
        return false;
    }
    Url::parse(value).is_ok_and(|url| {
        matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty())
    })
}

/// A locale as wallabag stores it: `de`, `de_AT`, `fr-FR` → `fr_FR`,
/// `zh_Hant_TW`. Anything else is not a locale and is ignored.
pub fn normalize_language(raw: &str) -> Option<String> {
    let mut parts = raw.trim().split(['-', '_']);
    let language = parts.next()?;
    if !(2..=3).contains(&language.len()) || !language.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut locale = language.to_ascii_lowercase();
    for part in parts {
        let alphabetic = part.chars().all(|c| c.is_ascii_alphabetic());
        let part = match part.len() {
            4 if alphabetic => {
                let (first, rest) = part.split_at(1);
                format!(
                    "{}{}",
                    first.to_ascii_uppercase(),
                    rest.to_ascii_lowercase()
                )
            }
            2 if alphabetic => part.to_ascii_uppercase(),
            3 if part.chars().all(|c| c.is_ascii_digit()) => part.to_owned(),
            _ => return None,
        };
        locale.push('_');
        locale.push_str(&part);
    }
    Some(locale)
}

/// `published_at` as wallabag's `new \DateTime()` reads the usual forms: a
/// unix timestamp (number or digits), a date-time with an offset (echoed in
/// that offset), without one (the server's zone), or a bare date.
pub fn parse_published_at(value: &Value) -> Option<PublishedAt> {
    let text = match value {
        Value::Number(n) => return n.as_i64().and_then(from_timestamp),
        Value::String(s) => s.trim(),
        _ => return None,
    };
    let digits = text.strip_prefix('-').unwrap_or(text);
    if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        return text.parse().ok().and_then(from_timestamp);
    }
    if let Some(at) = parse_with_offset(text) {
        return Some(PublishedAt {
            at: at.with_timezone(&Utc),
            offset: Some(at.offset().local_minus_utc()),
        });
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Some(PublishedAt {
                at: naive.and_utc(),
                offset: None,
            });
        }
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(PublishedAt {
        at: date.and_hms_opt(0, 0, 0)?.and_utc(),
        offset: None,
    })
}

fn parse_with_offset(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .or_else(|| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z").ok())
        .or_else(|| DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%z").ok())
        .or_else(|| DateTime::parse_from_rfc2822(text).ok())
}

fn from_timestamp(seconds: i64) -> Option<PublishedAt> {
    Some(PublishedAt {
        at: Utc.timestamp_opt(seconds, 0).single()?,
        offset: None,
    })
}

/// A public-share id shaped like PHP's `uniqid('', true)`: 13 hex digits of
/// time (8 of seconds, 5 of microseconds), then its "more entropy" part, a
/// random number formatted `%.8F` below 10: 23 characters in all.
pub fn new_uid(now: DateTime<Utc>) -> String {
    let random: u32 = rand::thread_rng().gen_range(0..1_000_000_000);
    format!(
        "{:08x}{:05x}{}.{:08}",
        now.timestamp(),
        now.timestamp_subsec_micros(),
        random / 100_000_000,
        random % 100_000_000
    )
}

/// The first `<img src>` of sanitised HTML, if it is an absolute http(s)
/// URL: the default preview picture, as wallabag picks it.
pub fn first_image(html: &str) -> Option<String> {
    let mut rest = html;
    while let Some(at) = rest.find("<img") {
        let tag = &rest[at..];
        let end = tag.find('>').unwrap_or(tag.len());
        let tag_text = &tag[..end];
        if let Some(src_at) = tag_text.find(" src=\"") {
            let value = &tag_text[src_at + 6..];
            let value = &value[..value.find('"').unwrap_or(value.len())];
            let value = value.replace("&amp;", "&");
            if is_valid_url(&value) {
                return Some(value);
            }
        }
        rest = &tag[end..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn redirects_move_the_url_by_wallabag_rules() {
        let change = |from: &str, to: &str| url_change(from, &url(to));
        assert_eq!(
            change("http://a.test/x", "http://a.test/x"),
            UrlChange::Keep
        );
        assert_eq!(change("http://A.test", "http://a.test/"), UrlChange::Keep);
        assert_eq!(
            change("http://a.test/x", "https://a.test/x"),
            UrlChange::Replace
        );
        assert_eq!(
            change("http://a.test/x", "http://a.test/x/"),
            UrlChange::Replace
        );
        assert_eq!(
            change("http://a.test/caf%C3%A9", "http://a.test/café"),
            UrlChange::Keep
        );
        assert_eq!(
            change("http://a.test/a%2Db", "http://a.test/a-b"),
            UrlChange::Replace
        );
        assert_eq!(
            change("http://a.test/x#one", "http://a.test/x#two"),
            UrlChange::Keep
        );
        assert_eq!(
            change("http://a.test/x", "http://a.test/y"),
            UrlChange::Keep
        );
        assert_eq!(
            change("http://a.test/x", "http://b.test/x"),
            UrlChange::ReplaceKeepingOrigin
        );
        assert_eq!(
            change("http://a.test/x", "http://a.test/x?page=1"),
            UrlChange::ReplaceKeepingOrigin
        );
        assert_eq!(
            change("http://a.test/x", "https://a.test/y"),
            UrlChange::ReplaceKeepingOrigin
        );
    }

    #[test]
    fn urls_must_be_absolute_http_with_a_host() {
        assert!(is_valid_url("http://example.org/a"));
        assert!(is_valid_url("https://127.0.0.1:8080/"));
        assert!(!is_valid_url("wallabagIsAwesome"));
        assert!(!is_valid_url(""));
        assert!(!is_valid_url(" http://example.org/"));
        assert!(!is_valid_url("ftp://example.org/"));
        assert!(!is_valid_url("javascript:alert(1)"));
        assert!(!is_valid_url("http:/example.org"));
    }

    #[test]
    fn languages_are_validated_and_normalised() {
        assert_eq!(normalize_language("de").as_deref(), Some("de"));
        assert_eq!(normalize_language("de_AT").as_deref(), Some("de_AT"));
        assert_eq!(normalize_language("fr-FR").as_deref(), Some("fr_FR"));
        assert_eq!(
            normalize_language("zh-hant-tw").as_deref(),
            Some("zh_Hant_TW")
        );
        assert_eq!(normalize_language("english"), None);
        assert_eq!(normalize_language("d"), None);
        assert_eq!(normalize_language("de_AT_x"), None);
    }

    #[test]
    fn published_dates_keep_the_offset_they_were_given_in() {
        let parse = |v: Value| parse_published_at(&v);
        let given = parse(Value::from("2016-09-08T11:55:58+0200")).unwrap();
        assert_eq!(given.offset, Some(7200));
        assert_eq!(given.at.to_rfc3339(), "2016-09-08T09:55:58+00:00");
        assert_eq!(
            parse(Value::from("2016-09-08T11:55:58+02:00")).unwrap(),
            given
        );
        let stamp = parse(Value::from("1488833381")).unwrap();
        assert_eq!(stamp.at.to_rfc3339(), "2017-03-06T20:49:41+00:00");
        assert_eq!(stamp.offset, None);
        assert_eq!(parse(Value::from(1_488_833_381)).unwrap(), stamp);
        assert_eq!(
            parse(Value::from("2017-03-06 20:49:41")).unwrap().at,
            stamp.at
        );
        assert!(parse(Value::from("2017-03-06")).is_some());
        assert!(parse(Value::from("not a date")).is_none());
        assert!(parse(Value::from(true)).is_none());
    }

    #[test]
    fn default_titles_come_from_the_path_or_the_host() {
        assert_eq!(
            default_title("http://www.example.com/").as_deref(),
            Some("www.example.com")
        );
        assert_eq!(
            default_title("http://www.example.com/a/b/page.html?x=1").as_deref(),
            Some("page.html")
        );
        assert_eq!(default_title("http://h.test/dir/").as_deref(), Some("dir"));
    }

    #[test]
    fn uids_look_like_php_uniqid() {
        let uid = new_uid(Utc::now());
        assert_eq!(uid.len(), 23, "{uid}");
        assert!(uid[..13].chars().all(|c| c.is_ascii_hexdigit()), "{uid}");
        assert_eq!(uid.find('.'), Some(14), "{uid}");
        assert!(uid[15..].chars().all(|c| c.is_ascii_digit()), "{uid}");
    }

    #[test]
    fn the_first_absolute_image_is_the_preview() {
        let html =
            r#"<p><img src="/rel.png"><img alt="x" src="https://i.test/a.png?w=1&amp;h=2"></p>"#;
        assert_eq!(
            first_image(html).as_deref(),
            Some("https://i.test/a.png?w=1&h=2")
        );
        assert_eq!(first_image("<p>no image</p>"), None);
    }

    #[test]
    fn flags_set_and_clear_their_dates() {
        let now = Utc::now();
        let mut record = EntryRecord::for_url("http://a.test/");
        let changes = EntryChanges {
            archive: Some(true),
            starred: Some(false),
            public: Some(true),
            ..EntryChanges::default()
        };
        changes.apply_flags(&mut record, now);
        assert!(record.is_archived && record.archived_at == Some(now));
        assert!(!record.is_starred && record.starred_at.is_none());
        let uid = record.uid.clone().unwrap();
        changes.apply_flags(&mut record, now);
        assert_eq!(record.uid.as_deref(), Some(uid.as_str()), "uid kept");
        EntryChanges {
            public: Some(false),
            ..EntryChanges::default()
        }
        .apply_flags(&mut record, now);
        assert_eq!(record.uid, None);
    }
}
