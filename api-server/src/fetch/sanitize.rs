//! HTML cleaning and reading time, for fetched articles and user-supplied content.
//!
//! Entry content is shown to readers by web and mobile clients, often inside a
//! WebView of the instance's origin, so whatever we store must be inert: ammonia
//! keeps ordinary article markup and drops everything that runs or loads code.
//! Reading time is a word count over the text, as wallabag computes it.

use std::collections::HashSet;

use ammonia::{Builder, UrlRelative};
use url::Url;

/// Cleans HTML for storage: article markup stays, anything active goes.
///
/// Relative links are kept as they are (user-supplied content has no base URL);
/// fetched content goes through [`sanitize_html_with_base`] instead.
pub fn sanitize_html(html: &str) -> String {
    builder(UrlRelative::PassThrough).clean(html).to_string()
}

/// [`sanitize_html`], also rewriting relative `href`/`src` against `base`.
pub fn sanitize_html_with_base(html: &str, base: &Url) -> String {
    builder(UrlRelative::RewriteWithBase(base.clone()))
        .clean(html)
        .to_string()
}

/// The policy in one place. ammonia's defaults already allow no scripts, no
/// styles, no event-handler or `style` attributes and no `class`/`id`; what
/// follows tightens URLs and drops embedded active content whole.
fn builder(relative: UrlRelative<'static>) -> Builder<'static> {
    let mut builder = Builder::default();
    builder
        .add_tags(["section", "tfoot", "main"])
        .add_tag_attributes("time", ["datetime"])
        // Security: links and images only over the web or to mail; this is
        // what refuses `javascript:`, `data:` and `vbscript:` URLs, which could
        // otherwise run script in the reader's origin.
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        // Security: these elements are removed with their content, not just
        // unwrapped: their bodies are code, fallback markup or foreign
        // documents, never article text.
        .add_clean_content_tags([
            "iframe", "frame", "frameset", "object", "embed", "applet", "template", "noscript",
            "svg", "select", "button",
        ])
        .url_relative(relative)
        // Security: a link out of an article must not hand the opener window or
        // the reader's URL to the target site.
        .link_rel(Some("noopener noreferrer nofollow"));
    builder
}

/// Minutes to read `html`: floor(words / 200), where words are the
/// whitespace-separated runs of the text outside tags, scripts and styles.
///
/// Languages written without spaces (Chinese, Japanese) count a whole run as one
/// word and so get a low estimate; wallabag's count has the same limit.
pub fn reading_time(html: &str) -> i32 {
    let words = count_words(html);
    i32::try_from(words / 200).unwrap_or(i32::MAX)
}

fn count_words(html: &str) -> usize {
    let text = visible_text(html);
    text.split(|c: char| c.is_whitespace())
        .filter(|word| word.chars().any(char::is_alphanumeric))
        .count()
}

/// The text of `html` with every tag replaced by a space, comments and the
/// bodies of `<script>`/`<style>` skipped, `&nbsp;` read as a space. A small
/// scanner is enough: the result is only counted, never shown.
fn visible_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        text.push(' ');
        let tag = &rest[start..];
        rest = if let Some(comment) = tag.strip_prefix("<!--") {
            comment.find("-->").map_or("", |end| &comment[end + 3..])
        } else {
            let after = skip_tag(tag);
            match raw_text_element(tag) {
                Some(name) => skip_raw_text(after, name),
                None => after,
            }
        };
    }
    text.push_str(rest);
    text.replace("&nbsp;", " ").replace("&#160;", " ")
}

/// Skips one tag starting at `<`, honouring quoted attribute values.
fn skip_tag(tag: &str) -> &str {
    let mut quote = None;
    for (i, c) in tag.char_indices().skip(1) {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '>') => return &tag[i + 1..],
            _ => {}
        }
    }
    ""
}

fn raw_text_element(tag: &str) -> Option<&'static str> {
    let name: String = tag[1..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match name.as_str() {
        "script" => Some("script"),
        "style" => Some("style"),
        _ => None,
    }
}

fn skip_raw_text<'a>(rest: &'a str, name: &str) -> &'a str {
    let closing = format!("</{name}");
    match rest.to_ascii_lowercase().find(&closing) {
        Some(end) => skip_tag(&rest[end..]),
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_styles_and_event_handlers_are_removed() {
        let dirty = r#"<p onclick="steal()" style="color:red">Hi <b onmouseover=x>there</b></p>
            <script>alert(1)</script><style>p{}</style>
            <iframe src="https://evil.example/"><p>fallback</p></iframe>
            <img src="/a.png" onerror="alert(2)" alt="A">"#;
        let clean = sanitize_html(dirty);
        for forbidden in [
            "onclick",
            "onmouseover",
            "onerror",
            "style",
            "script",
            "alert",
            "iframe",
            "fallback",
        ] {
            assert!(!clean.contains(forbidden), "{forbidden} survived: {clean}");
        }
        assert!(clean.contains("<p>Hi <b>there</b></p>"), "{clean}");
        assert!(clean.contains(r#"<img src="/a.png" alt="A">"#), "{clean}");
    }

    #[test]
    fn javascript_and_data_urls_are_dropped() {
        let clean = sanitize_html(
            r#"<a href="javascript:alert(1)">x</a><a href=" JaVaScRiPt:alert(1)">y</a>
               <img src="data:image/svg+xml,<svg onload=alert(1)>"><a href="vbscript:x">z</a>"#,
        );
        assert!(!clean.to_lowercase().contains("javascript"), "{clean}");
        assert!(!clean.contains("data:"), "{clean}");
        assert!(!clean.contains("vbscript"), "{clean}");
    }

    #[test]
    fn ordinary_article_markup_is_kept() {
        let html = r#"<h2>Title</h2><p><em>a</em> <strong>b</strong> <a href="https://example.org/x">link</a></p><figure><img src="https://example.org/i.png" alt="i"><figcaption>cap</figcaption></figure><ul><li>one</li></ul><ol><li>two</li></ol><blockquote>q</blockquote><pre><code>let x = 1;</code></pre><table><thead><tr><th>h</th></tr></thead><tbody><tr><td>d</td></tr></tbody></table>"#;
        let clean = sanitize_html(html);
        for kept in [
            "<h2>Title</h2>",
            "<em>a</em>",
            "<strong>b</strong>",
            r#"href="https://example.org/x""#,
            r#"<img src="https://example.org/i.png" alt="i">"#,
            "<figcaption>cap</figcaption>",
            "<li>one</li>",
            "<blockquote>q</blockquote>",
            "<pre><code>let x = 1;</code></pre>",
            "<th>h</th>",
            "<td>d</td>",
        ] {
            assert!(clean.contains(kept), "{kept} missing from {clean}");
        }
    }

    #[test]
    fn relative_urls_are_made_absolute_against_the_base() {
        let base = Url::parse("https://example.org/posts/one").unwrap();
        let clean = sanitize_html_with_base(
            r#"<a href="../about">a</a><img src="pic.jpg"><a href="//cdn.example.org/x">c</a>"#,
            &base,
        );
        assert!(
            clean.contains(r#"href="https://example.org/about""#),
            "{clean}"
        );
        assert!(
            clean.contains(r#"src="https://example.org/posts/pic.jpg""#),
            "{clean}"
        );
        assert!(
            clean.contains(r#"href="https://cdn.example.org/x""#),
            "{clean}"
        );
    }

    #[test]
    fn reading_time_is_words_over_two_hundred_rounded_down() {
        let para = |n: usize| format!("<p>{}</p>", vec!["word"; n].join(" "));
        assert_eq!(reading_time(""), 0);
        assert_eq!(reading_time(&para(199)), 0);
        assert_eq!(reading_time(&para(200)), 1);
        assert_eq!(reading_time(&(para(300) + &para(299))), 2);
    }

    #[test]
    fn word_count_ignores_markup_scripts_and_comments() {
        let html = r#"<p class="a b c d">one two</p><p>three</p><!-- four five --><script>six seven</script><STYLE>eight</STYLE><img alt="x > y">nine&nbsp;ten"#;
        assert_eq!(count_words(html), 5);
    }

    #[test]
    fn block_elements_separate_words() {
        assert_eq!(count_words("<p>one</p><p>two</p>"), 2);
        assert_eq!(count_words("<li>one</li><li>two</li>\n<br>three"), 3);
    }
}
