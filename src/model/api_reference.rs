//! The REST API reference as the page shows it, read from the OpenAPI document.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiReference {
    pub title: String,
    pub description: String,
    pub operations: Vec<ApiOperation>,
    /// Schema name → its JSON Schema, pretty-printed.
    pub schemas: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiOperation {
    pub tag: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub request_body: Option<String>,
    /// (status, what it means or returns)
    pub responses: Vec<(String, String)>,
    pub parameters: Vec<String>,
}

/// A response as a person reads it: what it returns and when (`Problem — The credentials lack
/// the operation's scope…`), or whichever of the two the document gives.
fn described(schema: Option<String>, response: &serde_json::Value) -> String {
    let description = response["description"].as_str().unwrap_or_default().trim();
    match (schema, description.is_empty()) {
        (Some(schema), false) => format!("{schema} — {description}"),
        (Some(schema), true) => schema,
        (None, _) => description.to_string(),
    }
}

/// Reads the parts a person needs from an OpenAPI 3 document.
pub fn read_reference(document: &serde_json::Value) -> ApiReference {
    let text = |value: &serde_json::Value| value.as_str().unwrap_or_default().to_string();
    let schema_name = |value: &serde_json::Value| -> Option<String> {
        let schema = &value["content"]["application/json"]["schema"];
        let reference = schema["$ref"]
            .as_str()
            .or_else(|| schema["items"]["$ref"].as_str())?;
        let name = reference.rsplit('/').next()?.to_string();
        Some(if schema["type"] == "array" {
            format!("[{name}]")
        } else {
            name
        })
    };
    let mut operations = Vec::new();
    if let Some(paths) = document["paths"].as_object() {
        for (path, item) in paths {
            for method in ["get", "post", "put", "delete"] {
                let operation = &item[method];
                if operation.is_null() {
                    continue;
                }
                let responses = operation["responses"]
                    .as_object()
                    .map(|responses| {
                        responses
                            .iter()
                            .map(|(status, response)| {
                                (status.clone(), described(schema_name(response), response))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let parameters = operation["parameters"]
                    .as_array()
                    .map(|list| {
                        list.iter()
                            .map(|p| format!("{} ({})", text(&p["name"]), text(&p["in"])))
                            .collect()
                    })
                    .unwrap_or_default();
                operations.push(ApiOperation {
                    tag: operation["tags"][0].as_str().unwrap_or("other").to_string(),
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary: text(&operation["summary"]),
                    request_body: schema_name(&operation["requestBody"]),
                    responses,
                    parameters,
                });
            }
        }
    }
    operations.sort_by(|a, b| (&a.tag, &a.path).cmp(&(&b.tag, &b.path)));
    let schemas = document["components"]["schemas"]
        .as_object()
        .map(|schemas| {
            schemas
                .iter()
                .map(|(name, schema)| {
                    (
                        name.clone(),
                        serde_json::to_string_pretty(schema).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    ApiReference {
        title: text(&document["info"]["title"]),
        description: text(&document["info"]["description"]),
        operations,
        schemas,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_says_what_it_returns_and_when() {
        let document = serde_json::json!({
            "info": {"title": "API", "description": "d"},
            "paths": {"/x": {"get": {
                "tags": ["x"], "summary": "Reads x",
                "responses": {
                    "200": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/X"}}}},
                    "403": {"description": "No scope", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
                    "204": {"description": "Deleted"}
                }
            }}}
        });
        let reference = read_reference(&document);
        let responses = &reference.operations[0].responses;
        assert!(responses.contains(&("200".into(), "X".into())));
        assert!(responses.contains(&("403".into(), "Problem — No scope".into())));
        assert!(responses.contains(&("204".into(), "Deleted".into())));
    }
}
