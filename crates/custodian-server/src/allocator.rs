//! The process's memory allocator: mimalloc instead of the C library's malloc.
//!
//! A request allocates and frees many small buffers (headers, routing, JSON, rows) on whichever
//! worker thread runs it. Under the GET load of `bench/run.sh`, glibc's malloc took about a sixth
//! of the server's CPU time, much of it in its arena locks and free-list consolidation; with
//! mimalloc the same binary served 25–40 % more GETs in alternating runs on one machine.
//!
//! mimalloc's defaults keep freed memory for a second before returning it, commit whole arenas
//! eagerly and back them with transparent huge pages, which left an idle `serve --demo` at
//! 88–118 MB resident (the demo's Argon2 password hashes allocate 46 MB each). With the
//! `no_thp` build feature and [`configure`], it returns freed memory at once and commits arena
//! memory as it is used: 30–32 MB idle with or without `--demo`, as with glibc's malloc. Returning
//! memory at once cost no throughput measurable in alternating runs.

// The only module of the workspace that may use `unsafe` (see the workspace's lints).
#![allow(unsafe_code)]

use std::os::raw::c_int;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_arena_eager_commit` in mimalloc 3's `mimalloc.h` (`mi_option_e`), which
/// `libmimalloc-sys` does not name. The test below checks it against the linked library's default.
const ARENA_EAGER_COMMIT: c_int = 4;
/// `mi_option_purge_delay` (milliseconds before freed memory is returned; 0 = at once). At its
/// default of one second, an idle `serve --demo` kept 77 MB.
const PURGE_DELAY: c_int = 15;

/// Sets the allocator's options. Call first thing in `main`, before any other thread starts
/// (mimalloc's option setters are not thread-safe).
pub fn configure() {
    // SAFETY: plain setters of mimalloc's option table, called before any other thread exists.
    unsafe {
        libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_option_indices_name_the_options_of_the_linked_mimalloc() {
        // mimalloc 3's defaults (src/options.c): arena_eager_commit = 2, purge_delay = 1000 ms.
        // A library version with other indices would read other options here.
        if std::env::var_os("MIMALLOC_ARENA_EAGER_COMMIT").is_none() && std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: plain getters of mimalloc's option table.
            let (eager, delay) =
                unsafe { (libmimalloc_sys::mi_option_get(ARENA_EAGER_COMMIT), libmimalloc_sys::mi_option_get(PURGE_DELAY)) };
            assert_eq!((eager, delay), (2, 1000));
        }
    }
}
