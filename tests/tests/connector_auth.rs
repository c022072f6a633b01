//! Authentication of DSP callers: every check of the request token and the membership
//! credential, with the status the binding prescribes (401 unauthenticated, 403 not admitted)
//! and a DSP error body.

use serde_json::{Map, Value, json};
use tests::harness::{
    ConnectorOptions, Member, Participant, Peer, PeerAuth, TestConnector, TestEnv,
};
use vocab::jose::SigningKey;

fn catalog_request() -> Value {
    json!({"@context": ["https://w3id.org/dspace/2025/1/context.jsonld"], "@type": "CatalogRequestMessage"})
}

fn claims(p: &Participant, aud: &str, exp_in: i64, jti: &str) -> Map<String, Value> {
    let now = chrono::Utc::now().timestamp();
    let mut c = Map::new();
    c.insert("iss".into(), p.did.clone().into());
    c.insert("sub".into(), p.did.clone().into());
    c.insert("aud".into(), aud.into());
    c.insert("iat".into(), now.into());
    c.insert("exp".into(), (now + exp_in).into());
    c.insert("jti".into(), jti.into());
    c.insert("membership".into(), p.credential.clone().into());
    c
}

async fn call(peer: &Peer, c: &TestConnector, authorization: Option<String>) -> (u16, Value) {
    peer.send_with_auth(
        &format!("{}/catalog/request", c.dsp_base()),
        authorization.as_deref(),
        &catalog_request(),
    )
    .await
}

fn assert_refused(what: &str, (status, body): (u16, Value), expected: u16) {
    assert_eq!(status, expected, "{what}: {body}");
    assert_eq!(body["@type"], "CatalogError", "{what}: {body}");
    assert!(
        body["reason"][0].as_str().is_some_and(|r| !r.is_empty()),
        "{what}: no reason"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_auth_failures_are_refused_with_the_prescribed_status() {
    let env = TestEnv::new("connector_auth_failures");
    let c = TestConnector::start(&env, ConnectorOptions::company("stadtwerke")).await;
    let peer = Peer::start(
        &env,
        Member::municipality("Stadt Musterstadt", "09162000"),
        PeerAuth::Token,
    )
    .await;
    let p = &peer.participant;
    let bearer = |t: String| Some(format!("Bearer {t}"));

    // A valid token works once …
    let token = p.token_with(claims(p, &c.did, 120, "jti-once"));
    let (status, body) = call(&peer, &c, bearer(token.clone())).await;
    assert_eq!(status, 200, "{body}");
    // … and is refused when replayed.
    assert_refused("replayed jti", call(&peer, &c, bearer(token)).await, 401);

    assert_refused("no Authorization header", call(&peer, &c, None).await, 401);
    assert_refused(
        "not a bearer token",
        call(&peer, &c, Some("Basic dXNlcjpwYXNz".into())).await,
        401,
    );
    assert_refused(
        "garbage token",
        call(&peer, &c, bearer("abc.def.ghi".into())).await,
        401,
    );
    assert_refused(
        "expired token",
        call(
            &peer,
            &c,
            bearer(p.token_with(claims(p, &c.did, -300, "jti-expired"))),
        )
        .await,
        401,
    );
    assert_refused(
        "wrong audience",
        call(
            &peer,
            &c,
            bearer(p.token_with(claims(p, "did:web:someone-else.example", 120, "jti-aud"))),
        )
        .await,
        401,
    );
    assert_refused(
        "exp too far ahead",
        call(
            &peer,
            &c,
            bearer(p.token_with(claims(p, &c.did, 3600, "jti-long"))),
        )
        .await,
        401,
    );

    let mut no_jti = claims(p, &c.did, 120, "x");
    no_jti.remove("jti");
    assert_refused(
        "no jti",
        call(&peer, &c, bearer(p.token_with(no_jti))).await,
        401,
    );

    let mut other_iss = claims(p, &c.did, 120, "jti-iss");
    other_iss.insert("iss".into(), "did:web:impostor.example".into());
    other_iss.insert("sub".into(), "did:web:impostor.example".into());
    assert_refused(
        "issuer is not the credential's subject",
        call(&peer, &c, bearer(p.token_with(other_iss))).await,
        401,
    );

    // Signed with a key other than the one the credential binds.
    let stranger = SigningKey::generate(&format!("{}#key-1", p.did)).expect("key");
    let forged_sig = stranger
        .sign_jwt(&claims(p, &c.did, 120, "jti-key"), None)
        .expect("sign");
    assert_refused(
        "token not signed by the credential's key",
        call(&peer, &c, bearer(forged_sig)).await,
        401,
    );

    // A credential from an authority the connector does not pin.
    let rogue_key =
        SigningKey::generate(&format!("{}#authority-key", env.authority.did)).expect("key");
    let rogue = tests::harness::Authority {
        did: env.authority.did.clone(),
        key: rogue_key,
    };
    let forged = Participant {
        credential: rogue.credential(
            &p.did,
            &p.key.public_key(),
            &Member::municipality("Stadt Musterstadt", "09162000"),
        ),
        ..p.clone()
    };
    assert_refused(
        "forged credential",
        call(&peer, &c, bearer(forged.token(&c.did))).await,
        401,
    );

    // An expired credential.
    let now = chrono::Utc::now().timestamp();
    let charta = contracts::charta::Charta::default_1_0();
    let expired = Participant {
        credential: env.authority.credential_with(
            &p.did,
            &p.key.public_key(),
            &Member::company("X"),
            charta.version(),
            charta.sha256(),
            now - 7200,
            now - 3600,
        ),
        ..p.clone()
    };
    assert_refused(
        "expired credential",
        call(&peer, &c, bearer(expired.token(&c.did))).await,
        401,
    );

    // A credential naming a Charta version the connector does not accept: known, not admitted.
    let old_charta = Participant {
        credential: env.authority.credential_with(
            &p.did,
            &p.key.public_key(),
            &Member::company("X"),
            "0.9",
            &"0".repeat(64),
            now - 60,
            now + 3600,
        ),
        ..p.clone()
    };
    assert_refused(
        "unaccepted Charta version",
        call(&peer, &c, bearer(old_charta.token(&c.did))).await,
        403,
    );

    // The same failures on a negotiation endpoint answer with a ContractNegotiationError.
    let (status, body) = peer
        .send_with_auth(
            &format!("{}/negotiations/urn:uuid:x", c.dsp_base()),
            None,
            &json!({}),
        )
        .await;
    assert!(status == 401 || status == 405, "{status} {body}");
    let r = env
        .http
        .get(format!("{}/negotiations/urn:uuid:x", c.dsp_base()))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("www-authenticate").is_some());
    let body: Value = r.json().await.expect("JSON");
    assert_eq!(body["@type"], "ContractNegotiationError");
}
