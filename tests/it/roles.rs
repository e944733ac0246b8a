//! The role matrix: every server function the app registers, with the least role that may call
//! it, tried by a viewer, an editor and an administrator. A refused call is `403` with the
//! role's message; an allowed one gets past the role check (whatever the call then finds).

use crate::support::team::*;
use crate::support::*;
use serde_json::Value;
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Least {
    /// Signing in, the first setup and one-time links: no session needed.
    Anyone,
    Viewer,
    Editor,
    Admin,
}

const NO_SUCH_ID: &str = "00000000-0000-4000-8000-000000000000";

/// A server function's endpoint, the least role that may call it, and arguments of the right
/// shape.
type Row = (&'static str, Least, Vec<(&'static str, &'static str)>);

fn matrix() -> Vec<Row> {
    use Least::*;
    let id = vec![("id", NO_SUCH_ID)];
    vec![
        ("login", Anyone, vec![]),
        ("logout", Anyone, vec![]),
        ("session", Anyone, vec![]),
        ("setup/state", Anyone, vec![]),
        ("setup", Anyone, vec![]),
        ("users/link", Anyone, vec![]),
        ("users/set-password", Anyone, vec![]),
        ("api-reference", Viewer, vec![]),
        ("webhooks/list", Viewer, vec![]),
        ("webhooks/get", Viewer, id.clone()),
        ("webhooks/editor", Viewer, vec![]),
        ("webhooks/health", Viewer, vec![]),
        ("campaigns/list", Viewer, vec![]),
        ("campaigns/editor", Viewer, vec![]),
        (
            "campaigns/executions",
            Viewer,
            vec![("campaign", NO_SUCH_ID)],
        ),
        ("deliveries/list", Viewer, vec![]),
        ("deliveries/queue", Viewer, vec![]),
        ("deliveries/get", Viewer, id.clone()),
        (
            "deliveries/failed-count",
            Viewer,
            vec![("webhook", NO_SUCH_ID), ("since", "24h")],
        ),
        ("sandboxes/list", Viewer, vec![]),
        ("sandboxes/switch", Viewer, id.clone()),
        ("account/sessions", Viewer, vec![]),
        ("account/sessions/end", Viewer, vec![("handle", "0000")]),
        // Ends the caller's other sessions: the browsers of this test have one each.
        ("account/sessions/end-others", Viewer, vec![]),
        (
            "account/password",
            Viewer,
            vec![
                ("current_password", "not the password"),
                ("password", "a phrase long enough"),
                ("password_confirm", "a phrase long enough"),
            ],
        ),
        (
            "webhooks/save",
            Editor,
            vec![
                ("form[name]", "Matrix"),
                ("form[url]", "https://hooks.example.com/matrix"),
                ("form[auth]", "none"),
                ("form[email]", "on"),
                ("form[event_sent]", "on"),
            ],
        ),
        ("webhooks/delete", Editor, id.clone()),
        ("webhooks/enable", Editor, id.clone()),
        ("webhooks/signing-secret/rotate", Editor, id.clone()),
        ("webhooks/signing-secret/remove", Editor, id.clone()),
        ("webhooks/send-test", Editor, id.clone()),
        (
            "campaigns/save",
            Editor,
            vec![
                ("form[name]", "Matrix"),
                ("form[channel]", "email"),
                ("form[status]", "draft"),
                ("form[email_subject]", "s"),
                ("form[email_body]", "b"),
            ],
        ),
        ("deliveries/resend", Editor, id.clone()),
        (
            "deliveries/resend-failed",
            Editor,
            vec![("webhook", NO_SUCH_ID), ("since", "24h")],
        ),
        ("credentials/list", Admin, vec![]),
        (
            "credentials/create",
            Admin,
            vec![
                ("form[name]", "Matrix"),
                ("form[scope_execute]", "on"),
                ("form[expires]", "never"),
            ],
        ),
        ("credentials/revoke", Admin, id.clone()),
        ("sandboxes/create", Admin, vec![("name", "matrix")]),
        ("users/list", Admin, vec![]),
        ("audit/list", Admin, vec![]),
        (
            "users/invite",
            Admin,
            vec![
                ("form[email]", "matrix@example.com"),
                ("form[role]", "viewer"),
            ],
        ),
        ("users/password-link", Admin, id.clone()),
        (
            "users/change",
            Admin,
            vec![("id", NO_SUCH_ID), ("action", "disable")],
        ),
    ]
}

#[test]
fn every_server_function_is_in_the_role_matrix() {
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_string())
        .collect();
    let listed: BTreeSet<String> = matrix()
        .into_iter()
        .map(|(endpoint, _, _)| endpoint.to_string())
        .collect();
    assert_eq!(
        registered, listed,
        "a server function is missing from the matrix, or the matrix names one that is gone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_is_refused_what_it_may_not_do_and_allowed_the_rest() {
    let app = TestApp::signed_in().await;
    let password = "matrix phrases for each role";
    let people = [
        (
            Least::Viewer,
            member(&app, "viewer@example.com", "viewer", password).await,
        ),
        (
            Least::Editor,
            member(&app, "editor@example.com", "editor", password).await,
        ),
        (Least::Admin, app.client.clone()),
    ];
    let anonymous = browser("nobody");
    for (endpoint, least, form) in matrix() {
        if least == Least::Anyone {
            continue;
        }
        let (status, answer) = call_as(&app, &anonymous, endpoint, &form).await;
        assert_eq!(status, 401, "anonymous {endpoint}: {answer}");
        for (role, client) in &people {
            let (status, answer) = call_as(&app, client, endpoint, &form).await;
            if *role < least {
                assert_eq!(
                    (status, &answer),
                    (403, &Value::String("Forbidden".into())),
                    "{role:?} calling {endpoint}"
                );
            } else {
                assert!(
                    ![401, 403].contains(&status),
                    "{role:?} calling {endpoint}: {status} {answer}"
                );
            }
        }
    }
    // A refused invitation invited nobody: the administrator's is the only one made.
    let (_, users) = app.call_json("users/list", &[]).await;
    assert_eq!(users.as_array().map(Vec::len), Some(4), "{users}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_function_refuses_a_cross_site_call() {
    let app = TestApp::signed_in().await;
    for (endpoint, _, form) in matrix() {
        for (header, value) in [
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.example"),
        ] {
            let response = app
                .client
                .post(app.url(&format!("/api/{endpoint}")))
                .header(reqwest::header::ACCEPT, "application/json")
                .header(header, value)
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 403, "{endpoint} with {header}: {value}");
            assert_eq!(
                response.text().await.unwrap(),
                "Cross-site request refused."
            );
        }
    }
    // Still signed in: no refused call reached its function (logout among them).
    assert_eq!(
        signed_in_as(&app, &app.client).await.as_deref(),
        Some(ADMIN_EMAIL)
    );
}
