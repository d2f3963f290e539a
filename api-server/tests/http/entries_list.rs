//! Listing entries over real HTTP: GET /api/entries (wallabag-api.md §5.7),
//! its filters, sorts and links, and the pagination edges of §4.4.

use chrono::Utc;
use serde_json::{Value, json};

use crate::entries_support::{Api, annotate, fixture, href, id_of, ids, labels, serve_site};
use crate::support::{TestApp, closed_port_url};

// ---------------------------------------------------------------------------
// GET /api/entries (§5.7, §4.4)

/// §5.7: without parameters, the caller's entries, newest first, in full.
#[tokio::test]
async fn list_defaults_to_full_entries_newest_first() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let first = alice.save(&fixture("127.0.0.1", "one"), &[]).await;
    let second = alice.save(&fixture("127.0.0.1", "two"), &[]).await;

    let reply = alice.get("/api/entries").await;
    let page = reply.ok();

    assert_eq!(page["total"], 2);
    assert_eq!(page["page"], 1);
    assert_eq!(page["pages"], 1);
    assert_eq!(page["limit"], 30);
    assert_eq!(ids(&page), [id_of(&second), id_of(&first)]);
    assert_eq!(
        page["_embedded"]["items"][0]["content"],
        "<p>some content</p>"
    );
    let host = app.base.trim_start_matches("http://");
    assert_eq!(
        href(&page, "self"),
        format!(
            "http://{host}/api/entries?sort=created&order=desc&tags=&since=0&detail=full&page=1&perPage=30"
        )
    );
    assert_eq!(href(&page, "first"), href(&page, "self"));
    assert_eq!(href(&page, "last"), href(&page, "self"));
    assert!(page["_links"].get("next").is_none());
    assert!(page["_links"].get("previous").is_none());
}

/// §5.7: `detail=metadata` leaves `content` null.
#[tokio::test]
async fn list_with_metadata_detail_leaves_content_null() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    alice.save(&fixture("127.0.0.1", "one"), &[]).await;

    let page = alice.get("/api/entries?detail=metadata").await.ok();

    let item = &page["_embedded"]["items"][0];
    assert!(item.get("content").is_some(), "the key stays");
    assert_eq!(item["content"], Value::Null);
    assert!(href(&page, "self").contains("detail=metadata"));
}

/// §5.7: `domain_name` filters exactly, and is not carried into links.
#[tokio::test]
async fn list_filters_by_domain_name_without_carrying_it_into_links() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let a = alice.save(&fixture("127.0.0.2", "a"), &[]).await;
    alice.save(&fixture("127.0.0.3", "b"), &[]).await;
    let c = alice.save(&fixture("127.0.0.2", "c"), &[]).await;

    let page = alice.get("/api/entries?domain_name=127.0.0.2").await.ok();

    assert_eq!(page["total"], 2);
    assert_eq!(ids(&page), [id_of(&c), id_of(&a)]);
    assert_eq!(
        page["_embedded"]["items"][0]["title"],
        format!("title of {}", fixture("127.0.0.2", "c"))
    );
    assert!(!href(&page, "self").contains("domain_name"));
}

/// §5.7: `http_status` filters on the status the fetch got; codes that are
/// no HTTP status are ignored.
#[tokio::test]
async fn list_filters_by_http_status_and_ignores_unknown_codes() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let site = serve_site().await;
    alice
        .post("/api/entries", &[("url", &format!("{site}/article"))])
        .await
        .ok();
    let odd = alice
        .post(
            "/api/entries",
            &[("url", &format!("{site}/non-authoritative"))],
        )
        .await
        .ok();
    alice.save(&fixture("127.0.0.1", "not-fetched"), &[]).await;

    let page = alice.get("/api/entries?http_status=203").await.ok();
    assert_eq!(page["total"], 1);
    assert_eq!(ids(&page), [id_of(&odd)]);
    assert_eq!(page["_embedded"]["items"][0]["http_status"], "203");
    assert!(!href(&page, "self").contains("http_status"));

    let page = alice.get("/api/entries?http_status=404").await.ok();
    assert_eq!(page["total"], 0);
    assert_eq!(page["page"], 1);
    assert_eq!(page["pages"], 1);
    assert_eq!(page["_embedded"]["items"], json!([]));

    let page = alice.get("/api/entries?http_status=10000").await.ok();
    assert_eq!(page["total"], 3);
}

/// §5.7: every option at once; the links carry each of the list's own.
#[tokio::test]
async fn list_accepts_every_option_at_once_and_links_carry_them() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = alice
        .save(
            &fixture("127.0.0.1", "all"),
            &[("archive", "1"), ("starred", "1"), ("tags", "foo")],
        )
        .await;
    annotate(&app, &entry).await;

    let page = alice
        .get(
            "/api/entries?archive=1&starred=1&sort=updated&order=asc&page=1&perPage=2&tags=foo\
             &since=1443274283&public=0&notParsed=0&http_status=200&annotations=1",
        )
        .await
        .ok();

    assert!(page["_embedded"]["items"].is_array());
    assert_eq!(page["limit"], 2);
    for link in ["self", "first", "last"] {
        let href = href(&page, link);
        for part in [
            "archive=1",
            "starred=1",
            "sort=updated",
            "order=asc",
            "tags=foo",
            "since=1443274283",
            "public=0",
            "annotations=1",
            "notParsed=0",
        ] {
            assert!(href.contains(part), "{link} lacks {part}: {href}");
        }
        assert!(href.ends_with("&page=1&perPage=2"), "{href}");
    }
    // Not fetched, so it has no http_status: the filter leaves nothing.
    assert_eq!(page["total"], 0);
    let without_status = alice
        .get(
            "/api/entries?archive=1&starred=1&sort=updated&order=asc&perPage=2&tags=foo\
             &since=1443274283&public=0&notParsed=0&annotations=1",
        )
        .await
        .ok();
    assert_eq!(ids(&without_status), [id_of(&entry)]);
}

/// §5.7: `public=1` lists shared entries; the default page size is 30.
#[tokio::test]
async fn list_filters_public_entries() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let shared = alice
        .save(&fixture("127.0.0.1", "shared"), &[("public", "1")])
        .await;
    let private = alice.save(&fixture("127.0.0.1", "private"), &[]).await;

    let page = alice.get("/api/entries?public=1").await.ok();
    assert_eq!(page["total"], 1);
    assert_eq!(ids(&page), [id_of(&shared)]);
    assert_eq!(page["limit"], 30);
    assert!(href(&page, "self").contains("public=1"));

    let page = alice.get("/api/entries?public=0").await.ok();
    assert_eq!(ids(&page), [id_of(&private)]);
    assert!(href(&page, "self").contains("public=0"));
}

/// §5.7: `annotations=1` lists only annotated entries, `annotations=0` only
/// the others.
#[tokio::test]
async fn list_filters_by_annotations() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let one = alice.save(&fixture("127.0.0.1", "entry1"), &[]).await;
    let two = alice.save(&fixture("127.0.0.1", "entry2"), &[]).await;
    let plain = alice.save(&fixture("127.0.0.1", "entry4"), &[]).await;
    annotate(&app, &one).await;
    annotate(&app, &two).await;

    let page = alice.get("/api/entries?annotations=1").await.ok();
    assert_eq!(ids(&page), [id_of(&two), id_of(&one)]);
    assert!(href(&page, "self").contains("annotations=1"));

    let page = alice.get("/api/entries?annotations=0").await.ok();
    assert_eq!(ids(&page), [id_of(&plain)]);
    assert!(href(&page, "self").contains("annotations=0"));
}

/// §5.7: `page` and `perPage` pick the page; `limit` echoes `perPage`.
#[tokio::test]
async fn list_pages_by_page_and_per_page() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let mut saved = Vec::new();
    for n in 0..5 {
        saved.push(id_of(
            &alice
                .save(&fixture("127.0.0.1", &format!("e{n}")), &[])
                .await,
        ));
    }

    let page = alice.get("/api/entries?page=2&perPage=2").await.ok();

    assert_eq!(page["page"], 2);
    assert_eq!(page["limit"], 2);
    assert_eq!(page["pages"], 3);
    assert_eq!(page["total"], 5);
    assert_eq!(ids(&page), [saved[2], saved[1]]);
}

/// §5.7: an unknown `order` or `detail` is a 400 with wallabag's message.
#[tokio::test]
async fn list_refuses_an_unknown_order_or_detail() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;

    let reply = alice
        .get("/api/entries?starred=1&sort=updated&order=unknown")
        .await;
    assert_eq!(
        reply.error(400),
        "Order \"unknown\" parameter is wrong, allowed: asc or desc"
    );
    let reply = alice.get("/api/entries?detail=BAD").await;
    assert_eq!(
        reply.error(400),
        "Detail \"bad\" parameter is wrong, allowed: full or metadata"
    );
}

/// §5.7: flags, `sort` and `notParsed` filter and are carried into links.
#[tokio::test]
async fn list_links_carry_flags_sort_and_not_parsed() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let starred = alice
        .save(&fixture("127.0.0.1", "starred"), &[("starred", "1")])
        .await;
    let archived = alice
        .save(&fixture("127.0.0.1", "archived"), &[("archive", "1")])
        .await;
    // Not fetchable: saved as not parsed.
    let broken = alice
        .post(
            "/api/entries",
            &[("url", &format!("{}/broken", closed_port_url().await))],
        )
        .await
        .ok();

    let page = alice.get("/api/entries?starred=1&sort=updated").await.ok();
    assert_eq!(ids(&page), [id_of(&starred)]);
    assert!(href(&page, "self").contains("starred=1"));
    assert!(href(&page, "self").contains("sort=updated"));

    let page = alice.get("/api/entries?archive=1").await.ok();
    assert_eq!(ids(&page), [id_of(&archived)]);
    assert!(href(&page, "self").contains("archive=1"));

    let page = alice.get("/api/entries?notParsed=1").await.ok();
    assert_eq!(ids(&page), [id_of(&broken)]);
    assert!(href(&page, "self").contains("notParsed=1"));

    let page = alice.get("/api/entries?notParsed=0").await.ok();
    assert_eq!(ids(&page), [id_of(&archived), id_of(&starred)]);
    assert!(href(&page, "self").contains("notParsed=0"));

    // The word "false" means false (§11.7).
    let page = alice.get("/api/entries?archive=false").await.ok();
    assert_eq!(ids(&page), [id_of(&broken), id_of(&starred)]);
    assert!(href(&page, "self").contains("archive=0"));
}

/// §5.7: `tags` needs every listed label, matched exactly and untrimmed;
/// `tags[]` is ignored.
#[tokio::test]
async fn list_filters_by_all_listed_tags_exactly() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let both = alice
        .save(&fixture("127.0.0.1", "both"), &[("tags", "foo,bar")])
        .await;
    alice
        .save(&fixture("127.0.0.1", "foo"), &[("tags", "foo")])
        .await;
    alice
        .save(&fixture("127.0.0.1", "food"), &[("tags", "food,bar")])
        .await;

    let page = alice.get("/api/entries?tags=foo,bar").await.ok();
    assert_eq!(ids(&page), [id_of(&both)]);
    let first = &page["_embedded"]["items"][0];
    assert_eq!(labels(first), ["bar", "foo"]);
    assert!(href(&page, "self").contains("tags=foo,bar"));

    // Not trimmed: " bar" is no label.
    let page = alice.get("/api/entries?tags=foo,%20bar").await.ok();
    assert_eq!(page["total"], 0);
    assert!(href(&page, "self").contains("tags=foo,%20bar"));

    let page = alice.get("/api/entries?tags[]=foo&tags[]=bar").await.ok();
    assert_eq!(page["total"], 3);
    assert!(href(&page, "self").contains("tags=&"));
}

/// §5.7: `since` keeps entries updated after that second.
#[tokio::test]
async fn list_filters_by_since() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    alice.save(&fixture("127.0.0.1", "recent"), &[]).await;

    let page = alice.get("/api/entries?since=1443274283").await.ok();
    assert_eq!(page["total"], 1);
    assert!(href(&page, "self").contains("since=1443274283"));

    let future = Utc::now().timestamp() + 1000;
    let page = alice
        .get(&format!("/api/entries?since={future}"))
        .await
        .ok();
    assert_eq!(page["_embedded"]["items"], json!([]));
    assert_eq!(page["total"], 0);
    assert_eq!(page["page"], 1);
    assert_eq!(page["pages"], 1);
}

/// §4.4: an empty list is one page, with no next or previous link.
#[tokio::test]
async fn empty_list_has_one_page_and_no_next_or_previous() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;

    let page = alice.get("/api/entries").await.ok();

    assert_eq!(page["total"], 0);
    assert_eq!(page["page"], 1);
    assert_eq!(page["pages"], 1);
    assert_eq!(page["_embedded"], json!({"items": []}));
    let keys: Vec<&String> = page.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 6);
    let links: Vec<&String> = page["_links"].as_object().unwrap().keys().collect();
    assert_eq!(links.len(), 3, "{links:?}");
}

/// §4.4: pages that do not exist are 404s.
#[tokio::test]
async fn pages_out_of_range_are_not_found() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    for n in 0..3 {
        alice
            .save(&fixture("127.0.0.1", &format!("e{n}")), &[])
            .await;
    }

    for query in [
        "page=4&perPage=1",
        "page=2",
        "page=0",
        "page=-1",
        "page=abc",
        "perPage=0",
        "perPage=-5",
        "perPage=abc",
        "page=9223372036854775807",
    ] {
        let reply = alice.get(&format!("/api/entries?{query}")).await;
        assert_eq!(reply.error(404), "Not Found", "{query}");
    }
    // The last page exists.
    let last = alice.get("/api/entries?page=3&perPage=1").await.ok();
    assert_eq!(
        (last["page"].as_i64(), last["pages"].as_i64()),
        (Some(3), Some(3))
    );
}

/// §4.4: one entry per page; `next` and `previous` appear only where a page
/// exists, and following them walks the whole list.
#[tokio::test]
async fn walking_one_entry_per_page_follows_next_and_previous_links() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let mut saved = Vec::new();
    for n in 0..3 {
        saved.push(id_of(
            &alice
                .save(&fixture("127.0.0.1", &format!("e{n}")), &[])
                .await,
        ));
    }
    saved.reverse();

    let mut seen = Vec::new();
    let mut path = "/api/entries?perPage=1".to_owned();
    loop {
        let page = alice.get(&path).await.ok();
        let number = page["page"].as_i64().unwrap();
        assert_eq!(page["pages"], 3);
        assert_eq!(page["_links"].get("previous").is_some(), number > 1);
        assert_eq!(page["_links"].get("next").is_some(), number < 3);
        if number > 1 {
            assert!(href(&page, "previous").ends_with(&format!("page={}&perPage=1", number - 1)));
        }
        assert!(href(&page, "last").ends_with("page=3&perPage=1"));
        seen.extend(ids(&page));
        match page["_links"].get("next") {
            Some(next) => {
                path = next["href"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches(&app.base)
                    .to_owned();
            }
            None => break,
        }
    }
    assert_eq!(seen, saved);
}

/// §11.9: `perPage` up to i64::MAX, and beyond, is accepted.
#[tokio::test]
async fn huge_per_page_is_accepted() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    alice.save(&fixture("127.0.0.1", "one"), &[]).await;

    for per_page in ["9223372036854775807", "99999999999999999999"] {
        let page = alice
            .get(&format!("/api/entries?perPage={per_page}"))
            .await
            .ok();
        assert_eq!(page["total"], 1);
        assert_eq!(page["pages"], 1);
        assert_eq!(page["limit"], i64::MAX);
        assert!(href(&page, "self").ends_with("page=1&perPage=9223372036854775807"));
    }
}

/// §5.7: `sort=updated` orders by the last change, `sort=archived` by the
/// archiving date, in either order; an unknown sort is accepted.
#[tokio::test]
async fn list_sorts_by_updated_and_archived_dates() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let old = id_of(&alice.save(&fixture("127.0.0.1", "old"), &[]).await);
    let new = id_of(&alice.save(&fixture("127.0.0.1", "new"), &[]).await);
    let conn = app.api_pool.get().await.unwrap();
    // Make `old` the most recently updated and archived, a day apart.
    conn.batch_execute(&format!(
        "UPDATE entries SET updated_at = now() + interval '1 day', is_archived = true, \
             archived_at = now() + interval '1 day' WHERE id = {old}; \
         UPDATE entries SET is_archived = true, archived_at = now() WHERE id = {new};"
    ))
    .await
    .unwrap();

    let order = |query: &'static str| {
        let alice = &alice;
        async move { ids(&alice.get(&format!("/api/entries?{query}")).await.ok()) }
    };
    assert_eq!(order("sort=updated").await, [old, new]);
    assert_eq!(order("sort=updated&order=asc").await, [new, old]);
    assert_eq!(order("sort=archived&order=desc").await, [old, new]);
    assert_eq!(order("sort=ARCHIVED&order=ASC").await, [new, old]);
    assert_eq!(order("sort=created").await, [new, old]);
    assert_eq!(order("sort=nonsense").await.len(), 2);
}
