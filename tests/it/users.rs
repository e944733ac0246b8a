//! The team against a real server and database: invitations and reset links work once and
//! expire, the last administrator stays, and sessions end on disable, removal and password
//! changes; one's own sessions are listed and ended.

use crate::support::team::*;
use crate::support::*;
use serde_json::Value;

const EDITOR_EMAIL: &str = "editor@example.com";
const EDITOR_PASSWORD: &str = "quiet lanterns over harbour";

async fn change(app: &TestApp, id: &str, action: &str) -> (u16, Value) {
    app.call_json("users/change", &[("id", id), ("action", action)])
        .await
}

/// An editor invited by the administrator, signed in through their link in `browser`.
async fn editor_signed_in(app: &TestApp, client: &reqwest::Client) -> String {
    let (status, shown) = invite(app, EDITOR_EMAIL, "editor").await;
    assert_eq!(status, 200, "{shown}");
    let (status, outcome) = set_password(app, client, &token_of(&shown), EDITOR_PASSWORD).await;
    assert_eq!((status, outcome), (200, Value::String("Changed".into())));
    user_id(app, EDITOR_EMAIL).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_sets_the_password_once_and_signs_the_user_in() {
    let app = TestApp::signed_in().await;
    let (status, shown) = invite(&app, " Editor@Example.com ", "editor").await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["purpose"], "invitation");
    assert_eq!(shown["user"]["email"], EDITOR_EMAIL);
    assert_eq!(shown["user"]["status"], "invited");
    let token = token_of(&shown);
    // Only the token's hash is stored.
    let url = std::fs::read_to_string(app.dir.path().join("database-url")).unwrap();
    let stored = crate::support::database::count(
        &url,
        &format!("SELECT count(*) FROM user_links WHERE token_hash = '{token}'"),
    )
    .await;
    assert_eq!(stored, 0);

    let editor = browser("Editor's browser");
    // An invited user has no password to sign in with yet.
    let status = sign_in(&app, &editor, EDITOR_EMAIL, "").await.0;
    assert_eq!(status, 401);
    let (status, state) = call_as(&app, &editor, "users/link", &[("token", &token)]).await;
    assert_eq!(status, 200);
    assert_eq!(state["Ready"]["email"], EDITOR_EMAIL);
    assert_eq!(state["Ready"]["purpose"], "invitation");

    // Weak passwords are refused by field, and the link stays good.
    for (weak, field) in [
        ("short", "password"),
        (EDITOR_EMAIL, "password"),
        ("password1234", "password"),
    ] {
        let (status, outcome) = set_password(&app, &editor, &token, weak).await;
        assert_eq!(status, 200, "{outcome}");
        assert!(
            !english(&outcome["Invalid"]["errors"][field]).is_empty(),
            "{weak}: {outcome}"
        );
    }
    let (status, outcome) = call_as(
        &app,
        &editor,
        "users/set-password",
        &[
            ("token", &token),
            ("password", EDITOR_PASSWORD),
            ("password_confirm", "something else entirely"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        english(&outcome["Invalid"]["errors"]["password_confirm"]),
        "The two passwords differ."
    );

    let (status, outcome) = set_password(&app, &editor, &token, EDITOR_PASSWORD).await;
    assert_eq!((status, outcome), (200, Value::String("Changed".into())));
    assert_eq!(
        signed_in_as(&app, &editor).await.as_deref(),
        Some(EDITOR_EMAIL)
    );

    // Once only.
    let (status, state) = call_as(&app, &editor, "users/link", &[("token", &token)]).await;
    assert_eq!((status, state), (200, Value::String("Invalid".into())));
    let (status, refused) = set_password(&app, &browser("x"), &token, "another long phrase").await;
    assert_eq!(status, 404, "{refused}");

    let fresh = browser("Editor's laptop");
    let status = sign_in(&app, &fresh, EDITOR_EMAIL, EDITOR_PASSWORD).await.0;
    assert_eq!(status, 200);
    let (_, users) = app.call_json("users/list", &[]).await;
    let listed = users
        .as_array()
        .unwrap()
        .iter()
        .find(|user| user["email"] == EDITOR_EMAIL)
        .unwrap();
    assert_eq!(listed["status"], "active");
    assert_eq!(listed["role"], "editor");
    assert_eq!(listed["created_by"], ADMIN_EMAIL);
    assert!(listed["last_sign_in_at"].is_string(), "{listed}");

    // The same email twice is refused, clearly.
    let (status, refused) = invite(&app, EDITOR_EMAIL, "viewer").await;
    assert_eq!(status, 400);
    assert!(
        refusal_text(&refused).contains("exists already"),
        "{refused}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_expires_and_a_new_link_replaces_the_old() {
    let app = TestApp::signed_in_with(&["--invitation-expiry", "1s"]).await;
    let (status, shown) = invite(&app, EDITOR_EMAIL, "viewer").await;
    assert_eq!(status, 200, "{shown}");
    let expired = token_of(&shown);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let person = browser("late");
    let (_, state) = call_as(&app, &person, "users/link", &[("token", &expired)]).await;
    assert_eq!(state, Value::String("Invalid".into()));
    let (status, _) = set_password(&app, &person, &expired, EDITOR_PASSWORD).await;
    assert_eq!(status, 404);

    let id = user_id(&app, EDITOR_EMAIL).await;
    let (status, first) = app.call_json("users/password-link", &[("id", &id)]).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["purpose"], "invitation");
    let (_, second) = app.call_json("users/password-link", &[("id", &id)]).await;
    let (status, _) = set_password(&app, &person, &token_of(&first), EDITOR_PASSWORD).await;
    assert_eq!(status, 404, "the older link was replaced");
    let (status, outcome) = set_password(&app, &person, &token_of(&second), EDITOR_PASSWORD).await;
    assert_eq!((status, outcome), (200, Value::String("Changed".into())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_active_administrator_cannot_be_demoted_disabled_or_removed() {
    let app = TestApp::signed_in().await;
    let me = user_id(&app, ADMIN_EMAIL).await;
    for action in ["role:editor", "role:viewer", "disable", "remove"] {
        let (status, refused) = change(&app, &me, action).await;
        assert_eq!(status, 400, "{action}: {refused}");
        assert!(
            refusal_text(&refused).contains("last active administrator"),
            "{refused}"
        );
    }
    // An invited administrator is no active one yet.
    let (_, shown) = invite(&app, "second@example.com", "admin").await;
    let (status, _) = change(&app, &me, "role:editor").await;
    assert_eq!(status, 400);
    let second = browser("second admin");
    let (_, outcome) = set_password(&app, &second, &token_of(&shown), EDITOR_PASSWORD).await;
    assert_eq!(outcome, Value::String("Changed".into()));
    // Now the first can step down, and the second is the last one.
    let second_id = user_id(&app, "second@example.com").await;
    let (status, answer) = change(&app, &me, "role:viewer").await;
    assert_eq!(status, 200, "{answer}");
    let (status, refused) = call_as(
        &app,
        &second,
        "users/change",
        &[("id", &second_id), ("action", "disable")],
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    // The first, a viewer now, may not manage users any more.
    let (status, _) = app.call_json("users/list", &[]).await;
    assert_eq!(status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabling_or_removing_a_user_ends_their_sessions_at_once() {
    let app = TestApp::signed_in().await;
    let editor = browser("Editor's browser");
    let id = editor_signed_in(&app, &editor).await;
    let (status, _) = call_as(&app, &editor, "webhooks/list", &[]).await;
    assert_eq!(status, 200);

    let (status, answer) = change(&app, &id, "disable").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(signed_in_as(&app, &editor).await, None);
    let (status, _) = call_as(&app, &editor, "webhooks/list", &[]).await;
    assert_eq!(status, 401);
    // The right password now says the account is disabled; a wrong one says no more.
    let (status, refused) = sign_in(&app, &editor, EDITOR_EMAIL, EDITOR_PASSWORD).await;
    assert_eq!(status, 403);
    assert_eq!(refused, Value::String("AccountDisabled".into()));
    // No password link for a disabled user.
    let (status, _) = app.call_json("users/password-link", &[("id", &id)]).await;
    assert_eq!(status, 400);

    let (status, _) = change(&app, &id, "enable").await;
    assert_eq!(status, 200);
    let status = sign_in(&app, &editor, EDITOR_EMAIL, EDITOR_PASSWORD)
        .await
        .0;
    assert_eq!(status, 200);

    let (status, _) = change(&app, &id, "remove").await;
    assert_eq!(status, 200);
    assert_eq!(signed_in_as(&app, &editor).await, None);
    let status = sign_in(&app, &editor, EDITOR_EMAIL, EDITOR_PASSWORD)
        .await
        .0;
    assert_eq!(status, 401);
    let (status, _) = change(&app, &id, "enable").await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_needs_the_current_one_and_ends_the_other_sessions() {
    let app = TestApp::signed_in().await;
    let laptop = browser("Laptop");
    let status = sign_in(&app, &laptop, ADMIN_EMAIL, ADMIN_PASSWORD).await.0;
    assert_eq!(status, 200);
    let new_password = "sunlit meadow of quiet otters";
    let form = |current: &'static str, new: &'static str| {
        [
            ("current_password", current),
            ("password", new),
            ("password_confirm", new),
        ]
    };
    let (status, outcome) = app
        .call_json("account/password", &form("not my password", new_password))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        english(&outcome["Invalid"]["errors"]["current_password"]),
        "This is not your current password."
    );
    let (_, outcome) = app
        .call_json("account/password", &form(ADMIN_PASSWORD, ADMIN_EMAIL))
        .await;
    assert!(!english(&outcome["Invalid"]["errors"]["password"]).is_empty());
    assert!(
        signed_in_as(&app, &laptop).await.is_some(),
        "nothing changed yet"
    );

    let (status, outcome) = app
        .call_json("account/password", &form(ADMIN_PASSWORD, new_password))
        .await;
    assert_eq!((status, outcome), (200, Value::String("Changed".into())));
    assert_eq!(
        signed_in_as(&app, &app.client).await.as_deref(),
        Some(ADMIN_EMAIL)
    );
    assert_eq!(signed_in_as(&app, &laptop).await, None);
    for (password, expected) in [(ADMIN_PASSWORD, 401), (new_password, 200)] {
        let status = sign_in(&app, &browser("another"), ADMIN_EMAIL, password)
            .await
            .0;
        assert_eq!(status, expected, "{password}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_sees_their_sessions_and_ends_them() {
    let app = TestApp::signed_in().await;
    let phone = browser("Phone browser");
    let tablet = browser("Tablet browser");
    for client in [&phone, &tablet] {
        let status = sign_in(&app, client, ADMIN_EMAIL, ADMIN_PASSWORD).await.0;
        assert_eq!(status, 200);
    }
    let (status, sessions) = app.call_json("account/sessions", &[]).await;
    assert_eq!(status, 200, "{sessions}");
    let sessions = sessions.as_array().unwrap().clone();
    assert_eq!(sessions.len(), 3, "{sessions:?}");
    assert_eq!(
        sessions.iter().filter(|s| s["current"] == true).count(),
        1,
        "{sessions:?}"
    );
    let phone_session = sessions
        .iter()
        .find(|s| s["agent"] == "Phone browser")
        .expect("the phone's session, named by its browser");
    assert_eq!(phone_session["address"], "127.0.0.1");
    // The list names sessions without giving their cookies away.
    assert!(sessions.iter().all(|s| s["handle"]
        .as_str()
        .is_some_and(|handle| handle.len() == 16)));

    let handle = phone_session["handle"].as_str().unwrap();
    let (status, _) = app
        .call_json("account/sessions/end", &[("handle", handle)])
        .await;
    assert_eq!(status, 200);
    assert_eq!(signed_in_as(&app, &phone).await, None);
    assert!(signed_in_as(&app, &tablet).await.is_some());
    let (status, _) = app
        .call_json("account/sessions/end", &[("handle", handle)])
        .await;
    assert_eq!(status, 404);

    // Someone else's session is not theirs to end.
    let editor = browser("Editor's browser");
    editor_signed_in(&app, &editor).await;
    let (_, editor_sessions) = call_as(&app, &editor, "account/sessions", &[]).await;
    let editor_handle = editor_sessions[0]["handle"].as_str().unwrap().to_string();
    let (status, _) = app
        .call_json("account/sessions/end", &[("handle", &editor_handle)])
        .await;
    assert_eq!(status, 404);
    assert!(signed_in_as(&app, &editor).await.is_some());

    let (status, ended) = app.call_json("account/sessions/end-others", &[]).await;
    assert_eq!((status, ended), (200, Value::from(1)));
    assert_eq!(signed_in_as(&app, &tablet).await, None);
    assert!(signed_in_as(&app, &app.client).await.is_some());
    assert!(signed_in_as(&app, &editor).await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_link_replaces_the_password_and_ends_the_old_sessions() {
    let app = TestApp::signed_in().await;
    let editor = browser("Editor's browser");
    let id = editor_signed_in(&app, &editor).await;
    let (status, shown) = app.call_json("users/password-link", &[("id", &id)]).await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["purpose"], "reset");
    // Until the link is used, nothing changes.
    assert!(signed_in_as(&app, &editor).await.is_some());
    let other = browser("Editor's new laptop");
    let new_password = "granite swallows at dusk";
    let (_, outcome) = set_password(&app, &other, &token_of(&shown), new_password).await;
    assert_eq!(outcome, Value::String("Changed".into()));
    assert_eq!(signed_in_as(&app, &editor).await, None);
    assert_eq!(
        signed_in_as(&app, &other).await.as_deref(),
        Some(EDITOR_EMAIL)
    );
    let status = sign_in(&app, &browser("x"), EDITOR_EMAIL, EDITOR_PASSWORD)
        .await
        .0;
    assert_eq!(status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_administrators_manage_users() {
    let app = TestApp::signed_in().await;
    let editor = browser("Editor's browser");
    let id = editor_signed_in(&app, &editor).await;
    let admin_id = user_id(&app, ADMIN_EMAIL).await;
    for (endpoint, form) in [
        ("users/list", vec![]),
        (
            "users/invite",
            vec![("form[email]", "x@example.com"), ("form[role]", "admin")],
        ),
        ("users/password-link", vec![("id", admin_id.as_str())]),
        (
            "users/change",
            vec![("id", id.as_str()), ("action", "role:admin")],
        ),
        (
            "users/change",
            vec![("id", admin_id.as_str()), ("action", "disable")],
        ),
    ] {
        let (status, refused) = call_as(&app, &editor, endpoint, &form).await;
        assert_eq!(status, 403, "{endpoint} {form:?}: {refused}");
    }
    let anonymous = browser("nobody");
    let (status, _) = call_as(&app, &anonymous, "users/list", &[]).await;
    assert_eq!(status, 401);
    // Their own account is theirs whatever their role.
    let (status, _) = call_as(&app, &editor, "account/sessions", &[]).await;
    assert_eq!(status, 200);
    let (_, users) = app.call_json("users/list", &[]).await;
    assert_eq!(users.as_array().unwrap().len(), 2, "nothing was invited");
}
