//! A Rust program that depends on sluice sees its events in its own `tracing`
//! subscriber, with the counts as fields (the C library forwards the same ones).

mod common;

use common::*;
use sluice::{Connector, ReadOptions, SourceOptions};
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// Every event as "target: field=value ...".
struct Record(Arc<Mutex<Vec<String>>>);

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl<S: tracing::Subscriber> Layer<S> for Record {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut fields = Fields(format!("{}:", event.metadata().target()));
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
}

#[test]
fn open_and_plan_events_carry_the_counts() {
    let dir = tempdir();
    write_parquet(&dir.path().join("a.parquet"), &rows(0, 100), 40);
    write_parquet(&dir.path().join("b.parquet"), &rows(100, 30), 40);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let subscriber = tracing_subscriber::registry().with(Record(seen.clone()));
    tracing::subscriber::with_default(subscriber, || {
        let connector = Connector::open(&[dir.path().to_string_lossy().to_string()], &SourceOptions::default()).unwrap();
        let mut options = ReadOptions::default();
        options.set("num_workers", "2").unwrap();
        options.set("batch_size", "10").unwrap();
        let emitted: usize = connector.read(&options).unwrap().map(|b| b.unwrap().num_rows()).sum();
        assert_eq!(emitted, 70);
    });
    let seen = seen.lock().unwrap();
    let opened = seen.iter().find(|e| e.starts_with("sluice::open:")).expect("an open event");
    for field in [" files=2", " fragments=4", " rows=130", " formats=parquet:2"] {
        assert!(opened.contains(field), "{field} in {opened}");
    }
    let planned = seen.iter().find(|e| e.starts_with("sluice::read:")).expect("a plan event");
    for field in [" rows=70", " rows_total=130", " files=2", " fragments=4", " worker=0/2", " batch_size=10", " shuffle=false"] {
        assert!(planned.contains(field), "{field} in {planned}");
    }
    assert!(!planned.contains(" seed="), "no seed without shuffle: {planned}");
}
