//! The error answers in the OpenAPI document: every 4xx and 5xx response of every route
//! is a [`ProblemBody`] whose `code` is one of [`ErrorCode`]'s values.

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::{OpenApi, RefOr, Response};
use utoipa::{Modify, PartialSchema, ToSchema};

use gasq_shared::problem::FieldError;

use super::ErrorCode;

/// An error answer (RFC 9457 problem+json).
#[derive(Debug, ToSchema)]
#[schema(as = Problem)]
#[allow(dead_code)] // documents the body `ApiError` writes; never built
pub struct ProblemBody {
    /// A URI naming the code, `/problems/<code>`.
    #[schema(rename = "type")]
    type_uri: String,
    title: String,
    status: u16,
    code: ErrorCode,
    /// What happened and what to do next, for a person.
    detail: Option<String>,
    /// Per-field messages of a `validation_failed` (left out otherwise).
    errors: Option<Vec<FieldError>>,
}

/// Adds the problem schemas and describes every error response with them.
#[derive(Debug)]
pub struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, doc: &mut OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components
            .schemas
            .insert(ErrorCode::name().into_owned(), ErrorCode::schema());
        components
            .schemas
            .insert(ProblemBody::name().into_owned(), ProblemBody::schema());
        components
            .schemas
            .insert(FieldError::name().into_owned(), FieldError::schema());
        let problem = ContentBuilder::new()
            .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                ProblemBody::name(),
            ))))
            .build();
        for item in doc.paths.paths.values_mut() {
            for op in operations(item) {
                for (status, response) in op.responses.responses.iter_mut() {
                    let is_error = status.starts_with('4') || status.starts_with('5');
                    if let (true, RefOr::T(Response { content, .. })) = (is_error, response)
                        && content.is_empty()
                    {
                        content.insert(
                            gasq_shared::problem::CONTENT_TYPE.to_owned(),
                            problem.clone(),
                        );
                    }
                }
            }
        }
    }
}

fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
}
