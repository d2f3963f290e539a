//! The annotation endpoints (wallabag-api.md §4.3, §5.25): an entry's
//! annotations, annotating, editing the text, deleting.
//!
//! wallabag reads these bodies with `json_decode` of the raw request, not
//! through its parameter bags, so form fields are not understood (§1.2):
//! the body is read here rather than with `params::Body`. The decoded
//! values then pass wallabag's Symfony forms, whose rules `new_annotation`
//! and `edited_text` reproduce. Answers omit null keys (§1.5), unlike
//! annotations inside entries (`entry_wire`). The SQL is in
//! `store::annotation`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Number, Value, json};
use utoipa::ToSchema;

use super::entries::EntryId;
use super::error::{ApiError, ErrorResponse};
use super::params::media_type;
use super::wire;
use crate::AppState;
use crate::auth::{AuthErrorResponse, Authenticated, CurrentUser};
use crate::store::annotation::{AnnotationStore, NewAnnotation};
use crate::store::entry::StoredAnnotation;

/// The longest quote wallabag accepts, in characters (its `Length`
/// constraint counts code points).
pub const QUOTE_MAX_CHARS: usize = 10_000;

/// The keys of a range, in the order wallabag's RangeType stores them.
const RANGE_KEYS: [&str; 4] = ["start", "startOffset", "end", "endOffset"];

/// `GET /api/annotations/{id}` — §5.25: the caller's annotations on their
/// entry `{id}`, oldest first, as `{"total": n, "rows": [...]}`.
#[utoipa::path(
    get,
    path = "/api/annotations/{id}",
    tag = "annotations",
    params(
        ("id" = i64, Path, description = "The entry's id"),
    ),
    responses(
        (status = 200, body = AnnotationListResponse),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
        (status = 404, description = "Not the caller's, or no such one", body = ErrorResponse),
    ),
)]
pub async fn list_annotations(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    EntryId(entry_id): EntryId,
) -> Result<Json<AnnotationListResponse>, ApiError> {
    let annotations = AnnotationStore::new(state.pool.clone())
        .list_for_entry(user.id, entry_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let rows: Vec<AnnotationResponse> = annotations
        .into_iter()
        .map(|annotation| AnnotationResponse::new(annotation, &user))
        .collect();
    Ok(Json(AnnotationListResponse {
        total: rows.len(),
        rows,
    }))
}

/// `POST /api/annotations/{id}` — §5.25: annotates the caller's entry
/// `{id}` with the JSON body's `text`, `quote` and `ranges`; 200, not 201,
/// with the new annotation. A body that is not JSON, sent as something
/// else than JSON, creates an empty annotation, as in wallabag.
#[utoipa::path(
    post,
    path = "/api/annotations/{id}",
    tag = "annotations",
    params(
        ("id" = i64, Path, description = "The entry's id"),
    ),
    request_body(
        description = "The annotation; JSON only",
        content(
            (Object = "application/json", example = json!({
                "text": "key point",
                "quote": "the sentence",
                "ranges": [
                    {"start": "/p[2]", "startOffset": "0", "end": "/p[2]", "endOffset": "12"}
                ],
            })),
        ),
    ),
    responses(
        (status = 200, body = AnnotationResponse),
        (status = 400, description = "Not JSON, or a quote over 10,000 characters"),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
        (status = 404, description = "Not the caller's, or no such one", body = ErrorResponse),
    ),
)]
pub async fn create_annotation(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    EntryId(entry_id): EntryId,
    body: RawBody,
) -> Result<Response, ApiError> {
    let store = AnnotationStore::new(state.pool.clone());
    let new = match decode(&body, false).and_then(|fields| new_annotation(fields.as_ref())) {
        Ok(new) => new,
        // Not found comes before a bad body: wallabag resolves the entry
        // first. Either way nothing is stored.
        Err(refused) if store.owns_entry(user.id, entry_id).await? => {
            return Ok(refused.into_response());
        }
        Err(_) => return Err(ApiError::NotFound),
    };

    let annotation = store
        .create(user.id, entry_id, &new)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(AnnotationResponse::new(annotation, &user)).into_response())
}

/// `PUT /api/annotations/{id}` — §5.25: replaces the text of the caller's
/// annotation `{id}`; nothing else can change. A body that is not JSON is a
/// 400 (wallabag answers 500).
#[utoipa::path(
    put,
    path = "/api/annotations/{id}",
    tag = "annotations",
    params(
        ("id" = i64, Path, description = "The annotation's id"),
    ),
    request_body(
        description = "The new text; JSON only",
        content(
            (Object = "application/json", example = json!({"text": "a better note"})),
        ),
    ),
    responses(
        (status = 200, body = AnnotationResponse),
        (status = 400, description = "Not JSON"),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
        (status = 404, description = "Not the caller's, or no such one", body = ErrorResponse),
    ),
)]
pub async fn update_annotation(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    AnnotationId(id): AnnotationId,
    body: RawBody,
) -> Result<Response, ApiError> {
    let store = AnnotationStore::new(state.pool.clone());
    let text = match decode(&body, true).and_then(|fields| edited_text(fields.as_ref())) {
        Ok(text) => text,
        Err(refused) if store.owns_annotation(user.id, id).await? => {
            return Ok(refused.into_response());
        }
        Err(_) => return Err(ApiError::NotFound),
    };

    let annotation = store
        .update_text(user.id, id, &text)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(AnnotationResponse::new(annotation, &user)).into_response())
}

/// `DELETE /api/annotations/{id}` — §5.25: deletes the caller's annotation
/// `{id}` and answers it as it was, without its `id` (§4.3).
#[utoipa::path(
    delete,
    path = "/api/annotations/{id}",
    tag = "annotations",
    params(
        ("id" = i64, Path, description = "The annotation's id"),
    ),
    responses(
        (status = 200,
            description = "The annotation as it was, without its id", body = AnnotationResponse),
        (status = 401, description = "No token, or a bad or expired one", body = AuthErrorResponse),
        (status = 404, description = "Not the caller's, or no such one", body = ErrorResponse),
    ),
)]
pub async fn delete_annotation(
    State(state): State<AppState>,
    Authenticated(user): Authenticated,
    AnnotationId(id): AnnotationId,
) -> Result<Json<AnnotationResponse>, ApiError> {
    let annotation = AnnotationStore::new(state.pool.clone())
        .delete(user.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(AnnotationResponse::deleted(annotation, &user)))
}

/// An `{id}` naming an annotation, read as an entry id is: a non-numeric
/// id is a 404 (§1.1).
pub struct AnnotationId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for AnnotationId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        EntryId::from_request_parts(parts, state)
            .await
            .map(|EntryId(id)| Self(id))
    }
}

/// A body as the annotation endpoints read it: the raw bytes, and whether
/// the client declared them JSON (no content type counts, as an `/api`
/// body without one is read as JSON, §1.2).
pub struct RawBody {
    bytes: Bytes,
    json_declared: bool,
}

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json_declared = match media_type(request.headers()).as_deref() {
            None => true,
            Some(t) => t == "application/json" || t.ends_with("+json"),
        };
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|_| ApiError::PayloadTooLarge)?;
        Ok(Self {
            bytes,
            json_declared,
        })
    }
}

/// Why a body was refused; nothing is stored either way.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// Not the JSON required: 400 `Invalid json message received`, the
    /// message of FOSRest's body listener.
    Json,
    /// Fails wallabag's form: 400 with the body `{}`, its bare
    /// `JsonResponse` (§5.25).
    Form,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Self::Json => ApiError::bad_request("Invalid json message received").into_response(),
            Self::Form => (StatusCode::BAD_REQUEST, Json(json!({}))).into_response(),
        }
    }
}

/// The fields a body submits, `None` for none. A body declared JSON must
/// be a JSON object or array, as FOSRest's body listener requires, except
/// that an empty one is no body. Otherwise, as `json_decode` in wallabag:
/// what does not decode submits nothing, unless `json_required` (PUT
/// decodes with `JSON_THROW_ON_ERROR`); a JSON list names no field; a bare
/// scalar cannot fill a form.
fn decode(body: &RawBody, json_required: bool) -> Result<Option<Map<String, Value>>, Refused> {
    if body.bytes.is_empty() && !json_required {
        return Ok(None);
    }
    match serde_json::from_slice::<Value>(&body.bytes) {
        Ok(Value::Object(fields)) => Ok(Some(fields)),
        Ok(Value::Array(_)) => Ok(None),
        Ok(_) | Err(_) if body.json_declared => Err(Refused::Json),
        Ok(Value::Null) => Ok(None),
        Ok(_) => Err(Refused::Form),
        Err(_) if json_required => Err(Refused::Json),
        Err(_) => Ok(None),
    }
}

/// The annotation a POST asks for, by wallabag's NewAnnotationType: `text`
/// trimmed and `quote` kept as sent, both `""` when absent or null; a quote
/// over 10,000 characters fails. `ranges` is a list of range objects.
pub fn new_annotation(fields: Option<&Map<String, Value>>) -> Result<NewAnnotation, Refused> {
    let field = |name: &str| fields.and_then(|fields| fields.get(name));
    let text = form_string(field("text"))?
        .map(|text| form_trim(&text).to_owned())
        .unwrap_or_default();
    let quote = form_string(field("quote"))?.unwrap_or_default();
    if quote.chars().count() > QUOTE_MAX_CHARS {
        return Err(Refused::Form);
    }
    let ranges = match field("ranges") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(range).collect::<Result<_, _>>()?,
        Some(_) => return Err(Refused::Form),
    };
    Ok(NewAnnotation {
        text,
        quote,
        ranges: Value::Array(ranges),
    })
}

/// The text a PUT sets, by wallabag's EditAnnotationType: trimmed, and
/// `""` when absent, since the form clears what is not submitted.
pub fn edited_text(fields: Option<&Map<String, Value>>) -> Result<String, Refused> {
    let text = form_string(fields.and_then(|fields| fields.get("text")))?;
    Ok(text
        .map(|text| form_trim(&text).to_owned())
        .unwrap_or_default())
}

/// One range as wallabag's RangeType reads it: the four values as trimmed
/// strings, an empty or missing one null (a text field's empty value).
/// Other keys are dropped: wallabag would refuse the whole annotation for
/// them, which serves no client, as it would not keep them either.
fn range(item: &Value) -> Result<Value, Refused> {
    let Value::Object(fields) = item else {
        return Err(Refused::Form);
    };
    let mut range = Map::new();
    for key in RANGE_KEYS {
        let value = form_string(fields.get(key))?
            .map(|value| form_trim(&value).to_owned())
            .filter(|value| !value.is_empty());
        range.insert(key.to_owned(), value.map_or(Value::Null, Value::String));
    }
    Ok(Value::Object(range))
}

/// A submitted value as a Symfony form field takes it: scalars become
/// strings (`true` is `"1"`, `false` is nothing), numbers as PHP prints
/// them; a list or object fails the form.
fn form_string(value: Option<&Value>) -> Result<Option<String>, Refused> {
    match value {
        None | Some(Value::Null | Value::Bool(false)) => Ok(None),
        Some(Value::Bool(true)) => Ok(Some("1".to_owned())),
        Some(Value::Number(n)) => Ok(Some(php_number(n))),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Array(_) | Value::Object(_)) => Err(Refused::Form),
    }
}

/// PHP's `(string)` of a decoded JSON number: `2.0` decodes to a float
/// that prints as `2`.
fn php_number(n: &Number) -> String {
    match (n.as_i64(), n.as_f64()) {
        (Some(i), _) => i.to_string(),
        (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        _ => n.to_string(),
    }
}

/// Symfony's form trim: Unicode separators, control and format characters
/// at either end.
fn form_trim(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || c.is_control() || is_format_char(c))
}

/// The Unicode format characters (category Cf) a client might send.
fn is_format_char(c: char) -> bool {
    matches!(c,
        '\u{AD}'
        | '\u{600}'..='\u{605}'
        | '\u{61C}'
        | '\u{6DD}'
        | '\u{70F}'
        | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206F}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}')
}

/// An annotation as the annotation endpoints answer it (§4.3): wallabag's
/// key order, null keys left out, within ranges too.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnnotationResponse {
    /// The owner's display name; left out when they have none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    pub annotator_schema_version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    pub text: String,
    pub created_at: String,
    pub updated_at: String,
    pub quote: String,
    pub ranges: Vec<RangeResponse>,
}

/// A range; values are strings, as they passed through text fields.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct RangeResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(rename = "startOffset", skip_serializing_if = "Option::is_none")]
    pub start_offset: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    #[serde(rename = "endOffset", skip_serializing_if = "Option::is_none")]
    pub end_offset: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnnotationListResponse {
    pub total: usize,
    pub rows: Vec<AnnotationResponse>,
}

impl AnnotationResponse {
    /// Only an entry's owner annotates it, so `owner` is the annotator.
    pub fn new(annotation: StoredAnnotation, owner: &CurrentUser) -> Self {
        Self {
            user: owner.name.clone(),
            annotator_schema_version: "v1.0",
            id: Some(annotation.id),
            text: annotation.text,
            created_at: wire::date(annotation.created_at),
            updated_at: wire::date(annotation.updated_at),
            quote: annotation.quote,
            ranges: ranges_of(&annotation.ranges),
        }
    }

    /// As DELETE answers: wallabag serialises the annotation after the ORM
    /// has removed it and cleared its id.
    pub fn deleted(annotation: StoredAnnotation, owner: &CurrentUser) -> Self {
        Self {
            id: None,
            ..Self::new(annotation, owner)
        }
    }
}

/// Stored ranges back in wallabag's key order. Ranges are stored as POST
/// made them, strings or nulls; a number (from older data) is shown as the
/// string it would have become.
fn ranges_of(stored: &Value) -> Vec<RangeResponse> {
    let value = |range: &Value, key: &str| match range.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(php_number(n)),
        _ => None,
    };
    stored
        .as_array()
        .map(|ranges| {
            ranges
                .iter()
                .map(|range| RangeResponse {
                    start: value(range, RANGE_KEYS[0]),
                    start_offset: value(range, RANGE_KEYS[1]),
                    end: value(range, RANGE_KEYS[2]),
                    end_offset: value(range, RANGE_KEYS[3]),
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(bytes: &str, json_declared: bool) -> RawBody {
        RawBody {
            bytes: Bytes::from(bytes.to_owned()),
            json_declared,
        }
    }

    fn post(bytes: &str, json_declared: bool) -> Result<NewAnnotation, Refused> {
        decode(&body(bytes, json_declared), false).and_then(|f| new_annotation(f.as_ref()))
    }

    fn put(bytes: &str, json_declared: bool) -> Result<String, Refused> {
        decode(&body(bytes, json_declared), true).and_then(|f| edited_text(f.as_ref()))
    }

    #[test]
    fn text_is_trimmed_and_quote_kept_both_empty_when_missing() {
        let new = post(
            r#"{"text": " \u200b note\n", "quote": "  the words "}"#,
            true,
        )
        .unwrap();
        assert_eq!(
            (new.text.as_str(), new.quote.as_str()),
            ("note", "  the words ")
        );
        let new = post(r#"{"quote": null}"#, true).unwrap();
        assert_eq!((new.text.as_str(), new.quote.as_str()), ("", ""));
        assert_eq!(new.ranges, json!([]));
    }

    #[test]
    fn range_values_become_trimmed_strings_or_null() {
        let new = post(
            r#"{"ranges": [{"start": " /p[1] ", "startOffset": 0, "end": "",
                            "endOffset": 2.0, "extra": "dropped"}, {}]}"#,
            true,
        )
        .unwrap();
        assert_eq!(
            new.ranges,
            json!([
                {"start": "/p[1]", "startOffset": "0", "end": null, "endOffset": "2"},
                {"start": null, "startOffset": null, "end": null, "endOffset": null}
            ])
        );
        let shown = ranges_of(&new.ranges);
        assert_eq!(
            serde_json::to_string(&shown).unwrap(),
            r#"[{"start":"/p[1]","startOffset":"0","endOffset":"2"},{}]"#
        );
    }

    #[test]
    fn scalars_become_strings_and_structures_fail_the_form() {
        let new = post(r#"{"text": true, "quote": 12}"#, true).unwrap();
        assert_eq!((new.text.as_str(), new.quote.as_str()), ("1", "12"));
        assert_eq!(post(r#"{"text": ["a"]}"#, true), Err(Refused::Form));
        assert_eq!(post(r#"{"ranges": "a"}"#, true), Err(Refused::Form));
        assert_eq!(post(r#"{"ranges": ["a"]}"#, true), Err(Refused::Form));
        assert_eq!(
            post(r#"{"ranges": [{"start": {"a": 1}}]}"#, true),
            Err(Refused::Form)
        );
    }

    #[test]
    fn quotes_are_limited_in_characters_not_bytes() {
        let at_limit = format!(r#"{{"quote": "{}"}}"#, "é".repeat(QUOTE_MAX_CHARS));
        assert!(post(&at_limit, true).is_ok());
        let over = format!(r#"{{"quote": "{}"}}"#, "a".repeat(QUOTE_MAX_CHARS + 1));
        assert_eq!(post(&over, true), Err(Refused::Form));
    }

    #[test]
    fn post_bodies_that_are_not_json_are_empty_unless_declared_json() {
        let empty = post("", true).unwrap();
        assert_eq!((empty.text.as_str(), empty.quote.as_str()), ("", ""));
        assert_eq!(post("text=hello", false).unwrap().text, "");
        assert_eq!(post("[1, 2]", false).unwrap().text, "");
        assert_eq!(post(r#"{"text": "a"}"#, false).unwrap().text, "a");
        assert_eq!(post("\"text\"", false), Err(Refused::Form));
        assert_eq!(post("text=hello", true), Err(Refused::Json));
        assert_eq!(post("null", true), Err(Refused::Json));
    }

    #[test]
    fn put_needs_json_and_clears_a_missing_text() {
        assert_eq!(
            put(r#"{"text": " new ", "quote": "x"}"#, true).unwrap(),
            "new"
        );
        assert_eq!(put(r#"{"quote": "x"}"#, false).unwrap(), "");
        assert_eq!(put("", true), Err(Refused::Json));
        assert_eq!(put("text=new", false), Err(Refused::Json));
        assert_eq!(put("{", true), Err(Refused::Json));
        assert_eq!(put("5", false), Err(Refused::Form));
    }
}
