//! `GET /api/entries/{id}/export.{format}` (wallabag-api.md §5.9): one of
//! the caller's entries as a file to download, in one of seven formats.
//!
//! This file routes and answers; the formats are written by
//! `export_document` (json, xml), `export_text` (csv, txt, md),
//! `export_epub` and `export_pdf`, all from the entry as one query reads it
//! (`store::entry::find_entry`: tags and annotations aggregated in).
//!
//! matchit cannot capture half a segment (`export.{format}`), so the route
//! is `/api/entries/{id}/{file}`. `/tags` and `/reload` are literal routes
//! and win over it; `only_export_files` keeps every other `{file}` an
//! unknown path: 404 before authentication and whatever the method, as
//! before this route existed (§1.1).

use axum::body::Body;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::entries::parse_id;
use super::entry_wire::title_of;
use super::error::{ApiError, ErrorResponse};
use super::{export_document, export_epub, export_pdf, export_text};
use crate::AppState;
use crate::auth::{AuthErrorResponse, Authenticated};
use crate::store::entry::{self, StoredEntry};

/// The formats wallabag exports to, in the order its documentation lists
/// them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Epub,
    Pdf,
    Csv,
    Json,
    Xml,
    Txt,
    Md,
}

impl Format {
    pub const ALL: [Self; 7] = [
        Self::Epub,
        Self::Pdf,
        Self::Csv,
        Self::Json,
        Self::Xml,
        Self::Txt,
        Self::Md,
    ];

    /// A format named in a URL. wallabag calls `produce<Format>`, and PHP
    /// method names ignore case, so `export.JSON` works there too.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|format| format.extension().eq_ignore_ascii_case(name))
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Epub => "epub",
            Self::Pdf => "pdf",
            Self::Csv => "csv",
            Self::Json => "json",
            Self::Xml => "xml",
            Self::Txt => "txt",
            Self::Md => "md",
        }
    }

    /// wallabag's content types; JSON without a charset, as clients compare
    /// it as a string (§11.4).
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Epub => "application/epub+zip",
            Self::Pdf => "application/pdf",
            Self::Csv => "application/csv",
            Self::Json => "application/json",
            Self::Xml => "application/xml",
            Self::Txt => "text/plain; charset=utf-8",
            Self::Md => "text/markdown; charset=utf-8",
        }
    }
}

/// The last segment of an export path: `export` (JSON) or
/// `export.{format}`; `None` for any other segment.
fn export_file_format(segment: &str) -> Option<&str> {
    match segment.split_once('.') {
        None if segment == "export" => Some("json"),
        Some(("export", format)) => Some(format),
        _ => None,
    }
}

/// Route layer of `/api/entries/{id}/{file}`, run before authentication:
/// a `{file}` that names no export is an unknown path (§1.1).
pub async fn only_export_files(request: Request, next: Next) -> Response {
    let segment = request.uri().path().rsplit('/').next().unwrap_or_default();
    if export_file_format(segment).is_none() {
        return ApiError::NotFound.into_response();
    }
    next.run(request).await
}

/// The `{id}` and `{file}` of an export path. A non-numeric id is a 404, as
/// on every entry route; the format is checked once the entry is found.
pub struct ExportPath {
    pub id: i64,
    pub format: String,
}

impl<S: Send + Sync> FromRequestParts<S> for ExportPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path((id, file)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        let format = export_file_format(&file).ok_or(ApiError::NotFound)?;
        Ok(Self {
            id: parse_id(&id).ok_or(ApiError::NotFound)?,
            format: format.to_owned(),
        })
    }
}

/// `GET /api/entries/{id}/export.{format}` — §5.9: the caller's entry as a
/// download (`Content-Disposition: attachment`) in `format`; no suffix is
/// JSON. Another user's entry is a 404, like a missing one. An unknown
/// format is a 400 naming those there are, where wallabag fails with a 500.
#[utoipa::path(
    get,
    path = "/api/entries/{id}/export.{format}",
    tag = "entries",
    params(
        ("id" = i64, Path, description = "The entry's id"),
        ("format" = String, Path,
            description = "`epub`, `pdf`, `csv`, `json`, `xml`, `txt` or `md`; without the \
                           suffix, JSON"),
    ),
    responses(
        (status = 200,
            description = "The entry as a file (`Content-Disposition: attachment`)", content(
            ("application/epub+zip"),
            ("application/pdf"),
            ("application/csv"),
            ("application/json"),
            ("application/xml"),
            ("text/plain"),
            ("text/markdown"),
        )),
        (status = 400, description = "Not a supported format", body = ErrorResponse),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
        (status = 404, description = "Not the caller's, or no such one", body = ErrorResponse),
    ),
)]
pub async fn export_entry(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    path: ExportPath,
) -> Result<Response, ApiError> {
    let conn = state.pool.get().await?;
    // One query: the entry with its tags and annotations.
    let entry = entry::find_entry(&conn, user.id, path.id, true)
        .await?
        .ok_or(ApiError::NotFound)?;
    drop(conn);
    // Not found comes before a bad format, as wallabag resolves the entry
    // first.
    let format = Format::parse(&path.format).ok_or_else(|| unknown_format(&path.format))?;

    let title = title_of(&entry.record);
    let filename = download_name(&title, format);
    // The documents are built off the async threads: a long article makes
    // an epub or a PDF take a while.
    let body = tokio::task::spawn_blocking(move || render(&entry, &title, format))
        .await
        .map_err(ApiError::internal)??;

    let mut response = Body::from(body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
        .map_err(ApiError::internal)?;
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    Ok(response)
}

fn unknown_format(name: &str) -> ApiError {
    let known: Vec<&str> = Format::ALL.iter().map(|f| f.extension()).collect();
    ApiError::bad_request(format!(
        "Format \"{name}\" is not supported, allowed: {}",
        known.join(", ")
    ))
}

fn render(entry: &StoredEntry, title: &str, format: Format) -> Result<Vec<u8>, ApiError> {
    let rendered = match format {
        Format::Json => export_document::json(entry, title).map_err(|e| e.to_string()),
        Format::Xml => export_document::xml(entry, title).map_err(|e| e.to_string()),
        Format::Csv => export_text::csv(entry, title),
        Format::Txt => export_text::txt(entry, title),
        Format::Md => export_text::markdown(entry, title),
        Format::Epub => export_epub::epub(entry, title),
        Format::Pdf => export_pdf::pdf(entry, title),
    };
    rendered.map_err(|err| ApiError::internal(format!("{} export: {err}", format.extension())))
}

/// The file name wallabag gives a download: the title transliterated to
/// ASCII with only letters, digits, spaces, `'` and `-` kept, then the
/// extension. Keeping only those also keeps the header's quoted string
/// intact. A title with nothing left (all symbols, say) is named `entry`,
/// where wallabag would send a bare `.epub`.
pub fn download_name(title: &str, format: Format) -> String {
    let ascii = deunicode::deunicode(title);
    let kept: String = ascii
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '\'' | '-'))
        .collect();
    let stem = if kept.trim().is_empty() {
        "entry"
    } else {
        kept.as_str()
    };
    format!("{stem}.{}", format.extension())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_segments_name_their_format() {
        assert_eq!(export_file_format("export"), Some("json"));
        assert_eq!(export_file_format("export.epub"), Some("epub"));
        assert_eq!(export_file_format("export."), Some(""));
        assert_eq!(export_file_format("exports.json"), None);
        assert_eq!(export_file_format("foo"), None);
        assert_eq!(export_file_format("tags"), None);
        assert_eq!(Format::parse("JSON"), Some(Format::Json));
        assert_eq!(Format::parse("docx"), None);
        assert_eq!(Format::parse(""), None);
    }

    #[test]
    fn download_names_are_transliterated_and_filtered() {
        assert_eq!(
            download_name("Crème brûlée / l'été", Format::Epub),
            "Creme brulee  l'ete.epub"
        );
        assert_eq!(download_name("a\"b;c\r\nd", Format::Pdf), "abcd.pdf");
        assert_eq!(download_name("日本", Format::Txt), "Ri Ben.txt");
        assert_eq!(download_name("?!/", Format::Md), "entry.md");
    }
}
