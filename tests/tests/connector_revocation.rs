//! Revocation: the connector polls the authority's status list (a JWT signed by the pinned
//! authority key) and refuses callers whose membership is revoked with 403, while other
//! members still get in.

use tests::harness::messages::catalog_request;
use tests::harness::{
    ConnectorOptions, Member, Participant, StatusListServer, TestConnector, TestEnv,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_revoked_members_are_refused_after_the_next_status_list() {
    let env = TestEnv::new("connector_revocation");
    // The authority's status list, served over HTTPS.
    let list = StatusListServer::start(&env).await;
    let url = list.url.clone();
    let mut options = ConnectorOptions::company("stadtwerke");
    options.status_list_url = Some(url.clone());
    let c = TestConnector::start(&env, options).await;

    let member = |name: &str, index: u64| {
        let did = format!("did:web:{name}.example");
        let key = vocab::jose::SigningKey::generate(&format!("{did}#key-1")).expect("key");
        let credential = env.authority.credential_indexed(
            &did,
            &key.public_key(),
            &Member::municipality(name, "09162000"),
            &url,
            index,
        );
        Participant {
            did,
            key,
            credential,
        }
    };
    let kept = member("bleibt", 7);
    let revoked = member("widerrufen", 8);
    let call = |p: &Participant| {
        let http = env.http.clone();
        let endpoint = format!("{}/catalog/request", c.dsp_base());
        let token = p.token(&c.did);
        async move {
            let r = http
                .post(endpoint)
                .bearer_auth(token)
                .json(&catalog_request())
                .send()
                .await
                .expect("POST");
            let status = r.status().as_u16();
            (
                status,
                r.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        }
    };
    assert_eq!(call(&kept).await.0, 200);
    assert_eq!(call(&revoked).await.0, 200);

    // The authority revokes index 8; within one refresh the connector refuses that member.
    list.publish(&[8]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (status, body) = call(&revoked).await;
        if status == 403 {
            assert!(
                body["reason"][0]
                    .as_str()
                    .is_some_and(|r| r.contains("revoked")),
                "{body}"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still {status} after 20 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(call(&kept).await.0, 200, "other members are not affected");
}
