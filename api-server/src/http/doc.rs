//! The API's OpenAPI description, generated from the handlers'
//! `#[utoipa::path]` annotations, and Swagger UI to browse it, both at
//! `/api/doc` where wallabag serves its own (wallabag-api.md §5.28), with
//! no token. Swagger UI's files are compiled into the binary, so the page
//! works offline.
//!
//! The description documents what clients use; the wallabag contract in
//! wallabag-api.md stays the reference for every quirk it lists.

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::OpenApi as OpenApiDocument;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::{Config, SwaggerUi};

use super::{annotations, batch, config, entries, export, info, search, share, tags};

/// Where the UI is served; its files are below it.
pub const UI_PATH: &str = "/api/doc";
/// Where the description is served, as JSON.
pub const OPENAPI_PATH: &str = "/api/doc/openapi.json";
/// The same description where wallabag serves its own (§5.28).
pub const WALLABAG_OPENAPI_PATH: &str = "/api/doc.json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "wallabag-compatible API",
        description = "The wallabag v2 REST API over entries, tags and annotations. \
                       Tokens come from auth-server's `POST /oauth/v2/token`; every path also \
                       answers with a `.json` suffix.",
    ),
    paths(
        info::show_version,
        info::show_info,
        info::show_user,
        info::register_user,
        config::show_config,
        entries::list_entries,
        entries::create_entry,
        entries::check_entries_exist,
        entries::show_entry,
        entries::update_entry,
        entries::delete_entry,
        entries::reload_entry,
        export::export_entry,
        batch::create_entries,
        batch::delete_entries,
        batch::add_tags_to_entries,
        batch::remove_tags_from_entries,
        tags::list_entry_tags,
        tags::add_entry_tags,
        tags::remove_entry_tag,
        tags::list_tags,
        tags::delete_tag,
        tags::delete_tag_by_label,
        tags::delete_tags_by_label,
        annotations::list_annotations,
        annotations::create_annotation,
        annotations::update_annotation,
        annotations::delete_annotation,
        search::search_entries,
        share::show_shared_entry,
        crate::ops::show_health,
        crate::ops::show_readiness,
        crate::ops::show_metrics,
    ),
    modifiers(&TokenSchemes),
    // Either way of giving the token will do (§2.2); the routes that need
    // none say so with an empty requirement.
    security(("bearer" = []), ("access_token" = [])),
    tags(
        (name = "entries", description = "Saved articles: list, read, save, change, export"),
        (name = "batch", description = "Many entries at once, by URL"),
        (name = "tags", description = "Labels on entries"),
        (name = "annotations", description = "Highlights and notes on an entry"),
        (name = "user", description = "The caller's account and settings"),
        (name = "info", description = "The server, no token needed"),
        (name = "share", description = "Public pages of shared entries"),
        (name = "operations", description = "Health and metrics, not under /api"),
    ),
)]
pub struct ApiDoc;

/// The two ways of giving the access token that wallabag clients use: the
/// `Authorization: Bearer` header and the `access_token` query parameter.
struct TokenSchemes;

impl Modify for TokenSchemes {
    fn modify(&self, openapi: &mut OpenApiDocument) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "access_token",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::new("access_token"))),
        );
    }
}

/// `GET /api/doc` (Swagger UI, redirecting to `/api/doc/`), its files, and
/// the description at `GET /api/doc/openapi.json` and `GET /api/doc.json`.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let description = ApiDoc::openapi();
    // Swagger UI would otherwise send the description to swagger.io's
    // online validator and show its badge: a request to another site.
    let config = Config::default().validator_url("none");
    let ui: Router<S> = SwaggerUi::new(UI_PATH)
        .url(OPENAPI_PATH, description.clone())
        .config(config)
        .into();
    let description = Json(description);
    ui.route(
        WALLABAG_OPENAPI_PATH,
        get(move || std::future::ready(description.clone())),
    )
}
