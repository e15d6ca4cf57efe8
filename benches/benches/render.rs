//! Render benchmarks (filled in below).
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};

fn render(_c: &mut Criterion) {}

criterion_group!(benches, render);
criterion_main!(benches);
