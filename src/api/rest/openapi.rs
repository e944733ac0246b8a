//! The OpenAPI document of the public API, generated from the REST handlers and their types,
//! with what every operation shares (its headers, its refusals in the one error shape, the
//! credentials) added in one place, so a new route cannot forget them.

use super::*;
use crate::server::public_api::{Problem, ProblemReport};
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::{ContentBuilder, RefOr, Required, ResponseBuilder};
use utoipa::OpenApi;

/// The body of `POST /im/executions/unitary`, read field by field by the execution API
/// (documented here only).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ExecutionInput {
    /// The caller's id for this call: a replay with the same one gets the same answer.
    #[schema(
        min_length = 1,
        max_length = 128,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$",
        example = "order-1042-shipped"
    )]
    request_id: String,
    /// A live campaign of the sandbox.
    #[schema(format = Uuid)]
    campaign_id: String,
    #[schema(min_items = 1, max_items = 20)]
    recipients: Vec<RecipientInput>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum RecipientType {
    Aep,
    External,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct RecipientInput {
    r#type: RecipientType,
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    user_id: String,
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$",
        example = "email"
    )]
    namespace: String,
    /// The address the campaign's channel needs (422 without it).
    channel_data: Option<ChannelDataInput>,
    /// Personalization data (at most 200 KiB as JSON).
    profile: Option<serde_json::Map<String, serde_json::Value>>,
    context: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ChannelDataInput {
    #[schema(format = Email, example = "ada@example.com")]
    email_address: Option<String>,
    /// 6 to 15 digits, with `+`, spaces, dashes, dots or parentheses.
    #[schema(
        pattern = r"^[+ ().-]*([0-9][+ ().-]*){6,15}$",
        example = "+33 6 12 34 56 78"
    )]
    mobile_phone_number: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionAccepted {
    execution_id: String,
    request_id: String,
    created_at: String,
    created_by: String,
}

/// Executes a live campaign for up to 20 recipients; a replayed requestId gets the same answer.
#[utoipa::path(post, path = "/im/executions/unitary", tag = "executions", request_body = ExecutionInput,
    params(("x-sandbox-name" = String, Header, description = "The sandbox of the campaign"),
           ("x-gw-ims-org-id" = String, Header, description = "The organization of the credentials"),
           ("x-request-id" = Option<String>, Header, description = "Echoed back")),
    responses((status = 202, body = ExecutionAccepted),
              (status = 404, description = "No such campaign in the sandbox, or no such sandbox"),
              (status = 409, description = "The campaign is not live"),
              (status = 422, description = "A recipient lacks the address the campaign's channel needs")),
    security(("apiKey" = ["execute"], "bearerToken" = ["execute"])))]
#[allow(dead_code)]
fn execution_documented() {}

/// The credentials, the caller's organization and sandbox headers, and the refusals every
/// operation can answer, added to each operation the handlers describe.
struct Shared;

/// The refusals of every call: (status, when).
const EVERY_CALL_REFUSES: [(&str, &str); 5] = [
    ("400", "A required header is missing, or a parameter or the body is not valid: `report.errors` names each field"),
    ("401", "The x-api-key or Authorization header is missing, or the credentials are not valid or have expired"),
    ("403", "The credentials lack the operation's scope, or belong to another organization than x-gw-ims-org-id"),
    ("404", "No such sandbox in the organization (x-sandbox-name), or no such resource in the sandbox"),
    ("503", "The database is unavailable or the call took too long; nothing was done, try again shortly"),
];

fn problem_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                    "Problem",
                ))))
                .build(),
        )
        .build()
}

fn header_parameter(name: &str, description: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .min_length(Some(1)),
        ))
        .build()
}

impl Shared {
    fn operation(operation: &mut Operation) {
        let parameters = operation.parameters.get_or_insert_with(Vec::new);
        for (name, description) in [
            ("x-gw-ims-org-id", "The organization of the credentials"),
            (
                "x-sandbox-name",
                "The sandbox the call acts in, e.g. `prod`",
            ),
        ] {
            if !parameters.iter().any(|p| p.name == name) {
                parameters.push(header_parameter(name, description));
            }
        }
        let mut refusals: Vec<(&str, &str)> = EVERY_CALL_REFUSES.to_vec();
        if operation.request_body.is_some() {
            refusals.push(("413", "The body is larger than the server's bound (2 MiB)"));
            refusals.push((
                "422",
                "The body is well formed but breaks a rule no schema states (a JWT without its key, a name the sandbox already has, an address that is not public): `report.errors` names each field",
            ));
        }
        let responses = &mut operation.responses.responses;
        for (status, description) in refusals {
            responses
                .entry(status.to_string())
                .or_insert_with(|| RefOr::T(problem_response(description)));
        }
        // Every refusal a handler documents itself (a 409, a 422) answers the same shape.
        for (status, response) in responses.iter_mut() {
            let refusal = status.starts_with('4') || status.starts_with('5');
            if let RefOr::T(response) = response {
                if refusal && response.content.is_empty() {
                    *response = problem_response(&response.description.clone());
                }
            }
        }
    }
}

impl utoipa::Modify for Shared {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "apiKey",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-api-key"))),
        );
        components.add_security_scheme(
            "bearerToken",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // What the attributes cannot say: a list that names each value once.
        for (schema, property) in [
            ("WebhookInput", "channels"),
            ("WebhookInput", "events"),
            ("CredentialInput", "scopes"),
        ] {
            use utoipa::openapi::schema::Schema;
            if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(schema) {
                if let Some(RefOr::T(Schema::Array(array))) = object.properties.get_mut(property) {
                    array.unique_items = true;
                }
            }
        }
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                Shared::operation(operation);
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Feedback Webhooks API", description = "Every call sends `x-api-key`, `Authorization: Bearer <token>`, `x-gw-ims-org-id` and `x-sandbox-name`. A credential may do what its scopes allow, named on each operation's security requirement: `execute` (the execution API), `read` (the REST API's reads), `write` (its creates, updates and deletes), `audit` (the organization's audit log), `admin` (its sandboxes and API credentials); a call outside them is refused with 403, and a credential past its expiry with 401. Every refusal has one shape, `Problem`: `{type, title, status, report: {additionalContext, errors}}`, its `type` one of the stable values listed there and `report.errors` naming each refused field. Lists answer a page, `{items, nextBefore}`, newest first: pass `nextBefore` as `before` for the next page, with `limit` from 1 to 100 (default 50)."),
    paths(webhooks::list_webhooks, webhooks::create_webhook, webhooks::get_webhook,
          webhooks::update_webhook, webhooks::delete_webhook,
          webhooks::rotate_signing_secret, webhooks::remove_signing_secret,
          webhooks::send_test_event, webhooks::enable_webhook,
          campaigns::list_campaigns, campaigns::create_campaign, campaigns::get_campaign,
          campaigns::update_campaign, campaigns::list_executions,
          deliveries::list_deliveries, deliveries::get_delivery, deliveries::resend_delivery,
          deliveries::count_failed_deliveries, deliveries::resend_failed_deliveries,
          deliveries::webhook_health,
          audit::list_audit_log,
          sandboxes::list_sandboxes, sandboxes::create_sandbox,
          credentials::list_credentials, credentials::create_credential,
          credentials::revoke_credential, execution_documented),
    components(schemas(Problem, ProblemReport)),
    modifiers(&Shared)
)]
pub struct ApiDoc;

/// The OpenAPI document, generated from the handlers.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub async fn openapi_json() -> Response {
    json_response(StatusCode::OK, &openapi_document())
}
