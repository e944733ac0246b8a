//! `/api/v1/sandboxes`: the organization's sandboxes, listed and created with the `admin`
//! scope, as on the Sandboxes page.

use super::*;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/api/v1/sandboxes",
        get(list_sandboxes).post(create_sandbox),
    )
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SandboxResource {
    #[schema(format = Uuid)]
    id: String,
    /// What `x-sandbox-name` names.
    name: String,
}

/// A sandbox to create. Unknown fields are refused.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SandboxInput {
    /// Lower-case letters, digits and dashes, not starting with a dash; unique in the
    /// organization.
    #[schema(
        min_length = 1,
        max_length = 40,
        pattern = r"^[a-z0-9][a-z0-9-]*$",
        example = "dev-eu"
    )]
    name: String,
}

fn sandbox_resource(sandbox: &SandboxRef) -> SandboxResource {
    SandboxResource {
        id: sandbox.id.to_string(),
        name: sandbox.name.clone(),
    }
}

/// The organization's sandboxes (at most 20), a page at a time in a stable order.
#[utoipa::path(get, path = "/api/v1/sandboxes", tag = "sandboxes", params(PageQuery),
    responses((status = 200, body = Page<SandboxResource>)),
    security(("apiKey" = ["admin"], "bearerToken" = ["admin"])))]
async fn list_sandboxes(
    State(state): State<AppState>,
    call: RestCall,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    answer(
        async {
            let sandbox = caller(&state, &call, Scope::Admin).await?;
            // Who calls is checked first: a refused caller learns nothing of the query.
            let Query(query) = query.map_err(query_refused)?;
            let sandboxes = state
                .store
                .list_sandboxes(sandbox.organization_id)
                .await
                .map_err(internal)?;
            list_page(sandboxes, |s| (0, s.id), &query, sandbox_resource)
        }
        .await,
    )
}

/// Creates a sandbox in the organization; its name is then what `x-sandbox-name` names.
#[utoipa::path(post, path = "/api/v1/sandboxes", tag = "sandboxes", request_body = SandboxInput,
    responses((status = 201, body = SandboxResource)),
    security(("apiKey" = ["admin"], "bearerToken" = ["admin"])))]
async fn create_sandbox(State(state): State<AppState>, call: RestCall, body: Bytes) -> Response {
    answer(
        async {
            let (sandbox, actor) = acting_caller(&state, &call, Scope::Admin).await?;
            let SandboxInput { name } = parse_body(&body)?;
            let created =
                crate::server::sandboxes::create(&state, sandbox.organization_id, &actor, &name)
                    .await
                    .map_err(|error| match error {
                        crate::error::AppError::BadRequest(message) => Refusal::invalid_fields(
                            BTreeMap::from([("name".to_string(), message.to_string())]),
                        ),
                        other => internal(other),
                    })?;
            Ok(json_response(
                StatusCode::CREATED,
                &sandbox_resource(&created),
            ))
        }
        .await,
    )
}
