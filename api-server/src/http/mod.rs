//! api-server's HTTP surface: one file per resource, this file wires them,
//! normalises wallabag's optional format suffix, and renders routing
//! failures in the API's error shape.

pub mod annotations;
pub mod batch;
pub mod config;
pub mod doc;
pub mod entries;
pub mod entry_changes;
pub mod entry_query;
pub mod entry_wire;
pub mod error;
pub mod export;
pub mod export_document;
pub mod export_epub;
pub mod export_pdf;
pub mod export_text;
pub mod info;
pub mod pagination;
pub mod params;
pub mod search;
pub mod share;
pub mod tags;
pub mod wire;

use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, Method, StatusCode, Uri, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use tower_http::cors::{Any, CorsLayer};

use crate::AppState;
use crate::auth::{self, TokenValidator};
use error::ApiError;

/// The `/api` application, with authentication and CORS, before path
/// normalisation (see `normalise_path`).
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/api/version", get(info::show_version))
        .route("/api/info", get(info::show_info))
        .route("/api/user", get(info::show_user).put(info::register_user))
        .route("/api/config", get(config::show_config))
        .route(
            "/api/entries",
            get(entries::list_entries).post(entries::create_entry),
        )
        .route("/api/entries/exists", get(entries::check_entries_exist))
        .route(
            "/api/entries/{id}",
            get(entries::show_entry)
                .patch(entries::update_entry)
                .delete(entries::delete_entry),
        )
        .route("/api/entries/{id}/reload", patch(entries::reload_entry))
        // Literal segments win over `{id}` in axum, as wallabag requires
        // for `entries/list` and `tags/label` (§1.1).
        .route("/api/entries/lists", post(batch::create_entries))
        .route("/api/entries/list", delete(batch::delete_entries))
        .route("/api/entries/tags/lists", post(batch::add_tags_to_entries))
        .route(
            "/api/entries/tags/list",
            delete(batch::remove_tags_from_entries),
        )
        .route(
            "/api/entries/{id}/tags",
            get(tags::list_entry_tags).post(tags::add_entry_tags),
        )
        .route(
            "/api/entries/{id}/tags/{tag}",
            delete(tags::remove_entry_tag),
        )
        .route("/api/tags", get(tags::list_tags))
        .route("/api/tags/label", delete(tags::delete_tags_by_label))
        .route("/api/tags/{tag}", delete(tags::delete_tag))
        .route("/api/tag/label", delete(tags::delete_tag_by_label))
        .route(
            "/api/annotations/{id}",
            get(annotations::list_annotations)
                .post(annotations::create_annotation)
                .put(annotations::update_annotation)
                .delete(annotations::delete_annotation),
        )
        .route("/api/search", get(search::search_entries))
        // Authentication runs only for matched routes: an unknown path is a
        // 404 with or without a token (wallabag-api.md §1.1).
        .route_layer(middleware::from_fn_with_state(
            state.validator.clone(),
            auth::authenticate,
        ))
        .merge(export_routes(state.validator.clone()))
        .fallback(not_found)
        .layer(middleware::map_response(method_not_allowed_body))
        .layer(api_cors());

    // No token, and none of the API's conventions: the public page of a
    // shared entry, and the API's description (§5.28).
    let pages = Router::new()
        .route("/share/{uid}", get(share::show_shared_entry))
        .merge(doc::router());
    let ops = Router::new()
        .route("/healthz", get(crate::ops::show_health))
        .route("/readyz", get(crate::ops::show_readiness))
        .route("/metrics", get(crate::ops::show_metrics));

    shared::http::instrument(api.merge(pages).merge(ops).with_state(state))
}

/// `GET /api/entries/{id}/export.{format}` (§5.9), routed as `{id}/{file}`
/// with `only_export_files` before authentication: `export` says why.
fn export_routes(validator: TokenValidator) -> Router<AppState> {
    Router::new()
        .route("/api/entries/{id}/{file}", get(export::export_entry))
        .route_layer(middleware::from_fn_with_state(
            validator,
            auth::authenticate,
        ))
        .route_layer(middleware::from_fn(export::only_export_files))
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// axum answers a wrong method with an empty 405; wallabag clients expect
/// the generic error body.
async fn method_not_allowed_body(response: Response) -> Response {
    if response.status() == StatusCode::METHOD_NOT_ALLOWED {
        let allow = response.headers().get(header::ALLOW).cloned();
        let mut replaced = ApiError::MethodNotAllowed.into_response();
        if let Some(allow) = allow {
            replaced.headers_mut().insert(header::ALLOW, allow);
        }
        return replaced;
    }
    response
}

/// CORS as wallabag sets it for `/api/*` (§1.7): browser extensions call
/// the API from their own origin.
fn api_cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_headers([
            header::AUTHORIZATION,
            HeaderName::from_static("content-type"),
        ])
        .allow_methods([
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::GET,
            Method::DELETE,
        ])
        .max_age(Duration::from_secs(3600))
}

/// Strips wallabag's optional format suffix before routing, so that
/// `/api/entries.json` and `/api/entries` are one route (§1.1). The export
/// route keeps its suffix: there `.json` is the export format (§11.5); and
/// so do the files below `/api/doc/` (`swagger-ui.css`, `openapi.json`) and
/// `/api/doc.json`, the description itself (§5.28).
pub fn normalise_path(mut request: Request) -> Request {
    if let Some(stripped) = strip_format_suffix(request.uri().path()) {
        let mut parts = request.uri().clone().into_parts();
        let path_and_query = match request.uri().query() {
            Some(query) => format!("{stripped}?{query}"),
            None => stripped,
        };
        if let Ok(pq) = path_and_query.parse() {
            parts.path_and_query = Some(pq);
            if let Ok(uri) = Uri::from_parts(parts) {
                *request.uri_mut() = uri;
            }
        }
    }
    request
}

fn strip_format_suffix(path: &str) -> Option<String> {
    if !path.starts_with("/api/")
        || path.starts_with("/api/doc/")
        || path == doc::WALLABAG_OPENAPI_PATH
    {
        return None;
    }
    let (dir, last) = path.rsplit_once('/')?;
    let (stem, _format) = last.rsplit_once('.')?;
    if stem.is_empty() || (stem == "export" && dir.starts_with("/api/entries/")) {
        return None;
    }
    Some(format!("{dir}/{stem}"))
}

#[cfg(test)]
mod tests {
    use super::strip_format_suffix;

    #[test]
    fn format_suffixes_are_stripped_except_on_export_and_doc_files() {
        assert_eq!(
            strip_format_suffix("/api/entries.json").unwrap(),
            "/api/entries"
        );
        assert_eq!(
            strip_format_suffix("/api/entries/12.html").unwrap(),
            "/api/entries/12"
        );
        assert_eq!(strip_format_suffix("/api/entries/12/export.json"), None);
        assert_eq!(strip_format_suffix("/api/entries"), None);
        assert_eq!(strip_format_suffix("/healthz.json"), None);
        assert_eq!(strip_format_suffix("/api/doc/swagger-ui.css"), None);
        assert_eq!(strip_format_suffix("/api/doc/openapi.json"), None);
        assert_eq!(strip_format_suffix("/api/doc.json"), None);
    }
}
