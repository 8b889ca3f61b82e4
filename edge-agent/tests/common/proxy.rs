//! A reverse proxy in front of the cloud, on 127.0.0.1 port 0, that can be told to
//! misbehave on the edge's pushes (`POST /api/v1/edge/events`) the ways real proxies
//! do: a maintenance page, a misrouted path, a dead upstream, an answer of the wrong
//! shape, or no answer at all. Everything else, and pushes while it behaves, go through
//! to the cloud unchanged.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

/// How the proxy answers the edge's pushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehaviour {
    /// Passes them to the cloud.
    None,
    /// nginx's HTML "404 Not Found" (a route missing from its config).
    Html404,
    /// A bare 405 with no body.
    Bare405,
    /// nginx's HTML "502 Bad Gateway" (the upstream is down).
    Gateway502,
    /// A 503 maintenance page as JSON that is not the cloud's problem format.
    Json503,
    /// 200 with JSON that is not the cloud's answer.
    WrongShape200,
    /// Accepts the request and never answers.
    Silent,
}

#[derive(Debug, Clone)]
struct Shared {
    upstream: SocketAddr,
    mode: Arc<Mutex<Misbehaviour>>,
    http: reqwest::Client,
}

#[derive(Debug)]
pub struct Proxy {
    pub addr: SocketAddr,
    mode: Arc<Mutex<Misbehaviour>>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let mode = Arc::new(Mutex::new(Misbehaviour::None));
        let shared = Shared {
            upstream,
            mode: mode.clone(),
            http: reqwest::Client::new(),
        };
        let app = Router::new().fallback(forward).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, mode }
    }

    pub fn misbehave(&self, how: Misbehaviour) {
        *self.mode.lock().unwrap() = how;
    }
}

async fn forward(
    State(s): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mode = *s.mode.lock().unwrap();
    if method == Method::POST
        && uri.path() == "/api/v1/edge/events"
        && let Some(answer) = misbehave(mode).await
    {
        return answer;
    }
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut request = s
        .http
        .request(method, format!("http://{}{path}", s.upstream))
        .body(body);
    for name in [header::AUTHORIZATION, header::CONTENT_TYPE] {
        if let Some(value) = headers.get(&name) {
            request = request.header(name, value);
        }
    }
    let Ok(answer) = request.send().await else {
        return (StatusCode::BAD_GATEWAY, "upstream unreachable").into_response();
    };
    let status = answer.status();
    let content_type = answer.headers().get(header::CONTENT_TYPE).cloned();
    let bytes = answer.bytes().await.unwrap_or_default();
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    if let Some(ct) = content_type {
        response.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    response
}

const NGINX_404: &str = "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n";
const NGINX_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n";

async fn misbehave(mode: Misbehaviour) -> Option<Response> {
    let html = [(header::CONTENT_TYPE, "text/html")];
    let json = [(header::CONTENT_TYPE, "application/json")];
    Some(match mode {
        Misbehaviour::None => return None,
        Misbehaviour::Html404 => (StatusCode::NOT_FOUND, html, NGINX_404).into_response(),
        Misbehaviour::Bare405 => StatusCode::METHOD_NOT_ALLOWED.into_response(),
        Misbehaviour::Gateway502 => (StatusCode::BAD_GATEWAY, html, NGINX_502).into_response(),
        Misbehaviour::Json503 => (
            StatusCode::SERVICE_UNAVAILABLE,
            json,
            r#"{"message":"down for maintenance, back at 02:00"}"#,
        )
            .into_response(),
        Misbehaviour::WrongShape200 => (StatusCode::OK, json, r#"{"ok":true}"#).into_response(),
        Misbehaviour::Silent => std::future::pending().await,
    })
}
