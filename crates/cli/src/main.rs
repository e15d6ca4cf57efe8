//! The `stencil` command-line tool.

fn main() {
    println!("stencil {}", env!("CARGO_PKG_VERSION"));
}
