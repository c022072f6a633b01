//! Router tests of onboarding: join requests, the operator's decisions, credentials that
//! verify against the authority's DID document, the status list, and refused requests.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use contracts::membership::{
    AcceptedCharta, ChartaAcceptance, StatusList, sign_charta_acceptance, verify,
};
use vocab::did::DidDocument;

fn authority_key(tb: &TestBroker) -> vocab::jose::PublicKey {
    tb.broker.authority().public_key()
}

#[tokio::test]
async fn pending_request_is_approved_and_the_credential_verifies() {
    let tb = test_broker(false);
    let ms = musterstadt();
    let request = join_request(&ms, &musterstadt_sd(&ms));
    let joined = post_json(&tb.app, "/api/v1/participants", &request).await;
    assert_eq!(joined.status, StatusCode::ACCEPTED, "{}", joined.text());
    assert_eq!(joined.json()["status"], "pending");
    // the same request again is idempotent
    assert_eq!(
        post_json(&tb.app, "/api/v1/participants", &request)
            .await
            .status,
        StatusCode::ACCEPTED
    );

    let record = get(
        &tb.app,
        &format!("/api/v1/participants/{}", did_path(&ms.did)),
    )
    .await;
    assert_eq!(record.json()["status"], "pending");
    assert_eq!(record.json()["ags"], "09162000");
    let no_credential = get(
        &tb.app,
        &format!("/api/v1/participants/{}/credential", did_path(&ms.did)),
    )
    .await;
    assert_eq!(no_credential.status, StatusCode::NOT_FOUND);

    let listed = call(
        &tb.admin,
        Method::GET,
        "/admin/v1/participants?status=pending",
        &[("authorization", &format!("Bearer {ADMIN_TOKEN}"))],
        "",
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.json().as_array().map(Vec::len), Some(1));

    let approved = admin(&tb.admin, "approve", &ms.did, None).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text());
    let credential = get(
        &tb.app,
        &format!("/api/v1/participants/{}/credential", did_path(&ms.did)),
    )
    .await;
    assert_eq!(credential.status, StatusCode::OK);
    assert_eq!(credential.headers["content-type"], "application/vc+jwt");

    // the credential verifies with the key of the authority's DID document
    let did_json = get(&tb.app, "/.well-known/did.json").await;
    let doc = DidDocument::from_json(&did_json.text(), tb.broker.authority().did())
        .expect("did document");
    let key = doc.verification_method[0].public_key_jwk.clone();
    let key = vocab::jose::PublicKey::from_jwk_value(&key).expect("key");
    let now = now();
    let accepted = [AcceptedCharta::of(tb.broker.authority().charta())];
    let member =
        verify(&credential.text(), &key, now, &accepted, None).expect("credential verifies");
    assert_eq!(member.claims.participant, ms.did);
    assert_eq!(member.claims.ags, vec!["09162000".to_owned()]);
    assert_eq!(member.claims.participant_key, ms.key.public_key());

    // revocation shows in the status list at once
    let list = get(&tb.app, "/api/v1/status-list").await;
    let before = StatusList::verify(&list.text(), &key, now).expect("list");
    assert!(!before.is_revoked(member.claims.status.index).expect("bit"));
    let revoked = admin(&tb.admin, "revoke", &ms.did, Some("Verstoß gegen GW-2")).await;
    assert_eq!(revoked.status, StatusCode::OK);
    let list = get(&tb.app, "/api/v1/status-list").await;
    let after = StatusList::verify(&list.text(), &key, now).expect("list");
    assert!(after.is_revoked(member.claims.status.index).expect("bit"));
    assert!(verify(&credential.text(), &key, now, &accepted, Some(&after)).is_err());
    let gone = get(
        &tb.app,
        &format!("/api/v1/participants/{}/credential", did_path(&ms.did)),
    )
    .await;
    assert_eq!(gone.status, StatusCode::GONE);
    // revocation is final
    let again = post_json(&tb.app, "/api/v1/participants", &request).await;
    assert_eq!(
        (again.status, again.error_code().as_str()),
        (StatusCode::FORBIDDEN, "revoked")
    );
    let _ = authority_key(&tb);
}

#[tokio::test]
async fn dev_mode_approves_at_once_and_members_cannot_join_twice() {
    let tb = test_broker(true);
    let sw = stadtwerke();
    let request = join_request(&sw, &stadtwerke_sd(&sw));
    let joined = post_json(&tb.app, "/api/v1/participants", &request).await;
    assert_eq!(joined.status, StatusCode::CREATED, "{}", joined.text());
    assert!(
        joined.json()["credential"]
            .as_str()
            .is_some_and(|c| c.split('.').count() == 3)
    );
    let twice = post_json(&tb.app, "/api/v1/participants", &request).await;
    assert_eq!(
        (twice.status, twice.error_code().as_str()),
        (StatusCode::CONFLICT, "conflict")
    );
}

#[tokio::test]
async fn rejected_participants_may_apply_again() {
    let tb = test_broker(false);
    let ms = musterstadt();
    let request = join_request(&ms, &musterstadt_sd(&ms));
    post_json(&tb.app, "/api/v1/participants", &request).await;
    let no_reason = admin(&tb.admin, "reject", &ms.did, Some("  ")).await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    let rejected = admin(
        &tb.admin,
        "reject",
        &ms.did,
        Some("Gemeindeschlüssel unklar"),
    )
    .await;
    assert_eq!(rejected.status, StatusCode::OK);
    let record = get(
        &tb.app,
        &format!("/api/v1/participants/{}", did_path(&ms.did)),
    )
    .await;
    assert_eq!(record.json()["status"], "rejected");
    assert_eq!(record.json()["reason"], "Gemeindeschlüssel unklar");
    // a rejected participant cannot be approved without a new request, but may apply again
    let approve = admin(&tb.admin, "approve", &ms.did, None).await;
    assert_eq!(
        (approve.status, approve.error_code().as_str()),
        (StatusCode::CONFLICT, "invalid_transition")
    );
    assert_eq!(
        post_json(&tb.app, "/api/v1/participants", &request)
            .await
            .status,
        StatusCode::ACCEPTED
    );
}

#[tokio::test]
async fn bad_join_requests_name_the_field_and_store_nothing() {
    let tb = test_broker(true);
    let ms = musterstadt();
    let good = join_request(&ms, &musterstadt_sd(&ms));
    let other = member("https://other.example");
    let charta = contracts::charta::Charta::default_1_0();

    let mut cases: Vec<(&str, serde_json::Value, StatusCode, &str)> = Vec::new();
    let mut no_ags = good.clone();
    no_ags.as_object_mut().expect("object").remove("ags");
    cases.push(("ags", no_ags, StatusCode::BAD_REQUEST, "invalid_request"));
    let mut bad_ags = good.clone();
    bad_ags["ags"] = "09162999".into();
    cases.push(("ags", bad_ags, StatusCode::BAD_REQUEST, "invalid_request"));
    let mut foreign_key = good.clone();
    foreign_key["publicKey"] = other.key.public_key().to_jwk_value();
    cases.push((
        "publicKey.kid",
        foreign_key,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    ));
    let mut not_did = good.clone();
    not_did["did"] = "https://musterstadt.example".into();
    cases.push(("did", not_did, StatusCode::BAD_REQUEST, "invalid_request"));
    let mut http_endpoint = good.clone();
    http_endpoint["connectorEndpoint"] = "http://musterstadt.example/dsp".into();
    cases.push((
        "connectorEndpoint",
        http_endpoint,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    ));
    let mut empty_name = good.clone();
    empty_name["legalName"] = " ".into();
    cases.push((
        "legalName",
        empty_name,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    ));
    let mut unknown_type = good.clone();
    unknown_type["participantType"] = "alien".into();
    cases.push((
        "participantType",
        unknown_type,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    ));
    let mut extra = good.clone();
    extra["admin"] = true.into();
    cases.push(("admin", extra, StatusCode::BAD_REQUEST, "invalid_request"));
    // acceptance signed with a different key under the same kid
    let impostor = vocab::jose::SigningKey::generate(ms.key.kid()).expect("key");
    let mut forged = good.clone();
    forged["chartaAcceptance"] =
        sign_charta_acceptance(&impostor, &ChartaAcceptance::new(&charta, &ms.did, 1))
            .expect("sign")
            .into();
    cases.push((
        "chartaAcceptance",
        forged,
        StatusCode::UNAUTHORIZED,
        "invalid_signature",
    ));
    // acceptance of another Charta text
    let mut other_charta = ChartaAcceptance::new(&charta, &ms.did, 1);
    other_charta.charta_hash = "ab".repeat(32);
    let mut wrong_charta = good.clone();
    wrong_charta["chartaAcceptance"] = sign_charta_acceptance(&ms.key, &other_charta)
        .expect("sign")
        .into();
    cases.push((
        "charta",
        wrong_charta,
        StatusCode::UNPROCESSABLE_ENTITY,
        "charta_mismatch",
    ));

    for (field, body, status, code) in cases {
        let a = post_json(&tb.app, "/api/v1/participants", &body).await;
        assert_eq!(
            (a.status, a.error_code().as_str()),
            (status, code),
            "{field}: {}",
            a.text()
        );
        assert!(
            a.json()["message"]
                .as_str()
                .is_some_and(|m| m.contains(field)),
            "{field}: {}",
            a.text()
        );
    }
    let too_big = call(
        &tb.app,
        Method::POST,
        "/api/v1/participants",
        &[("content-type", "application/json")],
        format!("{{\"did\": \"{}\"}}", "x".repeat(70_000)),
    )
    .await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
    let not_json = call(&tb.app, Method::POST, "/api/v1/participants", &[], "{").await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    assert!(
        tb.broker.participants(None).expect("list").is_empty(),
        "nothing stored"
    );
}

#[tokio::test]
async fn the_admin_api_needs_the_token() {
    let tb = test_broker(false);
    for auth in [None, Some("Bearer wrong-token"), Some(ADMIN_TOKEN)] {
        let headers: Vec<(&str, &str)> =
            auth.map(|a| vec![("authorization", a)]).unwrap_or_default();
        let a = call(
            &tb.admin,
            Method::GET,
            "/admin/v1/participants",
            &headers,
            "",
        )
        .await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        assert_eq!(a.headers["www-authenticate"], "Bearer");
    }
    let unknown = admin(&tb.admin, "approve", "did:web:nobody.example", None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    // the admin routes do not exist on the public listener
    let public = call(
        &tb.app,
        Method::POST,
        "/admin/v1/participants/x/approve",
        &[("authorization", &format!("Bearer {ADMIN_TOKEN}"))],
        "",
    )
    .await;
    assert_eq!(public.status, StatusCode::NOT_FOUND);
}
