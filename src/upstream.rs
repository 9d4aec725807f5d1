//! The HTTP plumbing every upstream client shares (the weather APIs, Entra ID and
//! Microsoft Graph): a client built on first use, reads capped in size, and transport
//! failures sorted into what the caller may be told.
//!
//! The client (connection pool, rustls with its root certificates) is built on first
//! use rather than at start-up: loading TLS roots costs milliseconds, and cold start
//! is measured from process spawn to the first `initialize` answer. Each client sends
//! the one `User-Agent` the configuration builds ([`crate::config::Config`]).
//!
//! What stays with each client is what is its own: the weather clients' retries and
//! error bodies, the profile client's token handling.

use std::{sync::OnceLock, time::Duration};

use reqwest::{Client, Response};

/// How long connecting to any upstream may take.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The app and its version, e.g. `rust-mcp-functions/0.1.0`: the start of every
/// `User-Agent` sent upstream.
pub(crate) const APP: &str = concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"));

/// How one upstream client is built; the rest (user agent, connect timeout, gzip) is
/// the same for every client.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClientOptions {
    /// Follow redirects (reqwest's default policy). Off for a client that carries
    /// tokens, which must never follow a redirect.
    pub follow_redirects: bool,
    /// A limit for each whole request, if any.
    pub timeout: Option<Duration>,
    /// How long an idle pooled connection is kept, if not reqwest's default.
    pub pool_idle_timeout: Option<Duration>,
}

/// An HTTP client built on first use, with the shared settings and the client's
/// [`ClientOptions`]. A failure to build it is kept and returned on every use.
#[derive(Debug)]
pub(crate) struct LazyClient {
    user_agent: String,
    options: ClientOptions,
    client: OnceLock<Result<Client, String>>,
}

impl LazyClient {
    /// Offline: nothing is built until [`LazyClient::get`].
    pub(crate) fn new(user_agent: String, options: ClientOptions) -> Self {
        Self {
            user_agent,
            options,
            client: OnceLock::new(),
        }
    }

    /// The client, built on the first call; `Err` says why it could not be built.
    pub(crate) fn get(&self) -> Result<&Client, &str> {
        self.client
            .get_or_init(|| self.build().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(String::as_str)
    }

    fn build(&self) -> reqwest::Result<Client> {
        let options = &self.options;
        let mut builder = Client::builder()
            .user_agent(&self.user_agent)
            // Every upstream answers JSON, which compresses well.
            .gzip(true)
            .connect_timeout(CONNECT_TIMEOUT);
        if !options.follow_redirects {
            builder = builder.redirect(reqwest::redirect::Policy::none());
        }
        if let Some(timeout) = options.timeout {
            builder = builder.timeout(timeout);
        }
        if let Some(idle) = options.pool_idle_timeout {
            builder = builder.pool_idle_timeout(idle);
        }
        builder.build()
    }
}

/// Why a body could not be read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// It grew past the cap, so reading stopped there.
    TooLarge { max_bytes: usize },
    /// The connection failed or timed out while reading.
    Transport(reqwest::Error),
}

/// Reads the whole body, refusing one larger than `max_bytes`: no answer an upstream
/// really gives comes close to the caps, and a larger one is not read into memory.
pub(crate) async fn read_capped(
    mut response: Response,
    max_bytes: usize,
) -> Result<Vec<u8>, BodyError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > max_bytes {
            return Err(BodyError::TooLarge { max_bytes });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// What went wrong on the wire, without the URL or the system's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    TimedOut,
    CouldNotConnect,
    /// The connection failed in some other way (reset, TLS, a malformed answer).
    Failed,
}

impl Transport {
    /// Sorts a request's error.
    pub(crate) fn of(error: &reqwest::Error) -> Self {
        if error.is_timeout() {
            Self::TimedOut
        } else if error.is_connect() {
            Self::CouldNotConnect
        } else {
            Self::Failed
        }
    }

    /// A few words for the caller.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::TimedOut => "timed out",
            Self::CouldNotConnect => "could not connect",
            Self::Failed => "the connection failed",
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::{
        io::{AsyncReadExt, AsyncWriteExt},
        net::TcpListener,
    };

    use super::*;

    /// Answers one request on 127.0.0.1 with `body`, and returns its URL.
    async fn answer_once(body: Vec<u8>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await.unwrap();
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            socket.write_all(head.as_bytes()).await.unwrap();
            socket.write_all(&body).await.unwrap();
        });
        url
    }

    fn client() -> LazyClient {
        LazyClient::new(APP.to_owned(), ClientOptions::default())
    }

    #[tokio::test]
    async fn a_body_up_to_the_cap_is_read_and_a_larger_one_refused() {
        let client = client();
        let url = answer_once(vec![b'x'; 100]).await;
        let response = client.get().unwrap().get(url).send().await.unwrap();
        assert_eq!(read_capped(response, 100).await.unwrap().len(), 100);

        let url = answer_once(vec![b'x'; 101]).await;
        let response = client.get().unwrap().get(url).send().await.unwrap();
        assert!(matches!(
            read_capped(response, 100).await,
            Err(BodyError::TooLarge { max_bytes: 100 })
        ));
    }

    #[tokio::test]
    async fn a_refused_connection_is_named_without_the_url() {
        // A port that was just free: nothing listens there.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/secret-path", listener.local_addr().unwrap());
        drop(listener);
        let error = client().get().unwrap().get(url).send().await.unwrap_err();
        assert_eq!(Transport::of(&error), Transport::CouldNotConnect);
        assert_eq!(Transport::of(&error).describe(), "could not connect");
    }
}
