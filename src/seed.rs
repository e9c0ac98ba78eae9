//! Deterministic randomness: the hash that makes seeds (and the state file's fingerprints),
//! the generator values are drawn from, and the seed of each generated thing. The same on
//! every run and platform, so a seed reproduces an answer.

/// FNV-1a: a hash whose output is the same on every run and platform, for seeds and the
/// state file's fingerprints.
pub(crate) struct Fnv(u64);

impl Fnv {
    pub(crate) fn new(seed: u64) -> Self {
        let mut h = Fnv(0xcbf2_9ce4_8422_2325);
        h.write(&seed.to_le_bytes());
        h
    }
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // Separate parts so ("ab","c") and ("a","bc") differ.
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
    }
    pub(crate) fn finish(&self) -> u64 {
        self.0
    }
}

/// The seed of one of an operation's generated things (a body for `status` in `media`, its
/// headers, a behaviour's ids), from the run's seed.
pub(crate) fn static_seed(run: u64, api: &str, op: &str, status: u16, media: &str) -> u64 {
    let mut h = Fnv::new(run);
    for part in [api, op, media] {
        h.write(part.as_bytes());
    }
    h.write(&status.to_le_bytes());
    h.finish()
}

/// SplitMix64: tiny, fast, and identical on every platform.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform-enough in `0..n` (0 when `n` is 0); the modulo bias is irrelevant here.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// True with probability `num/den`.
    pub(crate) fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn between(&mut self, lo: i128, hi: i128) -> i128 {
        let span = (hi - lo) as u128 + 1;
        let r = (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64());
        lo + (r % span) as i128
    }

    pub(crate) fn pick<'x, T>(&mut self, items: &'x [T]) -> Option<&'x T> {
        items.get(self.below(items.len() as u64) as usize)
    }
}
