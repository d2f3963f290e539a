//! Searching over real HTTP: GET /api/search (wallabag-api.md §5.26) with
//! the pagination envelope of §4.4, isolation between users (§2.4), and
//! the query plans that keep it off sequential scans.

use api_server::store::search::SearchPlan;
use serde_json::{Value, json};

use crate::entries_support::{Api, fixture, href, id_of, ids};
use crate::support::TestApp;

/// Saves an entry with this title and content; returns its id.
async fn saved(api: &Api<'_>, name: &str, title: &str, content: &str) -> i64 {
    let entry = api
        .save(
            &fixture("127.0.0.1", name),
            &[("title", title), ("content", content)],
        )
        .await;
    id_of(&entry)
}

async fn annotate(api: &Api<'_>, entry: i64, text: &str) {
    api.post_json(&format!("/api/annotations/{entry}"), json!({"text": text}))
        .await
        .ok();
}

/// The ids `term` finds, newest first.
async fn found(api: &Api<'_>, term: &str) -> Vec<i64> {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("term", term)
        .finish();
    ids(&api.get(&format!("/api/search?{query}")).await.ok())
}

fn host(app: &TestApp) -> &str {
    app.base.trim_start_matches("http://")
}

// ---------------------------------------------------------------------------
// The envelope (§5.26, §4.4)

/// §5.26: `page=1&perPage=2&term=entry` answers the envelope with
/// `page` 1, `limit` 2, and links that carry the term, page last.
#[tokio::test]
async fn a_paged_search_answers_the_envelope_with_the_term_in_its_links() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    for name in ["entry1", "entry2", "entry3"] {
        alice.save(&fixture("127.0.0.1", name), &[]).await;
    }

    let page = alice
        .get("/api/search?page=1&perPage=2&term=entry")
        .await
        .ok();

    assert!(page["_embedded"]["items"].is_array());
    assert_eq!(page["page"], 1);
    assert_eq!(page["limit"], 2);
    assert_eq!(page["pages"], 2);
    assert_eq!(page["total"], 3);
    let base = format!("http://{}/api/search?term=entry", host(&app));
    assert_eq!(href(&page, "self"), format!("{base}&page=1&perPage=2"));
    assert_eq!(href(&page, "first"), format!("{base}&page=1&perPage=2"));
    assert_eq!(href(&page, "last"), format!("{base}&page=2&perPage=2"));
    assert_eq!(href(&page, "next"), format!("{base}&page=2&perPage=2"));
    assert!(page["_links"].get("previous").is_none());
}

/// §5.26: `term=entry` alone pages by 30 from the first page; `.json`
/// works the same.
#[tokio::test]
async fn a_search_with_only_a_term_starts_at_page_one_by_thirty() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    alice.save(&fixture("127.0.0.1", "entry1"), &[]).await;

    for path in ["/api/search?term=entry", "/api/search.json?term=entry"] {
        let page = alice.get(path).await.ok();
        assert!(page["_embedded"]["items"].is_array());
        assert_eq!(
            (page["page"].clone(), page["limit"].clone()),
            (json!(1), json!(30))
        );
        assert!(page["pages"].as_i64().unwrap() >= 1);
        for link in ["self", "first", "last"] {
            assert!(href(&page, link).contains("term=entry"), "{link}");
        }
    }
}

/// §5.26, §4.4: without a term every entry is found and the links carry no
/// term; an empty term finds every entry too but stays in the links.
#[tokio::test]
async fn a_search_without_a_term_finds_everything() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let first = saved(&alice, "a", "One", "<p>x</p>").await;
    let second = saved(&alice, "b", "Two", "<p>y</p>").await;

    let page = alice.get("/api/search").await.ok();
    assert_eq!(ids(&page), [second, first]);
    assert_eq!(
        href(&page, "self"),
        format!("http://{}/api/search?page=1&perPage=30", host(&app))
    );

    let empty = alice.get("/api/search?term=").await.ok();
    assert_eq!(ids(&empty), [second, first]);
    assert!(href(&empty, "self").contains("/api/search?term=&page=1&perPage=30"));
}

/// §4.4: a term matching nothing is an empty first page; pages past the
/// end, page 0 and perPage 0 are 404.
#[tokio::test]
async fn empty_results_are_one_empty_page_and_pages_past_the_end_are_not_found() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    saved(&alice, "a", "Alpha", "<p>x</p>").await;
    saved(&alice, "b", "Alphabet", "<p>y</p>").await;

    let none = alice.get("/api/search?term=nothing-like-it").await.ok();
    assert_eq!(
        (
            none["total"].clone(),
            none["page"].clone(),
            none["pages"].clone()
        ),
        (json!(0), json!(1), json!(1))
    );
    assert_eq!(none["_embedded"]["items"], json!([]));

    let second = alice
        .get("/api/search?term=alpha&perPage=1&page=2")
        .await
        .ok();
    assert_eq!(second["pages"], 2);
    assert!(href(&second, "previous").contains("term=alpha&page=1&perPage=1"));
    for query in [
        "term=alpha&perPage=1&page=3",
        "term=alpha&page=0",
        "term=alpha&perPage=0",
        "term=alpha&page=abc",
        "term=nothing-like-it&page=2",
    ] {
        let reply = alice.get(&format!("/api/search?{query}")).await;
        assert_eq!(reply.error(404), "Not Found", "{query}");
    }
}

/// `term[]=`: Symfony refuses a list where a string is read.
#[tokio::test]
async fn a_term_given_as_a_list_is_a_bad_request() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let reply = alice.get("/api/search?term[]=a&term[]=b").await;
    assert_eq!(
        reply.error(400),
        "Input value \"term\" contains a non-scalar value."
    );
}

// ---------------------------------------------------------------------------
// What matches (§5.26)

/// §5.26: the term is looked for in titles, contents, URLs and annotation
/// texts, whatever its case, as a substring.
#[tokio::test]
async fn a_term_matches_title_content_url_or_annotation_in_any_case() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let in_title = saved(&alice, "a", "Learning RUST", "<p>x</p>").await;
    let in_content = saved(&alice, "b", "Two", "<p>the Rust belt</p>").await;
    let in_url = saved(&alice, "trusty-tools", "Three", "<p>y</p>").await;
    let in_annotation = saved(&alice, "c", "Four", "<p>z</p>").await;
    annotate(&alice, in_annotation, "see the rust docs").await;
    let unrelated = saved(&alice, "d", "Five", "<p>rus t</p>").await;
    annotate(&alice, unrelated, "ru st").await;

    let everything = [in_annotation, in_url, in_content, in_title];
    assert_eq!(found(&alice, "rust").await, everything);
    assert_eq!(found(&alice, "RuSt").await, everything);
    assert_eq!(found(&alice, "the rust").await, [in_annotation, in_content]);
    assert_eq!(found(&alice, "ning ru").await, [in_title]);
}

/// §5.26: as in wallabag, `%` and `_` in a term are LIKE wildcards and `\`
/// escapes them; short terms (no trigram to look up) match all the same.
#[tokio::test]
async fn wildcards_in_a_term_work_as_in_wallabag_and_short_terms_match() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let abc = saved(&alice, "a", "xabcx", "<p>.</p>").await;
    let a_c = saved(&alice, "b", "xa_cx", "<p>.</p>").await;
    let axxc = saved(&alice, "c", "xaXXcx", "<p>.</p>").await;

    assert_eq!(found(&alice, "a_c").await, [a_c, abc]);
    assert_eq!(found(&alice, "a%c").await, [axxc, a_c, abc]);
    assert_eq!(found(&alice, "a\\_c").await, [a_c]);
    assert_eq!(found(&alice, "xx").await, [axxc]);
    assert_eq!(found(&alice, "Ab").await, [abc]);
}

/// §5.26: results are ordered by creation time, newest first, whatever
/// the ids say.
#[tokio::test]
async fn results_come_newest_first_by_creation_time() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let old = saved(&alice, "a", "match one", "<p>x</p>").await;
    let new = saved(&alice, "b", "match two", "<p>x</p>").await;
    let middle = saved(&alice, "c", "match three", "<p>x</p>").await;
    let conn = app.api_pool.get().await.unwrap();
    for (id, at) in [
        (old, "2020-01-01T00:00:00Z"),
        (new, "2022-01-01T00:00:00Z"),
        (middle, "2021-01-01T00:00:00Z"),
    ] {
        conn.execute(
            "UPDATE entries SET created_at = $2::TEXT::TIMESTAMPTZ WHERE id = $1",
            &[&id, &at],
        )
        .await
        .unwrap();
    }

    assert_eq!(found(&alice, "match").await, [new, middle, old]);
    let second = alice
        .get("/api/search?term=match&perPage=2&page=2")
        .await
        .ok();
    assert_eq!(ids(&second), [old]);
}

/// §5.26, §4.1: results are full entries: content, tags and annotations,
/// nulls kept.
#[tokio::test]
async fn results_are_full_entries() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let entry = alice
        .save(
            &fixture("127.0.0.1", "full"),
            &[
                ("title", "Full"),
                ("content", "<p>body</p>"),
                ("tags", "one,two"),
            ],
        )
        .await;
    annotate(&alice, id_of(&entry), "a note").await;

    let page = alice.get("/api/search?term=full").await.ok();
    let item = &page["_embedded"]["items"][0];
    let shown = alice
        .get(&format!("/api/entries/{}", id_of(&entry)))
        .await
        .ok();
    assert_eq!(item, &shown);
    assert_eq!(item["content"], "<p>body</p>");
    assert_eq!(item["tags"].as_array().unwrap().len(), 2);
    assert_eq!(item["annotations"][0]["text"], "a note");
    assert_eq!(item["uid"], Value::Null);
}

// ---------------------------------------------------------------------------
// Isolation (§2.4)

/// §2.4: a search sees only the caller's entries and annotations.
#[tokio::test]
async fn a_search_never_finds_another_users_entries_or_annotations() {
    let app = TestApp::start().await;
    let alice = Api::user(&app, "alice").await;
    let bob = Api::user(&app, "bob").await;
    let alices = saved(&alice, "a", "secret plan", "<p>x</p>").await;
    annotate(&alice, alices, "classified").await;
    let bobs = saved(&bob, "b", "public plan", "<p>y</p>").await;

    assert!(found(&bob, "secret").await.is_empty());
    assert!(found(&bob, "classified").await.is_empty());
    assert!(found(&bob, "cl").await.is_empty());
    assert_eq!(found(&bob, "plan").await, [bobs]);
    assert_eq!(ids(&bob.get("/api/search").await.ok()), [bobs]);
    assert_eq!(found(&alice, "plan").await, [alices]);
    assert_eq!(found(&alice, "classified").await, [alices]);
}

/// §2.3: search needs a token.
#[tokio::test]
async fn search_needs_a_token() {
    let app = TestApp::start().await;
    let response = app
        .http
        .get(app.url("/api/search?term=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

// ---------------------------------------------------------------------------
// Query plans

/// The plan text of `sql` for these parameters.
async fn explain(
    client: &impl deadpool_postgres::GenericClient,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> String {
    let rows = client
        .query(&format!("EXPLAIN {sql}"), params)
        .await
        .unwrap();
    rows.iter()
        .map(|row| row.get::<_, String>(0))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Migration V2: with a few thousand entries, a term with trigrams is
/// looked up in the GIN trigram indexes, and no search statement, for any
/// kind of term, custom or generic plan, scans the entries table.
#[tokio::test]
async fn search_statements_use_the_indexes_and_never_scan_the_table() {
    let app = TestApp::start().await;
    let mut conn = app.api_pool.get().await.unwrap();
    // User 42 has every other one of 6,000 entries, users 101 to 119 (odd)
    // 300 each; 'zebracorn' is in six contents, md5 text has no trigram of
    // it. Contents of 1.6 kB make the table big enough for the planner to
    // tell an index lookup from reading the user's rows.
    conn.batch_execute(
        "INSERT INTO entries (user_id, title, url, content, created_at) \
         SELECT CASE WHEN g % 2 = 0 THEN 42 ELSE 100 + g % 20 END, \
                'Title ' || md5(g::TEXT), 'https://example.org/' || md5((g * 7)::TEXT), \
                '<p>' || repeat(md5((g * 3)::TEXT) || ' ' || md5((g * 5)::TEXT) || ' ', 24) \
                    || CASE WHEN g % 1000 = 6 THEN ' zebracorn' ELSE '' END || '</p>', \
                now() - make_interval(secs => g) \
         FROM generate_series(1, 6000) g; \
         INSERT INTO annotations (entry_id, user_id, text) \
         SELECT id, user_id, 'note ' || md5(id::TEXT) FROM entries WHERE id % 10 = 0;",
    )
    .await
    .unwrap();
    // What autovacuum does soon after: statistics, and the GIN pending
    // lists merged (the planner shuns an index with a long one). VACUUM
    // cannot share a transaction, hence one statement per call.
    for statement in ["VACUUM ANALYZE entries", "VACUUM ANALYZE annotations"] {
        conn.batch_execute(statement).await.unwrap();
    }
    let (big, small) = (42_i64, 105_i64);
    let (limit, offset, content) = (30_i64, 0_i64, true);

    let rare = SearchPlan::for_term(Some("zebracorn"));
    let pattern = rare.pattern().unwrap();
    let plan = explain(
        &conn,
        &rare.sql(),
        &[&big, &pattern, &limit, &offset, &content],
    )
    .await;
    assert!(plan.contains("entries_search_content"), "{plan}");
    assert!(!plan.contains("Seq Scan on entries"), "{plan}");

    let short = SearchPlan::for_term(Some("ab"));
    let pattern = short.pattern().unwrap();
    let plans = [
        explain(
            &conn,
            &short.sql(),
            &[&small, &pattern, &limit, &offset, &content],
        )
        .await,
        explain(
            &conn,
            &SearchPlan::All.sql(),
            &[&small, &limit, &offset, &content],
        )
        .await,
    ];
    for plan in &plans {
        assert!(!plan.contains("Seq Scan on entries"), "{plan}");
    }

    // A prepared statement switches to a generic plan, blind to the
    // pattern, after a few runs: that one must not scan the table either.
    let tx = conn.transaction().await.unwrap();
    tx.batch_execute(&format!(
        "SET LOCAL plan_cache_mode = force_generic_plan; \
         PREPARE rare (BIGINT, TEXT, BIGINT, BIGINT, BOOLEAN) AS {}; \
         PREPARE short (BIGINT, TEXT, BIGINT, BIGINT, BOOLEAN) AS {};",
        rare.sql(),
        short.sql()
    ))
    .await
    .unwrap();
    for statement in [
        "rare(42, '%zebracorn%', 30, 0, true)",
        "short(105, '%ab%', 30, 0, true)",
    ] {
        let plan = explain(&tx, &format!("EXECUTE {statement}"), &[]).await;
        assert!(plan.contains("$1"), "a generic plan: {plan}");
        assert!(!plan.contains("Seq Scan on entries"), "{plan}");
    }
    tx.batch_execute("DEALLOCATE rare; DEALLOCATE short;")
        .await
        .unwrap();
    tx.rollback().await.unwrap();
}
