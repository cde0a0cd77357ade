//! A real SMTP server on loopback (plain, no TLS) that keeps every message it accepts, as the
//! operator's mail server in the alert e-mail tests.

use mailin_embedded::response::{Response, OK};
use mailin_embedded::{Handler, Server};
use std::net::{IpAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One accepted message.
#[derive(Debug, Clone, Default)]
pub struct Mail {
    /// The envelope sender.
    pub from: String,
    /// The envelope recipients.
    pub to: Vec<String>,
    /// The message as sent: headers, a blank line, the body.
    pub data: String,
}

/// The running server; its thread lives as long as the test process.
pub struct MailSink {
    /// Where it listens (127.0.0.1).
    pub port: u16,
    received: Arc<Mutex<Vec<Mail>>>,
}

#[derive(Clone)]
struct Keeper {
    received: Arc<Mutex<Vec<Mail>>>,
    current: Mail,
}

impl Handler for Keeper {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, from: &str) -> Response {
        self.current = Mail {
            from: from.to_string(),
            ..Mail::default()
        };
        OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        self.current.to.push(to.to_string());
        OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.data.push_str(&String::from_utf8_lossy(buf));
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        self.received
            .lock()
            .unwrap()
            .push(std::mem::take(&mut self.current));
        OK
    }
}

impl MailSink {
    /// Starts a server on a free loopback port.
    pub fn start() -> MailSink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let mut server = Server::new(Keeper {
            received: received.clone(),
            current: Mail::default(),
        });
        server
            .with_name("sink.flowpulse.test")
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            if let Err(error) = server.serve() {
                eprintln!("the mail sink stopped: {error}");
            }
        });
        MailSink { port, received }
    }

    /// `smtp://127.0.0.1:<port>`: plain SMTP, as lettre reads it.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message accepted so far.
    pub fn received(&self) -> Vec<Mail> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until at least `count` messages arrived (or `timeout` passed) and returns them.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Mail> {
        let deadline = Instant::now() + timeout;
        loop {
            let received = self.received();
            if received.len() >= count || Instant::now() >= deadline {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
