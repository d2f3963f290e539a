//! The query strings of the entry reads, as wallabag reads them: the
//! list's filters, sort, page and links (wallabag-api.md §5.7), `detail`
//! (§5.8), and the URL lists of `exists` (§5.6, §11.8). Plain functions
//! over the query bag; the handlers are in `entries`.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::error::ApiError;
use super::params::Bag;
use crate::store::entry::{EntryFilter, Sort, SortKey};

/// The list's query string, read as wallabag reads it.
#[derive(Debug)]
pub struct ListRequest {
    pub filter: EntryFilter,
    pub sort: Sort,
    pub with_content: bool,
    pub page: i64,
    pub per_page: i64,
    /// What the links carry (§5.7): nulls dropped, never `domain_name` or
    /// `http_status`, `page` and `perPage` appended later.
    pub link_params: Vec<(&'static str, String)>,
}

impl ListRequest {
    pub fn from_query(query: &Bag) -> Result<Self, ApiError> {
        let archived = query.flag("archive");
        let starred = query.flag("starred");
        let public = query.flag("public");
        let not_parsed = query.flag("notParsed");
        let annotated = query.flag("annotations");
        let sort = lower(query, "sort", "created");
        let order = lower(query, "order", "desc");
        let detail = lower(query, "detail", "full");
        // `tags[]=` is ignored, as wallabag ignores an array here.
        let tags = match query.value("tags") {
            Some(Value::Array(_)) => String::new(),
            _ => query.string("tags").unwrap_or_default(),
        };
        let since = query.int("since").unwrap_or(0);

        let descending = match order.as_str() {
            "asc" => false,
            "desc" => true,
            _ => {
                return Err(ApiError::bad_request(format!(
                    "Order \"{order}\" parameter is wrong, allowed: asc or desc"
                )));
            }
        };
        let with_content = content_detail(&detail)?;
        let key = match sort.as_str() {
            "created" => SortKey::Created,
            "updated" => SortKey::Updated,
            "archived" => SortKey::Archived,
            _ => SortKey::Unordered,
        };

        let filter = EntryFilter {
            archived,
            starred,
            public,
            not_parsed,
            annotated,
            updated_since: (since > 0).then(|| timestamp(since)),
            domain_name: query.non_empty("domain_name"),
            // A value that is no HTTP status (10000, garbage) is ignored.
            http_status: query
                .int("http_status")
                .filter(|code| is_known_status(*code))
                .map(|code| code.to_string()),
            tags: if tags.is_empty() {
                Vec::new()
            } else {
                tags.split(',').map(str::to_owned).collect()
            },
        };

        let flag = |value: Option<bool>| value.map(|v| if v { "1" } else { "0" }.to_owned());
        let link_params = [
            ("archive", flag(archived)),
            ("starred", flag(starred)),
            ("public", flag(public)),
            ("notParsed", flag(not_parsed)),
            ("sort", Some(sort)),
            ("order", Some(order)),
            ("tags", Some(tags)),
            ("since", Some(since.to_string())),
            ("detail", Some(detail)),
            ("annotations", flag(annotated)),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .collect();

        Ok(Self {
            filter,
            sort: Sort { key, descending },
            with_content,
            page: query.int("page").unwrap_or(1),
            per_page: query.int("perPage").unwrap_or(30),
            link_params,
        })
    }
}

/// A string parameter, lower-cased, with its default when absent.
pub fn lower(query: &Bag, name: &str, default: &str) -> String {
    query
        .string(name)
        .unwrap_or_else(|| default.to_owned())
        .to_lowercase()
}

/// `detail`: `full` includes the content, `metadata` leaves it null.
pub fn content_detail(detail: &str) -> Result<bool, ApiError> {
    match detail {
        "full" => Ok(true),
        "metadata" => Ok(false),
        _ => Err(ApiError::bad_request(format!(
            "Detail \"{detail}\" parameter is wrong, allowed: full or metadata"
        ))),
    }
}

/// Unix seconds as a time; values past year 9999 are clamped there, which
/// no entry is updated after.
fn timestamp(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds.min(253_402_300_799), 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The status codes Symfony's `Response::$statusTexts` knows, which is what
/// wallabag checks `http_status` against.
fn is_known_status(code: i64) -> bool {
    matches!(
        code,
        100..=103
            | 200..=208
            | 226
            | 300..=305
            | 307
            | 308
            | 400..=418
            | 421..=426
            | 428
            | 429
            | 431
            | 451
            | 500..=508
            | 510
            | 511
    )
}

/// A list of URLs or hashes: `name[]=`, `name[0]=`, or the plain key
/// repeated. A single plain value is one item even with commas in it,
/// since URLs may contain commas. Empty items are skipped.
pub fn list_param(query: &Bag, name: &str) -> Vec<String> {
    let items = match query.value(name) {
        Some(Value::String(single)) => {
            let items = query.list(name).unwrap_or_default();
            // A repeated key lists every value, its last being `single`; a
            // lone value would come back split at its commas instead.
            if items.last() == Some(single) {
                items
            } else {
                vec![single.clone()]
            }
        }
        Some(_) => query.list(name).unwrap_or_default(),
        None => Vec::new(),
    };
    items.into_iter().filter(|item| !item.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(query: &str) -> Result<ListRequest, ApiError> {
        ListRequest::from_query(&Bag::from_form(query.as_bytes()))
    }

    #[test]
    fn list_links_carry_the_lists_own_parameters_in_order() {
        let request = list(
            "perPage=2&annotations=1&http_status=200&notParsed=0&public=0&since=1443274283\
             &tags=foo&page=1&order=ASC&sort=updated&starred=1&archive=1&domain_name=d.io",
        )
        .unwrap();
        let names: Vec<&str> = request.link_params.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "archive",
                "starred",
                "public",
                "notParsed",
                "sort",
                "order",
                "tags",
                "since",
                "detail",
                "annotations"
            ]
        );
        assert_eq!(request.link_params[5].1, "asc");
        assert_eq!(request.filter.http_status.as_deref(), Some("200"));
        assert_eq!(request.filter.domain_name.as_deref(), Some("d.io"));
        assert_eq!((request.page, request.per_page), (1, 2));
    }

    #[test]
    fn defaults_and_ignored_values() {
        let request = list("tags[]=foo&http_status=10000&sort=whatever").unwrap();
        assert!(request.filter.tags.is_empty());
        assert_eq!(request.filter.http_status, None);
        assert_eq!(request.sort.key, SortKey::Unordered);
        assert_eq!(
            request.link_params,
            [
                ("sort", "whatever".to_owned()),
                ("order", "desc".to_owned()),
                ("tags", String::new()),
                ("since", "0".to_owned()),
                ("detail", "full".to_owned()),
            ]
        );
        assert_eq!((request.page, request.per_page), (1, 30));
    }

    #[test]
    fn bad_order_and_detail_are_refused_with_wallabags_messages() {
        let message = |query: &str| match list(query) {
            Err(ApiError::BadRequest(message)) => message,
            other => panic!("expected a 400, got {other:?}"),
        };
        assert_eq!(
            message("order=unknown"),
            "Order \"unknown\" parameter is wrong, allowed: asc or desc"
        );
        assert_eq!(
            message("detail=bad"),
            "Detail \"bad\" parameter is wrong, allowed: full or metadata"
        );
    }

    #[test]
    fn url_lists_come_in_every_spelling() {
        let bag = |q: &str| Bag::from_form(q.as_bytes());
        assert_eq!(list_param(&bag("urls[]=a&urls[]=b"), "urls"), ["a", "b"]);
        assert_eq!(
            list_param(&bag("urls%5B0%5D=a&urls%5B1%5D=b"), "urls"),
            ["a", "b"]
        );
        assert_eq!(
            list_param(&bag("hashed_urls=x&hashed_urls=y"), "hashed_urls"),
            ["x", "y"]
        );
        assert_eq!(
            list_param(&bag("urls=http://a.test/x,y"), "urls"),
            ["http://a.test/x,y"]
        );
        assert!(list_param(&bag("urls[]="), "urls").is_empty());
    }
}
