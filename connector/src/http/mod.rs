//! The DSP listener: routes, middleware (path normalisation, metrics, capture), and serving
//! over TLS or, when a proxy terminates TLS, plain HTTP.

pub mod dsp_catalog;
pub mod dsp_negotiation;
pub mod dsp_transfer;
pub mod error;
pub mod input;
pub mod well_known;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Uri;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

use crate::app::App;

/// The DSP endpoints (mounted under `/dsp`).
fn dsp_routes() -> Router<Arc<App>> {
    use dsp_catalog as cat;
    use dsp_negotiation as neg;
    use dsp_transfer as tp;
    Router::new()
        .route(
            "/.well-known/dspace-version",
            get(well_known::dspace_version),
        )
        .route("/catalog/request", post(cat::catalog_request))
        .route("/catalog/datasets/{id}", get(cat::dataset))
        .route("/negotiations/request", post(neg::request))
        .route("/negotiations/offers", post(neg::initial_offer))
        .route("/negotiations/{pid}", get(neg::get))
        .route("/negotiations/{pid}/request", post(neg::counter_request))
        .route("/negotiations/{pid}/events", post(neg::events))
        .route(
            "/negotiations/{pid}/agreement/verification",
            post(neg::verification),
        )
        .route("/negotiations/{pid}/agreement", post(neg::agreement))
        .route("/negotiations/{pid}/offers", post(neg::offer))
        .route("/negotiations/{pid}/termination", post(neg::termination))
        .route("/transfers/request", post(tp::request))
        .route("/transfers/{pid}", get(tp::get))
        .route("/transfers/{pid}/start", post(tp::start))
        .route("/transfers/{pid}/completion", post(tp::completion))
        .route("/transfers/{pid}/termination", post(tp::termination))
        .route("/transfers/{pid}/suspension", post(tp::suspension))
}

/// The sandbox query endpoint of `Sandbox-QUERY` transfers (cargo feature `sandbox`; none
/// without it).
fn sandbox_query_routes() -> Router<Arc<App>> {
    let router = Router::new();
    #[cfg(feature = "sandbox")]
    let router = router.route(
        "/data/{transfer}/query",
        post(crate::dataplane::query::query),
    );
    router
}

/// The public listener's router.
pub fn dsp_app(app: Arc<App>) -> Router {
    Router::new()
        .nest("/dsp", dsp_routes())
        .route(
            "/.well-known/dspace-version",
            get(well_known::dspace_version),
        )
        .route("/.well-known/did.json", get(well_known::did_document))
        .route("/data/{transfer}", get(crate::dataplane::serve::data))
        .route(
            "/data/push/{transfer}",
            axum::routing::put(dsp_transfer::push_receive).head(dsp_transfer::push_probe),
        )
        .route(
            "/data/push/{transfer}/files/{*path}",
            axum::routing::put(dsp_transfer::push_receive_file).head(dsp_transfer::push_probe_file),
        )
        .route(
            "/data/{transfer}/files/{*path}",
            get(crate::dataplane::serve::folder_file),
        )
        .route(
            "/data/{transfer}/refresh",
            post(crate::dataplane::refresh::refresh),
        )
        .merge(sandbox_query_routes())
        .route("/health", get(well_known::health))
        .route("/ready", get(well_known::ready))
        .layer(middleware::from_fn_with_state(app.clone(), observe))
        .with_state(app)
}

/// Counts requests and, when diagnostics ask for it, captures DSP answers.
async fn observe(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let endpoint = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    crate::metrics::record_dsp_request(&endpoint, status, started.elapsed());
    let Some(capture) = app.capture.clone() else {
        return response;
    };
    if endpoint.starts_with("/data/") {
        // Data streams are not DSP messages (and must not be buffered).
        return response;
    }
    let (parts, body) = response.into_parts();
    match axum::body::to_bytes(body, 8 * 1024 * 1024).await {
        Ok(bytes) => {
            capture.write("answered", &bytes);
            Response::from_parts(parts, Body::from(bytes))
        }
        Err(_) => Response::from_parts(parts, Body::empty()),
    }
}

/// Removes a trailing slash (`/negotiations/x/offers/` is `/negotiations/x/offers`; clients
/// such as the TCK append one), before routing.
pub fn normalize_path<B>(mut request: axum::http::Request<B>) -> axum::http::Request<B> {
    let path = request.uri().path();
    if path.len() > 1 && path.ends_with('/') {
        let trimmed = path.trim_end_matches('/');
        let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
        let new = match request.uri().query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed.to_owned(),
        };
        if let Ok(uri) = new.parse::<Uri>() {
            *request.uri_mut() = uri;
        }
    }
    request
}

/// Serves `router` on `listener` until `shutdown` is cancelled (in-flight requests finish).
pub async fn serve<L>(
    listener: L,
    router: Router,
    shutdown: tokio_util::sync::CancellationToken,
) -> std::io::Result<()>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    let service = tower::ServiceExt::map_request(router, normalize_path::<Body>);
    axum::serve(
        listener,
        axum::ServiceExt::<Request>::into_make_service(service),
    )
    .with_graceful_shutdown(async move { shutdown.cancelled().await })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_slashes_are_removed_before_routing() {
        let r = normalize_path(
            axum::http::Request::builder()
                .uri("/dsp/negotiations/x/offers/")
                .body(())
                .expect("request"),
        );
        assert_eq!(r.uri().path(), "/dsp/negotiations/x/offers");
        let r = normalize_path(
            axum::http::Request::builder()
                .uri("/a//?q=1")
                .body(())
                .expect("request"),
        );
        assert_eq!(r.uri(), "/a?q=1");
        let r = normalize_path(
            axum::http::Request::builder()
                .uri("/")
                .body(())
                .expect("request"),
        );
        assert_eq!(r.uri().path(), "/");
    }

    #[test]
    fn error_bodies_are_the_protocol_error_types() {
        use error::{Area, ErrorContext};
        let mut ctx = ErrorContext::new(Area::Negotiation);
        ctx.learn(&serde_json::json!({"providerPid": "p"}));
        let body = ctx
            .error(axum::http::StatusCode::BAD_REQUEST, "x", "why")
            .body();
        assert_eq!(body["@type"], "ContractNegotiationError");
        assert_eq!(body["providerPid"], "p");
        assert_eq!(body["consumerPid"], "");
        assert_eq!(body["reason"][0], "why");
        let auth = ctx.auth(crate::trust::AuthError::Missing);
        assert_eq!(auth.status, axum::http::StatusCode::UNAUTHORIZED);
        assert_eq!(
            auth.body()["providerPid"],
            "",
            "no pid is echoed to an unauthenticated caller"
        );
        let t = ErrorContext::new(Area::Transfer).not_found().body();
        assert_eq!(t["@type"], "TransferError");
        let c = ErrorContext::new(Area::Catalog).not_found().body();
        assert_eq!(c["@type"], "CatalogError");
    }
}
