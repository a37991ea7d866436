//! Object stores for local files and for S3, GCS, Azure and HTTP(S) URIs.
//!
//! A store is rebuilt in a child process after `fork()`: its HTTP connection
//! pool belongs to the parent's runtime, whose threads the child does not have.

use super::retry::{self, RetryBudget};
use crate::error::{Error, Result};
use crate::options::StoreOptions;
use object_store::{ClientOptions, ObjectStore};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Retries of a failed request (5xx, SlowDown, reset, timeout, cut body), with
/// exponential backoff: object_store's defaults, which ride out throttling.
const DEFAULT_MAX_RETRIES: usize = 10;
/// No retry starts later than this after the request's first attempt.
const DEFAULT_RETRY_TIMEOUT: Duration = Duration::from_secs(180);

/// Whether a request failed because it got no answer in time.
fn timed_out(err: &object_store::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if e.downcast_ref::<object_store::client::HttpError>().is_some_and(|h| h.kind() == object_store::client::HttpErrorKind::Timeout) {
            return true;
        }
        source = e.source();
    }
    false
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StoreKind {
    Local,
    /// `s3://bucket`, `gs://bucket`, `az://container` …: the URL of the bucket root.
    Cloud {
        scheme: String,
        root: String,
    },
    /// `http(s)://host:port`
    Http {
        root: String,
    },
}

#[derive(Debug)]
pub struct Store {
    pub kind: StoreKind,
    options: StoreOptions,
    built: Mutex<Option<(u32, Arc<dyn ObjectStore>)>>,
}

impl Store {
    pub fn new(kind: StoreKind, options: StoreOptions) -> Self {
        Store { kind, options, built: Mutex::new(None) }
    }

    /// The store for this process, built on first use and again after a fork.
    pub fn get(&self) -> Result<Arc<dyn ObjectStore>> {
        let pid = std::process::id();
        {
            let built = self.built.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((owner, store)) = built.as_ref() {
                if *owner == pid {
                    return Ok(store.clone());
                }
            }
        }
        // Built outside the lock: a fork while the lock is held would leave it held in the child.
        let store = self.build()?;
        let mut built = self.built.lock().unwrap_or_else(|e| e.into_inner());
        match built.as_ref() {
            Some((owner, first)) if *owner == pid => Ok(first.clone()),
            _ => {
                if let Some(stale) = built.take() {
                    // Dropping the parent's client could wait on threads that do not exist here.
                    std::mem::forget(stale);
                }
                *built = Some((pid, store.clone()));
                Ok(store)
            }
        }
    }

    /// The longest wait for one request's answer, body included (option `request_timeout`).
    pub fn request_timeout(&self) -> Duration {
        self.options.request_timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT)
    }

    fn connect_timeout(&self) -> Duration {
        self.options.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT)
    }

    /// How often and how long a failed request is retried (options `max_retries`, `retry_timeout`).
    pub fn retry_budget(&self) -> RetryBudget {
        RetryBudget {
            max_retries: self.options.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
            retry_timeout: self.options.retry_timeout.unwrap_or(DEFAULT_RETRY_TIMEOUT),
        }
    }

    /// An error from this store about `name`. A request that timed out says after
    /// how long and which option sets it; one that failed for a reason retries
    /// could have cured says that the retry budget ran out.
    pub fn error(&self, err: &object_store::Error, name: &str) -> Error {
        let error = Error::from_object_store(err, name);
        if self.kind == StoreKind::Local {
            return error;
        }
        let error = Error::new(error.kind, self.without_password(&error.message));
        let budget = self.retry_budget();
        if timed_out(err) {
            let message = format!(
                "{} (no answer within the request timeout of {:?}; the 'request_timeout' and 'connect_timeout' options set the timeouts)",
                error.message,
                self.request_timeout()
            );
            return Error::new(error.kind, budget.ran_out(&message));
        }
        if retry::transient(err) {
            return Error::new(error.kind, budget.ran_out(&error.message));
        }
        error
    }

    /// The name a user recognises for an object in this store.
    pub fn display(&self, path: &object_store::path::Path) -> String {
        match &self.kind {
            StoreKind::Local => format!("/{path}"),
            StoreKind::Cloud { root, .. } | StoreKind::Http { root } => self.without_password(&format!("{root}/{path}")),
        }
    }

    /// `text` with the password of the store's URL (`https://user:password@host`) replaced by `***`:
    /// messages name URIs, never secrets.
    pub fn without_password(&self, text: &str) -> String {
        let root = match &self.kind {
            StoreKind::Local => return text.to_string(),
            StoreKind::Cloud { root, .. } | StoreKind::Http { root } => root,
        };
        let Some(password) = url::Url::parse(root).ok().and_then(|u| u.password().map(str::to_string)) else {
            return text.to_string();
        };
        text.replace(&format!(":{password}@"), ":***@")
    }

    fn build(&self) -> Result<Arc<dyn ObjectStore>> {
        let o = &self.options;
        let timeout = self.request_timeout();
        let retry = self.retry_budget().config();
        let allow_http = o.allow_http.unwrap_or_else(|| self.plain_http_expected());
        let client = ClientOptions::new().with_connect_timeout(self.connect_timeout()).with_timeout(timeout).with_allow_http(allow_http);
        let failed = |e: object_store::Error| {
            Error::invalid_argument(self.without_password(&format!("cannot configure the object store for '{}': {e}", self.describe())))
        };
        Ok(match &self.kind {
            StoreKind::Local => Arc::new(object_store::local::LocalFileSystem::new()),
            StoreKind::Http { root } => Arc::new(
                object_store::http::HttpBuilder::new()
                    .with_url(root.clone())
                    .with_client_options(client)
                    .with_retry(retry)
                    .build()
                    .map_err(failed)?,
            ),
            StoreKind::Cloud { scheme, root } => match scheme.as_str() {
                "s3" | "s3a" => {
                    if o.endpoint.is_none() {
                        check_endpoint_variables()?;
                    }
                    let mut b = object_store::aws::AmazonS3Builder::from_env()
                        .with_url(root.replacen("s3a://", "s3://", 1))
                        .with_client_options(client)
                        .with_retry(retry)
                        .with_skip_signature(o.anonymous);
                    if let Some(v) = &o.endpoint {
                        b = b.with_endpoint(v);
                    }
                    if let Some(v) = &o.region {
                        b = b.with_region(v);
                    }
                    if let Some(v) = &o.access_key_id {
                        b = b.with_access_key_id(v);
                    }
                    if let Some(v) = &o.secret_access_key {
                        b = b.with_secret_access_key(v);
                    }
                    if let Some(v) = &o.session_token {
                        b = b.with_token(v);
                    }
                    Arc::new(b.build().map_err(failed)?)
                }
                "gs" | "gcs" => Arc::new(
                    object_store::gcp::GoogleCloudStorageBuilder::from_env()
                        .with_url(root.replacen("gcs://", "gs://", 1))
                        .with_client_options(client)
                        .with_retry(retry)
                        .build()
                        .map_err(failed)?,
                ),
                _ => {
                    let mut b = object_store::azure::MicrosoftAzureBuilder::from_env()
                        .with_url(root.clone())
                        .with_client_options(client)
                        .with_retry(retry)
                        .with_skip_signature(o.anonymous);
                    if let Some(v) = &o.endpoint {
                        b = b.with_endpoint(v.clone());
                    }
                    Arc::new(b.build().map_err(failed)?)
                }
            },
        })
    }

    /// Plain HTTP is allowed without the `allow_http` option where the user
    /// already asked for it: an `http://` URL, an `http://` endpoint (option or
    /// `AWS_ENDPOINT_URL`), or `AWS_ALLOW_HTTP=true`.
    fn plain_http_expected(&self) -> bool {
        let env = |key: &str| std::env::var(key).ok();
        let endpoint = self.options.endpoint.clone().or_else(|| env("AWS_ENDPOINT_URL")).or_else(|| env("AWS_ENDPOINT"));
        match &self.kind {
            StoreKind::Local => false,
            StoreKind::Http { root } => root.starts_with("http://"),
            StoreKind::Cloud { .. } => {
                endpoint.is_some_and(|e| e.starts_with("http://"))
                    || env("AWS_ALLOW_HTTP").is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
            }
        }
    }

    fn describe(&self) -> String {
        match &self.kind {
            StoreKind::Local => "the local file system".into(),
            StoreKind::Cloud { root, .. } | StoreKind::Http { root } => root.clone(),
        }
    }
}

/// The endpoint variables that `AmazonS3Builder::from_env` reads must be URLs:
/// object_store would otherwise panic while building a request.
fn check_endpoint_variables() -> Result<()> {
    for variable in ["AWS_ENDPOINT_URL", "AWS_ENDPOINT"] {
        let Ok(value) = std::env::var(variable) else { continue };
        let url = url::Url::parse(&value).ok().filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
        if url.is_none() {
            return Err(Error::invalid_argument(format!(
                "environment variable {variable} is '{}', which is not an http:// or https:// URL with a host \
                 (set it to the S3 endpoint's URL, or set the 'endpoint' option)",
                crate::options::echo(&value)
            )));
        }
    }
    Ok(())
}
