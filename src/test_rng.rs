//! A small deterministic xorshift generator, so "random input" tests are reproducible.

/// Xorshift64: fast, seeded, good enough to vary test input (not for anything secret).
pub(crate) struct XorShift(pub(crate) u64);

impl XorShift {
    pub(crate) fn next_u8(&mut self) -> u8 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 32) as u8
    }
}
