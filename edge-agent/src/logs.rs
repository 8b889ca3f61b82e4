//! The programs' logs: to stderr (journald under systemd), filtered by `RUST_LOG` or
//! else the configured filter, with colours only on a terminal — and one correction to
//! what the embedded broker says.
//!
//! IMPORTANT: rumqttd 0.20 logs every *clean* client exit — the client sends MQTT
//! DISCONNECT, as a bridge does when it stops — as `ERROR … router-drop
//! error=Recv(Disconnected)`: its router drops the connection first, and the
//! connection's task then finds its channel closed. Its router, seeing the DISCONNECT and
//! then the socket close, handles the exit twice and says `ERROR no-connection id N is
//! already gone` for the second (rumqttd's own comment there: "some clients can choose
//! to send Disconnect packet before network disconnection"). [`NormalDisconnects`]
//! drops exactly these two events, so an operator is not alarmed by every bridge
//! restart. Every other
//! broker error (a refused login, an oversized publish, a connection that broke) still
//! shows, and the router's own `Disconnecting connection` (INFO, `RUST_LOG=rumqttd=info`)
//! still records each exit.

use std::fmt::Debug;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;

/// Logs to stderr; `RUST_LOG` overrides `default` (an `EnvFilter` directive).
pub fn init(default: &str) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(default))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let output = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(NormalDisconnects)
        .with(output)
        .try_init();
}

/// Filters out rumqttd's errors about a client that disconnected cleanly.
#[derive(Debug, Clone, Copy)]
pub struct NormalDisconnects;

impl<S: Subscriber> Layer<S> for NormalDisconnects {
    fn event_enabled(&self, event: &Event<'_>, _: Context<'_, S>) -> bool {
        let meta = event.metadata();
        if *meta.level() != Level::ERROR {
            return true;
        }
        let mut fields = Fields::default();
        match meta.target() {
            "rumqttd::server::broker" => {
                event.record(&mut fields);
                !(fields.message == "router-drop" && fields.error == "Recv(Disconnected)")
            }
            "rumqttd::router::routing" => {
                event.record(&mut fields);
                !is_already_gone(&fields.message)
            }
            _ => true,
        }
    }
}

/// `no-connection id <n> is already gone`: the router's second look at an exit.
fn is_already_gone(message: &str) -> bool {
    message
        .strip_prefix("no-connection id ")
        .and_then(|rest| rest.strip_suffix(" is already gone"))
        .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

/// The `message` and `error` of an event, as rumqttd's `Debug` prints them.
#[derive(Debug, Default)]
struct Fields {
    message: String,
    error: String,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        match field.name() {
            "message" => self.message = format!("{value:?}"),
            "error" => self.error = format!("{value:?}"),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// rumqttd's `LinkError::Recv(flume::RecvError::Disconnected)`, as far as `Debug` goes.
    #[derive(Debug)]
    enum LinkError {
        Recv(RecvError),
    }
    #[derive(Debug)]
    enum RecvError {
        Disconnected,
    }

    /// What a subscriber with [`NormalDisconnects`] writes while `f` runs.
    fn logged(f: impl FnOnce()) -> String {
        let out = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&out);
        let writer = move || Writer(Arc::clone(&sink));
        let subscriber = tracing_subscriber::registry().with(NormalDisconnects).with(
            tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .with_ansi(false),
        );
        tracing::subscriber::with_default(subscriber, f);
        let bytes = out.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    struct Writer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Writer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_clean_disconnect_is_no_error_but_other_broker_errors_still_show() {
        let log = logged(|| {
            let clean = LinkError::Recv(RecvError::Disconnected);
            tracing::error!(target: "rumqttd::server::broker", error = ?clean, "router-drop");
            tracing::error!(target: "rumqttd::server::broker", error = "InvalidAuth", "Error while handling MQTT connect packet");
            tracing::error!(target: "rumqttd::server::broker", error = "Io(ConnectionReset)", "disconnected");
            tracing::error!(target: "gasq_edge::agent", error = ?clean, "router-drop");
            tracing::error!(target: "rumqttd::router::routing", "no-connection id {} is already gone", 7);
            tracing::error!(target: "rumqttd::router::routing", "Failed to append to commitlog");
        });
        assert!(!log.contains("already gone"), "{log}");
        assert!(log.contains("commitlog"), "{log}");
        assert!(
            !log.contains("rumqttd::server::broker: router-drop"),
            "{log}"
        );
        assert!(log.contains("InvalidAuth"), "{log}");
        assert!(log.contains("ConnectionReset"), "{log}");
        assert!(log.contains("gasq_edge::agent: router-drop"), "{log}");
    }
}
