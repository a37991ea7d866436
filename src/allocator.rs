//! The allocator behind every buffer the library decodes into.
//!
//! Decoding allocates and frees large buffers for every row group. glibc's
//! malloc hands them back to the kernel each time, and the page faults and page
//! clearing that follow cost about a third of the decode time (measured with
//! `perf` on the benchmark table). mimalloc keeps freed memory for reuse; with
//! its default 10 ms purge delay it still returns it too soon between row
//! groups, so the delay is raised to one second: memory idle that long goes
//! back to the system. Every buffer the library hands out is freed through its
//! own release callback, so it always returns to the allocator it came from.
//!
//! `SLUICE_ALLOCATOR=system` (read once, before the first allocation) selects
//! the system allocator instead, so that valgrind and LeakSanitizer, which
//! watch malloc, see every allocation: the C tests run that way.
//!
//! A global allocator is chosen once for a whole program, so this module is
//! built only with the Cargo feature `mimalloc` (on by default, for the C
//! library the bindings load): a Rust program that depends on sluice turns
//! the feature off to keep its own allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::{c_char, c_int, c_long};
use std::sync::atomic::{AtomicU8, Ordering};

#[global_allocator]
static ALLOCATOR: Chosen = Chosen;

const UNDECIDED: u8 = 0;
const MIMALLOC: u8 = 1;
const SYSTEM: u8 = 2;
static CHOICE: AtomicU8 = AtomicU8::new(UNDECIDED);

// Imports, not part of the C API: the annotation keeps cbindgen from declaring them.
/// cbindgen:ignore
#[allow(unused_doc_comments)]
extern "C" {
    /// libc's getenv: unlike std::env::var it does not allocate.
    fn getenv(name: *const c_char) -> *const c_char;
    /// From the mimalloc library that the `mimalloc` crate links statically.
    fn mi_option_set(option: c_int, value: c_long);
}

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_t`.
const PURGE_DELAY: c_int = 15;
const PURGE_DELAY_MS: c_long = 1000;

fn choice() -> u8 {
    match CHOICE.load(Ordering::Relaxed) {
        UNDECIDED => {
            let value = unsafe { getenv(c"SLUICE_ALLOCATOR".as_ptr()) };
            let system = !value.is_null() && unsafe { std::ffi::CStr::from_ptr(value) }.to_bytes() == b"system";
            let chosen = if system { SYSTEM } else { MIMALLOC };
            if chosen == MIMALLOC && unsafe { getenv(c"MIMALLOC_PURGE_DELAY".as_ptr()) }.is_null() {
                // mimalloc reads its options when it starts, on its first allocation;
                // an option set before that would be overwritten.
                let layout = Layout::new::<u64>();
                unsafe { mimalloc::MiMalloc.dealloc(mimalloc::MiMalloc.alloc(layout), layout) };
                unsafe { mi_option_set(PURGE_DELAY, PURGE_DELAY_MS) };
            }
            CHOICE.store(chosen, Ordering::Relaxed);
            chosen
        }
        chosen => chosen,
    }
}

struct Chosen;

unsafe impl GlobalAlloc for Chosen {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match choice() {
            SYSTEM => unsafe { System.alloc(layout) },
            _ => unsafe { mimalloc::MiMalloc.alloc(layout) },
        }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match choice() {
            SYSTEM => unsafe { System.alloc_zeroed(layout) },
            _ => unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) },
        }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match choice() {
            SYSTEM => unsafe { System.dealloc(ptr, layout) },
            _ => unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) },
        }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match choice() {
            SYSTEM => unsafe { System.realloc(ptr, layout, new_size) },
            _ => unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) },
        }
    }
}
