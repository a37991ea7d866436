//! Gives the shared library a versioned SONAME on ELF platforms: programs
//! linked against libsluice.so then record `libsluice.so.<major>` and keep
//! working when a compatible libsluice.so.<major>.<minor>.<patch> replaces it
//! (the install step of CMakeLists.txt lays out the usual symlinks). Loading
//! the library by path (the Python and Java bindings) is unaffected.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let family = std::env::var("CARGO_CFG_TARGET_FAMILY").unwrap_or_default();
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    // Mach-O (install_name) and Windows name their libraries differently.
    if family.split(',').any(|f| f == "unix") && !matches!(os.as_str(), "macos" | "ios" | "tvos" | "watchos" | "visionos") {
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets CARGO_PKG_VERSION_MAJOR");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libsluice.so.{major}");
    }
}
