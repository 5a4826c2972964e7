//! The web console every worker serves at `/ui/` (unless `console.enable=false`): a page of
//! HTML, CSS and plain JavaScript compiled into the binary, so that it works offline and
//! nothing is fetched at run time. The page calls the REST API users script against, and
//! `/weir/v1` for live figures, by URLs relative to itself, so it also works behind a proxy
//! path.

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// One file of the console.
struct Asset {
    path: &'static str,
    media_type: &'static str,
    body: &'static str,
}

const ASSETS: [Asset; 3] = [
    Asset {
        path: "/ui/",
        media_type: "text/html; charset=utf-8",
        body: include_str!("assets/index.html"),
    },
    Asset {
        path: "/ui/app.js",
        media_type: "text/javascript; charset=utf-8",
        body: include_str!("assets/app.js"),
    },
    Asset {
        path: "/ui/style.css",
        media_type: "text/css; charset=utf-8",
        body: include_str!("assets/style.css"),
    },
];

/// The page may load its own files and call its own worker, nothing else.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The console's routes, to merge into the REST API's router.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let mut router = Router::new().route("/ui", get(|| async { redirect_to_slash() }));
    for asset in &ASSETS {
        router = router.route(asset.path, get(move || async move { serve(asset) }));
    }
    router
}

/// `/ui` → `ui/`: relative, so that it holds behind a proxy path too.
fn redirect_to_slash() -> Response {
    (StatusCode::PERMANENT_REDIRECT, [(LOCATION, "ui/")]).into_response()
}

fn serve(asset: &'static Asset) -> Response {
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(asset.media_type)),
            // The files change with the binary: always ask again (cheap, they are small).
            (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                HeaderName::from_static("content-security-policy"),
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ),
            (
                HeaderName::from_static("x-content-type-options"),
                HeaderValue::from_static("nosniff"),
            ),
        ],
        asset.body,
    )
        .into_response()
}
