//! Finding and loading ADBC driver libraries.
//!
//! A driver is named by a short name (`postgresql`, `sqlite`, `snowflake`,
//! `flightsql`, `duckdb`), by the path of a library or of an ADBC driver
//! manifest (`.toml`), or by the name of a manifest that ADBC's own search
//! finds. A short name is looked up, in this order:
//!
//! 1. in the directories of `SLUICE_ADBC_DRIVER_PATH` (separated like `PATH`);
//! 2. in the directories the caller gives (`driver_search_path`: the Python
//!    binding passes its interpreter's `sys.path`, where the `adbc-driver-*`
//!    wheels put their libraries);
//! 3. in the site-packages of the active virtualenv (`VIRTUAL_ENV`);
//! 4. by ADBC's driver manager: manifests named `<name>.toml` in
//!    `ADBC_DRIVER_PATH`, the user's and the system's ADBC configuration
//!    directories, then the system's library path.
//!
//! In each directory of 1 to 3 a library is looked for as the file itself and
//! inside the wheel's package directory (`adbc_driver_postgresql/`).
//! Drivers stay loaded for the life of the process: some (the Go-based ones)
//! cannot be unloaded safely.

use super::adbc_error;
use crate::error::{Error, ErrorKind, Result};
use adbc_core::options::AdbcVersion;
use adbc_core::LOAD_FLAG_DEFAULT;
use adbc_driver_manager::ManagedDriver;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// A driver known by a short name: its library, entry point and pip package.
struct KnownDriver {
    names: &'static [&'static str],
    /// Package directory in site-packages, and the library files in it.
    package_dir: &'static str,
    libraries: &'static [&'static str],
    entrypoint: Option<&'static [u8]>,
    pip_package: &'static str,
}

const KNOWN_DRIVERS: &[KnownDriver] = &[
    KnownDriver {
        names: &["postgresql", "postgres"],
        package_dir: "adbc_driver_postgresql",
        libraries: &["libadbc_driver_postgresql.so", "libadbc_driver_postgresql.dylib", "adbc_driver_postgresql.dll"],
        entrypoint: None,
        pip_package: "adbc-driver-postgresql",
    },
    KnownDriver {
        names: &["sqlite"],
        package_dir: "adbc_driver_sqlite",
        libraries: &["libadbc_driver_sqlite.so", "libadbc_driver_sqlite.dylib", "adbc_driver_sqlite.dll"],
        entrypoint: None,
        pip_package: "adbc-driver-sqlite",
    },
    KnownDriver {
        names: &["snowflake"],
        package_dir: "adbc_driver_snowflake",
        libraries: &["libadbc_driver_snowflake.so", "libadbc_driver_snowflake.dylib", "adbc_driver_snowflake.dll"],
        entrypoint: None,
        pip_package: "adbc-driver-snowflake",
    },
    KnownDriver {
        names: &["flightsql"],
        package_dir: "adbc_driver_flightsql",
        libraries: &["libadbc_driver_flightsql.so", "libadbc_driver_flightsql.dylib", "adbc_driver_flightsql.dll"],
        entrypoint: None,
        pip_package: "adbc-driver-flightsql",
    },
    // DuckDB's own library carries an ADBC entry point: libduckdb, or the
    // `duckdb` wheel's extension module (loadable inside a Python process).
    KnownDriver {
        names: &["duckdb"],
        package_dir: "duckdb",
        libraries: &["libduckdb.so", "libduckdb.dylib", "duckdb.dll", "_duckdb.*.so"],
        entrypoint: Some(b"duckdb_adbc_init"),
        pip_package: "duckdb",
    },
];

/// The environment variable with the first directories searched for short names.
pub const DRIVER_PATH_VARIABLE: &str = "SLUICE_ADBC_DRIVER_PATH";

/// A loaded driver and what it is called in messages.
#[derive(Clone)]
pub struct LoadedDriver {
    pub driver: ManagedDriver,
    /// The short name, or the path or manifest name as given.
    pub name: String,
}

impl LoadedDriver {
    pub fn is_postgresql(&self) -> bool {
        self.name == "postgresql" || self.name == "postgres"
    }
    /// Drivers known to have no `ExecutePartitions` (the PostgreSQL driver crashes when asked).
    pub fn has_no_partitions(&self) -> bool {
        self.is_postgresql() || self.is_duckdb() || self.name == "sqlite"
    }
    pub fn is_duckdb(&self) -> bool {
        self.name == "duckdb"
    }
}

/// Finds and loads the driver `name` (see the module documentation for the search order).
pub fn load(name: &str, search_path: &[PathBuf], entrypoint: Option<&str>) -> Result<LoadedDriver> {
    if name.is_empty() {
        return Err(Error::invalid_argument(
            "no ADBC driver given: name one (postgresql, sqlite, snowflake, flightsql, duckdb) or give a path",
        ));
    }
    let known = KNOWN_DRIVERS.iter().find(|d| d.names.contains(&name));
    let entrypoint = entrypoint.map(str::as_bytes).or(known.and_then(|d| d.entrypoint));
    let driver = match known {
        Some(known) if !looks_like_path(name) => load_known(name, known, search_path, entrypoint)?,
        _ => load_cached(name, || ManagedDriver::load_from_name(name, entrypoint, AdbcVersion::V110, LOAD_FLAG_DEFAULT, None))
            .map_err(|e| Error::new(e.kind, format!("ADBC driver '{name}' could not be loaded: {}", e.message)))?,
    };
    Ok(LoadedDriver { driver, name: name.to_string() })
}

fn looks_like_path(name: &str) -> bool {
    name.contains(['/', '\\']) || Path::new(name).extension().is_some()
}

fn load_known(name: &str, known: &KnownDriver, search_path: &[PathBuf], entrypoint: Option<&[u8]>) -> Result<ManagedDriver> {
    let directories = search_directories(search_path);
    let mut failures = Vec::new();
    for library in directories.iter().flat_map(|dir| candidates(dir, known)) {
        let load = || {
            ManagedDriver::load_dynamic_from_filename(&library, entrypoint, AdbcVersion::V110)
                .or_else(|_| ManagedDriver::load_dynamic_from_filename(&library, entrypoint, AdbcVersion::V100))
        };
        match load_cached(&library.to_string_lossy(), load) {
            Ok(driver) => return Ok(driver),
            Err(e) => failures.push(format!("{}: {}", library.display(), e.message)),
        }
    }
    // Last, ADBC's own search: manifests, then the system's library path.
    let library_name = known.package_dir;
    for attempt in [name, library_name] {
        if let Ok(driver) =
            load_cached(attempt, || ManagedDriver::load_from_name(attempt, entrypoint, AdbcVersion::V110, LOAD_FLAG_DEFAULT, None))
        {
            return Ok(driver);
        }
    }
    let tried = if failures.is_empty() { String::new() } else { format!(" (found but not loadable: {})", failures.join("; ")) };
    Err(Error::not_found(format!(
        "ADBC driver '{name}' not found: install the Python package that provides it (pip install {}), or name the library's path; \
         searched {DRIVER_PATH_VARIABLE}, the Python path, VIRTUAL_ENV and ADBC's driver manifests{tried}",
        known.pip_package
    )))
}

/// The directories searched for a short name, in order (steps 1 to 3).
fn search_directories(search_path: &[PathBuf]) -> Vec<PathBuf> {
    let mut directories: Vec<PathBuf> =
        std::env::var_os(DRIVER_PATH_VARIABLE).map(|v| std::env::split_paths(&v).collect()).unwrap_or_default();
    directories.extend(search_path.iter().cloned());
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        let lib = Path::new(&venv).join("lib");
        if let Ok(entries) = std::fs::read_dir(&lib) {
            let mut site: Vec<PathBuf> = entries.flatten().map(|e| e.path().join("site-packages")).filter(|p| p.is_dir()).collect();
            site.sort();
            directories.extend(site);
        }
    }
    directories.retain(|d| !d.as_os_str().is_empty() && d.is_dir());
    directories
}

/// The library files of `known` that exist in `dir` or in its package directory there.
fn candidates(dir: &Path, known: &KnownDriver) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for place in [dir.join(known.package_dir), dir.to_path_buf()] {
        for library in known.libraries {
            match library.split_once('*') {
                // A pattern: the wheel's extension module carries the Python version in its name.
                Some((prefix, suffix)) => {
                    let Ok(entries) = std::fs::read_dir(&place) else { continue };
                    let mut matches: Vec<PathBuf> = entries
                        .flatten()
                        .map(|e| e.path())
                        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(prefix) && n.ends_with(suffix)))
                        .collect();
                    matches.sort();
                    found.extend(matches);
                }
                None => {
                    let path = place.join(library);
                    if path.is_file() {
                        found.push(path);
                    }
                }
            }
        }
    }
    found
}

/// Loads a driver once per process, keyed by how it was found.
fn load_cached(key: &str, load: impl FnOnce() -> adbc_core::error::Result<ManagedDriver>) -> Result<ManagedDriver> {
    static LOADED: OnceLock<Mutex<HashMap<String, ManagedDriver>>> = OnceLock::new();
    let mut loaded = LOADED.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(driver) = loaded.get(key) {
        return Ok(driver.clone());
    }
    let driver = load().map_err(|e| adbc_error(e, ErrorKind::NotFound))?;
    loaded.insert(key.to_string(), driver.clone());
    Ok(driver)
}
