//! Every error message loses the secrets of the URIs it quotes, wherever it is built.

use super::*;

const SECRETS: [&str; 3] = ["hunter2", "s1gnature", "SAStoken"];

fn assert_no_secret(error: &Error) {
    for secret in SECRETS {
        assert!(!error.message.contains(secret), "{secret} in {:?}", error.message);
        assert!(!error.to_string().contains(secret), "{secret} in {error}");
    }
}

#[test]
fn a_message_built_with_a_uri_has_no_password_or_query_values() {
    // As `format_of` (src/source/mod.rs) builds it.
    let error = Error::invalid_argument("cannot tell the format of 'http://ann:hunter2@host/data/x.bin?sig=s1gnature' from its name");
    assert_no_secret(&error);
    assert!(error.message.contains("'http://ann:***@host/data/x.bin?sig=***'"), "{}", error.message);
}

#[test]
fn context_naming_a_uri_has_no_secrets() {
    let error = Error::internal("truncated").context("az://acct/c/x.parquet?sv=2020&sig=SAStoken");
    assert_no_secret(&error);
    assert!(error.message.starts_with("az://acct/c/x.parquet?sv=***&sig=***"), "{}", error.message);
}

fn store_error() -> object_store::Error {
    let source: Box<dyn std::error::Error + Send + Sync> =
        "error sending request for url (https://ann:hunter2@host/x.parquet?X-Amz-Signature=s1gnature)".into();
    object_store::Error::Generic { store: "HTTP", source }
}

#[test]
fn object_store_errors_have_no_secrets() {
    let error = Error::from_object_store(&store_error(), "https://ann:hunter2@host/x.parquet?X-Amz-Signature=s1gnature");
    assert_no_secret(&error);
    assert!(error.message.starts_with("'https://ann:***@host/x.parquet?X-Amz-Signature=***' could not be read"), "{}", error.message);
}

#[test]
fn parquet_and_arrow_errors_have_no_secrets() {
    let location = "http://ann:hunter2@host/x.parquet";
    assert_no_secret(&Error::from_parquet(parquet::errors::ParquetError::General("bad footer".into()), location));
    assert_no_secret(&Error::from_parquet(parquet::errors::ParquetError::External(Box::new(store_error())), location));
    assert_no_secret(&Error::from_arrow(arrow::error::ArrowError::ParseError("bad row".into()), location, "CSV"));
    assert_no_secret(&Error::from_arrow(arrow::error::ArrowError::ExternalError(Box::new(store_error())), location, "CSV"));
}
