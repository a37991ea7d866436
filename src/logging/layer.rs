//! The layer that passes events on to the receiver: only sluice's and
//! object_store's (hyper and h2 trace every frame), only up to the level set,
//! each as one line with its fields and the URI of the request it happened in,
//! without secrets.

use super::redact::without_secrets;
use std::fmt::{Debug, Write};
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{span, Event, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

const TARGETS: [&str; 2] = ["sluice", "object_store"];

pub(crate) struct Forward;

/// The URI a request span was created with (`request_span`), kept in the registry.
struct RequestUri(String);

fn wanted(metadata: &Metadata<'_>) -> bool {
    *metadata.level() <= super::max_level() && ours(metadata.target())
}

fn ours(target: &str) -> bool {
    TARGETS.iter().any(|t| target.strip_prefix(t).is_some_and(|rest| rest.is_empty() || rest.starts_with("::")))
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Forward {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        // Cached by the callsite until the level changes (`set_max_level` rebuilds it).
        if wanted(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        wanted(metadata)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(super::max_level())
    }

    fn on_new_span(&self, attributes: &span::Attributes<'_>, id: &span::Id, context: Context<'_, S>) {
        let mut uri = FieldText { name: "uri", text: None };
        attributes.record(&mut uri);
        if let (Some(uri), Some(span)) = (uri.text, context.span(id)) {
            span.extensions_mut().insert(RequestUri(uri));
        }
    }

    fn on_event(&self, event: &Event<'_>, context: Context<'_, S>) {
        // A panic here would unwind into whatever code logged; a log line is not worth that.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if super::delivery::on_delivery_thread() {
                // Logged by sluice code the receiver called: not fed back to it.
                return;
            }
            let Some(_guard) = NotReentered::enter() else { return };
            let mut line = Line::default();
            event.record(&mut line);
            let uri = context
                .event_scope(event)
                .and_then(|scope| scope.from_root().filter_map(|span| span.extensions().get::<RequestUri>().map(|u| u.0.clone())).last());
            let mut text = line.message;
            text.push_str(&line.fields);
            if let Some(uri) = uri {
                let _ = write!(text, " (request for {uri})");
            }
            let metadata = event.metadata();
            super::deliver(*metadata.level(), metadata.target(), without_secrets(&text));
        }));
    }
}

/// An event with its `message` first, then its other fields as ` key=value`.
#[derive(Default)]
struct Line {
    message: String,
    fields: String,
}

impl Visit for Line {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

/// The text of one field.
struct FieldText {
    name: &'static str,
    text: Option<String>,
}

impl Visit for FieldText {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == self.name {
            self.text = Some(value.to_string());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        if field.name() == self.name {
            self.text = Some(format!("{value:?}"));
        }
    }
}

thread_local! {
    static DELIVERING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Held while this thread hands an event to the receiver: a receiver that calls
/// back into sluice, which logs, drops that event instead of recursing.
struct NotReentered;

impl NotReentered {
    fn enter() -> Option<NotReentered> {
        DELIVERING.with(|d| (!d.replace(true)).then_some(NotReentered))
    }
}

impl Drop for NotReentered {
    fn drop(&mut self) {
        DELIVERING.with(|d| d.set(false));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sluice_and_object_store_targets_are_ours() {
        for target in ["sluice", "sluice::read", "object_store::client::retry"] {
            assert!(ours(target), "{target}");
        }
        for target in ["h2::codec", "hyper_util::client", "sluicegate", "object_store_ext::x", "reqwest"] {
            assert!(!ours(target), "{target}");
        }
    }
}
