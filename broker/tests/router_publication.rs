//! Router tests of publication: the accepted path, and every kind of bad input rejected with a
//! clear error while nothing is stored.

mod common;

use axum::http::{Method, StatusCode};
use common::*;

#[tokio::test]
async fn showcase_publication_is_searchable_with_its_terms() {
    let tb = test_broker(true);
    let sw = stadtwerke();
    let answer = join_and_publish(&tb, &sw, &stadtwerke_sd(&sw)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json()["datasets"], 1);

    let found = get(&tb.app, "/api/v1/search?q=W%C3%A4rmeplanung").await;
    assert_eq!(found.status, StatusCode::OK);
    let json = found.json();
    println!("{}", serde_json::to_string_pretty(&json).unwrap());
    assert_eq!(json["total"], 1);
}
