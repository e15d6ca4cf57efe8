//! Finding where a placeholder's name ends: the scan every `{{` pays, so
//! it gets a file of its own (eight bytes at a time, no branch per byte).

use crate::spec::is_ident_continue;

/// `IDENT_CONTINUE[b]` is true for `[A-Za-z0-9_]`. A table lookup per byte
/// measured about half the instructions of the chained comparisons in
/// `is_ident_continue` (callgrind, `examples/profile_render.rs`).
static IDENT_CONTINUE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = is_ident_continue(b as u8);
        b += 1;
    }
    t
};

/// End of the identifier starting at `start` (which must be an ident start).
///
/// When 32 bytes follow `start`, they are classified eight at a time and
/// the end is found without a branch per byte: a byte loop's exit depends
/// on the name's length, which the branch predictor cannot guess when the
/// names of a text vary (`docs/performance.md`, "branch predictor").
#[inline]
pub(crate) fn ident_end(input: &[u8], start: usize) -> usize {
    if let Some(block) = input.get(start..).and_then(|r| r.first_chunk::<32>()) {
        let stop: [u64; 4] = std::array::from_fn(|i| {
            non_ident(u64::from_le_bytes(std::array::from_fn(|j| {
                block[8 * i + j]
            })))
        });
        let low = u128::from(stop[0]) | (u128::from(stop[1]) << 64);
        let high = u128::from(stop[2]) | (u128::from(stop[3]) << 64);
        let bit = if low != 0 {
            low.trailing_zeros()
        } else {
            128 + high.trailing_zeros()
        };
        let len = (bit / 8) as usize;
        if len < 32 {
            return start + len;
        }
    }
    let rest = &input[start + 1..];
    start
        + 1
        + rest
            .iter()
            .position(|&b| !IDENT_CONTINUE[b as usize])
            .unwrap_or(rest.len())
}

/// The high bit of each byte of `x` that is not `[A-Za-z0-9_]`, all other
/// bits zero (eight bytes at once, no carry between bytes).
#[inline]
fn non_ident(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Bytes below 0x80 only; a byte with its high bit set is never ident.
    let y = x & !HIGH;
    // High bit set where `lo <= byte <= hi`, for bytes below 0x80.
    let within = |v: u64, lo: u8, hi: u8| {
        let ge = v + ONES * u64::from(0x80 - lo);
        let gt = v + ONES * u64::from(0x7f - hi);
        ge & !gt & HIGH
    };
    let ident =
        within(y | (ONES * 0x20), b'a', b'z') | within(y, b'0', b'9') | within(y, b'_', b'_');
    (!ident & HIGH) | (x & HIGH)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word-at-a-time identifier scan agrees with the byte loop for
    /// every byte value at every position, near the input's end too.
    #[test]
    fn ident_end_agrees_with_a_byte_loop() {
        let by_bytes = |input: &[u8], start: usize| {
            start
                + 1
                + input[start + 1..]
                    .iter()
                    .position(|&b| !is_ident_continue(b))
                    .unwrap_or(input.len() - start - 1)
        };
        for b in 0..=255u8 {
            for at in 0..40 {
                for len in [at + 1, at + 2, 33, 34, 40, 70] {
                    let mut input = vec![b'a'; len.max(at + 1)];
                    input[0] = b'N';
                    if at > 0 && at < input.len() {
                        input[at] = b;
                    }
                    assert_eq!(
                        ident_end(&input, 0),
                        by_bytes(&input, 0),
                        "byte {b:#x} at {at} of {len}"
                    );
                }
            }
        }
    }
}
