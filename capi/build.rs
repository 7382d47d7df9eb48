fn main() {
    // The shared library is versioned by its soname; `make` links libnsrun.so.0 to it.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libnsrun.so.0");
    println!("cargo:rerun-if-changed=build.rs");
}
