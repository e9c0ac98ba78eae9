//! The document: YAML/JSON files read (`load`), or fetched by URL (`fetch`), the files their `$ref`s reach (`refs`), inside
//! the folders `ref_policy` allows; every schema rewritten to JSON Schema 2020-12
//! (`normalize`); everything wrong with it collected (`problems`); and the memory loading
//! used given back ([`release_freed_memory`]).

pub mod fetch;
pub mod load;
pub mod normalize;
pub mod problems;
pub mod ref_policy;
pub mod refs;

/// Gives the memory loading used and freed (parsed text, the validation views, compiler
/// scratch) back to the system. glibc keeps freed memory in its arenas otherwise, and the
/// resident size after loading GitHub's description stayed at its peak (after a reload too,
/// whose loading ran on another thread, hence another arena).
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only returns free pages of glibc's heap to the kernel; it takes
    // no pointer and leaves every live allocation where it is.
    unsafe {
        libc::malloc_trim(0);
    }
}
