//! The paginated list envelope of `GET /api/entries` and `GET /api/search`
//! (wallabag-api.md §4.4): page arithmetic with wallabag's out-of-range
//! rules, and the absolute HATEOAS links as Symfony's URL generator writes
//! them.

use serde::Serialize;
use utoipa::ToSchema;

/// A requested page that exists. `pages` is at least 1, even for an empty
/// list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pagination {
    pub page: i64,
    pub per_page: i64,
    pub pages: i64,
    pub total: i64,
}

impl Pagination {
    /// `None` when the page does not exist: `page < 1`, `perPage < 1` or
    /// past the last page, all a 404 upstream (Pagerfanta's exceptions).
    pub fn new(page: i64, per_page: i64, total: i64) -> Option<Self> {
        if page < 1 || per_page < 1 || total < 0 {
            return None;
        }
        // u64 arithmetic: `perPage` may be i64::MAX (§11.9).
        let pages = (total.unsigned_abs())
            .div_ceil(per_page.unsigned_abs())
            .max(1);
        let pages = i64::try_from(pages).ok()?;
        (page <= pages).then_some(Self {
            page,
            per_page,
            pages,
            total,
        })
    }

    /// Rows to skip; cannot overflow, as it is below `total`.
    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }
}

/// Builds link hrefs: `{base}{path}?{params}&page=N&perPage=M`.
#[derive(Clone, Debug)]
pub struct LinkBuilder {
    prefix: String,
    query: String,
}

impl LinkBuilder {
    /// `base` is the request's scheme and host (empty for relative links);
    /// `params` are the list's own parameters in order, nulls already
    /// dropped.
    pub fn new(base: &str, path: &str, params: &[(&str, String)]) -> Self {
        let query = params
            .iter()
            .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
            .collect::<Vec<_>>()
            .join("&");
        Self {
            prefix: format!("{}{path}", base.trim_end_matches('/')),
            query,
        }
    }

    fn href(&self, page: i64, per_page: i64) -> Href {
        let separator = if self.query.is_empty() { "" } else { "&" };
        Href {
            href: format!(
                "{}?{}{separator}page={page}&perPage={per_page}",
                self.prefix, self.query
            ),
        }
    }
}

/// Percent-encoding as PHP's `http_build_query` with RFC 3986 does it, then
/// Symfony's URL generator decodes `/ ? @ : ! ; , *` back: that is why
/// `tags=foo,bar` keeps its comma.
fn encode(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b'/'
            | b'?'
            | b'@'
            | b':'
            | b'!'
            | b';'
            | b','
            | b'*' => encoded.push(char::from(byte)),
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Href {
    pub href: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PageLinks {
    #[serde(rename = "self")]
    pub this: Href,
    pub first: Href,
    pub last: Href,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<Href>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<Href>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Embedded<T> {
    pub items: Vec<T>,
}

/// The envelope, keys in wallabag's order.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageResponse<T> {
    pub page: i64,
    pub limit: i64,
    pub pages: i64,
    pub total: i64,
    #[serde(rename = "_links")]
    pub links: PageLinks,
    #[serde(rename = "_embedded")]
    pub embedded: Embedded<T>,
}

impl<T> PageResponse<T> {
    pub fn new(pagination: Pagination, links: &LinkBuilder, items: Vec<T>) -> Self {
        let Pagination {
            page,
            per_page,
            pages,
            total,
        } = pagination;
        Self {
            page,
            limit: per_page,
            pages,
            total,
            links: PageLinks {
                this: links.href(page, per_page),
                first: links.href(1, per_page),
                last: links.href(pages, per_page),
                next: (page < pages).then(|| links.href(page + 1, per_page)),
                previous: (page > 1).then(|| links.href(page - 1, per_page)),
            },
            embedded: Embedded { items },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_at_least_one_and_out_of_range_is_refused() {
        let empty = Pagination::new(1, 30, 0).unwrap();
        assert_eq!((empty.pages, empty.offset()), (1, 0));
        assert_eq!(Pagination::new(2, 30, 0), None);
        assert_eq!(Pagination::new(0, 30, 5), None);
        assert_eq!(Pagination::new(1, 0, 5), None);
        assert_eq!(Pagination::new(1, -1, 5), None);
        let third = Pagination::new(3, 2, 5).unwrap();
        assert_eq!((third.pages, third.offset()), (3, 4));
        assert_eq!(Pagination::new(4, 2, 5), None);
        let huge = Pagination::new(1, i64::MAX, 5).unwrap();
        assert_eq!((huge.pages, huge.offset()), (1, 0));
        assert_eq!(Pagination::new(i64::MAX, i64::MAX, i64::MAX), None);
    }

    #[test]
    fn links_keep_commas_and_put_the_page_last() {
        let links = LinkBuilder::new(
            "http://wb.test/",
            "/api/entries",
            &[
                ("sort", "created".to_owned()),
                ("tags", "foo,bar baz".to_owned()),
                ("since", "0".to_owned()),
            ],
        );
        let page = PageResponse::new(Pagination::new(2, 2, 5).unwrap(), &links, vec![0]);
        assert_eq!(
            page.links.this.href,
            "http://wb.test/api/entries?sort=created&tags=foo,bar%20baz&since=0&page=2&perPage=2"
        );
        assert_eq!(
            page.links.last.href.rsplit('?').next().unwrap(),
            "sort=created&tags=foo,bar%20baz&since=0&page=3&perPage=2"
        );
        assert!(page.links.next.is_some() && page.links.previous.is_some());
        let first = PageResponse::new(Pagination::new(1, 30, 0).unwrap(), &links, Vec::<u8>::new());
        assert!(first.links.next.is_none() && first.links.previous.is_none());
        assert_eq!(encode("a&b=c+d%é"), "a%26b%3Dc%2Bd%25%C3%A9");
    }
}
